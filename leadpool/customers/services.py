"""What hangs off customers: contacts, opportunities (商机), orders (订单), and the
custom-field mapping (映射规则) that conversion fills customers through.

Every function checks the caller's rights on the customer through access.py and
validates everything before writing anything.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from leadpool.core.normalize import normalize_email, normalize_phone
from leadpool.customers.models import (
    CURRENCIES,
    Contact,
    Customer,
    CustomFieldMapping,
    Opportunity,
    Order,
    OrderLine,
)
from leadpool.fields.models import CustomField
from leadpool.history.audit import audit
from leadpool.history.models import AuditEntry
from leadpool.pools import access

MAX_AMOUNT = Decimal("999999999999.99")
MAX_ORDER_LINES = 500


def _check_may_edit(customer: Customer, by) -> None:
    scope = access.scope_of(by)
    if not access.visible_records(by, Customer, scope=scope).filter(pk=customer.pk).exists():
        raise access.Http404(_("No such record."))
    if not access.can(scope, "edit", customer):
        raise PermissionDenied(_("You may not change this customer."))


# --- contacts --------------------------------------------------------------------------


def clean_contact(data: dict, *, partial: bool = False) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    allowed = {"name", "title", "phone", "email", "is_primary", "notes"}
    for field in sorted(set(data) - allowed):
        errors[field] = [_("Unknown field.")]
    if "name" in data or not partial:
        name = str(data.get("name") or "").strip()
        if not name or len(name) > 200:
            errors["name"] = [_("Give a name of at most 200 characters.")]
        cleaned["name"] = name
    for field, limit in (("title", 100), ("notes", 10_000)):
        if field in data:
            value = str(data[field] or "").strip()
            if len(value) > limit:
                errors[field] = [_("Enter at most %(max)d characters.") % {"max": limit}]
            cleaned[field] = value
    for field, normalize in (("phone", normalize_phone), ("email", normalize_email)):
        if field in data:
            raw = str(data[field] or "").strip()
            try:
                cleaned[f"{field}_normalized"] = normalize(raw)
                cleaned[field] = raw
            except ValidationError as error:
                errors[field] = list(error.messages)
    if "is_primary" in data:
        cleaned["is_primary"] = bool(data["is_primary"])
    if errors:
        raise ValidationError(errors)
    return cleaned


def add_contact(*, customer: Customer, by, data: dict) -> Contact:
    """Add a contact; the first one, or one marked primary, becomes the primary contact."""
    _check_may_edit(customer, by)
    cleaned = clean_contact(data)
    with transaction.atomic():
        has_primary = customer.contacts.filter(is_primary=True).exists()
        if cleaned.get("is_primary") or not has_primary:
            customer.contacts.filter(is_primary=True).update(is_primary=False)
            cleaned["is_primary"] = True
        return Contact.objects.create(customer=customer, **cleaned)


def update_contact(*, contact: Contact, by, changes: dict) -> Contact:
    _check_may_edit(contact.customer, by)
    cleaned = clean_contact(changes, partial=True)
    if cleaned.get("is_primary") is False and contact.is_primary:
        raise ValidationError({"is_primary": [_("Make another contact primary instead.")]})
    with transaction.atomic():
        if cleaned.get("is_primary"):
            contact.customer.contacts.exclude(pk=contact.pk).update(is_primary=False)
        for field, value in cleaned.items():
            setattr(contact, field, value)
        contact.save()
    return contact


def remove_contact(*, contact: Contact, by) -> None:
    """Remove a contact; if it was primary, the oldest remaining one becomes primary."""
    _check_may_edit(contact.customer, by)
    with transaction.atomic():
        customer = contact.customer
        was_primary = contact.is_primary
        contact.delete()
        if was_primary:
            successor = customer.contacts.order_by("id").first()
            if successor:
                successor.is_primary = True
                successor.save(update_fields=["is_primary"])


# --- money -----------------------------------------------------------------------------


def _money(raw, field: str, errors: dict, *, positive: bool = False) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        errors[field] = [_("Enter an amount.")]
        return None
    if not value.is_finite() or value < 0 or (positive and value == 0) or value > MAX_AMOUNT:
        errors[field] = [
            _("Enter an amount above 0.") if positive else _("Enter an amount of 0 or more.")
        ]
        return None
    if value != value.quantize(Decimal("0.01")):
        errors[field] = [_("Use at most two decimal places.")]
        return None
    return value


def _currency(raw, field: str, errors: dict) -> str:
    code = str(raw or "").strip().upper()
    if code not in CURRENCIES:
        errors[field] = [
            _("“%(code)s” is not a currency we know; use an ISO code such as CNY or USD.")
            % {"code": raw}
        ]
    return code


def _date(raw, field: str, errors: dict) -> datetime.date | None:
    if isinstance(raw, datetime.date):
        return raw
    try:
        value = parse_date(str(raw or "").strip())
    except ValueError:
        value = None
    if value is None or not 1970 <= value.year < 2100:
        errors[field] = [_("Enter a date (YYYY-MM-DD) between 1970 and 2099.")]
    return value


# --- opportunities ---------------------------------------------------------------------


def clean_opportunity(data: dict, *, partial: bool = False, prefix: str = "") -> dict:
    """Fields of an opportunity, checked; errors keyed `prefix + field`."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    allowed = {
        "name",
        "stage",
        "amount",
        "currency",
        "expected_close_date",
        "probability",
        "lost_reason",
    }
    for field in sorted(set(data) - allowed):
        errors[prefix + field] = [_("Unknown field.")]
    if "name" in data or not partial:
        name = str(data.get("name") or "").strip()
        if not name or len(name) > 200:
            errors[prefix + "name"] = [_("Give a name of at most 200 characters.")]
        cleaned["name"] = name
    if "stage" in data:
        if data["stage"] not in Opportunity.Stage.values:
            errors[prefix + "stage"] = [
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(Opportunity.Stage.values)}
            ]
        cleaned["stage"] = data["stage"]
    if "amount" in data:
        cleaned["amount"] = _money(data["amount"], prefix + "amount", errors)
    if "currency" in data:
        cleaned["currency"] = _currency(data["currency"], prefix + "currency", errors)
    if data.get("expected_close_date") not in (None, ""):
        cleaned["expected_close_date"] = _date(
            data["expected_close_date"], prefix + "expected_close_date", errors
        )
    if "probability" in data:
        probability = data["probability"]
        if (
            isinstance(probability, bool)
            or not isinstance(probability, int)
            or not (0 <= probability <= 100)
        ):
            errors[prefix + "probability"] = [_("Give a whole percentage from 0 to 100.")]
        cleaned["probability"] = probability
    if "lost_reason" in data:
        reason = str(data["lost_reason"] or "").strip()
        if len(reason) > 200:
            errors[prefix + "lost_reason"] = [_("Enter at most %(max)d characters.") % {"max": 200}]
        cleaned["lost_reason"] = reason
    if cleaned.get("stage") == Opportunity.Stage.LOST and not cleaned.get("lost_reason"):
        errors[prefix + "lost_reason"] = [_("Say why it was lost.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _apply_stage(opportunity: Opportunity) -> None:
    closed = opportunity.stage in Opportunity.CLOSED_STAGES
    opportunity.closed_at = (opportunity.closed_at or timezone.now()) if closed else None
    if opportunity.stage == Opportunity.Stage.WON:
        opportunity.probability = 100
    elif opportunity.stage == Opportunity.Stage.LOST:
        opportunity.probability = 0


def create_opportunity(*, customer: Customer, by, data: dict, lead=None) -> Opportunity:
    _check_may_edit(customer, by)
    cleaned = clean_opportunity(data)
    return _save_opportunity(customer, by, cleaned, lead=lead)


def _save_opportunity(customer: Customer, by, cleaned: dict, *, lead=None) -> Opportunity:
    opportunity = Opportunity(customer=customer, owner=customer.owner or by, lead=lead, **cleaned)
    _apply_stage(opportunity)
    opportunity.save()
    _refresh_customer_reclaim(customer)
    return opportunity


def update_opportunity(*, opportunity: Opportunity, by, changes: dict) -> Opportunity:
    """Move an opportunity along; won or lost closes it (lost needs a reason)."""
    _check_may_edit(opportunity.customer, by)
    merged_stage = changes.get("stage", opportunity.stage)
    needs_reason = merged_stage == Opportunity.Stage.LOST and not (
        changes.get("lost_reason") or opportunity.lost_reason
    )
    cleaned = clean_opportunity(changes, partial=True)
    if needs_reason:
        raise ValidationError({"lost_reason": [_("Say why it was lost.")]})
    with transaction.atomic():
        for field, value in cleaned.items():
            setattr(opportunity, field, value)
        _apply_stage(opportunity)
        opportunity.save()
        _refresh_customer_reclaim(opportunity.customer)
    return opportunity


def _refresh_customer_reclaim(customer: Customer) -> None:
    # An open opportunity may exempt the customer from automatic reclaim.
    from leadpool.pools.services import refresh_reclaim_at

    customer.refresh_from_db(fields=["owner", "pool", "reclaim_at"])
    refresh_reclaim_at(customer)


# --- orders ----------------------------------------------------------------------------


def clean_order(data: dict, *, prefix: str = "") -> tuple[dict, list[dict]]:
    """An order's fields and lines, checked; errors keyed `prefix + field` (lines as
    `lines.<n>.<field>`). The amount is the sum of the lines."""
    errors: dict[str, list[str]] = {}
    allowed = {"number", "date", "currency", "status", "lines"}
    for field in sorted(set(data) - allowed):
        errors[prefix + field] = [_("Unknown field.")]
    cleaned: dict = {}
    number = str(data.get("number") or "").strip()
    if number:
        if len(number) > 40:
            errors[prefix + "number"] = [_("Enter at most %(max)d characters.") % {"max": 40}]
        elif Order.objects.filter(number=number).exists():
            errors[prefix + "number"] = [
                _("There is already an order %(number)s.") % {"number": number}
            ]
        cleaned["number"] = number
    cleaned["date"] = (
        _date(data["date"], prefix + "date", errors) if data.get("date") else timezone.localdate()
    )
    cleaned["currency"] = _currency(data.get("currency") or "CNY", prefix + "currency", errors)
    status = data.get("status", Order.Status.CONFIRMED)
    if status not in Order.Status.values:
        errors[prefix + "status"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Order.Status.values)}
        ]
    cleaned["status"] = status
    raw_lines = data.get("lines")
    lines: list[dict] = []
    if not isinstance(raw_lines, list) or not raw_lines:
        errors[prefix + "lines"] = [_("An order needs at least one line.")]
    elif len(raw_lines) > MAX_ORDER_LINES:
        errors[prefix + "lines"] = [
            _("An order has at most %(max)d lines.") % {"max": MAX_ORDER_LINES}
        ]
    else:
        for index, raw in enumerate(raw_lines):
            where = f"{prefix}lines.{index}."
            if not isinstance(raw, dict):
                errors[where.rstrip(".")] = [_("Give product_name, quantity and unit_price.")]
                continue
            for field in sorted(set(raw) - {"product_name", "quantity", "unit_price"}):
                errors[where + field] = [_("Unknown field.")]
            product = str(raw.get("product_name") or "").strip()
            if not product or len(product) > 200:
                errors[where + "product_name"] = [_("Name the product (at most 200 characters).")]
            quantity = _money(raw.get("quantity"), where + "quantity", errors, positive=True)
            price = _money(raw.get("unit_price"), where + "unit_price", errors)
            lines.append({"product_name": product, "quantity": quantity, "unit_price": price})
    if not errors:
        total = sum((line["quantity"] * line["unit_price"] for line in lines), Decimal(0))
        if total > MAX_AMOUNT:
            errors[prefix + "lines"] = [_("The order's total is too large.")]
        cleaned["amount"] = total.quantize(Decimal("0.01"))
    if errors:
        raise ValidationError(errors)
    return cleaned, lines


