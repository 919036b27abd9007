"""`python manage.py import_return FILE`: mark the rows the platform's return file rejects (data-contract.md).

Exit 0 and the rows marked per sheet, and the batches that became 部分退回, on success (or a note that
the same file was imported before). Any bad line: nothing is marked, each is listed on standard error
as `row N: reason`, exit 1. A file that cannot be read: exit 1 with the reason.
"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from customers.audit import acting_as
from reporting.returns import ReturnFileError, import_return

ACTOR = "command:import_return"


class Command(BaseCommand):
    help = "Mark the rows listed in the credit platform's return file (.xlsx or .csv) returned, all or nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="path to the platform's .xlsx or .csv file of rejected rows")

    def handle(self, *args, file: str, **options) -> None:
        with acting_as(ACTOR):
            try:
                result = import_return(file, name=os.path.basename(file))
            except ReturnFileError as e:
                for error in e.errors:
                    self.stderr.write(str(error))
                raise CommandError(f"{file}: {e}") from None
        for line in result.summary_lines():
            self.stdout.write(line)
