"""The export dialog of the list pages (导出): the ticked records or the filtered list, the
fields, CSV or XLSX; and the call records of the ticked leads. One call to
transfer/exports.py, as the API makes (transfer/api.py).

The dialog posts with the list's tick boxes (htmx, so a refusal lands in the list's
summary); the POST keeps the request in the session under a random token and sends the
browser to a GET of the file, which downloads without leaving the list.
"""

import uuid

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadpool.activity.models import CallRecord
from leadpool.core.models import MAX_ID
from leadpool.pools import access
from leadpool.transfer import exports
from leadpool.transfer.api import file_response
from leadpool.web import batch, listing
from leadpool.web.views.common import login_required, safe_next

SESSION_KEY = "web_exports"
# Exports one session may have asked for and not yet downloaded.
MAX_PENDING = 5


def export_columns(model) -> list[tuple[str, str, bool]]:
    """The dialog's tick boxes: (key, label, ticked by default) for every exportable field."""
    columns = exports.record_columns(model)
    default = set(exports.DEFAULT_FIELDS)
    return [
        (key, column.label, key in default or key.startswith("custom."))
        for key, column in columns.items()
    ]


@login_required
@require_POST
def export_start(request, kind):
    back = safe_next(request, reverse("web:records", args=[kind.slug]))
    try:
        plan = _plan(request, kind)
        _check(request, kind, plan)
    except ValidationError as error:
        summary = batch.summarize_error("export", error)
        summary["headline"] = _("Nothing was exported.")
        if request.htmx:
            return render(request, "web/records/_batch_result.html", {"summary": summary})
        request.session[batch.SESSION_KEY] = summary
        return redirect(back)
    token = uuid.uuid4().hex
    pending = dict(request.session.get(SESSION_KEY, {}))
    pending[token] = {**plan, "next": back}
    while len(pending) > MAX_PENDING:
        pending.pop(next(iter(pending)))
    request.session[SESSION_KEY] = pending
    url = reverse("web:export_file", args=[kind.slug, token])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url  # a download: the browser stays on the list
        return response
    return redirect(url)


def _plan(request, kind) -> dict:
    """The export the dialog asks for, checked for what can be checked without the data."""
    post = request.POST
    calls = post.get("action") == "export_calls"
    if calls and kind.slug != "leads":
        raise ValidationError(_("Call records export for leads."))
    format = post.get("export_format") or "csv"
    if format not in exports.FORMATS:
        raise ValidationError(_("Choose csv or xlsx."))
    scope = "selected" if calls else post.get("export_scope") or "selected"
    if scope not in ("selected", "filtered"):
        raise ValidationError(_("Export the ticked records or the filtered list."))
    ids = None
    if scope == "selected":
        ids = [
            int(pk)
            for pk in post.getlist("ids")
            if pk.isdigit() and len(pk) < 19 and 0 < int(pk) <= MAX_ID
        ]
        if not ids:
            raise ValidationError(_("Tick at least one record."))
    fields = post.getlist("export_fields")
    if not calls and not fields:
        raise ValidationError(_("Tick at least one field."))
    return {
        "calls": calls,
        "format": format,
        "scope": scope,
        "ids": ids,
        "fields": fields,
        "where": post.get("list_where", ""),
        "pool": post.get("list_pool", ""),
        "query": post.get("list_query", ""),
    }


def _records(request, kind, plan: dict):
    """The filtered list as its page showed it (its own `where`, pool and filters), or
    None for the ticked records (the export service keeps to the user's scope either way)."""
    if plan["scope"] == "selected":
        return None
    model = kind.model
    where = plan["where"]
    if where not in ("mine", "all", "pool"):
        return model.objects.none()
    scope = access.scope_of(request.user)
    pool = None
    if where == "pool":
        pool_id = plan["pool"]
        pools = access.visible_pools(request.user, kind=model.pool_kind, scope=scope)
        if pool_id.isdigit() and len(pool_id) < 19:
            pool = pools.filter(pk=int(pool_id)).first()
        if pool is None:
            return model.objects.none()
    records, errors = listing.matching(
        request.user, model, where=where, pool=pool, params=QueryDict(plan["query"]), scope=scope
    )
    if errors:
        raise ValidationError(errors)
    return records


def _check(request, kind, plan: dict) -> None:
    """Refuse an export past the cap before the browser is sent to download it."""
    model = kind.model
    selected = access.visible_records(request.user, model)
    records = _records(request, kind, plan)
    if records is not None:
        selected = selected & records
    if plan["ids"] is not None:
        selected = selected.filter(pk__in=plan["ids"])
    if plan["calls"]:
        selected = CallRecord.objects.filter(**{f"{model.entity}__in": selected.values("pk")})
    else:
        exports.choose_columns(exports.record_columns(model), plan["fields"], ())
    # The service's own bounded count and message; it checks again when it writes.
    exports.check_cap(selected, exports.export_cap())


@login_required
def export_file(request, kind, token):
    pending = dict(request.session.get(SESSION_KEY, {}))
    plan = pending.pop(token, None)
    if plan is None:
        raise Http404(_("This export has been downloaded already, or was never asked for."))
    request.session[SESSION_KEY] = pending
    options = {
        "by": request.user,
        "model": kind.model,
        "ids": plan["ids"],
        "format": plan["format"],
        "filters": dict(QueryDict(plan["query"]).items()) if plan["scope"] == "filtered" else {},
        "address": request.META.get("REMOTE_ADDR") or None,
    }
    try:
        options["records"] = _records(request, kind, plan)
        if plan["calls"]:
            export = exports.export_calls(**options)
        else:
            export = exports.export_records(**options, fields=plan["fields"])
    except ValidationError as error:
        request.session[batch.SESSION_KEY] = batch.summarize_error("export", error)
        return redirect(plan["next"])
    return file_response(export)
