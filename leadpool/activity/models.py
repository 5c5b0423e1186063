from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadpool.core.models import one_subject_constraint


class FollowUp(models.Model):
    """A follow-up record (跟进记录) on a lead or a customer."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        VISIT = "visit", _("Visit")
        EMAIL = "email", _("E-mail")
        WECHAT = "wechat", _("WeChat")
        SMS = "sms", _("SMS")
        MEETING = "meeting", _("Meeting")
        OTHER = "other", _("Other")

    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="followups"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followups",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CALL)
    content = models.TextField(_("content"))
    next_step = models.TextField(_("next step"), blank=True)
    next_followup_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="followup_lead"),
            models.Index(fields=["customer", "-created_at"], name="followup_customer"),
        ]
        constraints = [one_subject_constraint("followup", required=True)]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.content[:40]}"


class CallRecord(models.Model):
    """A phone call (通话记录) with a lead or a customer."""

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", _("Outbound")
        INBOUND = "inbound", _("Inbound")

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("Answered")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        VOICEMAIL = "voicemail", _("Voicemail")
        FAILED = "failed", _("Failed")

    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="calls"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="calls"
    )
    number = models.CharField(_("number"), max_length=40)
    direction = models.CharField(
        _("direction"), max_length=16, choices=Direction.choices, default=Direction.OUTBOUND
    )
    started_at = models.DateTimeField(_("started"))
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.ANSWERED
    )
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("logged"), default=timezone.now)

    class Meta:
        verbose_name = _("call record")
        verbose_name_plural = _("call records")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-started_at"], name="call_lead"),
            models.Index(fields=["customer", "-started_at"], name="call_customer"),
        ]
        constraints = [one_subject_constraint("call", required=True)]

    def __str__(self) -> str:
        return f"{self.number} {self.started_at:%Y-%m-%d %H:%M}"