def create_order(*, customer: Customer, by, data: dict, lead=None) -> Order:
    _check_may_edit(customer, by)
    cleaned, lines = clean_order(data)
    with transaction.atomic():
        return _save_order(customer, by, cleaned, lines, lead=lead)


def _save_order(customer: Customer, by, cleaned: dict, lines: list[dict], *, lead=None) -> Order:
    order = Order(customer=customer, owner=customer.owner or by, lead=lead, **cleaned)
    if not order.number:
        order.number = _next_order_number()
    order.save()
    OrderLine.objects.bulk_create(OrderLine(order=order, **line) for line in lines)
    return order


def _next_order_number() -> str:
    """SO-20261123-000042: the day and a count that cannot collide (the order id comes
    after saving, so a random suffix keeps two orders of one second apart)."""
    import secrets

    return f"SO-{timezone.localdate():%Y%m%d}-{secrets.token_hex(4).upper()}"


def update_order_status(*, order: Order, by, status: str) -> Order:
    _check_may_edit(order.customer, by)
    if status not in Order.Status.values:
        raise ValidationError(
            {
                "status": [
                    _("Choose one of: %(choices)s.") % {"choices": ", ".join(Order.Status.values)}
                ]
            }
        )
    order.status = status
    order.save(update_fields=["status"])
    return order


