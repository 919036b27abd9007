"""`python manage.py import_records KIND FILE`: import customers, bills or events (data-contract.md).

Exit status 0 and a one-line summary on success; on any invalid row nothing is written,
every invalid row is listed on standard error as `row N, column NAME: reason`, and the
exit status is 1. Every run is recorded in the import history (customers.import_jobs).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from customers.audit import acting_as
from customers.import_jobs import COMMAND_ACTOR as ACTOR
from customers.import_jobs import run_command
from customers.importer import KINDS, ImportFileError


class Command(BaseCommand):
    help = "Import customers, bills or events from a .csv (UTF-8) or .xlsx file, all or nothing."

    def add_arguments(self, parser) -> None:
        # No `choices`: argparse would exit with status 2; the contract wants 1 and a clear message.
        parser.add_argument("kind", help=" | ".join(KINDS))
        parser.add_argument("file", help="path to a .csv or .xlsx file")

    def handle(self, *args, kind: str, file: str, **options) -> None:
        if kind not in KINDS:
            raise CommandError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
        with acting_as(ACTOR):
            try:
                result = run_command(kind, file)
            except ImportFileError as e:
                raise CommandError(f"{file}: {e}") from None
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{kind}: {len(result.errors)} error(s) in {file}; nothing was imported")
        self.stdout.write(result.summary())
