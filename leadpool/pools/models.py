"""Pools and the behaviour that leads and customers share as pooled records.

Lead pools (线索池) and customer pools (客户公海) are one mechanism: a `Pool` of a
`kind`, holding records of the matching model. The rule settings are columns on the
pool, typed and constrained; `pools/rules.py` judges them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Pool(models.Model):
    class Kind(models.TextChoices):
        LEAD = "lead", _("Lead pool")
        CUSTOMER = "customer", _("Customer pool")

    class Visibility(models.TextChoices):
        CLAIMABLE = "claimable", _("Members may claim")
        ASSIGN_ONLY = "assign_only", _("Admins assign; members see nothing")

    class ContactVisibility(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        HIDDEN = "hidden", _("Hidden until claimed")
        MASKED = "masked", _("Masked until claimed (138****8000)")

    class Distribution(models.TextChoices):
        MANUAL = "manual", _("Manual")
        ROUND_ROBIN = "round_robin", _("Round robin")
        LOAD_BALANCED = "load_balanced", _("To whoever holds fewest")

    class ThresholdAction(models.TextChoices):
        NOTIFY = "notify", _("Notify the owner")
        CONVERT = "convert", _("Convert it into a customer with an opportunity, and notify")

    class RetentionAction(models.TextChoices):
        KEEP = "keep", _("Keep in the pool")
        DELETE = "delete", _("Move to the recycle bin")
        MOVE = "move", _("Move to another pool")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.LEAD)
    description = models.TextField(_("description"), blank=True)
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("admins"), related_name="administered_pools"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        related_name="member_pools",
        blank=True,
    )
    member_departments = models.ManyToManyField(
        "accounts.Department",
        verbose_name=_("member departments"),
        related_name="member_pools",
        blank=True,
        help_text=_("Everyone in these departments and the departments below them."),
    )

    # Claim rules. Null means the rule is off.
    visibility = models.CharField(
        _("who may claim"), max_length=16, choices=Visibility.choices, default=Visibility.CLAIMABLE
    )
    claim_limit_per_day = models.PositiveIntegerField(
        _("claims per member per day"), null=True, blank=True
    )
    max_held = models.PositiveIntegerField(
        _("most records a member may hold from this pool"), null=True, blank=True
    )
    max_held_counts_converted = models.BooleanField(
        _("converted or won records count towards the most held"), default=False
    )
    reclaim_cooldown_hours = models.PositiveIntegerField(
        _("hours before a previous owner may claim the same record again"), null=True, blank=True
    )
    claim_embargo_hours = models.PositiveIntegerField(
        _("hours after entering the pool before a record may be claimed"), null=True, blank=True
    )
    claim_reason_required = models.BooleanField(_("a claim needs a reason"), default=False)
    contact_visibility = models.CharField(
        _("phone and e-mail before claiming"),
        max_length=16,
        choices=ContactVisibility.choices,
        default=ContactVisibility.VISIBLE,
    )
    return_reasons = models.JSONField(
        _("return reasons"),
        default=list,
        blank=True,
        help_text=_("A return must pick one of these; empty allows any reason."),
    )

    # Distribution when records enter the pool.
    distribution = models.CharField(
        _("distribution"), max_length=16, choices=Distribution.choices, default=Distribution.MANUAL
    )
    distribution_members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("distribute to"),
        related_name="+",
        blank=True,
    )
    routing = models.JSONField(_("routing conditions"), default=list, blank=True)
    # PRODUCT.md: reclaimed records are distributed again only "if the admin wishes";
    # otherwise they wait in the pool for members to claim.
    redistribute_reclaimed = models.BooleanField(
        _("hand out reclaimed records again"), default=False
    )

    # Automatic reclaim (回收规则).
    reclaim_no_followup_days = models.PositiveIntegerField(
        _("reclaim after days without a follow-up"), null=True, blank=True
    )
    reclaim_not_converted_days = models.PositiveIntegerField(
        _("reclaim after days without converting"), null=True, blank=True
    )
    reclaim_exempt_open_opportunity = models.BooleanField(
        _("records with an open opportunity are not reclaimed"), default=False
    )
    reclaim_warning_days = models.PositiveIntegerField(
        _("warn the owner this many days before"), null=True, blank=True
    )

    # Retention of unclaimed records.
    retention_days = models.PositiveIntegerField(
        _("days a record may stay unclaimed"), null=True, blank=True
    )
    on_retention_expiry = models.CharField(
        _("then"), max_length=16, choices=RetentionAction.choices, default=RetentionAction.KEEP
    )
    retention_move_to_pool = models.ForeignKey(
        "self",
        verbose_name=_("move to pool"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # Lead scoring (leadpool/scoring): a lead whose score rises to this notifies its owner,
    # and with "convert", an assigned lead is also converted as its owner.
    score_threshold = models.IntegerField(_("score threshold"), null=True, blank=True)
    score_threshold_action = models.CharField(
        _("when a lead reaches the score threshold"),
        max_length=16,
        choices=ThresholdAction.choices,
        default=ThresholdAction.NOTIFY,
    )

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("pool")
        verbose_name_plural = _("pools")
        ordering = ["kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="pool_name_unique_per_kind"),
            models.CheckConstraint(
                condition=~Q(on_retention_expiry="move") | Q(retention_move_to_pool__isnull=False),
                name="pool_retention_move_has_target",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_claimable(self) -> bool:
        return self.visibility == self.Visibility.CLAIMABLE


class ClaimTally(models.Model):
    """Claims one member made from one pool on one day.

    A claim locks this row first (SELECT … FOR UPDATE), which serialises one member's
    claims in one pool: two browser tabs claiming at once can then never both slip
    under the daily limit or the most-held limit.
    """

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    claims = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pool", "user"], name="claim_tally_one_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.pool_id} on {self.day}: {self.claims}"


class DistributionCursor(models.Model):
    """Where a pool's round robin (and load-balancing tie-break) stands: the last member
    who got a record.

    Distribution locks this row (SELECT … FOR UPDATE) for the rest of its transaction,
    so concurrent requests, imports and workers take turns: the rotation stays exact
    across batches, restarts and processes (pools/distribution.py).
    """

    pool = models.OneToOneField(
        Pool, on_delete=models.CASCADE, primary_key=True, related_name="distribution_cursor"
    )
    last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"{self.pool_id}: after {self.last_user_id}"


class PooledRecordQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def in_recycle_bin(self):
        return self.filter(deleted_at__isnull=False)


class PooledRecord(models.Model):
    """What leads and customers share: contact data, ownership, pool and timestamps.

    Ownership (`owner`, `pool`) changes only through `pools/services.py`, which writes
    the history in the same transaction. The `*_normalized` columns are kept by the
    services from `core/normalize.py` and are what duplicate checks compare.
    """

    # Set by subclasses: the word used in history, notifications, the API and the
    # foreign keys that point at a record ("lead" or "customer"), and its pool kind.
    entity: str
    pool_kind: str
    # Statuses that take a record out of its pool's claimable set, and those that
    # `max_held_counts_converted` decides whether to count.
    CLOSED_STATUSES: frozenset[str] = frozenset()
    CONVERTED_STATUSES: frozenset[str] = frozenset()
    NEW_STATUS = "new"
    FOLLOWING_STATUS = "following"

    name = models.CharField(_("name"), max_length=200, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    company_normalized = models.CharField(max_length=200, blank=True, editable=False)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_normalized = models.CharField(max_length=20, blank=True, editable=False)
    other_phone = models.CharField(_("other phone"), max_length=40, blank=True)
    other_phone_normalized = models.CharField(max_length=20, blank=True, editable=False)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    email_normalized = models.CharField(max_length=254, blank=True, editable=False)
    source = models.CharField(_("source"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)

    # The foreign keys' own indexes are left out (db_index=False) where an index of
    # record_indexes starts with the column, or replaced by a partial one where the
    # column is mostly empty: every index costs each insert and each ownership change.
    pool = models.ForeignKey(
        Pool,
        verbose_name=_("pool"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(class)ss",
        db_index=False,  # {prefix}_pool
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_%(class)ss",
        db_index=False,  # {prefix}_owner
    )
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collaborators"),
        related_name="collaborating_%(class)ss",
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # {prefix}_created_by
    )

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    # When the record last became unassigned in its pool: starts the claim embargo and
    # the retention clock.
    pooled_at = models.DateTimeField(_("entered the pool"), null=True, blank=True)
    last_followup_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)
    next_followup_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    # When the pool's automatic reclaim will take it back from its owner (null: never).
    reclaim_at = models.DateTimeField(_("reclaimed at"), null=True, blank=True)
    # The `reclaim_at` its owner was warned about, and the `next_followup_at` they were
    # reminded of (pools/automation.py): one warning per reclaim period and one reminder
    # per due time, however often the rules run. A follow-up moves `reclaim_at`, which
    # starts a new period.
    reclaim_warned_for = models.DateTimeField(null=True, blank=True, editable=False)
    followup_reminded_for = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # {prefix}_deleted_by
    )

    objects = PooledRecordQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name or self.company or f"#{self.pk}"

    @property
    def display_name(self) -> str:
        if self.name and self.company:
            return f"{self.name} ({self.company})"
        return str(self)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED_STATUSES

    def has_open_opportunity(self) -> bool:
        """Whether an open opportunity (商机) rides on this record; customers override."""
        return False

    @classmethod
    def record_indexes(cls, prefix: str) -> list[models.Index]:
        """Indexes every pooled table needs, named per table."""
        alive = Q(deleted_at__isnull=True)
        return [
            # Deleting a user sets these to null: only rows that name someone are looked up.
            cls.partial_key_index("created_by", f"{prefix}_created_by"),
            cls.partial_key_index("deleted_by", f"{prefix}_deleted_by"),
            models.Index(fields=["phone_normalized"], name=f"{prefix}_phone", condition=alive),
            models.Index(
                fields=["other_phone_normalized"], name=f"{prefix}_other_phone", condition=alive
            ),
            models.Index(fields=["email_normalized"], name=f"{prefix}_email", condition=alive),
            models.Index(fields=["company_normalized"], name=f"{prefix}_company", condition=alive),
            models.Index(fields=["pool", "owner", "-created_at", "-id"], name=f"{prefix}_pool"),
            models.Index(fields=["owner", "-created_at", "-id"], name=f"{prefix}_owner"),
            models.Index(fields=["-created_at", "-id"], name=f"{prefix}_created"),
            models.Index(
                fields=["reclaim_at"],
                name=f"{prefix}_reclaim",
                condition=Q(reclaim_at__isnull=False),
            ),
            models.Index(
                fields=["deleted_at"],
                name=f"{prefix}_deleted",
                condition=Q(deleted_at__isnull=False),
            ),
            # The retention sweep: unassigned live records of a pool by time in the pool.
            models.Index(
                fields=["pool", "pooled_at"],
                name=f"{prefix}_unassigned",
                condition=Q(owner__isnull=True, deleted_at__isnull=True),
            ),
            # The follow-up reminder sweep: owned live records by next follow-up time.
            models.Index(
                fields=["next_followup_at"],
                name=f"{prefix}_followup_due",
                condition=Q(
                    next_followup_at__isnull=False, owner__isnull=False, deleted_at__isnull=True
                ),
            ),
        ]

    @staticmethod
    def partial_key_index(field: str, name: str) -> models.Index:
        """An index of a nullable foreign key over the rows that have one: what a lookup
        by the key (or the cascade of a deletion) needs, and nothing for empty rows."""
        return models.Index(fields=[field], name=name, condition=Q(**{f"{field}__isnull": False}))

    @classmethod
    def record_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        return [
            # PRODUCT.md: every live record has a pool or an owner (or both).
            models.CheckConstraint(
                condition=Q(pool__isnull=False) | Q(owner__isnull=False),
                name=f"{prefix}_has_pool_or_owner",
            ),
        ]