# --- custom-field mapping --------------------------------------------------------------

_TEXTUAL = {
    CustomField.Type.TEXT,
    CustomField.Type.CHOICE,
    CustomField.Type.PHONE,
    CustomField.Type.EMAIL,
    CustomField.Type.URL,
    CustomField.Type.NUMBER,
    CustomField.Type.DATE,
}


def mapping_problem(lead_field: CustomField, customer_field: CustomField) -> str | None:
    """Why a lead field's values cannot fill a customer field, or None if they can."""
    source, target = lead_field.type, customer_field.type
    choice_types = {CustomField.Type.CHOICE, CustomField.Type.MULTI_CHOICE}
    if target in choice_types and source in choice_types:
        if source == CustomField.Type.MULTI_CHOICE and target == CustomField.Type.CHOICE:
            return _("Several choices cannot fill a single choice.")
        missing = [choice for choice in lead_field.choices if choice not in customer_field.choices]
        if missing:
            return _("The customer field lacks the choices: %(choices)s.") % {
                "choices": ", ".join(missing)
            }
        return None
    if source == target:
        return None
    if target == CustomField.Type.LONG_TEXT and source in _TEXTUAL | {CustomField.Type.LONG_TEXT}:
        return None
    if target == CustomField.Type.TEXT and source in _TEXTUAL:
        return None
    if target == CustomField.Type.DATE and source == CustomField.Type.DATETIME:
        return None
    return _("A %(source)s field cannot fill a %(target)s field.") % {
        "source": lead_field.get_type_display(),
        "target": customer_field.get_type_display(),
    }


