from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomField(models.Model):
    """An admin-defined field of leads or customers (自定义字段); values live in `custom`."""

    class Entity(models.TextChoices):
        LEAD = "lead", _("Lead")
        CUSTOMER = "customer", _("Customer")

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        LONG_TEXT = "long_text", _("Long text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        DATETIME = "datetime", _("Date and time")
        CHOICE = "choice", _("Single choice")
        MULTI_CHOICE = "multi_choice", _("Multiple choice")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        URL = "url", _("URL")
        BOOLEAN = "boolean", _("Yes/no")

    entity = models.CharField(_("record type"), max_length=16, choices=Entity.choices)
    key = models.CharField(
        _("key"),
        max_length=50,
        validators=[
            RegexValidator(
                r"^[a-z][a-z0-9_]*$",
                _("Use lower-case letters, digits and underscores, starting with a letter."),
            )
        ],
        help_text=_("The name used in the API, imports and exports."),
    )
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    is_required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["entity", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "key"], name="custom_field_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.key})"

    def clean(self) -> None:
        # Choice fields need a list of distinct choices; other types must not carry any.
        has_choices = self.type in (self.Type.CHOICE, self.Type.MULTI_CHOICE)
        choices = self.choices if isinstance(self.choices, list) else None
        if choices is None:
            raise ValidationError({"choices": [_("Choices must be a list.")]})
        if has_choices:
            if not choices or not all(
                isinstance(c, str) and c.strip() and "\x00" not in c for c in choices
            ):
                raise ValidationError({"choices": [_("A choice field needs a list of choices.")]})
            if len(set(choices)) != len(choices):
                raise ValidationError({"choices": [_("Choices must differ from each other.")]})
        elif choices:
            raise ValidationError({"choices": [_("Only choice fields have choices.")]})
