"""Claiming (领取) unassigned records from a pool: `pools.services.claim_records`."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from leadpool.core.results import Refusal
from leadpool.customers.models import Customer
from leadpool.history.models import Event, Notification
from leadpool.leads.models import Lead
from leadpool.pools.models import ClaimTally, Pool, PooledRecord
from leadpool.pools.services import (
    claim_records,
    delete_records,
    reclaim_records,
    return_records,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI)
TODAY = datetime.date(2027, 3, 1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
NOT_IN_SCOPE = Refusal("not_in_scope", "No such record.")
FORBIDDEN = Refusal("forbidden", "You may not do that with this record.")

STATE_FIELDS = (
    "owner",
    "pool",
    "status",
    "claimed_at",
    "assigned_at",
    "pooled_at",
    "next_followup_at",
    "reclaim_at",
    "deleted_at",
)
EVENT_FIELDS = (
    "action",
    "actor",
    "from_owner",
    "to_owner",
    "from_pool",
    "to_pool",
    "reason",
    "rule",
    "details",
    "at",
)


class Clock:
    """What `timezone.now()` answers while a test runs; tests move it forward."""

    def __init__(self, now: datetime.datetime):
        self.now = now

    def advance(self, **delta) -> None:
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    clock = Clock(NOW)
    with mock.patch("django.utils.timezone.now", side_effect=lambda: clock.now):
        yield clock


@dataclass
class Pooled:
    """One kind of pooled record, with its pool, its maker and its 'converted' status."""

    model: type[PooledRecord]
    pool: Pool
    make: Callable[..., PooledRecord]
    converted: str


@pytest.fixture(params=["lead", "customer"])
def pooled(request, lead_pool, customer_pool, make_lead, make_customer) -> Pooled:
    if request.param == "lead":
        return Pooled(Lead, lead_pool, make_lead, Lead.Status.CONVERTED)
    return Pooled(Customer, customer_pool, make_customer, Customer.Status.WON)


def set_rules(pool: Pool, **rules) -> None:
    for name, value in rules.items():
        setattr(pool, name, value)
    pool.save()


def state(record: PooledRecord) -> dict:
    return type(record).objects.filter(pk=record.pk).values(*STATE_FIELDS).get()


def events(record: PooledRecord) -> list[dict]:
    return list(
        Event.objects.filter(**{f"{record.entity}_id": record.pk})
        .order_by("id")
        .values(*EVENT_FIELDS)
    )


def tallies() -> list[dict]:
    return list(ClaimTally.objects.order_by("id").values("pool", "user", "day", "claims"))


def claim_event(*, by, pool, reason="", at=NOW) -> dict:
    return {
        "action": Event.Action.CLAIM,
        "actor": by.pk,
        "from_owner": None,
        "to_owner": by.pk,
        "from_pool": pool.pk,
        "to_pool": pool.pk,
        "reason": reason,
        "rule": "",
        "details": {},
        "at": at,
    }


def assert_refused_and_unchanged(result, record, refusal, *, before: dict, event_count: int):
    assert result.done == []
    assert result.refused == [(record.pk, refusal)]
    assert state(record) == before
    assert Event.objects.count() == event_count


# --- success -----------------------------------------------------------------------------


def test_member_claims_an_unassigned_record(clock, pooled, member):
    # given
    set_rules(pooled.pool, reclaim_no_followup_days=7)
    record = pooled.make(pool=pooled.pool)
    expected_followup = NOW + 2 * DAY
    # when
    result = claim_records(
        model=pooled.model,
        ids=[record.pk],
        by=member,
        reason="  Called us back  ",
        expected_followup_at=expected_followup,
    )
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert state(record) == {
        "owner": member.pk,
        "pool": pooled.pool.pk,
        "status": "new",
        "claimed_at": NOW,
        "assigned_at": None,
        "pooled_at": None,
        "next_followup_at": expected_followup,
        "reclaim_at": NOW + 7 * DAY,
        "deleted_at": None,
    }
    assert events(record) == [claim_event(by=member, pool=pooled.pool, reason="Called us back")]
    assert tallies() == [{"pool": pooled.pool.pk, "user": member.pk, "day": TODAY, "claims": 1}]
    assert Notification.objects.count() == 0


def test_claim_takes_the_earlier_of_the_pools_reclaim_rules(clock, pooled, member):
    # given
    set_rules(pooled.pool, reclaim_no_followup_days=10, reclaim_not_converted_days=3)
    record = pooled.make(pool=pooled.pool)
    # when
    claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert state(record)["reclaim_at"] == NOW + 3 * DAY


def test_claim_in_a_pool_without_reclaim_rules_leaves_no_reclaim_time(clock, pooled, member):
    # given
    previous_followup = NOW + 5 * DAY
    record = pooled.make(pool=pooled.pool, next_followup_at=previous_followup)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert result.done == [record.pk]
    current = state(record)
    assert (current["owner"], current["reclaim_at"], current["next_followup_at"]) == (
        member.pk,
        None,
        previous_followup,
    )


def test_member_through_a_parent_department_claims(clock, pooled, rep_east):
    # given: rep_east is in East Team, below East Sales, a member department of the pool
    record = pooled.make(pool=pooled.pool)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=rep_east)
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert state(record)["owner"] == rep_east.pk


def test_pool_admin_claims_from_an_assign_only_pool(clock, pooled, pool_admin):
    # given
    set_rules(pooled.pool, visibility=Pool.Visibility.ASSIGN_ONLY)
    record = pooled.make(pool=pooled.pool)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=pool_admin)
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert state(record)["owner"] == pool_admin.pk


def test_won_customer_back_in_its_pool_may_be_claimed_again(
    clock, customer_pool, make_customer, member
):
    # given: repeat business (二次成交) — no customer status closes it to claims
    customer = make_customer(pool=customer_pool, status=Customer.Status.WON)
    # when
    result = claim_records(model=Customer, ids=[customer.pk], by=member)
    # then
    assert result.as_dict() == {"done": [customer.pk], "refused": []}
    assert state(customer)["owner"] == member.pk


# --- who may claim -----------------------------------------------------------------------


def test_claim_of_a_record_the_claimer_already_owns_is_refused(clock, pooled, member):
    # given
    record = pooled.make(pool=pooled.pool, owner=member)
    before = state(record)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert_refused_and_unchanged(
        result,
        record,
        Refusal("already_owned", "You already own this record."),
        before=before,
        event_count=0,
    )
    assert tallies() == []


@pytest.mark.parametrize("claimer", ["pool_admin", "manager"])
def test_claim_of_a_record_someone_else_owns_is_refused(clock, pooled, rep_east, claimer, request):
    # given: the pool admin and rep_east's manager (a member through East Sales) see it
    record = pooled.make(pool=pooled.pool, owner=rep_east)
    before = state(record)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=request.getfixturevalue(claimer))
    # then
    assert_refused_and_unchanged(
        result,
        record,
        Refusal("already_owned", "Someone else owns this record."),
        before=before,
        event_count=0,
    )


def test_member_does_not_learn_of_a_record_someone_else_owns(clock, pooled, member, rep_west):
    # given
    record = pooled.make(pool=pooled.pool, owner=rep_west)
    before = state(record)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert_refused_and_unchanged(result, record, NOT_IN_SCOPE, before=before, event_count=0)


def test_converted_lead_is_refused_to_the_pool_admin(clock, lead_pool, make_lead, pool_admin):
    # given
    lead = make_lead(pool=lead_pool, status=Lead.Status.CONVERTED)
    before = state(lead)
    # when
    result = claim_records(model=Lead, ids=[lead.pk], by=pool_admin)
    # then
    assert_refused_and_unchanged(
        result,
        lead,
        Refusal("converted", "This record has been converted."),
        before=before,
        event_count=0,
    )


def test_converted_lead_has_left_the_members_claimable_set(clock, lead_pool, make_lead, member):
    # given
    lead = make_lead(pool=lead_pool, status=Lead.Status.CONVERTED)
    before = state(lead)
    # when
    result = claim_records(model=Lead, ids=[lead.pk], by=member)
    # then
    assert_refused_and_unchanged(result, lead, NOT_IN_SCOPE, before=before, event_count=0)


def test_outsider_claim_is_refused_as_not_in_scope(clock, pooled, outsider):
    # given
    record = pooled.make(pool=pooled.pool)
    before = state(record)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=outsider)
    # then
    assert_refused_and_unchanged(result, record, NOT_IN_SCOPE, before=before, event_count=0)
    assert tallies() == []


def test_claim_of_an_unknown_id_is_refused_as_not_in_scope(clock, pooled, member):
    # given
    record = pooled.make(pool=pooled.pool)
    unknown = record.pk + 1000
    # when
    result = claim_records(model=pooled.model, ids=[unknown], by=member)
    # then
    assert result.done == []
    assert result.refused == [(unknown, NOT_IN_SCOPE)]


def test_claim_from_a_pool_the_member_is_not_in_is_refused_as_not_in_scope(
    clock, pooled, member, rep_west
):
    # given: another pool of the same kind, without `member`
    other_pool = Pool.objects.create(name="West pool", kind=pooled.pool.kind)
    other_pool.members.add(rep_west)
    record = pooled.make(pool=other_pool)
    before = state(record)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert_refused_and_unchanged(result, record, NOT_IN_SCOPE, before=before, event_count=0)


def test_members_of_an_assign_only_pool_see_nothing_to_claim(clock, pooled, member):
    # given: PRODUCT.md, "assign-only (members see nothing; admins distribute)"
    set_rules(pooled.pool, visibility=Pool.Visibility.ASSIGN_ONLY)
    record = pooled.make(pool=pooled.pool)
    before = state(record)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert_refused_and_unchanged(result, record, NOT_IN_SCOPE, before=before, event_count=0)


def test_collaborator_outside_the_pool_sees_the_record_but_may_not_claim_it(
    clock, pooled, outsider
):
    # given: a collaborator keeps seeing a record after it went back to the pool
    record = pooled.make(pool=pooled.pool)
    record.collaborators.add(outsider)
    before = state(record)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=outsider)
    # then
    assert_refused_and_unchanged(result, record, FORBIDDEN, before=before, event_count=0)


def test_record_in_no_pool_cannot_be_claimed(clock, pooled, manager, rep_east):
    # given: rep_east's private record, which their manager sees
    record = pooled.make(owner=rep_east)
    before = state(record)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=manager)
    # then
    assert_refused_and_unchanged(result, record, FORBIDDEN, before=before, event_count=0)


def test_deleted_record_cannot_be_claimed(clock, pooled, member, pool_admin):
    # given
    record = pooled.make(pool=pooled.pool)
    delete_records(model=pooled.model, ids=[record.pk], by=pool_admin)
    before = state(record)
    event_count = Event.objects.count()
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert_refused_and_unchanged(
        result,
        record,
        Refusal("deleted", "This record is in the recycle bin."),
        before=before,
        event_count=event_count,
    )


def test_inactive_user_claims_nothing(clock, pooled, member):
    # given
    record = pooled.make(pool=pooled.pool)
    member.is_active = False
    member.save()
    before = state(record)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert_refused_and_unchanged(result, record, NOT_IN_SCOPE, before=before, event_count=0)


# --- daily limit -------------------------------------------------------------------------


def test_claim_is_refused_after_daily_limit(clock, pooled, member):
    # given
    set_rules(pooled.pool, claim_limit_per_day=2)
    first, second, third = (pooled.make(pool=pooled.pool) for _ in range(3))
    claim_records(model=pooled.model, ids=[first.pk, second.pk], by=member)
    clock.advance(hours=3)
    before = state(third)
    # when
    result = claim_records(model=pooled.model, ids=[third.pk], by=member)
    # then
    next_midnight = datetime.datetime(2027, 3, 2, 0, 0, tzinfo=SHANGHAI)
    assert_refused_and_unchanged(
        result,
        third,
        Refusal(
            "claim_limit_reached",
            "Daily claim limit 2/2 reached; you may claim again after 2027-03-02 00:00.",
            next_midnight,
        ),
        before=before,
        event_count=2,
    )
    assert tallies() == [{"pool": pooled.pool.pk, "user": member.pk, "day": TODAY, "claims": 2}]


def test_daily_limit_stops_a_batch_part_way(clock, pooled, member):
    # given
    set_rules(pooled.pool, claim_limit_per_day=2)
    records = [pooled.make(pool=pooled.pool) for _ in range(3)]
    ids = [record.pk for record in records]
    # when
    result = claim_records(model=pooled.model, ids=list(reversed(ids)), by=member)
    # then: ascending ids, so the last one is refused
    assert result.done == ids[:2]
    assert [(pk, refusal.code) for pk, refusal in result.refused] == [
        (ids[2], "claim_limit_reached")
    ]
    assert [state(record)["owner"] for record in records] == [member.pk, member.pk, None]


def test_daily_limit_resets_at_local_midnight(clock, pooled, member):
    # given: 23:30 and 00:10 in Shanghai are the same UTC day (15:30 and 16:10)
    clock.now = datetime.datetime(2027, 3, 1, 23, 30, tzinfo=SHANGHAI)
    set_rules(pooled.pool, claim_limit_per_day=1)
    first, second = pooled.make(pool=pooled.pool), pooled.make(pool=pooled.pool)
    claim_records(model=pooled.model, ids=[first.pk], by=member)
    assert claim_records(model=pooled.model, ids=[second.pk], by=member).done == []
    clock.advance(minutes=40)
    # when
    result = claim_records(model=pooled.model, ids=[second.pk], by=member)
    # then
    assert result.as_dict() == {"done": [second.pk], "refused": []}
    assert tallies() == [
        {
            "pool": pooled.pool.pk,
            "user": member.pk,
            "day": datetime.date(2027, 3, 2),
            "claims": 1,
        }
    ]


def test_daily_limit_counts_afresh_when_the_tally_is_from_an_earlier_day(clock, pooled, member):
    # given: yesterday's tally is full
    set_rules(pooled.pool, claim_limit_per_day=3)
    ClaimTally.objects.create(pool=pooled.pool, user=member, day=TODAY - DAY, claims=3)
    record = pooled.make(pool=pooled.pool)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert result.done == [record.pk]
    assert tallies() == [{"pool": pooled.pool.pk, "user": member.pk, "day": TODAY, "claims": 1}]


def test_daily_limit_is_per_member_and_per_pool(clock, pooled, member, rep_east):
    # given: member has used up the day's one claim in the pool
    set_rules(pooled.pool, claim_limit_per_day=1)
    other_pool = Pool.objects.create(name="Second pool", kind=pooled.pool.kind)
    other_pool.members.add(member)
    used, for_rep, elsewhere = (
        pooled.make(pool=pooled.pool),
        pooled.make(pool=pooled.pool),
        pooled.make(pool=other_pool),
    )
    claim_records(model=pooled.model, ids=[used.pk], by=member)
    # when
    by_rep = claim_records(model=pooled.model, ids=[for_rep.pk], by=rep_east)
    in_other_pool = claim_records(model=pooled.model, ids=[elsewhere.pk], by=member)
    # then
    assert by_rep.as_dict() == {"done": [for_rep.pk], "refused": []}
    assert in_other_pool.as_dict() == {"done": [elsewhere.pk], "refused": []}


def test_refused_claims_do_not_count_towards_the_daily_limit(clock, pooled, member):
    # given
    set_rules(pooled.pool, claim_limit_per_day=1, claim_reason_required=True)
    record = pooled.make(pool=pooled.pool)
    assert claim_records(model=pooled.model, ids=[record.pk], by=member).done == []
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member, reason="Hot")
    # then
    assert result.done == [record.pk]
    assert tallies() == [{"pool": pooled.pool.pk, "user": member.pk, "day": TODAY, "claims": 1}]


# --- most held ---------------------------------------------------------------------------


def test_claim_is_refused_when_the_member_holds_the_most_allowed(clock, pooled, member):
    # given
    set_rules(pooled.pool, max_held=2)
    pooled.make(pool=pooled.pool, owner=member)
    pooled.make(pool=pooled.pool, owner=member)
    record = pooled.make(pool=pooled.pool)
    before = state(record)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert_refused_and_unchanged(
        result,
        record,
        Refusal("max_held_reached", "You hold 2/2 records from this pool."),
        before=before,
        event_count=0,
    )


def test_most_held_counts_only_live_records_from_this_pool(clock, pooled, member, pool_admin):
    # given: one held here, one in another pool, one in the recycle bin
    set_rules(pooled.pool, max_held=2)
    other_pool = Pool.objects.create(name="Second pool", kind=pooled.pool.kind)
    pooled.make(pool=pooled.pool, owner=member)
    pooled.make(pool=other_pool, owner=member)
    pooled.make(owner=member)
    binned = pooled.make(pool=pooled.pool, owner=member)
    delete_records(model=pooled.model, ids=[binned.pk], by=pool_admin)
    record = pooled.make(pool=pooled.pool)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}


def test_most_held_leaves_converted_records_out_by_default(clock, pooled, member):
    # given: one open and one converted (won) record held from the pool
    set_rules(pooled.pool, max_held=2, max_held_counts_converted=False)
    pooled.make(pool=pooled.pool, owner=member)
    pooled.make(pool=pooled.pool, owner=member, status=pooled.converted)
    record = pooled.make(pool=pooled.pool)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}


def test_most_held_counts_converted_records_when_the_pool_says_so(clock, pooled, member):
    # given: one open and one converted (won) record held from the pool
    set_rules(pooled.pool, max_held=2, max_held_counts_converted=True)
    pooled.make(pool=pooled.pool, owner=member)
    pooled.make(pool=pooled.pool, owner=member, status=pooled.converted)
    record = pooled.make(pool=pooled.pool)
    before = state(record)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert_refused_and_unchanged(
        result,
        record,
        Refusal("max_held_reached", "You hold 2/2 records from this pool."),
        before=before,
        event_count=0,
    )


# --- cooldown ----------------------------------------------------------------------------


def test_previous_owner_may_not_claim_a_returned_record_during_the_cooldown(
    clock, pooled, member, rep_east
):
    # given
    set_rules(pooled.pool, reclaim_cooldown_hours=24)
    record = pooled.make(pool=pooled.pool)
    claim_records(model=pooled.model, ids=[record.pk], by=member)
    clock.advance(hours=1)
    return_records(model=pooled.model, ids=[record.pk], by=member, reason="无法联系")
    clock.advance(hours=5)
    before = state(record)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert_refused_and_unchanged(
        result,
        record,
        Refusal(
            "cooldown",
            "You gave up this record at 2027-03-01 11:00; "
            "you may claim it again after 2027-03-02 11:00.",
            NOW + HOUR + 24 * HOUR,
        ),
        before=before,
        event_count=2,
    )
    # and others are unaffected
    assert claim_records(model=pooled.model, ids=[record.pk], by=rep_east).done == [record.pk]


def test_previous_owner_may_not_claim_a_reclaimed_record_during_the_cooldown(
    clock, pooled, member, pool_admin
):
    # given
    set_rules(pooled.pool, reclaim_cooldown_hours=8)
    record = pooled.make(pool=pooled.pool, owner=member)
    reclaim_records(model=pooled.model, ids=[record.pk], by=pool_admin)
    clock.advance(hours=7, minutes=59)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert result.done == []
    assert result.refused == [
        (
            record.pk,
            Refusal(
                "cooldown",
                "You gave up this record at 2027-03-01 10:00; "
                "you may claim it again after 2027-03-01 18:00.",
                NOW + 8 * HOUR,
            ),
        )
    ]


def test_previous_owner_may_claim_again_once_the_cooldown_is_over(
    clock, pooled, member, pool_admin
):
    # given
    set_rules(pooled.pool, reclaim_cooldown_hours=8)
    record = pooled.make(pool=pooled.pool, owner=member)
    reclaim_records(model=pooled.model, ids=[record.pk], by=pool_admin)
    clock.advance(hours=8)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}


# --- embargo and reason ------------------------------------------------------------------


def test_record_newly_in_the_pool_is_under_embargo(clock, pooled, member):
    # given
    set_rules(pooled.pool, claim_embargo_hours=2)
    record = pooled.make(pool=pooled.pool)  # pooled at NOW
    clock.advance(hours=1)
    before = state(record)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert_refused_and_unchanged(
        result,
        record,
        Refusal(
            "embargo",
            "This record entered the pool at 2027-03-01 10:00; "
            "it may be claimed after 2027-03-01 12:00.",
            NOW + 2 * HOUR,
        ),
        before=before,
        event_count=0,
    )
    assert tallies() == []


def test_embargo_ends_after_its_hours(clock, pooled, member):
    # given
    set_rules(pooled.pool, claim_embargo_hours=2)
    record = pooled.make(pool=pooled.pool)
    clock.advance(hours=2)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}


@pytest.mark.parametrize("reason", ["", "   "])
def test_claim_without_a_reason_is_refused_when_the_pool_asks_for_one(
    clock, pooled, member, reason
):
    # given
    set_rules(pooled.pool, claim_reason_required=True)
    record = pooled.make(pool=pooled.pool)
    before = state(record)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member, reason=reason)
    # then
    assert_refused_and_unchanged(
        result,
        record,
        Refusal("reason_required", "This pool asks for a reason to claim."),
        before=before,
        event_count=0,
    )


def test_claim_with_a_reason_succeeds_when_the_pool_asks_for_one(clock, pooled, member):
    # given
    set_rules(pooled.pool, claim_reason_required=True)
    record = pooled.make(pool=pooled.pool)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member, reason="老客户介绍")
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert events(record) == [claim_event(by=member, pool=pooled.pool, reason="老客户介绍")]


# --- batches -----------------------------------------------------------------------------


def test_batch_claims_what_it_may_and_explains_the_rest(clock, pooled, member, rep_west):
    # given
    claimable = pooled.make(pool=pooled.pool)
    mine = pooled.make(pool=pooled.pool, owner=member)
    theirs = pooled.make(pool=pooled.pool, owner=rep_west)
    unknown = theirs.pk + 1000
    # when
    result = claim_records(
        model=pooled.model, ids=[unknown, theirs.pk, mine.pk, claimable.pk], by=member
    )
    # then
    assert result.as_dict() == {
        "done": [claimable.pk],
        "refused": [
            {"id": mine.pk, "code": "already_owned", "message": "You already own this record."},
            {"id": theirs.pk, "code": "not_in_scope", "message": "No such record."},
            {"id": unknown, "code": "not_in_scope", "message": "No such record."},
        ],
    }
    assert [state(record)["owner"] for record in (claimable, mine, theirs)] == [
        member.pk,
        member.pk,
        rep_west.pk,
    ]
    assert Event.objects.count() == 1


def test_duplicate_ids_claim_the_record_once(clock, pooled, member):
    # given
    record = pooled.make(pool=pooled.pool)
    # when
    result = claim_records(
        model=pooled.model, ids=[record.pk, str(record.pk), record.pk], by=member
    )
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert len(events(record)) == 1
    assert tallies() == [{"pool": pooled.pool.pk, "user": member.pk, "day": TODAY, "claims": 1}]


def test_ids_that_are_not_positive_integers_are_refused(clock, pooled, member):
    # given
    record = pooled.make(pool=pooled.pool)
    # when
    result = claim_records(
        model=pooled.model, ids=["abc", None, record.pk, "0", -3, "", 10**20], by=member
    )
    # then: past any database integer is simply not found
    assert result.done == [record.pk]
    assert result.refused == [
        ("abc", NOT_IN_SCOPE),
        (None, NOT_IN_SCOPE),
        (0, NOT_IN_SCOPE),
        (-3, NOT_IN_SCOPE),
        ("", NOT_IN_SCOPE),
        (10**20, NOT_IN_SCOPE),
    ]
