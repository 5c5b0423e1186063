"""Web-to-lead forms (网站表单): a public form per lead pool whose submissions become leads."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# What a form may ask: the lead's own fields, and `custom.<key>` for its custom fields.
STANDARD_FIELDS = {
    "name": _("Name"),
    "company": _("Company"),
    "phone": _("Phone"),
    "email": _("E-mail"),
    "region": _("Region"),
    "industry": _("Industry"),
    "notes": _("Message"),
}
CUSTOM_PREFIX = "custom."


def new_token() -> str:
    # 32 random bytes: the token is the form's only secret (its URL), so it must not be
    # guessable from another form's token or from the form's id.
    return secrets.token_urlsafe(32)


class LeadForm(models.Model):
    class OnDuplicate(models.TextChoices):
        FOLLOW_UP = "follow_up", _("Add a follow-up note to the lead on file")
        CREATE = "create", _("Create a new lead anyway")

    pool = models.ForeignKey(
        "pools.Pool", verbose_name=_("pool"), on_delete=models.CASCADE, related_name="forms"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("Leads get it as their source."))
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    # [{"key": "name" | "custom.<key>", "required": bool}], in the order the form asks them.
    fields = models.JSONField(_("fields"), default=list)
    thank_you_message = models.TextField(_("thank-you message"), blank=True)
    redirect_url = models.URLField(_("redirect to"), max_length=500, blank=True)
    # Sites that may embed the form and post to it from their pages (CORS), e.g.
    # "https://www.example.com"; scripts without an Origin header are not affected.
    allowed_origins = models.JSONField(_("allowed origins"), default=list, blank=True)
    on_duplicate = models.CharField(
        _("when the phone or e-mail is on file"),
        max_length=16,
        choices=OnDuplicate.choices,
        default=OnDuplicate.FOLLOW_UP,
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def field_keys(self) -> list[str]:
        return [entry["key"] for entry in self.fields]

    @property
    def required_keys(self) -> set[str]:
        return {entry["key"] for entry in self.fields if entry.get("required")}
