"""Rating pages: the credit file's rating card, runs, level lists, overrides."""
