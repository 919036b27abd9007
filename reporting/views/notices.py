"""告知书: who needs one, one notice's page, printing (one, or all who need one), recording delivery."""
