from django.db import models
from django.utils.translation import gettext_lazy as _

from leadpool.pools.models import Pool, PooledRecord


class Lead(PooledRecord):
    """A sales lead (线索): a person or company that may become a customer."""

    class Status(models.TextChoices):
        NEW = "new", _("Not followed up")
        FOLLOWING = "following", _("Following up")
        CONVERTED = "converted", _("Converted")
        INVALID = "invalid", _("Invalid")

    entity = "lead"
    pool_kind = Pool.Kind.LEAD
    CLOSED_STATUSES = frozenset({Status.CONVERTED})
    CONVERTED_STATUSES = frozenset({Status.CONVERTED})

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    # The customer this lead became (a new one, or an existing one it was linked to).
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="converted_leads",
        db_index=False,  # lead_customer, partial
    )
    # Lead scoring (leadpool/scoring): the points of the rules the lead meets, and which.
    score = models.IntegerField(_("score"), default=0, db_index=True)
    score_explanation = models.JSONField(_("score explanation"), default=list, blank=True)
    # When time alone next changes the score (a recency rule's day count is crossed), or
    # the rules changed: the rules worker rescores the leads due, along this index.
    rescore_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        indexes = [
            *PooledRecord.record_indexes("lead"),
            PooledRecord.partial_key_index("customer", "lead_customer"),
            models.Index(
                fields=["rescore_at"],
                name="lead_rescore",
                condition=models.Q(rescore_at__isnull=False),
            ),
        ]
        constraints = PooledRecord.record_constraints("lead")
