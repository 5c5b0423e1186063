"""Record lists (my records, all I can see, a pool's, the recycle bin) and the batch
actions on their ticked records. Leads and customers share every line (kinds.py)."""

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadpool.accounts.models import User
from leadpool.pools import access
from leadpool.pools.models import Pool
from leadpool.pools.serializers import MAX_BATCH
from leadpool.web import batch, listing
from leadpool.web.views.common import login_required, safe_next
from leadpool.web.views.exports import export_columns


@login_required
def record_list(request, kind, where="mine", pool_id=None):
    model = kind.model
    scope = access.scope_of(request.user)
    pool = _pool(request.user, kind, where, pool_id, scope)
    if request.GET.get("choices") == "assign":
        # The assign dialog's salespeople and pools, fetched when it opens (htmx).
        choices = _assign_choices(request.user, scope, kind, where, pool)
        return render(request, "web/records/_assign_choices.html", choices)
    records, errors = listing.matching(
        request.user, model, where=where, pool=pool, params=request.GET, scope=scope
    )
    sort = request.GET.get("sort", listing.DEFAULT_SORT)
    if sort not in listing.SORTS:
        sort = listing.DEFAULT_SORT
    rows, next_cursor = listing.page_of(
        records.select_related("owner", "pool").prefetch_related("collaborators"),
        sort=sort,
        cursor=request.GET.get("cursor"),
    )
    # Each row links to its record: one reverse() for the page, not one a row.
    record_path = reverse("web:record", args=[kind.slug, 1]).removesuffix("1/")
    for record in rows:
        # Masked exactly as the API masks them (the pool's contact visibility rule).
        record.contact = access.contact_details(scope, record)
        record.path = f"{record_path}{record.pk}/"
    context = {
        "kind": kind,
        "where": where,
        "pool": pool,
        "rows": rows,
        "next_cursor": next_cursor,
        "errors": errors,
        "sort": sort,
        "sorts": [(key, label) for key, (_c, _d, label) in listing.SORTS.items()],
        "statuses": model.Status.choices,
        "filters": {name: request.GET.get(name, "") for name in listing.FILTERS},
        "custom_filters": listing.custom_filters(model, request.GET),
        "is_first_page": not request.GET.get("cursor"),
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "web/records/_results.html", context)
    context.update(_batch_choices(request.user, scope, kind, where, pool))
    context["summary"] = batch.take_summary(request)
    return render(request, "web/records/list.html", context)


def _pool(user, kind, where: str, pool_id, scope: access.Scope):
    if where != "pool":
        return None
    pools = access.visible_pools(user, kind=kind.model.pool_kind, scope=scope)
    return get_object_or_404(pools, pk=pool_id)


def _batch_choices(user, scope: access.Scope, kind, where: str, pool) -> dict:
    """The batch actions this list offers and what they need to choose from. The services
    still judge every record; this only leaves out buttons that could never work here."""
    model = kind.model
    administers = _administers(scope, where, pool)
    if where == "pool":
        may_claim = pool.pk in scope.claimable_pool_ids | scope.administered_pool_ids
        actions = ["claim"] if may_claim else []
        if administers:
            actions += ["assign", "reclaim", "delete"]
    elif where == "bin":
        actions = ["restore"]
    else:
        actions = ["return", "put_into_pool", "delete"]
        if administers:
            actions[:0] = ["assign", "reclaim"]
    own_pools = access.visible_pools(user, kind=model.pool_kind, scope=scope)
    reasons = sorted({r for p in ([pool] if pool else own_pools) for r in p.return_reasons})
    return {
        "actions": [(name, batch.ACTIONS[name]) for name in actions],
        # The export dialog: every list of live records offers it.
        "export_columns": export_columns(model) if where != "bin" else [],
        # The assign dialog's choices come when it opens (_assign_choices): every active
        # user of a large site would otherwise be rendered with every page.
        "own_pools": own_pools,
        "return_reasons": reasons,
    }


def _administers(scope: access.Scope, where: str, pool) -> bool:
    if where == "pool":
        return scope.is_admin or pool.pk in scope.administered_pool_ids
    return scope.is_admin or bool(scope.administered_pool_ids)


def _assign_choices(user, scope: access.Scope, kind, where: str, pool) -> dict:
    """Whom and which pools the assign dialog offers; nothing to those it is not for (the
    service judges every record and target anyway)."""
    if not _administers(scope, where, pool):
        return {"users": User.objects.none(), "assign_pools": Pool.objects.none()}
    return {
        "users": User.objects.filter(is_active=True),
        "assign_pools": Pool.objects.filter(kind=kind.model.pool_kind),
    }


@login_required
def pool_list(request, kind):
    pools = access.visible_pools(request.user, kind=kind.model.pool_kind)
    return render(request, "web/records/pools.html", {"kind": kind, "pools": pools})


@login_required
@require_POST
def batch_action(request, kind):
    action = request.POST.get("action", "")
    ids = request.POST.getlist("ids")
    if request.POST.get("row"):  # a row's own button ("claim:42"): that record only
        action, _colon, row_id = request.POST["row"].partition(":")
        ids = [row_id]
    data = {
        # Each action's own fields (a list page offers several at once), else shared ones.
        "reason": request.POST.get(f"reason_{action}", request.POST.get("reason", "")),
        "to_user": request.POST.get(f"to_user_{action}", request.POST.get("to_user", "")),
        "to_pool": request.POST.get(f"to_pool_{action}", request.POST.get("to_pool", "")),
    }
    if request.POST.get("all_matching") and not request.POST.get("row"):
        ids = _all_matching_ids(request, kind)
    try:
        if not ids:
            raise ValidationError(_("Tick at least one record."))
        if len(ids) > MAX_BATCH:
            raise ValidationError(_("Choose at most %(max)d records at once.") % {"max": MAX_BATCH})
        result = batch.run_action(kind.model, action=action, ids=ids, by=request.user, data=data)
    except ValidationError as error:
        summary = batch.summarize_error(action, error)
    else:
        summary = batch.summarize(kind.model, action=action, result=result, by=request.user)
    if request.htmx:
        response = render(request, "web/records/_batch_result.html", {"summary": summary})
        response["HX-Trigger"] = "records-changed"
        return response
    request.session[batch.SESSION_KEY] = summary
    return redirect(safe_next(request, reverse("web:records", args=[kind.slug])))


def _all_matching_ids(request, kind) -> list[int]:
    """ "Tick every matching record": the list's own query (its `where`, pool and filters,
    sent back with the form), at most one batch's worth."""
    where = request.POST.get("where", "")
    if where not in ("mine", "all", "pool", "bin"):
        return []
    scope = access.scope_of(request.user)
    pool_id = request.POST.get("pool", "")
    pool = _pool(request.user, kind, where, pool_id if pool_id.isdigit() else 0, scope)
    params = QueryDict(request.POST.get("query", ""))
    # Bad filters match nothing (the list showed why).
    records, _errors = listing.matching(
        request.user, kind.model, where=where, pool=pool, params=params, scope=scope
    )
    return list(records.order_by("pk").values_list("pk", flat=True)[: MAX_BATCH + 1])
