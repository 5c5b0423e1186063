"""The pool option to hand reclaimed records out again (`Pool.redistribute_reclaimed`).

PRODUCT.md "Pool rules": distribution applies when records enter a pool, "reclaimed if
the admin wishes". With the option, a manual reclaim (`reclaim_records`) and the
automatic reclaim sweep (`run_rules`, on its ORM path and its PostgreSQL single-statement
path) run the pool's routing and distribution on what they took back, never handing a
record straight back to the owner it was just taken from. Returns are never handed out.
"""

import datetime
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leadpool.accounts.models import User
from leadpool.customers.models import Customer
from leadpool.history.models import Event, Notification
from leadpool.leads.models import Lead
from leadpool.pools import automation
from leadpool.pools.automation import NO_FOLLOWUP, run_rules
from leadpool.pools.configuration import create_pool, update_pool
from leadpool.pools.distribution import MemberLoad, plan_distribution
from leadpool.pools.models import DistributionCursor, Pool
from leadpool.pools.services import reclaim_records, refresh_reclaim_at, return_records

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI)
DAY = datetime.timedelta(days=1)
ROUND_ROBIN = "distribution:round_robin"
HISTORY = ("action", "actor", "from_owner", "to_owner", "from_pool", "to_pool", "rule", "at")


@pytest.fixture
def clock(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield NOW


@pytest.fixture
def reps(departments) -> list[User]:
    """Three sales reps in East Sales, hence members of the personas' pools through it."""
    return [
        User.objects.create_user(username=f"rep{n}", password="pw", department=departments["east"])
        for n in (1, 2, 3)
    ]


def round_robin(pool: Pool, members, **rules) -> Pool:
    for field, value in {"distribution": Pool.Distribution.ROUND_ROBIN, **rules}.items():
        setattr(pool, field, value)
    pool.save()
    pool.distribution_members.set(members)
    return pool


def history(lead: Lead) -> list[tuple]:
    return list(Event.objects.filter(lead=lead).order_by("id").values_list(*HISTORY))


def state() -> tuple:
    """Everything a sweep may change, to assert that nothing did."""
    return (
        list(Lead.objects.order_by("pk").values_list()),
        list(Customer.objects.order_by("pk").values_list()),
        Event.objects.count(),
        Notification.objects.count(),
        list(DistributionCursor.objects.values_list()),
    )


# --- the pure decision -------------------------------------------------------------------


def test_round_robin_passes_over_the_member_a_record_was_just_taken_from():
    # when: the first record may not go to 1, the third not to 2
    owners, last = plan_distribution(
        "round_robin", [1, 2, 3], count=3, loads={}, max_held=None, last_user_id=None,
        excluded=[1, None, 2],
    )  # fmt: skip
    # then: 1 is passed over, not dropped from the turn: it takes the third
    assert (owners, last) == ([2, 3, 1], 1)


def test_load_balancing_passes_over_the_emptiest_member_when_it_was_taken_from():
    # given
    loads = {1: MemberLoad(open=0, held=0), 2: MemberLoad(open=4, held=4), 3: MemberLoad(3, 3)}
    # when
    owners, last = plan_distribution(
        "load_balanced", [1, 2, 3], count=2, loads=loads, max_held=None, last_user_id=None,
        excluded=[1, None],
    )  # fmt: skip
    # then
    assert (owners, last) == ([3, 1], 1)


def test_a_record_only_its_previous_owner_could_take_stays_unassigned_and_the_next_goes_on():
    # when
    owners, last = plan_distribution(
        "round_robin", [1], count=2, loads={}, max_held=None, last_user_id=None,
        excluded=[1, None],
    )  # fmt: skip
    # then
    assert (owners, last) == ([None, 1], 1)


# --- a manual reclaim --------------------------------------------------------------------


def test_a_manual_reclaim_hands_the_record_to_the_next_member_not_back_to_its_owner(
    clock, lead_pool, pool_admin, reps, make_lead
):
    # given: the turn would come to reps[1], who owns the lead
    round_robin(lead_pool, reps, redistribute_reclaimed=True, reclaim_no_followup_days=7)
    DistributionCursor.objects.create(pool=lead_pool, last_user=reps[0])
    lead = make_lead(pool=lead_pool, owner=reps[1], claimed_at=NOW - 3 * DAY)
    # when
    result = reclaim_records(model=Lead, ids=[lead.pk], by=pool_admin, reason="no progress")
    # then: reps[1] is passed over for this record
    assert result.done == [lead.pk]
    stored = Lead.objects.values("owner", "pool", "assigned_at", "pooled_at", "reclaim_at")
    assert stored.get(pk=lead.pk) == {
        "owner": reps[2].pk,
        "pool": lead_pool.pk,
        "assigned_at": NOW,
        "pooled_at": None,
        "reclaim_at": NOW + 7 * DAY,
    }
    assert history(lead) == [
        ("reclaim", pool_admin.pk, reps[1].pk, None, lead_pool.pk, lead_pool.pk, "", NOW),
        ("assign", pool_admin.pk, None, reps[2].pk, lead_pool.pk, lead_pool.pk, ROUND_ROBIN, NOW),
    ]
    assert sorted(Notification.objects.values_list("user", "kind", "lead")) == sorted(
        [(reps[1].pk, "reclaimed", lead.pk), (reps[2].pk, "assigned", lead.pk)]
    )
    assert DistributionCursor.objects.get(pool=lead_pool).last_user == reps[2]


def test_without_the_option_a_reclaimed_record_stays_unassigned_in_its_pool(
    clock, lead_pool, pool_admin, reps, make_lead
):
    # given
    round_robin(lead_pool, reps)
    lead = make_lead(pool=lead_pool, owner=reps[1])
    # when
    reclaim_records(model=Lead, ids=[lead.pk], by=pool_admin)
    # then
    lead.refresh_from_db()
    assert (lead.owner, lead.pool, lead.pooled_at) == (None, lead_pool, NOW)
    assert [event[0] for event in history(lead)] == ["reclaim"]
    assert not DistributionCursor.objects.exists()


def test_a_reclaimed_record_only_its_owner_could_take_stays_unassigned(
    clock, lead_pool, pool_admin, reps, make_lead
):
    # given
    round_robin(lead_pool, [reps[0]], redistribute_reclaimed=True)
    lead = make_lead(pool=lead_pool, owner=reps[0])
    # when
    reclaim_records(model=Lead, ids=[lead.pk], by=pool_admin)
    # then
    lead.refresh_from_db()
    assert (lead.owner, lead.pooled_at) == (None, NOW)
    assert [event[0] for event in history(lead)] == ["reclaim"]


def test_routing_to_the_owner_a_record_was_reclaimed_from_falls_to_the_default(
    clock, lead_pool, pool_admin, reps, make_lead
):
    # given: routing would send every lead to reps[0], who owns this one
    round_robin(
        lead_pool, [reps[0], reps[1]], redistribute_reclaimed=True,
        routing=[{"when": {}, "to_user": reps[0].pk}],
    )  # fmt: skip
    lead = make_lead(pool=lead_pool, owner=reps[0])
    # when
    reclaim_records(model=Lead, ids=[lead.pk], by=pool_admin)
    # then
    lead.refresh_from_db()
    assert lead.owner == reps[1]
    assert history(lead)[-1][:4] == ("assign", pool_admin.pk, None, reps[1].pk)
    assert history(lead)[-1][6] == ROUND_ROBIN


def test_a_returned_record_is_not_handed_out_again(clock, lead_pool, reps, make_lead):
    # given
    round_robin(lead_pool, reps, redistribute_reclaimed=True)
    lead = make_lead(pool=lead_pool, owner=reps[1])
    # when
    result = return_records(model=Lead, ids=[lead.pk], by=reps[1], reason="无意向")
    # then
    assert result.done == [lead.pk]
    lead.refresh_from_db()
    assert (lead.owner, lead.pooled_at) == (None, NOW)
    assert [event[0] for event in history(lead)] == ["return"]
    assert not DistributionCursor.objects.exists()


# --- the automatic reclaim sweep ---------------------------------------------------------


@pytest.fixture(params=["orm", "single_statement"])
def sweep_path(request):
    """Each of the sweep's two reclaim paths; the ORM one is forced on PostgreSQL too."""
    if request.param == "single_statement":
        if connection.vendor != "postgresql":
            pytest.skip(f"the single-statement reclaim runs on PostgreSQL, not {connection.vendor}")
        yield request.param
        return
    with mock.patch.object(automation, "connection", SimpleNamespace(vendor="sqlite")):
        yield request.param


def overdue_leads(make_lead, pool: Pool, owner: User, count: int) -> list[Lead]:
    """Leads claimed 8 days ago in a pool that reclaims after 7 days without a follow-up."""
    leads = []
    for n in range(count):
        lead = make_lead(
            pool=pool, owner=owner, name=f"Lead {n}", claimed_at=timezone.now() - 8 * DAY
        )
        refresh_reclaim_at(lead)
        leads.append(lead)
    return leads


@pytest.fixture
def sweeping_pool(lead_pool, reps):
    return round_robin(
        lead_pool, reps, redistribute_reclaimed=True, reclaim_no_followup_days=7,
        reclaim_cooldown_hours=24,
    )  # fmt: skip


def test_the_sweep_hands_reclaimed_leads_to_other_members_after_writing_the_reclaim(
    sweep_path, sweeping_pool, reps, make_lead
):
    # given: two of reps[0]'s leads are overdue
    leads = overdue_leads(make_lead, sweeping_pool, reps[0], 2)
    as_of = timezone.now()
    # when
    report = run_rules(as_of=as_of)
    # then: reclaimed, then assigned in turn, passing over reps[0]
    counts = next(entry for entry in report.as_dict()["pools"] if entry["id"] == sweeping_pool.pk)
    assert counts["counts"][NO_FOLLOWUP] == 2
    stored = Lead.objects.order_by("pk").values_list(
        "owner", "assigned_at", "pooled_at", "reclaim_at", "reclaim_warned_for"
    )
    assert list(stored) == [
        (reps[1].pk, as_of, None, as_of + 7 * DAY, None),
        (reps[2].pk, as_of, None, as_of + 7 * DAY, None),
    ]
    pool = sweeping_pool.pk
    for lead, new_owner in zip(leads, (reps[1], reps[2]), strict=True):
        assert history(lead) == [
            ("auto_reclaim", None, reps[0].pk, None, pool, pool, NO_FOLLOWUP, as_of),
            ("assign", None, None, new_owner.pk, pool, pool, ROUND_ROBIN, as_of),
        ]
    notified = Notification.objects.order_by("user").values_list("user", "kind", "lead")
    assert list(notified) == [
        (reps[0].pk, "reclaimed", None),  # one message for both
        (reps[1].pk, "assigned", leads[0].pk),
        (reps[2].pk, "assigned", leads[1].pk),
    ]
    # when: the sweep runs again at the same moment
    before = state()
    run_rules(as_of=as_of)
    # then: the new owners' clocks have just started
    assert state() == before


def test_the_sweep_hands_out_each_batch_with_one_distribution(
    sweep_path, sweeping_pool, reps, make_lead
):
    # given
    overdue_leads(make_lead, sweeping_pool, reps[0], 5)
    # when
    with mock.patch.object(
        automation, "distribute_records", wraps=automation.distribute_records
    ) as distribute:
        run_rules(as_of=timezone.now(), batch_size=2)
    # then: three batches (2, 2, 1), each distributed at once, none back to reps[0]
    assert [len(call.args[1]) for call in distribute.call_args_list] == [2, 2, 1]
    owners = Lead.objects.order_by("pk").values_list("owner", flat=True)
    assert list(owners) == [reps[1].pk, reps[2].pk, reps[1].pk, reps[2].pk, reps[1].pk]


def test_without_the_option_the_sweep_leaves_reclaimed_leads_in_the_pool(
    sweep_path, sweeping_pool, reps, make_lead
):
    # given
    sweeping_pool.redistribute_reclaimed = False
    sweeping_pool.save()
    overdue_leads(make_lead, sweeping_pool, reps[0], 2)
    as_of = timezone.now()
    # when
    run_rules(as_of=as_of)
    # then
    assert list(Lead.objects.values_list("owner", "pooled_at")) == [(None, as_of)] * 2
    assert not Event.objects.filter(action=Event.Action.ASSIGN).exists()


def test_a_dry_run_distributes_nothing(sweeping_pool, reps, make_lead):
    # given
    overdue_leads(make_lead, sweeping_pool, reps[0], 2)
    before = state()
    # when
    report = run_rules(as_of=timezone.now(), dry_run=True)
    # then: it says what it would reclaim, and changes nothing
    counts = next(entry for entry in report.as_dict()["pools"] if entry["id"] == sweeping_pool.pk)
    assert counts["counts"][NO_FOLLOWUP] == 2
    assert state() == before


# --- configuring it ----------------------------------------------------------------------


def client_for(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_the_option_is_shown_and_edited_through_the_pool_api(pool_admin, member, lead_pool):
    # when
    shown = client_for(member).get(f"/api/v1/pools/{lead_pool.pk}")
    edited = client_for(pool_admin).patch(
        f"/api/v1/pools/{lead_pool.pk}", {"rules": {"redistribute_reclaimed": True}}, format="json"
    )
    # then
    assert shown.status_code == 200
    assert shown.json()["rules"]["redistribute_reclaimed"] is False
    assert edited.status_code == 200
    assert edited.json()["rules"]["redistribute_reclaimed"] is True
    lead_pool.refresh_from_db()
    assert lead_pool.redistribute_reclaimed is True
    event = Event.objects.get(action=Event.Action.EDIT_POOL)
    assert (event.actor, event.details) == (pool_admin, {"fields": ["redistribute_reclaimed"]})


def test_the_api_refuses_a_non_boolean_as_it_does_for_other_flags(pool_admin, lead_pool):
    # when
    response = client_for(pool_admin).patch(
        f"/api/v1/pools/{lead_pool.pk}",
        {"rules": {"redistribute_reclaimed": "maybe", "claim_reason_required": "maybe"}},
        format="json",
    )
    # then
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors == {
        "rules.redistribute_reclaimed": ["Must be a valid boolean."],
        "rules.claim_reason_required": ["Must be a valid boolean."],
    }
    lead_pool.refresh_from_db()
    assert lead_pool.redistribute_reclaimed is False
    assert not Event.objects.exists()


def test_the_services_set_the_option_and_refuse_anything_but_true_or_false(
    admin, pool_admin, lead_pool
):
    # when
    created = create_pool(
        by=admin, name="Second", kind=Pool.Kind.LEAD, admins=[pool_admin.pk],
        redistribute_reclaimed=True,
    )  # fmt: skip
    # then
    assert Pool.objects.get(pk=created.pk).redistribute_reclaimed is True
    # when
    with pytest.raises(ValidationError) as refused:
        update_pool(pool=lead_pool, by=pool_admin, changes={"redistribute_reclaimed": "yes"})
    # then
    assert refused.value.message_dict == {"redistribute_reclaimed": ["Give true or false."]}
    lead_pool.refresh_from_db()
    assert lead_pool.redistribute_reclaimed is False
