"""`leadpool backup [FILE]`: a backup of the whole database (pg_dump, or SQLite's online backup)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from leadpool.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database: leadpool backup leadpool-2026-12-01.backup"

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="where to write it (default: a dated name)")

    def handle(self, *args, file: str | None, **options):
        suffix = "dump" if connection.vendor == "postgresql" else "sqlite3"
        target = Path(file or f"leadpool-{timezone.localtime():%Y%m%d-%H%M%S}.{suffix}")
        try:
            backup(target)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Backed up the {connection.vendor} database to {target}.")
