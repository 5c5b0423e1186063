"""Leads and customers share every page: the URL's first segment says which.

One mechanism for both, as `PooledRecord` and the API's `RecordViewSet` are one.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from leadpool.customers.models import Customer
from leadpool.leads.models import Lead


@dataclass(frozen=True)
class RecordKind:
    slug: str  # "leads" or "customers", as in the URLs
    model: type
    mine_label: str
    pools_label: str
    new_label: str


KINDS = {
    "leads": RecordKind("leads", Lead, _("My leads"), _("Lead pools"), _("New lead")),
    "customers": RecordKind(
        "customers", Customer, _("My customers"), _("Customer pools"), _("New customer")
    ),
}


class KindConverter:
    """`<kind:kind>` in a URL: "leads" or "customers", handed to the view as a RecordKind."""

    regex = "leads|customers"

    def to_python(self, value: str) -> RecordKind:
        return KINDS[value]

    def to_url(self, value) -> str:
        return value.slug if isinstance(value, RecordKind) else value
