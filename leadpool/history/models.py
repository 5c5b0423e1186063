from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadpool.core.models import one_subject_constraint


class HistoryIsImmutable(Exception):
    pass


class EventQuerySet(models.QuerySet):
    # The ownership trail and the audit log can never be edited: refuse bulk changes.
    def update(self, **kwargs):
        raise HistoryIsImmutable("History cannot be changed.")

    def delete(self):
        raise HistoryIsImmutable("History cannot be deleted.")


class ImmutableModel(models.Model):
    """Rows written once and never changed or deleted through any interface."""

    objects = EventQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise HistoryIsImmutable("History cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise HistoryIsImmutable("History cannot be deleted.")


class Event(ImmutableModel):
    """One entry of the ownership trail: who did what, from which owner/pool to which."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        EDIT = "edit", _("Edited")
        CLAIM = "claim", _("Claimed")
        ASSIGN = "assign", _("Assigned")
        ASSIGN_TO_POOL = "assign_to_pool", _("Assigned to a pool")
        RECLAIM = "reclaim", _("Reclaimed")
        RETURN = "return", _("Returned")
        PUT_INTO_POOL = "put_into_pool", _("Put into a pool")
        CONVERT = "convert", _("Converted")
        DELETE = "delete", _("Deleted")
        RESTORE = "restore", _("Restored")
        PURGE = "purge", _("Purged")
        IMPORT = "import", _("Imported")
        TRANSFER_POOL = "transfer_pool", _("Pool administration transferred")
        EDIT_POOL = "edit_pool", _("Pool settings changed")
        AUTO_RECLAIM = "auto_reclaim", _("Reclaimed by rule")
        RETENTION_MOVE = "retention_move", _("Moved by retention rule")
        RETENTION_DELETE = "retention_delete", _("Deleted by retention rule")

    # The record: the key stays when a record is purged (no database constraint, no
    # cascade), so the trail outlives the record it describes.
    lead = models.ForeignKey(
        "leads.Lead",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="history",
        db_index=False,  # event_lead (every index costs each of the many inserts)
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="history",
        db_index=False,  # event_customer
    )
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    # Null when a rule or the system acted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # event_from_owner
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_pool = models.ForeignKey(
        "pools.Pool", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_pool = models.ForeignKey(
        "pools.Pool", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    # The pool rule that acted, for automatic actions (e.g. "reclaim_no_followup_days").
    rule = models.CharField(_("rule"), max_length=64, blank=True)
    # Anything else worth keeping: edited field names, pool admins before and after.
    details = models.JSONField(default=dict, blank=True)
    # The import that created or updated the record (undo finds its records through it).
    import_job = models.ForeignKey(
        "transfer.ImportJob",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,  # event_import_job
    )
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("history event")
        verbose_name_plural = _("history events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-at"], name="event_lead"),
            models.Index(fields=["customer", "-at"], name="event_customer"),
            models.Index(fields=["from_owner", "action", "-at"], name="event_from_owner"),
            # The dashboard's return-reasons report: recent returns across the pools.
            models.Index(
                fields=["-at"], name="event_return_at", condition=models.Q(action="return")
            ),
            models.Index(
                fields=["import_job", "action"],
                name="event_import_job",
                condition=models.Q(import_job__isnull=False),
            ),
        ]
        constraints = [one_subject_constraint("event", required=False)]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """An in-app notification. The text is rendered when read, in the reader's language."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned to you")
        RECLAIMED = "reclaimed", _("Reclaimed from you")
        REASSIGNED = "reassigned", _("Reassigned to someone else")
        DELETED = "deleted", _("Deleted")
        RECLAIM_WARNING = "reclaim_warning", _("Will be reclaimed soon")
        FOLLOWUP_DUE = "followup_due", _("Follow-up due")
        POOL_TRANSFERRED = "pool_transferred", _("Pool handed to you")
        IMPORTED = "imported", _("Records imported for you")
        SCORE_THRESHOLD = "score_threshold", _("Lead score reached the threshold")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # notification_inbox
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pool = models.ForeignKey(
        "pools.Pool", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Words to render the text with, kept because the record may be purged later.
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # When an e-mail digest carried it (services.send_notification_digests); never, for
    # kinds the user did not opt in to.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class AuditEntry(ImmutableModel):
    """The audit log (审计日志): sign-ins, exports, imports, deletions, permission denials
    and rule changes, with who, when and from which address. Readable by system admins;
    like history, it cannot be changed through any interface."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Sign-in failed")
        LOGOUT = "logout", _("Signed out")
        EXPORT = "export", _("Exported")
        IMPORT = "import", _("Imported")
        IMPORT_UNDO = "import_undo", _("Undid an import")
        DELETE = "delete", _("Deleted records")
        PURGE = "purge", _("Purged records")
        PERMISSION_DENIED = "permission_denied", _("Permission denied")
        POOL_CHANGED = "pool_changed", _("Changed a pool's rules")
        # Users, departments, custom fields, the conversion mapping, scoring rules.
        SETTINGS_CHANGED = "settings_changed", _("Changed the settings")

    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The name given, for sign-ins that failed (there may be no such user).
    username = models.CharField(_("username"), max_length=150, blank=True)
    # What was acted on, in words: "lead export", "pool 3", "POST /api/v1/leads/claim".
    target = models.CharField(_("target"), max_length=255, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at"),
            models.Index(fields=["action", "-at"], name="audit_action"),
            models.Index(fields=["actor", "-at"], name="audit_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target} {self.at:%Y-%m-%d %H:%M}"
