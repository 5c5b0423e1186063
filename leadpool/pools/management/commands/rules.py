import json

from django.core.management.base import BaseCommand, CommandError

from leadpool.pools.automation import RULES, resolve_pools, run_rules


class Command(BaseCommand):
    help = (
        "Run the automatic pool rules (reclaim, warnings, retention, follow-up reminders, "
        "recycle-bin purge): leadpool rules run [--as-of TIME] [--dry-run] [--pool NAME_OR_ID]"
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["run"])
        parser.add_argument("--as-of", help="ISO 8601 time to run the rules as of (default: now)")
        parser.add_argument("--dry-run", action="store_true", help="say what would be done")
        parser.add_argument("--pool", help="only this pool (name or id)")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, action: str, **options):
        pools = None
        if options["pool"]:
            try:
                pools = resolve_pools(options["pool"])
            except ValueError as error:
                raise CommandError(str(error)) from None
        try:
            report = run_rules(as_of=options["as_of"], dry_run=options["dry_run"], pool=pools)
        except ValueError as error:  # an unreadable --as-of
            raise CommandError(f"--as-of: {error}") from None
        merged = report.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(merged, ensure_ascii=False))
            return
        self._print_table(merged)

    def _print_table(self, report: dict) -> None:
        verb = "Would act" if report["dry_run"] else "Acted"
        self.stdout.write(f"{verb} as of {report['as_of']}:")
        for entry in report["pools"]:
            label = (
                f"{entry['name']} (#{entry['id']}, {entry['kind']})"
                if entry["id"]
                else ("records in no pool")
            )
            counts = ", ".join(f"{rule} {entry['counts'][rule]}" for rule in RULES)
            self.stdout.write(f"  {label}: {counts}")
        purged = report["recycle_bin_purged"]
        self.stdout.write(
            f"  recycle bin: purged {purged['lead']} lead(s), {purged['customer']} customer(s)"
        )
        if not report["complete"]:
            self.stdout.write("  stopped early; the next run finishes the rest")
