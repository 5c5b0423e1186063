"""Creating and editing pooled records (leads and customers), with their validation.

`clean_record_data` is the one set of rules for a record's fields; manual entry, the
API, imports and web forms all go through it.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadpool.accounts.models import User
from leadpool.core.normalize import normalize_company, normalize_email, normalize_phone
from leadpool.core.times import parse_moment
from leadpool.fields.services import clean_custom_values
from leadpool.history.models import Event, Notification
from leadpool.history.services import notify, record_event
from leadpool.pools import access
from leadpool.pools.distribution import distribute_records
from leadpool.pools.duplicates import DuplicateReport, find_duplicates
from leadpool.pools.models import Pool, PooledRecord
from leadpool.pools.services import active_user, refresh_reclaim_at, target_pool
from leadpool.scoring.services import rescore_record

TEXT_FIELDS = {"name": 200, "company": 200, "source": 100, "region": 100, "industry": 100}
CONTACT_FIELDS = ("phone", "other_phone", "email")
EDITABLE_FIELDS = frozenset(
    {
        *TEXT_FIELDS,
        *CONTACT_FIELDS,
        "notes",
        "custom",
        "status",
        "next_followup_at",
        "collaborators",
    }
)
# Fields that only the pool operations change, each with where to go instead.
OPERATION_FIELDS = {
    "owner": gettext_lazy("Change the owner by claiming, assigning, reclaiming or returning."),
    "pool": gettext_lazy("Move records between pools by assigning or putting them into a pool."),
}
NOTES_MAX_LENGTH = 10_000


class DuplicateRecord(ValidationError):
    """Raised by create/edit when the phone or e-mail is already on file.

    `report` holds every match; `by_field` (given field → its own report) says which
    field of the form each match is for, since a match's `matched_on` names the column
    of the record on file (a number typed as "other phone" may be someone's main phone).
    """

    def __init__(self, report: DuplicateReport, by_field: dict | None = None):
        self.report = report
        if by_field is None:
            by_field = {field: report for field in CONTACT_FIELDS if report.matched(field)}
        messages = {}
        for field, field_report in by_field.items():
            # A field's own report: its first match. The shared one: by the record's column.
            column = field if field_report is report else None
            messages[field] = [field_report.describe(column)]
        super().__init__(messages)


def clean_record_data(
    model: type[PooledRecord],
    data: dict,
    *,
    record: PooledRecord | None = None,
    custom_fields: dict | None = None,
) -> dict:
    """Validate and convert the given fields; errors for every bad field at once.

    `custom_fields` ({key: CustomField}, the entity's active ones) saves a query per call
    when many rows are cleaned in a row (imports).
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    for field in data:
        if field in OPERATION_FIELDS:
            errors[field] = [str(OPERATION_FIELDS[field])]
        elif field not in EDITABLE_FIELDS:
            errors[field] = [_("“%(field)s” cannot be set here.") % {"field": field}]
    for field, max_length in TEXT_FIELDS.items():
        if field in data:
            value = _text(data[field], field, errors)
            if value is not None and len(value) > max_length:
                errors[field] = [_("Enter at most %(max)d characters.") % {"max": max_length}]
            elif value is not None:
                cleaned[field] = value
    if "notes" in data:
        notes = _text(data["notes"], "notes", errors)
        if notes is not None and len(notes) > NOTES_MAX_LENGTH:
            errors["notes"] = [_("Enter at most %(max)d characters.") % {"max": NOTES_MAX_LENGTH}]
        elif notes is not None:
            cleaned["notes"] = notes
    for field, normalize in (
        ("phone", normalize_phone),
        ("other_phone", normalize_phone),
        ("email", normalize_email),
    ):
        if field in data:
            raw = _text(data[field], field, errors)
            if raw is None:
                continue
            try:
                cleaned[f"{field}_normalized"] = normalize(raw)
                cleaned[field] = raw
            except ValidationError as error:
                errors[field] = list(error.messages)
    if "status" in data:
        allowed = {choice for choice in model.Status.values if choice not in model.CLOSED_STATUSES}
        if record is not None and record.is_closed:
            # Sending back the status it has is no change (clients resend whole records).
            if data["status"] != record.status:
                errors["status"] = [_("A converted record keeps its status.")]
        elif data["status"] not in allowed:
            errors["status"] = [
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(sorted(allowed))}
            ]
        else:
            cleaned["status"] = data["status"]
    if "next_followup_at" in data:
        cleaned["next_followup_at"] = _moment(data["next_followup_at"], "next_followup_at", errors)
    if "custom" in data:
        try:
            cleaned["custom"] = clean_custom_values(
                entity=model.entity,
                values=data["custom"],
                existing=record.custom if record is not None else None,
                definitions=custom_fields,
            )
        except ValidationError as error:
            errors.update(error.message_dict)
    elif record is None:
        try:
            cleaned["custom"] = clean_custom_values(
                entity=model.entity, values={}, definitions=custom_fields
            )
        except ValidationError as error:
            errors.update(error.message_dict)
    if "collaborators" in data:
        cleaned["collaborators"] = _users(data["collaborators"], errors)
    if "company" in cleaned:
        cleaned["company_normalized"] = normalize_company(cleaned["company"])
    name = cleaned.get("name", record.name if record else "")
    company = cleaned.get("company", record.company if record else "")
    if not name and not company and "name" not in errors:
        errors["name"] = [_("Give a name or a company.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _text(raw, field: str, errors: dict) -> str | None:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        errors[field] = [_("Enter text.")]
        return None
    if "\x00" in raw:  # PostgreSQL cannot store it; it is never meant
        errors[field] = [_("Remove the NUL character.")]
        return None
    return raw.strip()


def _moment(raw, field: str, errors: dict) -> datetime.datetime | None:
    if raw in (None, ""):
        return None
    try:
        return parse_moment(raw)
    except ValueError as error:
        errors[field] = [str(error)]
        return None


def _users(raw, errors: dict) -> list[User]:
    if not isinstance(raw, list | tuple | set):
        errors["collaborators"] = [_("Give a list of user ids.")]
        return []
    ids = []
    for item in raw:
        user_id = item.pk if isinstance(item, User) else item
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            errors["collaborators"] = [_("Give a list of user ids.")]
            return []
        ids.append(user_id)
    found = list(User.objects.filter(pk__in=ids, is_active=True))
    missing = sorted(set(ids) - {user.pk for user in found})
    if missing:
        errors["collaborators"] = [
            _("There is no active user %(users)s.") % {"users": ", ".join(map(str, missing))}
        ]
    return found


def _check_duplicates(model, cleaned: dict, *, by, exclude: PooledRecord | None) -> None:
    report = find_duplicates(
        by=by,
        phone=cleaned.get("phone", ""),
        email=cleaned.get("email", ""),
        other_phone=cleaned.get("other_phone", ""),
        exact_only=True,
        exclude=exclude,
    )
    if report.has_exact_contact_match:
        by_field = {}
        for field in CONTACT_FIELDS:
            if cleaned.get(field):
                query = {"email" if field == "email" else "phone": cleaned[field]}
                found = find_duplicates(by=by, exact_only=True, exclude=exclude, **query)
                if found.has_exact_contact_match:
                    by_field[field] = found
        raise DuplicateRecord(report, by_field)


def create_record(
    *,
    model: type[PooledRecord],
    by,
    data: dict,
    pool=None,
    owner=None,
    allow_duplicate: bool = False,
) -> PooledRecord:
    """Create a lead or customer: in a pool (unassigned unless an owner is given), or
    owned by `by` (a private record) when no pool is given.

    A phone or e-mail already on file raises DuplicateRecord unless `allow_duplicate`.
    """
    scope = access.scope_of(by)
    errors: dict[str, list[str]] = {}
    try:
        cleaned = clean_record_data(model, data)
    except ValidationError as error:  # reported together with the pool's and owner's
        errors.update(error.message_dict)
        cleaned = {}
    chosen_pool = None
    if pool is not None:
        try:
            chosen_pool = target_pool(by, model, pool)
        except ValidationError as error:
            errors.update(error.message_dict)
    chosen_owner = None
    if owner is not None:
        try:
            chosen_owner = active_user(owner, field="owner")
        except ValidationError as error:
            errors.update(error.message_dict)
        else:
            if not may_give_to(scope, chosen_owner, chosen_pool):
                errors["owner"] = [
                    _("You may not create records for %(user)s.") % {"user": chosen_owner}
                ]
    if errors:
        raise ValidationError(errors)
    if chosen_pool is None and chosen_owner is None:
        chosen_owner = by
    if not allow_duplicate:
        _check_duplicates(model, cleaned, by=by, exclude=None)
    collaborators = cleaned.pop("collaborators", [])
    now = timezone.now()
    with transaction.atomic():
        record = model(
            **cleaned,
            pool=chosen_pool,
            owner=chosen_owner,
            created_by=by,
            created_at=now,
            assigned_at=now if chosen_owner and chosen_owner != by else None,
            pooled_at=now if chosen_pool and not chosen_owner else None,
        )
        record.save()
        if collaborators:
            record.collaborators.set(collaborators)
        record_event(
            record,
            action=Event.Action.CREATE,
            actor=by,
            to_owner_id=record.owner_id,
            to_pool_id=record.pool_id,
            at=now,
        )
        refresh_reclaim_at(record)
        if chosen_owner:
            notify([chosen_owner], kind=Notification.Kind.ASSIGNED, record=record, actor=by)
        else:
            # Created into a pool unassigned: the pool's routing and distribution apply
            # (PRODUCT.md "Pool rules"), in this transaction, so the record is never seen
            # unassigned by a pool that hands it out.
            distribute_records(model, [record], by=by, at=now)
        # After distribution, so an owner it gave the lead to hears of a score above the
        # pool's threshold.
        rescore_record(record, now=now)
    return record


def may_give_to(scope: access.Scope, owner: User, pool: Pool | None) -> bool:
    """Whether this scope may create a record owned by `owner`."""
    if owner.pk == scope.user_id or scope.is_admin:
        return True
    if pool is not None and pool.pk in scope.administered_pool_ids:
        return True
    return owner.department_id in scope.managed_department_ids


def update_record(
    *, record: PooledRecord, by, changes: dict, allow_duplicate: bool = False
) -> PooledRecord:
    """Edit a record's fields (not its owner or pool); the history keeps which fields changed."""
    scope = access.scope_of(by)
    model = type(record)
    with transaction.atomic():
        # Rights and state are judged on the record as it is now, locked until we save:
        # it may have been reclaimed or converted since the caller read it.
        current = (
            access.visible_records(by, model, scope=scope)
            .select_for_update(of=("self",))
            .select_related("owner", "pool")
            .filter(pk=record.pk)
            .first()
        )
        if current is None:
            raise access.Http404(_("No such record."))
        if not access.can(scope, "edit", current):
            raise access.PermissionDenied(_("You may not edit this record."))
        cleaned = clean_record_data(model, changes, record=current)
        contact_changed = {
            field: cleaned[field]
            for field in CONTACT_FIELDS
            if field in cleaned
            and cleaned[f"{field}_normalized"] != getattr(current, f"{field}_normalized")
        }
        if contact_changed and not allow_duplicate:
            _check_duplicates(model, contact_changed, by=by, exclude=current)
        collaborators = cleaned.pop("collaborators", None)
        changed = [
            field
            for field, value in cleaned.items()
            if not field.endswith("_normalized") and getattr(current, field) != value
        ]
        for field, value in cleaned.items():
            setattr(current, field, value)
            setattr(record, field, value)
        # Only the edited columns: ownership changes only through the pool operations.
        current.save(update_fields=[*cleaned, "updated_at"])
        if collaborators is not None:
            before = set(current.collaborators.values_list("pk", flat=True))
            if before != {user.pk for user in collaborators}:
                current.collaborators.set(collaborators)
                changed.append("collaborators")
        if changed:
            record_event(
                current, action=Event.Action.EDIT, actor=by, details={"fields": sorted(changed)}
            )
            rescore_record(current)
    return current
