"""`leadpool import FILE --entity lead [--pool NAME] [--owner USER] [--as USER]
[--mapping JSON] [--dedupe skip|update|create] [--match-on phone,email] [--sheet NAME]
[--dry-run] [--errors FILE]`: the same import job as the API, run here with a progress bar.

Without `--as` it acts as the first system admin: whoever runs commands on the server
administers it anyway. The job is on record like any other (GET /api/v1/imports/{id}).
"""

import json
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from leadpool.accounts.models import User
from leadpool.pools import access
from leadpool.transfer import imports
from leadpool.transfer.models import ImportJob

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Import leads or customers from a CSV/XLSX/XLS file: "
        "leadpool import leads.csv --entity lead --pool 华东线索池"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (any encoding Excel writes), XLSX or XLS")
        parser.add_argument("--entity", choices=sorted(imports.MODELS), required=True)
        parser.add_argument("--pool", help="the pool to import into (name or id)")
        parser.add_argument("--owner", help="give the records to this user (username or id)")
        parser.add_argument("--as", dest="acting", help="username to act as (default: an admin)")
        parser.add_argument("--mapping", help='JSON: {"column header": "field" or null}')
        parser.add_argument("--dedupe", choices=ImportJob.Dedupe.values, default="skip")
        parser.add_argument("--match-on", default="phone,email", help="phone, email or both")
        parser.add_argument("--sheet", help="the workbook's sheet (name or 0-based number)")
        parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
        parser.add_argument("--errors", help="write the rows that did not go in to this file")

    def handle(self, *args, file: str, entity: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {file!r}.")
        user = self._acting(options["acting"])
        model = imports.model_of(entity)
        try:
            mapping = json.loads(options["mapping"]) if options["mapping"] else None
        except ValueError:
            raise CommandError("--mapping is not valid JSON.") from None
        sheet = options["sheet"]
        try:
            job = imports.start_import(
                by=user,
                source=path,
                file_name=path.name,
                entity=entity,
                pool=self._pool(user, model, options["pool"]),
                owner=self._user(options["owner"], "--owner") if options["owner"] else None,
                mapping=mapping,
                dedupe=options["dedupe"],
                match_on=[key.strip() for key in options["match_on"].split(",") if key.strip()],
                dry_run=options["dry_run"],
                sheet=int(sheet) if sheet and sheet.isdigit() else sheet,
                enqueue=False,
            )
        except ValidationError as error:
            raise CommandError(_messages(error)) from None
        self.stderr.write(
            f"Import {job.pk}: {job.format} {job.encoding or ''} → {entity}s"
            + (" (dry run)" if job.dry_run else "")
        )
        progress = ProgressBar(self.stderr)
        job = imports.run_import(job.pk, progress=progress.update)
        progress.close()
        if job is None:
            raise CommandError("Another worker is running this import.")
        self._report(job, options["errors"])
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(job.error)

    def _report(self, job: ImportJob, errors_path: str | None) -> None:
        verb = "Would import" if job.dry_run else "Imported"
        self.stdout.write(
            f"{verb} {job.processed:,} rows: {job.created:,} created, {job.updated:,} updated, "
            f"{job.skipped:,} skipped as duplicates, {job.failed_rows:,} invalid."
        )
        if errors_path and (job.failed_rows or job.skipped):
            target = Path(errors_path)
            export = imports.error_file(job, "xlsx" if target.suffix == ".xlsx" else "csv")
            with open(target, "wb") as handle:
                export.write(handle)
            self.stdout.write(f"Wrote {export.count:,} rows that did not go in to {target}.")
        elif job.failed_rows or job.skipped:
            self.stdout.write(
                f"Add --errors FILE to get them, or GET /api/v1/imports/{job.pk}/errors."
            )

    def _acting(self, acting: str | None) -> User:
        if acting:
            return self._user(acting, "--as")
        admin = (
            User.objects.filter(Q(is_superuser=True) | Q(role=User.Role.ADMIN), is_active=True)
            .order_by("pk")
            .first()
        )
        if admin is None:
            raise CommandError("There is no active system admin to act as; give --as USER.")
        return admin

    def _user(self, name: str, option: str) -> User:
        lookup = {"pk": int(name)} if name.isdigit() else {"username__iexact": name}
        user = User.objects.filter(**lookup, is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active user {name!r} ({option}).")
        return user

    def _pool(self, user: User, model, value: str | None):
        if not value:
            return None
        pools = access.visible_pools(user, kind=model.pool_kind)
        pool = pools.filter(**({"pk": int(value)} if value.isdigit() else {"name": value})).first()
        if pool is None:
            raise CommandError(f"There is no {model.entity} pool {value!r} that {user} may see.")
        return pool.pk


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(
            f"{field}: {message}"
            for field, messages in error.message_dict.items()
            for message in messages
        )
    return " ".join(error.messages)


class ProgressBar:
    """`[##########----------]  50%  500,000/1,000,000 rows  42,000 rows/s` on a terminal,
    redrawn in place; on a pipe or a log, one line per tenth of the way."""

    def __init__(self, stream):
        self.stream = stream  # the command's OutputWrapper
        self.interactive = stream.isatty()
        self.started = time.monotonic()
        self.last_tenth = -1

    def update(self, job: ImportJob) -> None:
        total = job.total or 0
        done = job.processed
        share = done / total if total else 1.0
        rate = done / max(time.monotonic() - self.started, 1e-6)
        filled = int(BAR_WIDTH * share)
        line = (
            f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {share:4.0%}  "
            f"{done:,}/{total:,} rows  {rate:,.0f} rows/s"
        )
        if self.interactive:
            self.stream.write("\r" + line, ending="")
            self.stream.flush()
        elif int(share * 10) > self.last_tenth:
            self.last_tenth = int(share * 10)
            self.stream.write(line)

    def close(self) -> None:
        if self.interactive:
            self.stream.write("")
