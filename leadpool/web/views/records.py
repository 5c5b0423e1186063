"""One record: its page (details, actions, follow-ups, history), the edit and create
forms with their duplicate warnings, and adding a follow-up."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadpool.accounts.models import User
from leadpool.activity.services import add_followup, log_call
from leadpool.fields.services import active_fields
from leadpool.pools import access, records
from leadpool.pools.duplicates import find_duplicates
from leadpool.pools.models import Pool
from leadpool.pools.rules import mask_phone
from leadpool.web import batch
from leadpool.web.forms import (
    RECORD_FIELDS,
    CallForm,
    FollowUpForm,
    RecordForm,
    custom_initial,
)
from leadpool.web.views.common import login_required

TIMELINE_LENGTH = 50


def available_actions(scope: access.Scope, record) -> set[str]:
    """What this user may do with this record now: access.can says who may, and the
    record's state rules out what would only be refused (claiming an owned record)."""
    open_record = not record.is_closed
    owned_by_me = record.owner_id is not None and record.owner_id == scope.user_id
    checks = {
        "claim": open_record and record.owner_id is None,
        "assign": open_record,
        "reclaim": open_record and record.owner_id is not None and record.pool_id is not None,
        "return": open_record and owned_by_me,
        "put_into_pool": open_record and record.owner_id is not None,
        "delete": True,
        "edit": True,
        "follow_up": True,
        "convert": open_record and record.owner_id is not None and record.entity == "lead",
    }
    return {
        action
        for action, possible in checks.items()
        if possible and access.can(scope, action, record)
    }


def _timeline(record):
    if hasattr(record, "timeline_followups"):  # a customer: its converted leads' too
        followups = record.timeline_followups()
    else:
        followups = record.followups.all()
    return followups.select_related("author")[:TIMELINE_LENGTH]


def _calls(record, visibility: access.ContactVisibility) -> list:
    """The record's calls, their numbers shown as the record's contact details are: a
    pool that hides phones until claimed hides them in the call list too."""
    calls = list(
        record.calls.select_related("author").order_by("-started_at", "-pk")[:TIMELINE_LENGTH]
    )
    for call in calls:
        if visibility == "visible":
            call.shown_number = call.number
        elif visibility == "masked" and call.number:
            call.shown_number = mask_phone(call.number)
        else:
            call.shown_number = ""
    return calls


def _custom_values(record, visibility: access.ContactVisibility) -> list[tuple[str, str]]:
    """The record's custom fields (自定义字段) as the details list shows them, a phone or
    e-mail among them masked or hidden as the record's own contact details are."""
    fields = active_fields(record.entity)
    contact_fields = {
        key: f.type for key, f in fields.items() if f.type in access.CONTACT_FIELD_TYPES
    }
    values = access.custom_as_seen(record, visibility, lambda: contact_fields)
    shown = []
    for key, custom in fields.items():
        value = values.get(key)
        if isinstance(value, bool):
            value = _("Yes") if value else _("No")
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        elif value is not None and custom.type == custom.Type.DATETIME:
            moment = parse_datetime(str(value))
            value = (
                date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
                if moment
                else value
            )
        shown.append((custom.label, "" if value is None else str(value)))
    return shown


def _call_form(record, contact: dict) -> CallForm:
    return CallForm(initial={"number": contact["phone"], "started_at": timezone.localtime()})


def _detail_context(request, kind, record, followup_form=None, call_form=None) -> dict:
    scope = access.scope_of(request.user)
    # Once for the page: the actions, the contact details and the list of collaborators
    # all ask who collaborates (access.is_collaborator reads the prefetched list).
    prefetch_related_objects([record], "collaborators")
    actions = available_actions(scope, record)
    visibility = access.contact_visibility(scope, record)
    contact = access.contacts_as_seen(record, visibility)
    history = record.history.select_related(
        "actor", "from_owner", "to_owner", "from_pool", "to_pool"
    )[:TIMELINE_LENGTH]
    return {
        "kind": kind,
        "record": record,
        "contact": contact,
        "actions": actions,
        "followups": _timeline(record),
        "followup_form": followup_form or FollowUpForm(),
        "calls": _calls(record, visibility),
        "call_form": call_form or _call_form(record, contact),
        "collaborators": sorted(
            record.collaborators.all(), key=lambda user: (user.display_name, user.username)
        ),
        "custom_values": _custom_values(record, visibility),
        "people": (
            User.objects.filter(is_active=True).order_by("display_name", "username")
            if "edit" in actions
            else ()
        ),
        "history": history,
        "users": User.objects.filter(is_active=True) if "assign" in actions else (),
        "assign_pools": (
            Pool.objects.filter(kind=kind.model.pool_kind) if "assign" in actions else ()
        ),
        "own_pools": access.visible_pools(request.user, kind=kind.model.pool_kind, scope=scope),
        "return_reasons": record.pool.return_reasons if record.pool else [],
        "summary": batch.take_summary(request),
    }


