"""Model pieces shared by apps that hang records off a lead or a customer."""

from django.db import models
from django.db.models import Q

# The largest id a bigint primary key holds; larger numbers name no row.
MAX_ID = 2**63 - 1


def one_subject_constraint(prefix: str, *, required: bool) -> models.CheckConstraint:
    """A row hangs off a lead or a customer: never both, and (if required) one of them."""
    lead_only = Q(lead__isnull=False, customer__isnull=True)
    customer_only = Q(lead__isnull=True, customer__isnull=False)
    neither = Q(lead__isnull=True, customer__isnull=True)
    condition = lead_only | customer_only if required else lead_only | customer_only | neither
    return models.CheckConstraint(condition=condition, name=f"{prefix}_one_subject")
