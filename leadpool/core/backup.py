"""Backups of the whole database, in the database's own format, and their restore.

PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean`, the tools that know every
type, index and sequence (the client tools must be installed; their major version at
least the server's). SQLite: the online backup API, which copies a consistent snapshot
while the site runs, page by page.
"""

import os
import sqlite3
import subprocess  # noqa: S404 - the PostgreSQL tools, with arguments we build, no shell
from pathlib import Path

from django.db import connection


class BackupError(Exception):
    pass


def backup(target: Path) -> None:
    """Write a backup of the database to `target` (replaced only when the backup is whole)."""
    partial = target.with_name(target.name + ".part")
    try:
        if connection.vendor == "postgresql":
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={partial}"])
        elif connection.vendor == "sqlite":
            connection.ensure_connection()
            destination = sqlite3.connect(partial)
            try:
                connection.connection.backup(destination)
            finally:
                destination.close()
        else:
            raise BackupError(f"Backups of {connection.vendor} databases are not supported.")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def restore(source: Path) -> None:
    """Replace the database's contents with a backup made by `backup`."""
    if not source.is_file():
        raise BackupError(f"There is no backup file {source}.")
    if connection.vendor == "postgresql":
        if source.read_bytes()[:5] != b"PGDMP":
            raise BackupError(f"{source} is not a PostgreSQL backup (pg_dump custom format).")
        connection.close()  # pg_restore --clean drops tables this connection may hold
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              str(source)], database_flag="--dbname")  # fmt: skip
    elif connection.vendor == "sqlite":
        try:
            backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            backup_db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is not an SQLite backup: {error}") from None
        connection.ensure_connection()
        try:
            backup_db.backup(connection.connection)
        finally:
            backup_db.close()
    else:
        raise BackupError(f"Restores of {connection.vendor} databases are not supported.")


def _run(command: list[str], *, database_flag: str = "--dbname") -> None:
    """Run a PostgreSQL client tool against this connection's database; the password goes
    through the environment, never the command line (other users could read it there)."""
    settings = connection.settings_dict
    environment = {**os.environ}
    if settings.get("PASSWORD"):
        environment["PGPASSWORD"] = settings["PASSWORD"]
    options = [database_flag, settings["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            options += [flag, str(settings[key])]
    try:
        result = subprocess.run(  # noqa: S603
            [command[0], *options, *command[1:]],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} was not found: install the PostgreSQL client tools "
            "(e.g. apt install postgresql-client)."
        ) from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")
