"""The dashboard: the home page of managers and admins (and a rep's own numbers), per
record kind. Numbers from web/dashboard.py, drawn by web/charts.py."""

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from leadpool.pools import access
from leadpool.web import charts, dashboard
from leadpool.web.kinds import KINDS
from leadpool.web.views.common import login_required


def home(request):
    """Managers, admins and pool admins land on the dashboard; reps on their leads."""
    if request.user.is_authenticated:
        scope = access.scope_of(request.user)
        if scope.is_admin or scope.managed_department_ids or scope.administered_pool_ids:
            return redirect("web:dashboard")
    return redirect("web:records", "leads")


@login_required
def dashboard_page(request, kind=None):
    kind = kind or KINDS["leads"]
    model = kind.model
    scope = access.scope_of(request.user)
    found = dashboard.numbers(request.user, model, scope=scope)
    returns = dashboard.return_reasons(request.user, model, scope=scope)
    totals = found.totals
    converted_label = _("Converted") if kind.slug == "leads" else _("Won")
    states = [
        ("unassigned", _("Unassigned")),
        ("assigned", _("Assigned")),
        ("converted", converted_label),
    ]
    pool_chart = charts.bar_chart(
        _("Records per pool by state"),
        states,
        [(row["pool__name"], row) for row in found.pools],
    )
    ageing_chart = charts.bar_chart(
        _("How long unassigned records have waited"),
        [("count", _("Unassigned"))],
        [
            (_("Under a day"), {"count": totals["age_day"]}),
            (_("1 to 7 days"), {"count": totals["age_week"]}),
            (_("7 to 30 days"), {"count": totals["age_month"]}),
            (_("Over 30 days"), {"count": totals["age_older"]}),
        ],
    )
    funnel_chart = charts.bar_chart(
        _("Conversion funnel"),
        [("count", _("Records"))],
        [
            (_("All records"), {"count": totals["total"]}),
            (_("Followed up"), {"count": totals["followed_up"]}),
            (converted_label, {"count": totals["converted"]}),
        ],
    )
    workload_chart = charts.bar_chart(
        _("Workload per owner"),
        [("open", _("Open")), ("converted", converted_label)],
        [(row["owner__display_name"] or row["owner__username"], row) for row in found.owners],
    )
    reason_rows = [
        (reason or _("(no reason given)"), {"count": count}) for reason, count in returns.rows
    ]
    if returns.other:
        reason_rows.append((_("Other reasons"), {"count": returns.other}))
    returns_chart = charts.bar_chart(
        _("Return reasons, last %(days)d days") % {"days": dashboard.RETURN_DAYS},
        [("count", _("Returns"))],
        reason_rows,
        empty_text=_("No returns in the last %(days)d days.") % {"days": dashboard.RETURN_DAYS},
    )
    context = {
        "kind": kind,
        "numbers": found,
        "totals": totals,
        "conversion_rate": round(100 * totals["converted"] / totals["total"])
        if totals["total"]
        else 0,
        "charts": [pool_chart, ageing_chart, funnel_chart, workload_chart, returns_chart],
        "pool_chart": pool_chart,
        "ageing_chart": ageing_chart,
        "funnel_chart": funnel_chart,
        "workload_chart": workload_chart,
        "returns_chart": returns_chart,
        "returns": returns,
    }
    return render(request, "web/dashboard/dashboard.html", context)