@login_required
def record_detail(request, kind, pk):
    record = access.get_record_for(request.user, kind.model, pk)  # 404 outside the scope
    return render(request, "web/records/detail.html", _detail_context(request, kind, record))


@login_required
@require_POST
def followup_add(request, kind, pk):
    record = access.get_record_for(request.user, kind.model, pk, "follow_up")
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            add_followup(record=record, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            form = None
    if request.htmx:
        context = _detail_context(request, kind, record, form)
        return render(request, "web/records/_followups.html", context)
    if form is None:
        messages.success(request, _("Follow-up added."))
        return redirect(reverse("web:record", args=[kind.slug, record.pk]) + "#followups")
    context = _detail_context(request, kind, record, form)
    return render(request, "web/records/detail.html", context, status=400)


@login_required
@require_POST
def call_add(request, kind, pk):
    """Log a call (通话记录); an answered one counts as a follow-up."""
    record = access.get_record_for(request.user, kind.model, pk, "follow_up")
    form = CallForm(request.POST)
    if form.is_valid():
        try:
            log_call(record=record, by=request.user, **form.service_arguments())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            form = None
            record = access.get_record_for(request.user, kind.model, pk)
    if request.htmx:
        context = _detail_context(request, kind, record, call_form=form)
        return render(request, "web/records/_calls.html", context)
    if form is None:
        messages.success(request, _("Call logged."))
        return redirect(reverse("web:record", args=[kind.slug, record.pk]) + "#calls")
    context = _detail_context(request, kind, record, call_form=form)
    return render(request, "web/records/detail.html", context, status=400)


@login_required
@require_POST
def collaborators_set(request, kind, pk):
    """Set who collaborates on the record (协同人): they see and follow it up too."""
    record = access.get_record_for(request.user, kind.model, pk, "edit")
    ids = [int(pk) for pk in request.POST.getlist("collaborators") if pk.isdigit() and len(pk) < 19]
    try:
        records.update_record(record=record, by=request.user, changes={"collaborators": ids})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Collaborators saved."))
    return redirect(reverse("web:record", args=[kind.slug, record.pk]) + "#collaborators")


@login_required
def record_edit(request, kind, pk):
    record = access.get_record_for(request.user, kind.model, pk, "edit")
    if request.method == "POST":
        form = RecordForm(request.POST, model=kind.model, record=record)
        if form.is_valid():
            try:
                records.update_record(
                    record=record,
                    by=request.user,
                    changes=form.changes(),
                    allow_duplicate=form.cleaned_data["allow_duplicate"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Saved."))
                return redirect("web:record", kind.slug, record.pk)
    else:
        fields = (*RECORD_FIELDS, "status", "next_followup_at")
        initial = {name: getattr(record, name) for name in fields} | custom_initial(record)
        form = RecordForm(initial=initial, model=kind.model, record=record)
    return _form_page(request, kind, form, record)


@login_required
def record_create(request, kind):
    pools = access.visible_pools(request.user, kind=kind.model.pool_kind)
    if request.method == "POST":
        form = RecordForm(request.POST, model=kind.model, pools=pools)
        if form.is_valid():
            try:
                record = records.create_record(
                    model=kind.model,
                    by=request.user,
                    data=form.changes(),
                    pool=form.cleaned_data["pool"] or None,
                    allow_duplicate=form.cleaned_data["allow_duplicate"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Created “%(record)s”.") % {"record": record})
                if access.visible_records(request.user, kind.model).filter(pk=record.pk).exists():
                    return redirect("web:record", kind.slug, record.pk)
                # Created into a pool that handed it to someone else: not theirs to open.
                return redirect("web:records", kind.slug)
    else:
        form = RecordForm(
            initial={"pool": request.GET.get("pool", "")}, model=kind.model, pools=pools
        )
    return _form_page(request, kind, form, None)


def _form_page(request, kind, form, record):
    status = 400 if form.is_bound else 200
    context = {"kind": kind, "form": form, "record": record}
    return render(request, "web/records/form.html", context, status=status)


@login_required
def duplicate_check(request, kind):
    """The live duplicate warning under the create and edit forms (htmx, as one types)."""
    values = {
        name: request.GET.get(name, "").strip()[:200]
        for name in ("phone", "other_phone", "email", "company")
    }
    exclude = None
    if request.GET.get("record", "").isdigit():
        exclude = (
            access.visible_records(request.user, kind.model)
            .filter(pk=int(request.GET["record"][:18]))
            .first()
        )
    report = None
    if any(values.values()) and "\x00" not in "".join(values.values()):
        report = find_duplicates(by=request.user, exclude=exclude, limit=5, **values)
    return render(request, "web/records/_duplicates.html", {"report": report, "kind": kind})
