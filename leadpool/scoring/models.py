from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ScoringRule(models.Model):
    """An admin-defined lead scoring rule (线索评分): when a lead's `field` meets
    `operator` `value`, it gets `points` (negative to take points away).

    The fields and operators are listed and judged in scoring/rules.py; services.py
    validates a rule before it is saved.
    """

    name = models.CharField(_("name"), max_length=100)
    field = models.CharField(_("field"), max_length=80)
    operator = models.CharField(_("operator"), max_length=16)
    value = models.JSONField(_("value"), default=None, null=True, blank=True)
    points = models.IntegerField(_("points"))
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name
