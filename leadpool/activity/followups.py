"""Follow-up due lists (待跟进): a user's own leads and customers whose next follow-up is
due today or overdue.

"Due" has one definition, `due_condition`: an owned, live, open record whose
`next_followup_at` has come. The due lists here and the reminder sweep (pools/automation.py
`remind`, which notifies FOLLOWUP_DUE) both filter by it; "today" is the day in the site's
time zone.
"""

import datetime
from dataclasses import dataclass
from typing import Literal

from django.db.models import Q
from django.utils import timezone

from leadpool.customers.models import Customer
from leadpool.leads.models import Lead
from leadpool.pools.models import PooledRecord

When = Literal["today", "overdue"]
MAX_DUE = 500


def due_condition(model: type[PooledRecord], *, until: datetime.datetime) -> Q:
    """Records whose follow-up falls due by `until`: owned, live, open."""
    return Q(owner__isnull=False, deleted_at__isnull=True, next_followup_at__lte=until) & ~Q(
        status__in=model.CLOSED_STATUSES
    )


def day_bounds(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """Midnight to midnight of `now`'s day in the site's time zone (DST-safe)."""
    day = timezone.localtime(now).date()
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )
    return start, end


@dataclass(frozen=True)
class DueList:
    records: list[PooledRecord]
    truncated: bool


def due_followups(
    *, user, when: When, now: datetime.datetime | None = None, entity: str | None = None
) -> DueList:
    """`user`'s own records due for a follow-up, soonest first, leads before customers.

    "today": planned for any time today (site time zone), passed or not;
    "overdue": planned before now. A follow-up due at 09:00 is in both lists at 10:00.
    """
    now = now or timezone.now()
    start, end = day_bounds(now)
    found: list[PooledRecord] = []
    truncated = False
    for model in (Lead, Customer):
        if entity and model.entity != entity:
            continue
        if when == "today":
            condition = due_condition(model, until=end) & Q(next_followup_at__gte=start)
            # `until` is inclusive; the next midnight belongs to tomorrow.
            condition &= Q(next_followup_at__lt=end)
        else:
            condition = due_condition(model, until=now) & Q(next_followup_at__lt=now)
        rows = list(
            model.objects.filter(condition, owner=user)
            .select_related("pool")
            .order_by("next_followup_at", "pk")[: MAX_DUE + 1]
        )
        truncated = truncated or len(rows) > MAX_DUE
        found.extend(rows[:MAX_DUE])
    return DueList(found[:MAX_DUE], truncated or len(found) > MAX_DUE)
