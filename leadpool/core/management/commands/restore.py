"""`leadpool restore FILE --yes`: replace the database's contents with a backup."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from leadpool.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore the database from a backup made by `leadpool backup` (replaces everything)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--yes", action="store_true", help="confirm: everything now in the database is replaced"
        )

    def handle(self, *args, file: str, yes: bool, **options):
        if not yes:
            raise CommandError(
                "This replaces everything in the database with the backup; add --yes to go on."
            )
        try:
            restore(Path(file))
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Restored the {connection.vendor} database from {file}.")
