"""Validation of custom-field values against their definitions.

Every path that writes `custom` (forms, API, import, web forms, conversion) calls
`clean_custom_values`, so a value is checked the same way wherever it comes from.
"""

import datetime
import math
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from leadpool.core.normalize import normalize_email, normalize_phone
from leadpool.core.times import parse_moment
from leadpool.fields.models import CustomField
from leadpool.history.audit import audit
from leadpool.history.models import AuditEntry

TEXT_MAX_LENGTH = 255
LONG_TEXT_MAX_LENGTH = 10_000


def active_fields(entity: str) -> dict[str, CustomField]:
    return {field.key: field for field in CustomField.objects.filter(entity=entity, is_active=True)}


def clean_custom_values(
    *,
    entity: str,
    values: dict,
    existing: dict | None = None,
    definitions: dict[str, CustomField] | None = None,
) -> dict:
    """Return `existing` updated with `values`, each value converted to its stored form.

    Errors are raised together as `{"custom.<key>": [message]}`. Unknown keys are errors.
    On create (`existing` is None) every required field must have a value; on update a
    required field may be left alone but not cleared, so adding a required field later
    does not lock every older record against edits.
    """
    if not isinstance(values, dict):
        raise ValidationError({"custom": [_("Custom fields must be an object of key: value.")]})
    definitions = definitions if definitions is not None else active_fields(entity)
    cleaned = dict(existing or {})
    errors: dict[str, list[str]] = {}
    for key, raw in values.items():
        field = definitions.get(key)
        if field is None:
            errors[f"custom.{key}"] = [_("There is no custom field “%(key)s”.") % {"key": key}]
            continue
        try:
            value = clean_value(field, raw)
        except ValidationError as error:
            errors[f"custom.{key}"] = list(error.messages)
            continue
        if value is None:
            cleaned.pop(key, None)
        else:
            cleaned[key] = value
    for key, field in definitions.items():
        being_cleared = key in values and key not in cleaned
        missing_on_create = existing is None and key not in cleaned
        already_wrong = f"custom.{key}" in errors
        if field.is_required and (being_cleared or missing_on_create) and not already_wrong:
            errors[f"custom.{key}"] = [_("%(label)s is required.") % {"label": field.label}]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _is_blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def clean_value(field: CustomField, raw):
    """One value in its stored JSON form, or None for blank; ValidationError if invalid."""
    if _is_blank(raw):
        return None
    cleaner = _CLEANERS[field.type]
    return cleaner(field, raw)


def _text(field: CustomField, raw, max_length: int = TEXT_MAX_LENGTH) -> str:
    if not isinstance(raw, str | int | float | Decimal) or isinstance(raw, bool):
        raise ValidationError(_("Enter text."))
    text = str(raw).strip()
    if "\x00" in text:  # PostgreSQL's jsonb cannot store it; it is never meant
        raise ValidationError(_("Remove the NUL character."))
    if len(text) > max_length:
        raise ValidationError(
            _("Enter at most %(max)d characters (this has %(count)d).")
            % {"max": max_length, "count": len(text)}
        )
    return text


def _long_text(field: CustomField, raw) -> str:
    return _text(field, raw, LONG_TEXT_MAX_LENGTH)


def _number(field: CustomField, raw) -> int | float:
    if isinstance(raw, bool):
        raise ValidationError(_("Enter a number."))
    try:
        number = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": raw}) from None
    if not number.is_finite():
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": raw})
    # JSON (and PostgreSQL's jsonb) has no infinity, and Python will not write an
    # integer of thousands of digits: keep to what a double can hold.
    if not math.isfinite(float(number)):
        raise ValidationError(_("“%(value)s” is too large.") % {"value": raw})
    return int(number) if number == number.to_integral_value() else float(number)


def _date(field: CustomField, raw) -> str:
    if isinstance(raw, datetime.datetime):
        raw = raw.date()
    if isinstance(raw, datetime.date):
        return raw.isoformat()
    try:
        value = parse_date(str(raw).strip())
    except ValueError:
        value = None
    if value is None:
        raise ValidationError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw})
    return value.isoformat()


