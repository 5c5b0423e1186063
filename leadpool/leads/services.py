"""Converting a lead into a customer (线索转成单客户).

All or nothing: every part (customer, contact, order, opportunity, mapped custom
fields) is checked before anything is written, and written in one transaction.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadpool.core.results import Refusal, Refused
from leadpool.customers import services as customer_services
from leadpool.customers.models import Contact, Customer, CustomFieldMapping, Opportunity, Order
from leadpool.fields.services import clean_value
from leadpool.history.models import Event
from leadpool.history.services import record_event
from leadpool.leads.models import Lead
from leadpool.pools import access
from leadpool.pools.duplicates import find_duplicates
from leadpool.pools.records import EDITABLE_FIELDS, clean_record_data
from leadpool.pools.services import refresh_reclaim_at

# Lead fields that fill the customer of the same name (the default mapping).
MAPPED_FIELDS = (
    "company",
    "phone",
    "other_phone",
    "email",
    "source",
    "region",
    "industry",
    "notes",
)


@dataclass
class Conversion:
    customer: Customer
    contact: Contact
    created_customer: bool
    order: Order | None = None
    opportunity: Opportunity | None = None


def default_customer_data(lead: Lead) -> dict:
    """What the mapping puts on a new customer: the lead's fields, the company (or the
    person, for a lead without one) as its name, and mapped custom fields."""
    data = {field: getattr(lead, field) for field in MAPPED_FIELDS}
    data["name"] = lead.company or lead.name
    data["custom"] = mapped_custom_values(lead)
    return data


def mapped_custom_values(lead: Lead) -> dict:
    """The lead's custom values carried over by the admin-defined mapping, converted to
    the customer fields' types; a value that does not fit is an error naming its field."""
    values, errors = {}, {}
    mappings = CustomFieldMapping.objects.select_related("lead_field", "customer_field").filter(
        lead_field__is_active=True, customer_field__is_active=True
    )
    for mapping in mappings:
        raw = lead.custom.get(mapping.lead_field.key)
        if raw in (None, "", []):
            continue
        target = mapping.customer_field
        if target.type == target.Type.MULTI_CHOICE and not isinstance(raw, list):
            raw = [raw]
        if target.type in (target.Type.TEXT, target.Type.LONG_TEXT) and isinstance(raw, list):
            raw = ", ".join(raw)
        if target.type == target.Type.DATE and isinstance(raw, str) and "T" in raw:
            raw = raw.split("T")[0]
        try:
            values[target.key] = clean_value(target, raw)
        except ValidationError as error:
            errors[f"customer.custom.{target.key}"] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    return values


def convert_lead(
    *,
    lead_id: int,
    by,
    customer: dict | None = None,
    existing_customer: int | None = None,
    allow_duplicate: bool = False,
    order: dict | None = None,
    opportunity: dict | None = None,
    rule: str = "",
) -> Conversion:
    """Turn an assigned lead into a customer with its primary contact, or link it to an
    existing customer; optionally with an order or an opportunity.

    Refused (not_in_scope, deleted, forbidden, converted, not_owned) as the batch
    operations are; bad input raises ValidationError naming every bad field, and a
    customer already on file (same phone, e-mail or company) is refused unless
    `existing_customer` links to it or `allow_duplicate` says to create anyway.
    `rule` names the automatic rule that converted it (the history keeps it).
    """
    scope = access.scope_of(by)
    with transaction.atomic():
        access.fetch_for_action(scope, Lead, lead_id, "convert")
        # Locked for the rest of the conversion: two people converting at once, or a
        # reclaim meanwhile, must not both go through.
        lead = (
            Lead.objects.select_for_update(of=("self",))
            .select_related("owner", "pool")
            .get(pk=lead_id)
        )
        if lead.deleted_at is not None:
            raise Refused(Refusal("deleted", _("This record is in the recycle bin.")))
        if lead.is_closed:
            raise Refused(Refusal("converted", _("This lead has already been converted.")))
        if lead.owner_id is None:
            raise Refused(
                Refusal(
                    "not_owned", _("Only an assigned lead is converted; claim or assign it first.")
                )
            )
        plan = _plan(
            lead, by, scope, customer or {}, existing_customer, allow_duplicate, order, opportunity
        )
        return _carry_out(lead, by, plan, rule=rule)


