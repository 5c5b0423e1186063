"""The django-import-export reference of the import benchmark (issue 9: our CSV import
should be at least 5× as fast).

The same CSV file into the same `leads_lead` table (same database, same indexes, same
pool), through a `ModelResource` with the settings django-import-export's documentation
gives for speed ("Bulk imports" and `ResourceOptions`): `use_bulk = True` with
`batch_size = 1000` (`bulk_create` per thousand rows), `skip_diff = True` (no copy and
comparison of each instance), `skip_unchanged = False` (it needs the diff),
`force_init_instance = True` (every row is new: no lookup by `import_id_fields`),
`report_skipped = False`, `use_transactions = True`, `store_row_values` and
`store_instance` off (their defaults). The file is read the documented way, whole, into a
tablib `Dataset`, and imported with `import_data(dry_run=False)`.

What it does not do, and our import does: validate phones and e-mails (every row goes
in, the ~3 % invalid ones too), find duplicates (in the file or on file), report per-row
errors, write history events, apply the pool's routing. To write the same row our import
writes, `before_save_instance` fills the normalised columns (phone, e-mail, company) with
the same functions, invalid values left empty; without them the duplicate checks and
searches would not find the rows.

Called by import_benchmark.py as its `dje` step, in its own process.
"""

import time
from pathlib import Path


def step_dje(path: str) -> dict:
    from django.core.exceptions import ValidationError
    from django.utils import timezone
    from import_export import fields, resources
    from tablib import Dataset

    from bench.import_benchmark import HEADERS, POOL_NAME, _empty_leads
    from leadpool.accounts.models import User
    from leadpool.core.normalize import normalize_company, normalize_email, normalize_phone
    from leadpool.leads.models import Lead
    from leadpool.pools.models import Pool

    _empty_leads()
    admin = User.objects.get(username="bench_admin")
    pool = Pool.objects.get(name=POOL_NAME)
    attributes = ["name", "company", "phone", "other_phone", "email", "source", "region",
                  "industry", "notes"]  # fmt: skip

    def normal(function, value: str) -> str:
        try:
            return function(value) if value else ""
        except ValidationError:
            return ""

    class LeadResource(resources.ModelResource):
        class Meta:
            model = Lead
            fields = tuple(attributes)
            import_id_fields = ()
            use_bulk = True
            batch_size = 1000
            skip_diff = True
            skip_unchanged = False
            force_init_instance = True
            report_skipped = False
            use_transactions = True

        def init_instance(self, row=None):
            now = timezone.now()
            return Lead(pool_id=pool.pk, created_by_id=admin.pk, pooled_at=now)

        def before_save_instance(self, instance, row, **kwargs):
            instance.phone_normalized = normal(normalize_phone, instance.phone)
            instance.other_phone_normalized = normal(normalize_phone, instance.other_phone)
            instance.email_normalized = normal(normalize_email, instance.email)
            instance.company_normalized = normalize_company(instance.company)

    # The file's Chinese headers, mapped to the model's fields (column_name).
    for header, attribute in zip(HEADERS, attributes, strict=True):
        LeadResource.fields[attribute] = fields.Field(
            attribute=attribute,
            column_name=header,
            widget=LeadResource.widget_from_django_field(Lead._meta.get_field(attribute))(),
        )

    started = time.perf_counter()
    dataset = Dataset().load(Path(path).read_text(encoding="utf-8-sig"), format="csv")
    result = LeadResource().import_data(
        dataset, dry_run=False, raise_errors=True, use_transactions=True
    )
    seconds = time.perf_counter() - started
    if result.has_errors() or result.has_validation_errors():
        raise SystemExit("django-import-export reported errors")
    rows = len(dataset)
    created = Lead.objects.count()
    return {
        "rows": rows,
        "created": created,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
    }
