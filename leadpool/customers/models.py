from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
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
        db_index=False,  # customer_lead, partial
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]
        indexes = [
            *PooledRecord.record_indexes("customer"),
            PooledRecord.partial_key_index("lead", "customer_lead"),
        ]
        constraints = PooledRecord.record_constraints("customer")

    def has_open_opportunity(self) -> bool:
        return self.opportunities.exclude(stage__in=Opportunity.CLOSED_STAGES).exists()

    def timeline_followups(self):
        """Its follow-ups and those of the leads converted into it, newest first."""
        from leadpool.activity.models import FollowUp

        return FollowUp.objects.filter(Q(customer=self) | Q(lead__customer=self))

    def timeline_calls(self):
        from leadpool.activity.models import CallRecord

        return CallRecord.objects.filter(Q(customer=self) | Q(lead__customer=self))


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


# ISO 4217 codes a sales team is likely to quote in; anything else is refused.
CURRENCIES = (
    "CNY",
    "HKD",
    "TWD",
    "MOP",
    "USD",
    "EUR",
    "GBP",
    "JPY",
    "KRW",
    "SGD",
    "AUD",
    "CAD",
    "CHF",
    "NZD",
    "SEK",
    "NOK",
    "DKK",
    "RUB",
    "INR",
    "IDR",
    "MYR",
    "THB",
    "VND",
    "PHP",
    "AED",
    "SAR",
    "BRL",
    "MXN",
    "ZAR",
    "TRY",
)


class Opportunity(models.Model):
    """A sales opportunity (商机) with a customer."""

    class Stage(models.TextChoices):
        QUALIFICATION = "qualification", _("Qualification")
        NEEDS_ANALYSIS = "needs_analysis", _("Needs analysis")
        PROPOSAL = "proposal", _("Proposal")
        NEGOTIATION = "negotiation", _("Negotiation")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    CLOSED_STAGES = frozenset({Stage.WON, Stage.LOST})

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="opportunities",
    )
    name = models.CharField(_("name"), max_length=200)
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.QUALIFICATION
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    expected_close_date = models.DateField(_("expected close"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=10)
    lost_reason = models.CharField(_("why lost"), max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("from lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "stage"], name="opportunity_customer")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="opportunity_amount_positive"),
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="opportunity_probability_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.stage not in self.CLOSED_STAGES


class Order(models.Model):
    """An order (订单) a customer placed, with its lines."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="orders"
    )
    number = models.CharField(_("number"), max_length=40, unique=True)
    date = models.DateField(_("date"))
    # The sum of the lines, kept so lists and reports need not add them up.
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CONFIRMED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("from lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product_name = models.CharField(_("product"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="order_line_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_name} × {self.quantity}"


class CustomFieldMapping(models.Model):
    """Which customer custom field a lead custom field fills on conversion (映射规则)."""

    lead_field = models.OneToOneField(
        "fields.CustomField",
        verbose_name=_("lead field"),
        on_delete=models.CASCADE,
        related_name="mapping",
    )
    customer_field = models.ForeignKey(
        "fields.CustomField",
        verbose_name=_("customer field"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta:
        verbose_name = _("custom field mapping")
        verbose_name_plural = _("custom field mappings")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.lead_field.key} → {self.customer_field.key}"

    def clean(self) -> None:
        # The Django admin saves through here; the services call the same check.
        from django.core.exceptions import ValidationError

        from leadpool.customers.services import mapping_problem

        if self.lead_field_id and self.customer_field_id:
            if self.lead_field.entity != "lead" or self.customer_field.entity != "customer":
                raise ValidationError(_("Map a lead field onto a customer field."))
            problem = mapping_problem(self.lead_field, self.customer_field)
            if problem:
                raise ValidationError({"customer_field": [problem]})