def _plan(lead, by, scope, overrides, existing_customer, allow_duplicate, order, opportunity):
    """Check every part; raise one ValidationError with all problems, or return the plan."""
    errors: dict[str, list[str]] = {}
    plan: dict = {"existing": None, "customer": None, "order": None, "opportunity": None}
    unknown = sorted(set(overrides) - (EDITABLE_FIELDS - {"status", "collaborators"}))
    for field in unknown:
        errors[f"customer.{field}"] = [_("Unknown field.")]
    if existing_customer is not None:
        plan["existing"] = (
            access.visible_records(by, Customer, scope=scope).filter(pk=existing_customer).first()
        )
        if plan["existing"] is None:
            errors["existing_customer"] = [
                _("There is no customer %(id)s.") % {"id": existing_customer}
            ]
    else:
        try:
            data = {**default_customer_data(lead), **overrides}
            plan["customer"] = clean_record_data(Customer, data)
        except ValidationError as error:
            errors.update(
                {
                    (k if k.startswith("customer.") else f"customer.{k}"): v
                    for k, v in error.message_dict.items()
                }
            )
    if order is not None:
        try:
            plan["order"] = customer_services.clean_order(order, prefix="order.")
        except ValidationError as error:
            errors.update(error.message_dict)
    if opportunity is not None:
        try:
            wanted = {"name": lead.company or lead.name, **opportunity}
            plan["opportunity"] = customer_services.clean_opportunity(wanted, prefix="opportunity.")
        except ValidationError as error:
            errors.update(error.message_dict)
    if not errors and plan["customer"] is not None and not allow_duplicate:
        _refuse_duplicate_customer(by, plan["customer"])
    if errors:
        raise ValidationError(errors)
    return plan


def _refuse_duplicate_customer(by, data: dict) -> None:
    """A customer with the same phone, e-mail or company is probably this one."""
    report = find_duplicates(
        by=by,
        phone=data.get("phone", ""),
        other_phone=data.get("other_phone", ""),
        email=data.get("email", ""),
        company=data.get("company", ""),
        exact_only=True,
    )
    report.matches = [m for m in report.matches if m.type == "customer"]
    report.elsewhere = [m for m in report.elsewhere if m.type == "customer"]
    if report.matches or report.elsewhere:
        error = ValidationError(
            {
                "customer": [
                    _(
                        "This customer may already be on file: link the lead to it with "
                        "existing_customer, or create anyway with allow_duplicate."
                    )
                ]
            }
        )
        error.report = report
        raise error


def _carry_out(lead: Lead, by, plan: dict, *, rule: str) -> Conversion:
    now = timezone.now()
    created = plan["existing"] is None
    if created:
        fields = plan["customer"]
        fields.pop("collaborators", None)
        target = Customer.objects.create(
            **fields,
            owner_id=lead.owner_id,
            lead=lead,
            created_by=by,
            created_at=now,
            assigned_at=now,
            status=Customer.Status.FOLLOWING,
            last_followup_at=lead.last_followup_at,
            next_followup_at=lead.next_followup_at,
        )
    else:
        target = plan["existing"]
    contact = customer_services.Contact.objects.create(
        customer=target,
        name=lead.name or lead.company,
        phone=lead.phone,
        phone_normalized=lead.phone_normalized,
        email=lead.email,
        email_normalized=lead.email_normalized,
        is_primary=created or not target.contacts.filter(is_primary=True).exists(),
        notes=lead.notes if created else "",
    )
    conversion = Conversion(customer=target, contact=contact, created_customer=created)
    if plan["order"] is not None:
        cleaned, lines = plan["order"]
        conversion.order = customer_services._save_order(target, by, cleaned, lines, lead=lead)
    if plan["opportunity"] is not None:
        conversion.opportunity = customer_services._save_opportunity(
            target, by, plan["opportunity"], lead=lead
        )
    Lead.objects.filter(pk=lead.pk).update(
        status=Lead.Status.CONVERTED,
        converted_at=now,
        customer=target,
        reclaim_at=None,
        updated_at=now,
    )
    lead.refresh_from_db()
    refresh_reclaim_at(lead)
    details = {"customer": target.pk}
    if conversion.order:
        details["order"] = conversion.order.pk
    if conversion.opportunity:
        details["opportunity"] = conversion.opportunity.pk
    record_event(
        lead,
        action=Event.Action.CONVERT,
        actor=by,
        from_owner_id=lead.owner_id,
        to_owner_id=lead.owner_id,
        from_pool_id=lead.pool_id,
        to_pool_id=lead.pool_id,
        rule=rule,
        details=details,
        at=now,
    )
    record_event(
        target,
        action=Event.Action.CREATE if created else Event.Action.CONVERT,
        actor=by,
        to_owner_id=target.owner_id,
        to_pool_id=target.pool_id,
        rule=rule,
        details={"from_lead": lead.pk},
        at=now,
    )
    refresh_reclaim_at(target)
    return conversion
