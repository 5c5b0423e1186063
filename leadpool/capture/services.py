"""Web forms: saving their settings, and turning a submission into a lead.

Validation of a form's settings lives in `save_form`; of a submission, in
`clean_submission`, which applies the same record rules as manual entry
(pools/records.py `clean_record_data`). Spam checks are protection.py's, before these.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from leadpool.accounts.models import User
from leadpool.activity.models import FollowUp
from leadpool.activity.services import CONTENT_MAX_LENGTH
from leadpool.capture import access as form_access
from leadpool.capture.models import CUSTOM_PREFIX, STANDARD_FIELDS, LeadForm
from leadpool.capture.protection import CONTROL_FIELDS
from leadpool.customers.models import Customer
from leadpool.fields.models import CustomField
from leadpool.fields.services import active_fields
from leadpool.leads.models import Lead
from leadpool.pools import access, records
from leadpool.pools.duplicates import find_duplicates
from leadpool.pools.models import Pool

MAX_FIELDS = 50
MAX_ORIGINS = 20
SETTINGS = ("name", "fields", "thank_you_message", "redirect_url", "allowed_origins",
            "on_duplicate", "is_active")  # fmt: skip


# --- the form's settings ------------------------------------------------------------------


def save_form(*, by, data: dict, form: LeadForm | None = None) -> LeadForm:
    """Create a form (no `form`) or change one; only system admins and the pool's admins."""
    scope = access.scope_of(by)
    errors: dict[str, list[str]] = {}
    pool = form.pool if form is not None else None
    if "pool" in data or form is None:
        pool = _pool(scope, data.get("pool"), errors)
    if pool is not None:
        form_access.check_may_manage_pool_forms(scope, pool)
    cleaned = {key: data[key] for key in SETTINGS if key in data}
    if form is None and not (cleaned.get("name") or "").strip():
        errors["name"] = [_("Give the form a name.")]
    if "name" in cleaned:
        cleaned["name"] = cleaned["name"].strip()
    if "fields" in cleaned or form is None:
        cleaned["fields"] = _fields(cleaned.get("fields") or [], errors)
    if "allowed_origins" in cleaned:
        cleaned["allowed_origins"] = _origins(cleaned["allowed_origins"], errors)
    if cleaned.get("redirect_url"):
        try:
            URLValidator(schemes=["http", "https"])(cleaned["redirect_url"])
        except ValidationError:
            errors["redirect_url"] = [_("Enter an http or https address.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if form is None:
            form = LeadForm(created_by=by)
        for key, value in cleaned.items():
            setattr(form, key, value)
        form.pool = pool
        form.save()
    return form


def _pool(scope: access.Scope, pool_id, errors: dict) -> Pool | None:
    found = None
    if isinstance(pool_id, int) and not isinstance(pool_id, bool):
        found = Pool.objects.filter(pk=pool_id).first()
    # A pool the user cannot see is reported as unknown, as everywhere.
    if found is None or not (scope.is_admin or found.pk in scope.pool_ids):
        errors["pool"] = [_("There is no pool %(pool)s.") % {"pool": pool_id}]
        return None
    if found.kind != Pool.Kind.LEAD:
        errors["pool"] = [_("“%(pool)s” is not a lead pool.") % {"pool": found}]
        return None
    return found


def _fields(entries: list, errors: dict) -> list[dict]:
    custom = active_fields(CustomField.Entity.LEAD)
    cleaned, problems = [], []
    for entry in entries[:MAX_FIELDS]:
        key, required = entry.get("key"), bool(entry.get("required", False))
        if key in STANDARD_FIELDS or (
            key.startswith(CUSTOM_PREFIX) and key[len(CUSTOM_PREFIX) :] in custom
        ):
            if key in {item["key"] for item in cleaned}:
                problems.append(_("“%(key)s” is asked twice.") % {"key": key})
            cleaned.append({"key": key, "required": required})
        else:
            problems.append(_("There is no field “%(key)s”.") % {"key": key})
    keys = {item["key"] for item in cleaned}
    if not keys & {"name", "company"}:
        problems.append(_("Ask for a name or a company: a lead needs one."))
    # A required custom field the form does not insist on would refuse every submission.
    for key, field in custom.items():
        wanted = f"{CUSTOM_PREFIX}{key}"
        if field.is_required and not any(i["key"] == wanted and i["required"] for i in cleaned):
            problems.append(_("Ask “%(key)s” as required: every lead needs it.") % {"key": wanted})
    if len(entries) > MAX_FIELDS:
        problems.append(_("Ask at most %(max)d fields.") % {"max": MAX_FIELDS})
    if problems:
        errors["fields"] = problems
    return cleaned


def normalize_origin(raw: str) -> str | None:
    """ "https://Example.com/" → "https://example.com"; None when it is not an origin."""
    try:
        parts = urlsplit(raw.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _origins(raw: list, errors: dict) -> list[str]:
    origins = [normalize_origin(item) for item in raw]
    bad = [item for item, origin in zip(raw, origins, strict=True) if origin is None]
    if bad:
        errors["allowed_origins"] = [
            _("Not an origin (scheme://host[:port]): %(bad)s.") % {"bad": ", ".join(bad)}
        ]
    elif len(origins) > MAX_ORIGINS:
        errors["allowed_origins"] = [_("Give at most %(max)d origins.") % {"max": MAX_ORIGINS}]
    return list(dict.fromkeys(origin for origin in origins if origin))


# --- submissions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    record: Lead | Customer
    created: bool  # False: a follow-up note was added to the record already on file


def clean_submission(form: LeadForm, raw: dict) -> dict:
    """The lead's data from a submission's fields, or ValidationError naming each bad one.

    Unknown fields are errors (a typo in an embedding site's form would otherwise lose
    data silently); the values follow the same rules as manual entry.
    """
    errors: dict[str, list[str]] = {}
    asked = set(form.field_keys)
    for key in sorted(set(raw) - asked - CONTROL_FIELDS):
        errors[key] = [_("Unknown field.")]
    for key in sorted(form.required_keys):
        value = raw.get(key)
        if value is None or value == [] or (isinstance(value, str) and not value.strip()):
            errors[key] = [_("This field is required.")]
    data: dict = {"custom": {}}
    for key in asked & set(raw):
        if key.startswith(CUSTOM_PREFIX):
            data["custom"][key[len(CUSTOM_PREFIX) :]] = raw[key]
        else:
            data[key] = raw[key]
    data["source"] = form.name[:100]
    try:
        records.clean_record_data(Lead, data)
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, messages)
    if errors:
        raise ValidationError(errors)
    return data


def submit_form(*, form: LeadForm, data: dict) -> Submission:
    """Create the lead a clean submission describes, in the form's pool (whose routing and
    distribution then apply), or, when its phone or e-mail is on file and the form says
    so, add the submission as a follow-up note to the record on file."""
    actor = acting_user(form)
    with transaction.atomic():
        if form.on_duplicate == LeadForm.OnDuplicate.FOLLOW_UP:
            existing = _record_on_file(form, data, by=actor)
            if existing is not None:
                FollowUp.objects.create(
                    **{existing.entity: existing},
                    kind=FollowUp.Kind.OTHER,
                    content=_submission_note(form, data)[:CONTENT_MAX_LENGTH],
                    author=actor,
                )
                return Submission(existing, created=False)
        # Duplicates were dealt with above (or the form wants a new lead regardless).
        lead = records.create_record(
            model=Lead, by=actor, data=data, pool=form.pool, allow_duplicate=True
        )
    return Submission(lead, created=True)


def acting_user(form: LeadForm) -> User:
    """Whom a submission acts as (history's actor, the lead's creator): the form's
    creator while they may still manage the pool's forms, else one of its admins."""
    creator = form.created_by
    if creator is not None and creator.is_active:
        scope = access.scope_of(creator)
        if scope.is_admin or form.pool_id in scope.administered_pool_ids:
            return creator
    fallback = (
        form.pool.admins.filter(is_active=True).order_by("pk").first()
        or User.objects.filter(is_active=True, role=User.Role.ADMIN).order_by("pk").first()
    )
    if fallback is None:  # nobody may act for the pool: the form is out of service
        raise Http404(_("No such form."))
    return fallback


def _record_on_file(form: LeadForm, data: dict, *, by) -> Lead | Customer | None:
    phone, email = data.get("phone") or "", data.get("email") or ""
    if not (isinstance(phone, str) and phone.strip()) and not (
        isinstance(email, str) and email.strip()
    ):
        return None
    # Exact, indexed matches on the normalised phone and e-mail, within what the
    # form's acting user may see (a pool admin sees their pools; hidden matches in
    # other pools then get a new lead here, as a manual entry by them would be refused).
    report = find_duplicates(by=by, phone=phone, email=email, exact_only=True)
    contact = {"phone", "other_phone", "email"}
    matches = [match for match in report.matches if contact & set(match.matched_on)]
    if not matches:
        return None
    # Prefer an open lead in this form's pool, then any lead, then a customer.
    best = min(
        matches,
        key=lambda m: (m.type != "lead", m.pool != form.pool.name, m.state == "converted", -m.id),
    )
    model = Lead if best.type == "lead" else Customer
    return model.objects.alive().filter(pk=best.id).first()


def _submission_note(form: LeadForm, data: dict) -> str:
    lines = [_("Submitted the web form “%(form)s” again.") % {"form": form.name}]
    labels = field_labels(form)
    for key in form.field_keys:
        value = (
            data.get("custom", {}).get(key[len(CUSTOM_PREFIX) :])
            if key.startswith(CUSTOM_PREFIX)
            else data.get(key)
        )
        if value not in (None, "", []):
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            lines.append(f"{labels.get(key, key)}: {shown}")
    return "\n".join(lines)


def field_labels(form: LeadForm) -> dict[str, str]:
    """Each asked field's label, in the active language (custom fields: their label)."""
    custom = active_fields(CustomField.Entity.LEAD)
    labels = {}
    for key in form.field_keys:
        if key.startswith(CUSTOM_PREFIX):
            field = custom.get(key[len(CUSTOM_PREFIX) :])
            labels[key] = field.label if field else key
        else:
            labels[key] = str(STANDARD_FIELDS[key])
    return labels


def delete_form(*, by, form: LeadForm) -> None:
    """Delete a form; the leads it brought in stay, with its name as their source."""
    form_access.check_may_manage_pool_forms(access.scope_of(by), form.pool)
    form.delete()
