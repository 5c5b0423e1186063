from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from leadpool.pools.models import Pool, PooledRecord


class Customer(PooledRecord):
    """A customer (客户): a company or a person, with contacts; shared through customer pools."""

    class Status(models.TextChoices):
        NEW = "new", _("Not followed up")
        FOLLOWING = "following", _("Following up")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    entity = "customer"
    pool_kind = Pool.Kind.CUSTOMER
    # A won customer returned to the customer pool may be claimed again for repeat
    # business (二次成交), so no status closes a customer to claims; `won` only matters to
    # `max_held_counts_converted`.
    CLOSED_STATUSES: frozenset[str] = frozenset()
    CONVERTED_STATUSES = frozenset({Status.WON})

    status = models.CharField(
        _("deal status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("converted from lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]
        indexes = PooledRecord.record_indexes("customer")
        constraints = PooledRecord.record_constraints("customer")


class Contact(models.Model):
    """A person at a customer (联系人); one of them is the primary contact."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_normalized = models.CharField(max_length=20, blank=True, editable=False)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    email_normalized = models.CharField(max_length=254, blank=True, editable=False)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "id"]
        indexes = [
            models.Index(fields=["phone_normalized"], name="contact_phone"),
            models.Index(fields=["email_normalized"], name="contact_email"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_primary=True), name="contact_one_primary"
            ),
        ]

    def __str__(self) -> str:
        return self.name