def save_mapping(*, by, lead_field, customer_field) -> CustomFieldMapping:
    """Map a lead custom field onto a customer custom field (system admins)."""
    if not (by.is_authenticated and by.is_system_admin):
        raise PermissionDenied(_("Only system admins change the conversion mapping."))
    errors: dict[str, list[str]] = {}
    source = CustomField.objects.filter(
        pk=getattr(lead_field, "pk", lead_field), entity="lead", is_active=True
    ).first()
    target = CustomField.objects.filter(
        pk=getattr(customer_field, "pk", customer_field), entity="customer", is_active=True
    ).first()
    if source is None:
        errors["lead_field"] = [_("There is no lead custom field %(id)s.") % {"id": lead_field}]
    if target is None:
        errors["customer_field"] = [
            _("There is no customer custom field %(id)s.") % {"id": customer_field}
        ]
    if not errors:
        problem = mapping_problem(source, target)
        if problem:
            errors["customer_field"] = [problem]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        mapping, _created = CustomFieldMapping.objects.update_or_create(
            lead_field=source, defaults={"customer_field": target}
        )
        _audit_mapping(by, f"lead.{source.key} → customer.{target.key}")
    return mapping


def delete_mapping(*, by, mapping: CustomFieldMapping) -> None:
    if not (by.is_authenticated and by.is_system_admin):
        raise PermissionDenied(_("Only system admins change the conversion mapping."))
    with transaction.atomic():
        description = f"lead.{mapping.lead_field.key} → customer.{mapping.customer_field.key}"
        mapping.delete()
        _audit_mapping(by, description, deleted=True)


def _audit_mapping(by, description: str, *, deleted: bool = False) -> None:
    details = {"mapping": description, "deleted": deleted}
    audit(
        AuditEntry.Action.SETTINGS_CHANGED, actor=by, target="conversion mapping", details=details
    )
