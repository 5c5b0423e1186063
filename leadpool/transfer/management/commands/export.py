"""`leadpool export --entity lead --as USER [--format csv|xlsx] [--fields a,b] [--pool NAME]
[--ids 1,2] [--calls] [--output FILE]`: the same export as the API, as a named user."""

import os
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from leadpool.accounts.models import User
from leadpool.customers.models import Customer
from leadpool.leads.models import Lead
from leadpool.pools import access
from leadpool.transfer import exports
from leadpool.transfer.api import parse_fields, parse_ids

MODELS = {"lead": Lead, "customer": Customer}


class Command(BaseCommand):
    help = "Export the leads or customers a user may see: leadpool export --entity lead --as zhang"

    def add_arguments(self, parser):
        parser.add_argument("--entity", choices=sorted(MODELS), required=True)
        parser.add_argument("--as", dest="acting", required=True, help="username to act as")
        parser.add_argument("--format", choices=exports.FORMATS, default="csv")
        parser.add_argument(
            "--fields", help="comma-separated columns, e.g. name,phone,custom.level"
        )
        parser.add_argument("--pool", help="only this pool (name or id)")
        parser.add_argument("--ids", help="only these record ids, comma-separated")
        parser.add_argument("--calls", action="store_true", help="the records' call records")
        parser.add_argument("--output", help="file to write (default: a dated name here)")

    def handle(self, *args, entity: str, acting: str, **options):
        model = MODELS[entity]
        lookup = {"pk": int(acting)} if acting.isdigit() else {"username": acting}
        user = User.objects.filter(**lookup, is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active user {acting!r} (--as).")
        records = model.objects.all()
        if options["pool"]:
            value = options["pool"]
            pools = access.visible_pools(user, kind=model.pool_kind)
            pool = pools.filter(**({"pk": int(value)} if value.isdigit() else {"name": value}))
            if not pool.exists():
                raise CommandError(f"There is no {entity} pool {value!r} you may see.")
            records = records.filter(pool__in=pool)
        try:
            common = {
                "by": user,
                "model": model,
                "records": records,
                "ids": parse_ids(options["ids"]),
                "format": options["format"],
                "filters": {"pool": options["pool"]} if options["pool"] else {},
            }
            if options["calls"]:
                export = exports.export_calls(**common)
            else:
                export = exports.export_records(**common, fields=parse_fields(options["fields"]))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        output = Path(options["output"] or export.filename)
        # Written beside the target and renamed into place: a failed export leaves no
        # half-written file behind.
        descriptor, partial = tempfile.mkstemp(dir=output.parent.resolve(), suffix=".part")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                export.write(handle)
            os.replace(partial, output)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        self.stdout.write(f"Wrote {export.count} row(s) to {output}.")