def _datetime(field: CustomField, raw) -> str:
    try:
        value = parse_moment(raw if isinstance(raw, datetime.datetime) else str(raw))
    except ValueError:
        raise ValidationError(
            _("“%(value)s” is not a date and time (ISO 8601) between 1970 and 2099.")
            % {"value": raw}
        ) from None
    return value.astimezone(datetime.UTC).isoformat()


def _choice(field: CustomField, raw) -> str:
    value = str(raw).strip()
    if value not in field.choices:
        raise ValidationError(
            _("“%(value)s” is not one of the choices: %(choices)s.")
            % {"value": raw, "choices": ", ".join(field.choices)}
        )
    return value


def _multi_choice(field: CustomField, raw) -> list[str]:
    items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    values = [str(item).strip() for item in items if str(item).strip()]
    unknown = [value for value in values if value not in field.choices]
    if unknown:
        raise ValidationError(
            _("“%(value)s” is not one of the choices: %(choices)s.")
            % {"value": ", ".join(unknown), "choices": ", ".join(field.choices)}
        )
    return list(dict.fromkeys(values))


def _phone(field: CustomField, raw) -> str:
    return normalize_phone(str(raw))


def _email(field: CustomField, raw) -> str:
    return normalize_email(str(raw))


def _url(field: CustomField, raw) -> str:
    value = str(raw).strip()
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ValidationError(_("“%(value)s” is not a valid URL.") % {"value": raw}) from None
    return value


_TRUE = {"true", "1", "yes", "y", "是", "对", "✓"}
_FALSE = {"false", "0", "no", "n", "否", "不是"}


def _boolean(field: CustomField, raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(_("“%(value)s” is not yes or no.") % {"value": raw})


_CLEANERS = {
    CustomField.Type.TEXT: _text,
    CustomField.Type.LONG_TEXT: _long_text,
    CustomField.Type.NUMBER: _number,
    CustomField.Type.DATE: _date,
    CustomField.Type.DATETIME: _datetime,
    CustomField.Type.CHOICE: _choice,
    CustomField.Type.MULTI_CHOICE: _multi_choice,
    CustomField.Type.PHONE: _phone,
    CustomField.Type.EMAIL: _email,
    CustomField.Type.URL: _url,
    CustomField.Type.BOOLEAN: _boolean,
}


FIELD_SETTINGS = {"entity", "key", "label", "type", "is_required", "choices", "order", "is_active"}


def save_field(*, by, field: CustomField | None = None, data: dict) -> CustomField:
    """Define or change a custom field (system admins). A field's key, record type and
    type are fixed once it exists: stored values were checked against them."""
    if not (by.is_authenticated and by.is_system_admin):
        raise PermissionDenied(_("Only system admins define custom fields."))
    creating = field is None
    field = field or CustomField()
    errors: dict[str, list[str]] = {}
    for name in sorted(set(data) - FIELD_SETTINGS):
        errors[name] = [_("Unknown field.")]
    if not creating:
        for name in ("entity", "key", "type"):
            if name in data and data[name] != getattr(field, name):
                errors[name] = [_("This cannot change once the field exists.")]
    elif missing := [name for name in ("entity", "key", "label", "type") if not data.get(name)]:
        errors.update({name: [_("This field is required.")] for name in missing})
    if errors:
        raise ValidationError(errors)
    for name, value in data.items():
        setattr(field, name, value)
    if isinstance(field.label, str):
        field.label = field.label.strip()
    try:
        field.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    duplicate = CustomField.objects.filter(entity=field.entity, key=field.key)
    if duplicate.exclude(pk=field.pk).exists():
        raise ValidationError({"key": [_("There is already a field with this key.")]})
    with transaction.atomic():
        field.save()
        audit(
            AuditEntry.Action.SETTINGS_CHANGED,
            actor=by,
            target=f"customfield:{field.pk} {field.entity}.{field.key}",
            details={"created": creating, "fields": sorted(data)},
        )
    return field
