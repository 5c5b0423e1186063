from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportLog(models.Model):
    """One export (导出): who took which rows out, in what form, from where and when.

    An audit row, not history: history events belong to one record, an export to many.
    Written before the first byte is sent, so an export cut short is still on file.
    """

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # "lead", "customer", or "lead_call" / "customer_call" for call records.
    entity = models.CharField(_("record type"), max_length=32)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    count = models.PositiveIntegerField(_("rows"))
    # What was asked for: the list filters, the chosen ids and fields.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"], name="exportlog_user")]

    def __str__(self) -> str:
        return f"{self.entity} {self.format} ×{self.count} by {self.user_id}"
