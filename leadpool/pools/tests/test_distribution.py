"""Distribution when records enter a pool unassigned (`pools.distribution`), through the
paths that call it: `create_record` into a pool and `assign_records(to_pool=…)`.

PRODUCT.md "Pool rules": ordered routing conditions first, then manual, round robin
or load balanced over the pool's distribution members, respecting `max_held` and
skipping deactivated users. The pure decisions are tested in
`test_distribution_decisions.py`.
"""

import collections
import datetime
import threading
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadpool.accounts.models import User
from leadpool.customers.models import Customer
from leadpool.fields.models import CustomField
from leadpool.history.models import Event, Notification
from leadpool.leads.models import Lead
from leadpool.pools.distribution import distribute_records
from leadpool.pools.models import DistributionCursor, Pool
from leadpool.pools.records import create_record
from leadpool.pools.services import (
    assign_records,
    compute_reclaim_at,
    reclaim_records,
    return_records,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def clock(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield NOW


def make_reps(departments, count: int, prefix: str = "rep") -> list[User]:
    """Sales reps in East Sales, hence members of the personas' pools through it."""
    return [
        User.objects.create_user(
            username=f"{prefix}{n}", password="pw", department=departments["east"]
        )
        for n in range(1, count + 1)
    ]


@pytest.fixture
def reps(departments) -> list[User]:
    return make_reps(departments, 3)


def distributing(pool: Pool, strategy: str, members, **rules) -> Pool:
    for field, value in {"distribution": strategy, **rules}.items():
        setattr(pool, field, value)
    pool.save()
    pool.distribution_members.set(members)
    return pool


def create(pool: Pool, by: User, model=Lead, **data):
    return create_record(model=model, by=by, data={"name": "Zhang San", **data}, pool=pool.pk)


def owners_count(pool: Pool, model=Lead) -> dict[int, int]:
    return collections.Counter(
        model.objects.filter(pool=pool, owner__isnull=False).values_list("owner_id", flat=True)
    )


# --- round robin -----------------------------------------------------------------------------


def test_round_robin_over_three_members_across_three_batches_stays_within_one(
    lead_pool, pool_admin, reps
):
    # given
    distributing(lead_pool, "round_robin", reps)
    for size in (4, 5, 7):
        # when: a batch of creates, each from a pool read afresh (nothing kept in memory)
        pool = Pool.objects.get(pk=lead_pool.pk)
        for _n in range(size):
            create(pool, pool_admin)
        # then
        counts = owners_count(lead_pool)
        assert max(counts[rep.pk] for rep in reps) - min(counts[rep.pk] for rep in reps) <= 1
    assert sorted(owners_count(lead_pool).values()) == [5, 5, 6]
    assert not Lead.objects.filter(owner__isnull=True).exists()


def test_round_robin_goes_on_where_it_stopped_after_a_restart(lead_pool, pool_admin, reps):
    # given: the first member got the last record, as far as the database knows
    distributing(lead_pool, "round_robin", reps)
    DistributionCursor.objects.create(pool=lead_pool, last_user=reps[0])
    # when
    leads = [create(lead_pool, pool_admin) for _n in range(4)]
    # then: the rotation continues from the stored cursor, in id order
    assert [lead.owner_id for lead in leads] == [reps[1].pk, reps[2].pk, reps[0].pk, reps[1].pk]
    assert DistributionCursor.objects.get(pool=lead_pool).last_user == reps[1]


def test_a_distributed_record_is_assigned_with_its_history_notification_and_reclaim_time(
    clock, lead_pool, pool_admin, reps
):
    # given
    distributing(lead_pool, "round_robin", reps, reclaim_no_followup_days=7)
    # when
    lead = create(lead_pool, pool_admin)
    # then
    stored = Lead.objects.values(
        "owner", "pool", "assigned_at", "pooled_at", "claimed_at", "reclaim_at"
    ).get(pk=lead.pk)
    assert stored == {
        "owner": reps[0].pk,
        "pool": lead_pool.pk,
        "assigned_at": NOW,
        "pooled_at": None,
        "claimed_at": None,
        "reclaim_at": NOW + 7 * DAY,
    }
    assert (lead.owner_id, lead.reclaim_at, lead.pooled_at) == (reps[0].pk, NOW + 7 * DAY, None)
    assert list(
        Event.objects.filter(lead=lead)
        .order_by("id")
        .values_list("action", "actor", "from_owner", "to_owner", "from_pool", "to_pool", "rule")
    ) == [
        ("create", pool_admin.pk, None, None, None, lead_pool.pk, ""),
        ("assign", pool_admin.pk, None, reps[0].pk, lead_pool.pk, lead_pool.pk,
         "distribution:round_robin"),
    ]  # fmt: skip
    assert list(Notification.objects.values_list("user", "kind", "lead", "actor", "details")) == [
        (
            reps[0].pk,
            "assigned",
            lead.pk,
            pool_admin.pk,
            {
                "record": "Zhang San",
                "pool": "Lead pool",
                "actor": str(pool_admin),
                "rule": "distribution:round_robin",
            },
        )
    ]


def test_a_member_whose_own_creation_comes_back_to_him_is_not_notified(lead_pool, reps):
    # given
    distributing(lead_pool, "round_robin", reps)
    # when
    lead = create(lead_pool, reps[0])
    # then
    assert lead.owner_id == reps[0].pk
    assert Event.objects.filter(lead=lead, action="assign", to_owner=reps[0]).count() == 1
    assert not Notification.objects.exists()


def test_customers_are_distributed_alike(customer_pool, pool_admin, reps):
    # given
    distributing(customer_pool, "round_robin", reps)
    # when
    customers = [create(customer_pool, pool_admin, model=Customer) for _n in range(4)]
    # then
    assert [c.owner_id for c in customers] == [reps[0].pk, reps[1].pk, reps[2].pk, reps[0].pk]


# --- load balanced ---------------------------------------------------------------------------


def test_load_balancing_evens_out_uneven_holdings(lead_pool, pool_admin, reps, make_lead):
    # given: 5, 2 and 0 open leads; the third rep's converted leads do not count
    for rep, open_count, converted in ((reps[0], 5, 0), (reps[1], 2, 0), (reps[2], 0, 4)):
        for _n in range(open_count):
            make_lead(pool=lead_pool, owner=rep)
        for _n in range(converted):
            make_lead(pool=lead_pool, owner=rep, status=Lead.Status.CONVERTED)
    distributing(lead_pool, "load_balanced", reps)
    # when
    for _n in range(8):
        create(lead_pool, pool_admin)
    # then
    open_leads = collections.Counter(
        Lead.objects.filter(pool=lead_pool)
        .exclude(status=Lead.Status.CONVERTED)
        .values_list("owner_id", flat=True)
    )
    assert [open_leads[rep.pk] for rep in reps] == [5, 5, 5]


def test_load_balancing_ignores_holdings_in_other_pools_and_the_recycle_bin(
    lead_pool, pool_admin, reps, make_lead, clock
):
    # given: the first rep holds much elsewhere and a deleted lead here
    elsewhere = Pool.objects.create(name="Elsewhere")
    for _n in range(3):
        make_lead(pool=elsewhere, owner=reps[0])
    make_lead(pool=lead_pool, owner=reps[0], deleted_at=NOW)
    make_lead(pool=lead_pool, owner=reps[1])
    make_lead(pool=lead_pool, owner=reps[2])
    distributing(lead_pool, "load_balanced", reps)
    # when
    lead = create(lead_pool, pool_admin)
    # then
    assert lead.owner_id == reps[0].pk


def test_load_balancing_ties_take_turns(lead_pool, pool_admin, reps):
    # given
    distributing(lead_pool, "load_balanced", reps)
    # when
    leads = [create(lead_pool, pool_admin) for _n in range(6)]
    # then
    assert [lead.owner_id for lead in leads] == [rep.pk for rep in reps] * 2


# --- who is skipped ------------------------------------------------------------------------


def test_members_at_the_most_held_are_skipped_and_then_nobody_gets_it(
    lead_pool, pool_admin, reps, make_lead
):
    # given: the pool allows 2 each; the first rep holds 2 already
    distributing(lead_pool, "round_robin", reps, max_held=2)
    make_lead(pool=lead_pool, owner=reps[0])
    make_lead(pool=lead_pool, owner=reps[0])
    # when
    leads = [create(lead_pool, pool_admin) for _n in range(5)]
    # then: the others fill up, the fifth waits in the pool
    assert [lead.owner_id for lead in leads] == [
        reps[1].pk, reps[2].pk, reps[1].pk, reps[2].pk, None,
    ]  # fmt: skip
    assert leads[4].pooled_at is not None
    assert not Event.objects.filter(lead=leads[4], action="assign").exists()


def test_deactivated_members_are_skipped(lead_pool, pool_admin, reps):
    # given
    distributing(lead_pool, "round_robin", reps)
    User.objects.filter(pk=reps[1].pk).update(is_active=False)
    # when
    leads = [create(lead_pool, pool_admin) for _n in range(4)]
    # then
    assert [lead.owner_id for lead in leads] == [reps[0].pk, reps[2].pk] * 2


def test_with_every_member_deactivated_records_stay_unassigned(lead_pool, pool_admin, reps):
    # given
    distributing(lead_pool, "load_balanced", reps)
    User.objects.filter(pk__in=[rep.pk for rep in reps]).update(is_active=False)
    # when
    lead = create(lead_pool, pool_admin)
    # then
    assert (lead.owner_id, lead.pool_id) == (None, lead_pool.pk)
    assert not Notification.objects.exists()


def test_manual_distribution_leaves_records_unassigned(clock, lead_pool, pool_admin, reps):
    # given: members chosen, but the pool distributes by hand
    distributing(lead_pool, "manual", reps)
    # when
    lead = create(lead_pool, pool_admin)
    # then
    assert Lead.objects.values("owner", "pooled_at", "assigned_at").get(pk=lead.pk) == {
        "owner": None,
        "pooled_at": NOW,
        "assigned_at": None,
    }
    assert list(Event.objects.values_list("action", flat=True)) == ["create"]
    assert not Notification.objects.exists()
    assert not DistributionCursor.objects.exists()


def test_a_record_created_for_an_owner_is_not_distributed(lead_pool, pool_admin, reps, member):
    # given
    distributing(lead_pool, "round_robin", reps)
    # when
    lead = create_record(
        model=Lead, by=pool_admin, data={"name": "Li"}, pool=lead_pool, owner=member
    )
    # then
    assert lead.owner_id == member.pk
    assert not Event.objects.filter(action="assign").exists()


# --- routing ------------------------------------------------------------------------------


@pytest.fixture
def shanghai_rep(departments) -> User:
    return User.objects.create_user(
        username="shanghai", password="pw", department=departments["east"]
    )


def test_routing_sends_shanghai_leads_to_the_shanghai_rep(
    clock, lead_pool, pool_admin, reps, shanghai_rep
):
    # given: routing before round robin
    distributing(lead_pool, "round_robin", reps, reclaim_not_converted_days=30)
    lead_pool.routing = [{"when": {"region": {"equals": "上海"}}, "to_user": shanghai_rep.pk}]
    lead_pool.save()
    # when
    shanghai = create(lead_pool, pool_admin, region="上海")
    beijing = create(lead_pool, pool_admin, region="北京")
    # then
    assert (shanghai.owner_id, beijing.owner_id) == (shanghai_rep.pk, reps[0].pk)
    assert shanghai.reclaim_at == NOW + 30 * DAY
    assert list(
        Event.objects.filter(lead=shanghai, action="assign").values_list("to_owner", "rule")
    ) == [(shanghai_rep.pk, "routing")]
    assert Notification.objects.filter(user=shanghai_rep, lead=shanghai, kind="assigned").exists()
    # routing does not move the rotation
    assert DistributionCursor.objects.get(pool=lead_pool).last_user == reps[0]


def test_routing_applies_in_a_manual_pool_too(lead_pool, pool_admin, shanghai_rep):
    # given
    lead_pool.routing = [{"when": {"region": {"equals": "上海"}}, "to_user": shanghai_rep.pk}]
    lead_pool.save()
    # when
    lead = create(lead_pool, pool_admin, region="上海")
    # then
    assert lead.owner_id == shanghai_rep.pk


@pytest.mark.parametrize(
    ("condition", "data", "routed"),
    [
        ({"source": {"in": ["展会", "官网"]}}, {"source": "官网"}, True),
        ({"source": {"in": ["展会", "官网"]}}, {"source": "转介绍"}, False),
        ({"industry": {"contains": "制造"}}, {"industry": "智能制造业"}, True),
        ({"industry": {"contains": "制造"}}, {"industry": "金融"}, False),
        ({"region": {"empty": True}}, {}, True),
        ({"region": {"empty": True}}, {"region": "上海"}, False),
        ({"region": {"empty": False}}, {"region": "上海"}, True),
        ({"custom.tier": {"equals": "VIP"}}, {"custom": {"tier": "VIP"}}, True),
        ({"custom.tier": {"equals": "VIP"}}, {"custom": {"tier": "SME"}}, False),
        ({"custom.tier": {"empty": True}}, {}, True),
        (
            {"region": {"equals": "上海"}, "source": {"equals": "展会"}},
            {"region": "上海", "source": "官网"},
            False,
        ),
    ],
)
def test_routing_conditions(lead_pool, pool_admin, shanghai_rep, condition, data, routed):
    # given
    CustomField.objects.create(entity="lead", key="tier", label="Tier", type="text")
    lead_pool.routing = [{"when": condition, "to_user": shanghai_rep.pk}]
    lead_pool.save()
    # when
    lead = create(lead_pool, pool_admin, **data)
    # then
    assert lead.owner_id == (shanghai_rep.pk if routed else None)


def test_the_first_matching_routing_entry_wins(lead_pool, pool_admin, reps, shanghai_rep):
    # given
    lead_pool.routing = [
        {"when": {"region": {"contains": "上"}}, "to_user": shanghai_rep.pk},
        {"when": {"region": {"equals": "上海"}}, "to_user": reps[0].pk},
    ]
    lead_pool.save()
    # when
    lead = create(lead_pool, pool_admin, region="上海")
    # then
    assert lead.owner_id == shanghai_rep.pk


def test_routing_to_a_deactivated_user_falls_back_to_the_pool_default(
    lead_pool, pool_admin, reps, shanghai_rep
):
    # given
    distributing(lead_pool, "round_robin", reps)
    lead_pool.routing = [{"when": {}, "to_user": shanghai_rep.pk}]
    lead_pool.save()
    User.objects.filter(pk=shanghai_rep.pk).update(is_active=False)
    # when
    lead = create(lead_pool, pool_admin)
    # then
    assert lead.owner_id == reps[0].pk
    assert Event.objects.get(lead=lead, action="assign").rule == "distribution:round_robin"


def test_routing_to_a_user_at_the_most_held_falls_back_to_the_pool_default(
    lead_pool, pool_admin, reps, shanghai_rep, make_lead
):
    # given
    distributing(lead_pool, "manual", [], max_held=1)
    make_lead(pool=lead_pool, owner=shanghai_rep)
    lead_pool.routing = [{"when": {}, "to_user": shanghai_rep.pk}]
    lead_pool.save()
    # when
    lead = create(lead_pool, pool_admin)
    # then
    assert lead.owner_id is None


@pytest.fixture
def second_pool(pool_admin) -> Pool:
    pool = Pool.objects.create(name="Beijing leads", kind=Pool.Kind.LEAD)
    pool.admins.add(pool_admin)
    return pool


def test_routing_to_another_pool_applies_that_pools_distribution(
    clock, lead_pool, second_pool, pool_admin, reps
):
    # given: the first pool is manual and routes Beijing to a round-robin pool
    lead_pool.routing = [{"when": {"region": {"equals": "北京"}}, "to_pool": second_pool.pk}]
    lead_pool.save()
    distributing(second_pool, "round_robin", reps[1:])
    # when
    leads = [create(lead_pool, pool_admin, region="北京") for _n in range(3)]
    stays = create(lead_pool, pool_admin, region="上海")
    # then
    assert [(lead.pool_id, lead.owner_id) for lead in leads] == [
        (second_pool.pk, reps[1].pk), (second_pool.pk, reps[2].pk), (second_pool.pk, reps[1].pk),
    ]  # fmt: skip
    assert (stays.pool_id, stays.owner_id) == (lead_pool.pk, None)
    assert list(
        Event.objects.filter(lead=leads[0])
        .order_by("id")
        .values_list("action", "from_pool", "to_pool", "to_owner", "rule")
    ) == [
        ("create", None, lead_pool.pk, None, ""),
        ("assign_to_pool", lead_pool.pk, second_pool.pk, None, "routing"),
        ("assign", second_pool.pk, second_pool.pk, reps[1].pk, "distribution:round_robin"),
    ]


def test_a_routed_record_follows_the_next_pools_routing_too(
    lead_pool, second_pool, pool_admin, shanghai_rep
):
    # given
    lead_pool.routing = [{"when": {}, "to_pool": second_pool.pk}]
    lead_pool.save()
    second_pool.routing = [{"when": {"region": {"equals": "上海"}}, "to_user": shanghai_rep.pk}]
    second_pool.save()
    # when
    lead = create(lead_pool, pool_admin, region="上海")
    # then
    assert (lead.pool_id, lead.owner_id) == (second_pool.pk, shanghai_rep.pk)


def test_a_routing_loop_saved_around_configuration_stops_in_the_pool_it_reached(
    lead_pool, second_pool, pool_admin, reps
):
    # given: A → B → A, written straight to the database
    lead_pool.routing = [{"when": {}, "to_pool": second_pool.pk}]
    lead_pool.save()
    second_pool.routing = [{"when": {}, "to_pool": lead_pool.pk}]
    second_pool.save()
    distributing(second_pool, "round_robin", reps)
    # when
    lead = create(lead_pool, pool_admin)
    # then
    assert (lead.pool_id, lead.owner_id) == (second_pool.pk, reps[0].pk)
    assert Event.objects.filter(lead=lead, action="assign_to_pool").count() == 1


# --- assign to pool, reclaim, return -----------------------------------------------------


def test_assigning_records_to_a_pool_applies_its_distribution(
    clock, lead_pool, second_pool, pool_admin, reps, rep_west, make_lead
):
    # given: two of rep_west's leads and an unassigned one, sent to a round-robin pool
    distributing(second_pool, "round_robin", reps, reclaim_no_followup_days=3)
    leads = [
        make_lead(pool=lead_pool, owner=rep_west),
        make_lead(pool=lead_pool, owner=rep_west),
        make_lead(pool=lead_pool),
    ]
    # when
    result = assign_records(
        model=Lead, ids=[lead.pk for lead in leads], by=pool_admin, to_pool=second_pool.pk
    )
    # then
    assert result.refused == []
    assert list(
        Lead.objects.order_by("pk").values_list("pool", "owner", "assigned_at", "reclaim_at")
    ) == [(second_pool.pk, rep.pk, NOW, NOW + 3 * DAY) for rep in reps]
    assert list(
        Event.objects.filter(lead=leads[0])
        .order_by("id")
        .values_list("action", "actor", "from_owner", "to_owner", "rule")
    ) == [
        ("assign_to_pool", pool_admin.pk, rep_west.pk, None, ""),
        ("assign", pool_admin.pk, None, reps[0].pk, "distribution:round_robin"),
    ]
    assert sorted(
        Notification.objects.filter(kind="assigned").values_list("user", "lead")
    ) == sorted((rep.pk, lead.pk) for rep, lead in zip(reps, leads, strict=True))


def test_reclaimed_and_returned_records_wait_in_the_pool_for_members(
    lead_pool, pool_admin, reps, rep_east, make_lead
):
    # given: reclaims and returns are not redistributed (no pool setting asks for it)
    distributing(lead_pool, "round_robin", reps)
    reclaimed = make_lead(pool=lead_pool, owner=rep_east)
    returned = make_lead(pool=lead_pool, owner=rep_east)
    # when
    reclaim_records(model=Lead, ids=[reclaimed.pk], by=pool_admin)
    return_records(model=Lead, ids=[returned.pk], by=rep_east, reason="无法联系")
    # then
    assert list(Lead.objects.values_list("owner", flat=True)) == [None, None]
    assert not Event.objects.filter(action="assign").exists()


# --- batches -------------------------------------------------------------------------------


def test_a_batch_is_distributed_in_a_constant_number_of_queries(lead_pool, reps, make_lead):
    # given
    distributing(lead_pool, "load_balanced", reps, reclaim_no_followup_days=5)
    DistributionCursor.objects.create(pool=lead_pool)  # the first batch also creates it

    def queries_for(count: int) -> int:
        leads = [make_lead(pool=lead_pool) for _n in range(count)]
        with CaptureQueriesContext(connection) as captured:
            assigned = distribute_records(Lead, leads, by=None)
        assert len(assigned) == count
        return len(captured)

    # then: as many queries for 60 records as for 6
    assert queries_for(6) == queries_for(60)
    assert sorted(owners_count(lead_pool).values()) == [22, 22, 22]
    lead = Lead.objects.first()
    assert lead.reclaim_at == compute_reclaim_at(lead, lead_pool)
    assert Event.objects.filter(action="assign", actor__isnull=True).count() == 66
    assert Notification.objects.filter(kind="assigned", actor__isnull=True).count() == 66


# --- several workers at once ----------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_eight_threads_creating_400_records_give_four_members_100_each():
    if connection.vendor != "postgresql":
        pytest.skip(
            f"needs real concurrent PostgreSQL connections; this run is on {connection.vendor}, "
            "whose in-memory test database fails concurrent writers at once"
        )
    # given
    admin = User.objects.create(username="pooladmin", password="!")
    members = User.objects.bulk_create(
        User(username=f"racer{n}", password="!", role=User.Role.SALES) for n in range(4)
    )
    pool = Pool.objects.create(name="Race", distribution="round_robin")
    pool.admins.add(admin)
    pool.members.add(*members)
    pool.distribution_members.set(members)
    barrier = threading.Barrier(9)
    errors: list[BaseException] = []

    def creator() -> None:
        try:
            barrier.wait(timeout=30)
            for _n in range(50):
                create(pool, admin)
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=creator, daemon=True) for _n in range(8)]
    for thread in threads:
        thread.start()
    # when
    barrier.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=120)
    # then
    assert not errors, errors[0]
    assert not [thread for thread in threads if thread.is_alive()]
    assert owners_count(pool) == {member.pk: 100 for member in members}
    assert Event.objects.filter(action="assign").count() == 400
