"""The dashboard's numbers, over the records the user may see (access.py), in a constant
number of set-based queries however many records, pools and owners there are:

- one aggregate for the funnel, the ageing buckets and the due / reclaim counts,
- one GROUP BY pool, one GROUP BY owner,
- the pools' warning days, the follow-ups due today and the reclaim warnings;
- one GROUP BY reason over the history's recent returns (`return_reasons`).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from leadpool.history.models import Event
from leadpool.pools import access
from leadpool.pools.models import Pool

LISTED = 20  # rows in the due-today and reclaim-warning lists
OWNERS_SHOWN = 15
# Ageing of unassigned records, by time in the pool: (key, younger than, in days).
AGES = (("day", 1), ("week", 7), ("month", 30), ("older", None))
RETURN_DAYS = 30  # the return-reasons report's window
REASONS_SHOWN = 10  # free-text reasons can be many: the rest are summed as "other"


@dataclass
class Numbers:
    totals: dict
    pools: list[dict]
    owners: list[dict]
    due_today: list
    reclaim_soon: list


def _end_of_today(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)


def _ages(now) -> dict[str, Q]:
    conditions = {}
    newer_than = None
    for key, days in AGES:
        condition = Q()
        if days is not None:
            condition &= Q(since__gte=now - datetime.timedelta(days=days))
        if newer_than is not None:
            condition &= Q(since__lt=newer_than)
        conditions[key] = condition
        newer_than = now - datetime.timedelta(days=days) if days is not None else None
    return conditions


def _warning_condition(model) -> Q:
    """Owned records whose reclaim is within their pool's warning days (one query for the
    pools; pools number in the dozens)."""
    now = timezone.now()
    condition = Q(pk__in=[])
    warned = Pool.objects.filter(kind=model.pool_kind, reclaim_warning_days__isnull=False)
    for pool_id, days in warned.values_list("pk", "reclaim_warning_days"):
        condition |= Q(pool_id=pool_id, reclaim_at__lte=now + datetime.timedelta(days=days))
    return condition & Q(reclaim_at__isnull=False, owner__isnull=False)


def numbers(user, model, *, scope: access.Scope | None = None) -> Numbers:
    scope = scope or access.scope_of(user)
    now = timezone.now()
    end_of_today = _end_of_today(now)
    records = access.visible_records(user, model, scope=scope)
    converted = Q(status__in=model.CONVERTED_STATUSES)
    unassigned = Q(owner__isnull=True, pool__isnull=False) & ~Q(status__in=model.CLOSED_STATUSES)
    due = Q(owner__isnull=False, next_followup_at__lt=end_of_today) & ~converted
    warning = _warning_condition(model)
    totals = records.annotate(since=Coalesce("pooled_at", "created_at")).aggregate(
        total=Count("pk"),
        followed_up=Count("pk", filter=Q(last_followup_at__isnull=False) | converted),
        converted=Count("pk", filter=converted),
        unassigned=Count("pk", filter=unassigned),
        due_today=Count("pk", filter=due),
        reclaim_soon=Count("pk", filter=warning),
        **{f"age_{key}": Count("pk", filter=unassigned & age) for key, age in _ages(now).items()},
    )
    pools = list(
        records.filter(pool__isnull=False)
        .values("pool_id", "pool__name")
        .annotate(
            unassigned=Count("pk", filter=Q(owner__isnull=True) & ~converted),
            assigned=Count("pk", filter=Q(owner__isnull=False) & ~converted),
            converted=Count("pk", filter=converted),
        )
        .order_by("pool__name", "pool_id")
    )
    # A sales rep's workload is their own: records they only collaborate on would show
    # others' partial numbers.
    oversees = scope.is_admin or scope.managed_department_ids or scope.administered_pool_ids
    owned = records if oversees else records.filter(owner_id=scope.user_id)
    owners = list(
        owned.filter(owner__isnull=False)
        .values("owner_id", "owner__display_name", "owner__username")
        .annotate(
            open=Count("pk", filter=~converted),
            converted=Count("pk", filter=converted),
            due=Count("pk", filter=due),
        )
        .order_by("-open", "owner_id")[:OWNERS_SHOWN]
    )
    due_today = list(
        records.filter(due).select_related("owner").order_by("next_followup_at", "pk")[:LISTED]
    )
    reclaim_soon = list(
        records.filter(warning)
        .select_related("owner", "pool")
        .order_by("reclaim_at", "pk")[:LISTED]
    )
    return Numbers(
        totals=totals, pools=pools, owners=owners, due_today=due_today, reclaim_soon=reclaim_soon
    )


@dataclass
class ReturnReasons:
    rows: list[tuple[str, int]]  # (reason, returns), most frequent first
    other: int  # returns whose reasons did not make the list
    total: int


def return_reasons(
    user, model, *, scope: access.Scope | None = None, now: datetime.datetime | None = None
) -> ReturnReasons:
    """Returns (退回) of the last RETURN_DAYS days by reason, from the history, as the
    pools' return reasons are reported (PRODUCT.md). Counted: every return for a system
    admin; otherwise returns into the pools one administers, returns by oneself or by the
    people of the departments one manages, and returns of records one may see now (a
    member of a claimable pool sees what waits in it). One GROUP BY query."""
    scope = scope or access.scope_of(user)
    now = now or timezone.now()
    events = Event.objects.filter(
        action=Event.Action.RETURN,
        at__gte=now - datetime.timedelta(days=RETURN_DAYS),
        **{f"{model.entity}__isnull": False},
    )
    if not scope.is_active:
        events = events.none()
    elif not scope.is_admin:
        visible = access.visible_records(user, model, scope=scope).values("pk")
        known = Q(from_owner_id=scope.user_id) | Q(**{f"{model.entity}_id__in": visible})
        if scope.administered_pool_ids:
            known |= Q(to_pool_id__in=scope.administered_pool_ids)
        if scope.managed_department_ids:
            known |= Q(from_owner__department_id__in=scope.managed_department_ids)
        events = events.filter(known)
    counted = list(events.values("reason").annotate(count=Count("pk")).order_by("-count", "reason"))
    rows = [(row["reason"], row["count"]) for row in counted[:REASONS_SHOWN]]
    other = sum(row["count"] for row in counted[REASONS_SHOWN:])
    return ReturnReasons(rows=rows, other=other, total=sum(row["count"] for row in counted))
