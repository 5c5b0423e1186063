"""The automatic pool rules (pools/automation.py), driven through time with `as_of`.

Claims and follow-ups happen at the real now; the sweeps run "as of" later moments, so a
whole lifecycle — claimed, warned, reclaimed, refused by the cooldown, claimed by someone
else — plays out in one test.
"""

import datetime
import io
import json
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.models import Count
from django.utils import timezone, translation
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from leadpool.activity.services import add_followup
from leadpool.customers.models import Customer
from leadpool.history.models import Event, Notification
from leadpool.history.services import notification_text
from leadpool.leads.models import Lead
from leadpool.pools import tasks
from leadpool.pools.automation import (
    FOLLOWUP_DUE,
    NO_FOLLOWUP,
    NOT_CONVERTED,
    RETENTION_DELETE,
    RETENTION_MOVE,
    WARNING,
    run_rules,
)
from leadpool.pools.models import Pool
from leadpool.pools.rules import format_time
from leadpool.pools.services import claim_records, refresh_reclaim_at

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def reclaiming_pool(lead_pool):
    """A lead pool that reclaims after 7 days without a follow-up, warns 2 days before,
    and keeps a previous owner from claiming again for 24 hours."""
    lead_pool.reclaim_no_followup_days = 7
    lead_pool.reclaim_warning_days = 2
    lead_pool.reclaim_cooldown_hours = 24
    lead_pool.save()
    return lead_pool


def owned_lead(make_lead, pool, owner, *, claimed_days_ago: float, **fields):
    """An owned lead claimed some days ago, with its reclaim time stored as a claim would."""
    lead = make_lead(
        pool=pool, owner=owner, claimed_at=timezone.now() - claimed_days_ago * DAY, **fields
    )
    refresh_reclaim_at(lead)
    return lead


def counts(report, pool) -> dict:
    return next(entry for entry in report.as_dict()["pools"] if entry["id"] == pool.pk)["counts"]


def state() -> tuple:
    """Everything a sweep may change, to assert that nothing did."""
    return (
        list(Lead.objects.order_by("pk").values_list()),
        list(Customer.objects.order_by("pk").values_list()),
        Event.objects.count(),
        Notification.objects.count(),
    )


# --- automatic reclaim and its warnings ---------------------------------------------------


def test_a_claimed_lead_is_warned_once_then_reclaimed_and_the_cooldown_applies(
    reclaiming_pool, member, rep_east, make_lead
):
    # given: the member claims a lead now
    lead = make_lead(pool=reclaiming_pool, name="张三", company="星河科技")
    claim_records(model=Lead, ids=[lead.pk], by=member)
    lead.refresh_from_db()
    reclaim_at = lead.reclaim_at
    assert reclaim_at == lead.claimed_at + 7 * DAY
    # when: four days on, then inside the warning period twice
    early = run_rules(as_of=reclaim_at - 3 * DAY)
    warned = run_rules(as_of=reclaim_at - 2 * DAY + HOUR)
    again = run_rules(as_of=reclaim_at - DAY)
    # then: one warning, naming the reclaim time
    assert counts(early, reclaiming_pool)[WARNING] == 0
    assert counts(warned, reclaiming_pool)[WARNING] == 1
    assert counts(again, reclaiming_pool)[WARNING] == 0
    warning = Notification.objects.get(kind=Notification.Kind.RECLAIM_WARNING)
    assert warning.user == member
    assert warning.lead == lead
    assert notification_text(warning) == (
        f"“张三 (星河科技)” goes back to its pool at {format_time(reclaim_at)} "
        "unless you follow it up."
    )
    # when: the reclaim time comes
    reclaimed = run_rules(as_of=reclaim_at)
    # then: back in the pool, unassigned, with history and a notification
    assert counts(reclaimed, reclaiming_pool)[NO_FOLLOWUP] == 1
    lead.refresh_from_db()
    assert (lead.owner, lead.pool, lead.pooled_at, lead.reclaim_at) == (
        None,
        reclaiming_pool,
        reclaim_at,
        None,
    )
    event = Event.objects.get(lead=lead, action=Event.Action.AUTO_RECLAIM)
    assert (event.actor, event.from_owner, event.from_pool, event.to_pool) == (
        None,
        member,
        reclaiming_pool,
        reclaiming_pool,
    )
    assert (event.rule, event.at) == (NO_FOLLOWUP, reclaim_at)
    notice = Notification.objects.get(kind=Notification.Kind.RECLAIMED)
    assert (notice.user, notice.lead) == (member, lead)
    assert notification_text(notice) == (
        "The pool's reclaim rule took “张三 (星河科技)” back into the pool."
    )
    # when: the old owner tries to claim it back, then another member claims it
    refused = claim_records(model=Lead, ids=[lead.pk], by=member)
    taken = claim_records(model=Lead, ids=[lead.pk], by=rep_east)
    # then
    assert refused.refusal_for(lead.pk).code == "cooldown"
    assert taken.done == [lead.pk]
    lead.refresh_from_db()
    assert lead.owner == rep_east


def test_an_owner_losing_several_leads_at_once_gets_one_notification(
    reclaiming_pool, member, make_lead
):
    # given: three leads of one owner past their reclaim time
    for _ in range(3):
        owned_lead(make_lead, reclaiming_pool, member, claimed_days_ago=8)
    # when
    run_rules()
    # then: one notification, counting them, in the reader's language
    notice = Notification.objects.get(kind=Notification.Kind.RECLAIMED)
    assert (notice.user, notice.lead) == (member, None)
    assert notification_text(notice) == (
        "The pool's reclaim rule took 3 records back into “Lead pool”."
    )
    with translation.override("zh-hans"):
        assert notification_text(notice) == "池的回收规则已将 3 条记录收回到“Lead pool”。"
    assert Event.objects.filter(action=Event.Action.AUTO_RECLAIM).count() == 3


def test_a_follow_up_postpones_the_reclaim_and_starts_a_new_warning_period(
    reclaiming_pool, member, make_lead
):
    # given: a lead claimed six days ago, warned now of its reclaim tomorrow
    lead = owned_lead(make_lead, reclaiming_pool, member, claimed_days_ago=6)
    now = timezone.now()
    assert counts(run_rules(as_of=now), reclaiming_pool)[WARNING] == 1
    # when: the member follows it up
    add_followup(record=lead, by=member, content="Called, interested")
    lead.refresh_from_db()
    # then: reclaim is a week off; tomorrow nothing happens, five days on a new warning
    assert lead.reclaim_at > now + 6 * DAY
    tomorrow = run_rules(as_of=now + DAY)
    later = run_rules(as_of=lead.reclaim_at - DAY)
    assert counts(tomorrow, reclaiming_pool)[NO_FOLLOWUP] == 0
    assert counts(tomorrow, reclaiming_pool)[WARNING] == 0
    assert counts(later, reclaiming_pool)[WARNING] == 1
    assert Notification.objects.filter(kind=Notification.Kind.RECLAIM_WARNING).count() == 2
    lead.refresh_from_db()
    assert lead.owner == member


def test_converted_leads_are_never_reclaimed(reclaiming_pool, member, make_lead):
    # given: a converted lead whose stored reclaim time has long passed
    lead = owned_lead(make_lead, reclaiming_pool, member, claimed_days_ago=30)
    Lead.objects.filter(pk=lead.pk).update(
        status=Lead.Status.CONVERTED, reclaim_at=timezone.now() - 20 * DAY
    )
    # when
    report = run_rules()
    # then
    assert counts(report, reclaiming_pool)[NO_FOLLOWUP] == 0
    lead.refresh_from_db()
    assert lead.owner == member
    assert not Event.objects.filter(action=Event.Action.AUTO_RECLAIM).exists()


def test_the_history_names_the_rule_whose_deadline_fell_due(lead_pool, member, make_lead):
    # given: no follow-up for 60 days, or not converted within 30
    lead_pool.reclaim_no_followup_days = 60
    lead_pool.reclaim_not_converted_days = 30
    lead_pool.save()
    lead = owned_lead(make_lead, lead_pool, member, claimed_days_ago=31)
    # when
    report = run_rules()
    # then
    assert counts(report, lead_pool)[NOT_CONVERTED] == 1
    assert counts(report, lead_pool)[NO_FOLLOWUP] == 0
    assert Event.objects.get(lead=lead).rule == NOT_CONVERTED


def test_customers_with_an_open_opportunity_are_exempt_when_the_pool_says_so(
    customer_pool, member, make_customer
):
    # given
    customer_pool.reclaim_no_followup_days = 7
    customer_pool.reclaim_exempt_open_opportunity = True
    customer_pool.save()
    customer = make_customer(pool=customer_pool, owner=member)
    Customer.objects.filter(pk=customer.pk).update(reclaim_at=timezone.now() - DAY)
    customer.opportunities.create(name="Deal", amount=1000)
    # when
    report = run_rules()
    # then
    assert counts(report, customer_pool)[NO_FOLLOWUP] == 0
    customer.refresh_from_db()
    assert customer.owner == member


# --- retention ----------------------------------------------------------------------------


@pytest.fixture
def other_customer_pool(pool_admin):
    pool = Pool.objects.create(name="Archive", kind=Pool.Kind.CUSTOMER)
    pool.admins.add(pool_admin)
    return pool


@pytest.mark.parametrize("action", ["keep", "move", "delete"])
def test_records_unclaimed_past_retention_are_kept_moved_or_deleted(
    action, customer_pool, other_customer_pool, make_customer
):
    # given: a customer 31 days in a pool keeping them 30, and one 10 days in
    now = timezone.now()
    customer_pool.retention_days = 30
    customer_pool.on_retention_expiry = action
    customer_pool.retention_move_to_pool = other_customer_pool if action == "move" else None
    customer_pool.save()
    old = make_customer(pool=customer_pool, pooled_at=now - 31 * DAY)
    recent = make_customer(pool=customer_pool, pooled_at=now - 10 * DAY)
    # when
    report = run_rules(as_of=now)
    # then
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (recent.pool, recent.deleted_at) == (customer_pool, None)
    found = counts(report, customer_pool)
    if action == "keep":
        assert (found[RETENTION_MOVE], found[RETENTION_DELETE]) == (0, 0)
        assert (old.pool, old.deleted_at) == (customer_pool, None)
        assert not Event.objects.exists()
    elif action == "move":
        assert (found[RETENTION_MOVE], found[RETENTION_DELETE]) == (1, 0)
        assert (old.pool, old.pooled_at, old.deleted_at) == (other_customer_pool, now, None)
        event = Event.objects.get(customer=old)
        assert (event.action, event.rule) == (Event.Action.RETENTION_MOVE, "retention_days")
        assert (event.from_pool, event.to_pool) == (customer_pool, other_customer_pool)
    else:
        assert (found[RETENTION_MOVE], found[RETENTION_DELETE]) == (0, 1)
        assert (old.pool, old.deleted_at) == (customer_pool, now)
        event = Event.objects.get(customer=old)
        assert (event.action, event.rule) == (Event.Action.RETENTION_DELETE, "retention_days")


# --- follow-up reminders ------------------------------------------------------------------


def test_a_due_follow_up_is_reminded_once_per_due_time(lead_pool, member, make_lead):
    # given: a follow-up due an hour ago
    now = timezone.now()
    lead = make_lead(pool=lead_pool, owner=member, next_followup_at=now - HOUR, name="李四")
    # when: the rules run twice
    first = run_rules(as_of=now)
    second = run_rules(as_of=now + HOUR)
    # then: one reminder
    assert counts(first, lead_pool)[FOLLOWUP_DUE] == 1
    assert counts(second, lead_pool)[FOLLOWUP_DUE] == 0
    reminder = Notification.objects.get(kind=Notification.Kind.FOLLOWUP_DUE)
    assert (reminder.user, reminder.lead) == (member, lead)
    assert notification_text(reminder) == "A follow-up of “李四” is due."
    # when: a new follow-up time is set and falls due
    Lead.objects.filter(pk=lead.pk).update(next_followup_at=now + DAY)
    third = run_rules(as_of=now + 2 * DAY)
    # then: a second reminder
    assert counts(third, lead_pool)[FOLLOWUP_DUE] == 1
    assert Notification.objects.filter(kind=Notification.Kind.FOLLOWUP_DUE).count() == 2


def test_records_in_no_pool_are_reminded_too(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, next_followup_at=timezone.now() - HOUR)
    # when
    report = run_rules().as_dict()
    # then
    no_pool = next(entry for entry in report["pools"] if entry["id"] is None)
    assert no_pool["counts"][FOLLOWUP_DUE] == 1


# --- dry runs, one pool, stopping ---------------------------------------------------------


@pytest.fixture
def busy_pools(
    reclaiming_pool, customer_pool, other_customer_pool, member, make_lead, make_customer
):
    """Something due for every rule."""
    now = timezone.now()
    owned_lead(make_lead, reclaiming_pool, member, claimed_days_ago=8)
    owned_lead(make_lead, reclaiming_pool, member, claimed_days_ago=6)
    make_lead(pool=reclaiming_pool, owner=member, next_followup_at=now - HOUR)
    customer_pool.retention_days = 30
    customer_pool.on_retention_expiry = Pool.RetentionAction.DELETE
    customer_pool.save()
    make_customer(pool=customer_pool, pooled_at=now - 40 * DAY)
    return now


def test_a_dry_run_changes_nothing_and_reports_what_a_real_run_does(
    busy_pools, reclaiming_pool, customer_pool
):
    # given
    before = state()
    # when
    dry = run_rules(as_of=busy_pools, dry_run=True).as_dict()
    # then
    assert state() == before
    real = run_rules(as_of=busy_pools).as_dict()
    assert (dry["dry_run"], real["dry_run"]) == (True, False)
    assert dry["pools"] == real["pools"]
    again = run_rules(as_of=busy_pools).as_dict()
    assert {n for entry in again["pools"] for n in entry["counts"].values()} == {0}
    found = {entry["id"]: entry["counts"] for entry in real["pools"]}
    assert found[reclaiming_pool.pk][NO_FOLLOWUP] == 1
    assert found[reclaiming_pool.pk][WARNING] == 1
    assert found[reclaiming_pool.pk][FOLLOWUP_DUE] == 1
    assert found[customer_pool.pk][RETENTION_DELETE] == 1


def test_a_sweep_of_one_pool_leaves_the_others_alone(busy_pools, reclaiming_pool, customer_pool):
    # when
    report = run_rules(as_of=busy_pools, pool=customer_pool).as_dict()
    # then
    assert [entry["id"] for entry in report["pools"]] == [customer_pool.pk]
    assert Lead.objects.filter(owner__isnull=True).count() == 0
    assert Customer.objects.filter(deleted_at__isnull=False).count() == 1


def test_a_stopped_sweep_leaves_whole_batches_and_the_next_run_finishes(
    reclaiming_pool, member, make_lead
):
    # given: five due leads, swept two at a time, asked to stop after the first batch
    for _ in range(5):
        owned_lead(make_lead, reclaiming_pool, member, claimed_days_ago=8)
    checks = iter([False, True])
    # when
    stopped = run_rules(batch_size=2, should_stop=lambda: next(checks, True))
    # then
    assert stopped.complete is False
    assert counts(stopped, reclaiming_pool)[NO_FOLLOWUP] == 2
    assert Lead.objects.filter(owner__isnull=True).count() == 2
    assert Event.objects.filter(action=Event.Action.AUTO_RECLAIM).count() == 2
    # when: the next run
    finished = run_rules(batch_size=2)
    # then
    assert finished.complete is True
    assert counts(finished, reclaiming_pool)[NO_FOLLOWUP] == 3
    assert Lead.objects.filter(owner__isnull=True).count() == 5


# --- the command, the API, the worker -----------------------------------------------------


def run_command(*args) -> str:
    out = io.StringIO()
    call_command("rules", "run", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_the_report_as_json_and_as_a_table(busy_pools, reclaiming_pool):
    # when
    dry = json.loads(run_command("--as-of", busy_pools.isoformat(), "--dry-run", "--json"))
    table = run_command("--as-of", busy_pools.isoformat(), "--pool", reclaiming_pool.name)
    # then
    found = {entry["id"]: entry["counts"] for entry in dry["pools"]}
    assert dry["dry_run"] is True
    assert found[reclaiming_pool.pk][NO_FOLLOWUP] == 1
    assert table.startswith("Acted as of ")
    assert f"Lead pool (#{reclaiming_pool.pk}, lead): reclaim_no_followup_days 1," in table


def test_the_command_refuses_an_unknown_pool_and_a_bad_time(lead_pool):
    with pytest.raises(CommandError, match="There is no pool nowhere"):
        run_command("--pool", "nowhere")
    with pytest.raises(CommandError, match="--as-of"):
        run_command("--as-of", "tomorrow")


def api(user, body):
    client = APIClient()
    client.force_authenticate(user)
    return client.post("/api/v1/rules/run", body, format="json")


def test_a_system_admin_runs_the_rules_over_the_api(busy_pools, admin, reclaiming_pool):
    # when
    response = api(admin, {"as_of": busy_pools.isoformat(), "pool": str(reclaiming_pool.pk)})
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] is False
    assert [entry["id"] for entry in body["pools"]] == [reclaiming_pool.pk]
    assert body["pools"][0]["counts"][NO_FOLLOWUP] == 1


@pytest.mark.parametrize("persona", ["pool_admin", "manager", "member"])
def test_others_may_not_run_the_rules(persona, request, busy_pools):
    # given
    user = request.getfixturevalue(persona)
    before = state()
    # when
    response = api(user, {"as_of": busy_pools.isoformat()})
    # then
    assert response.status_code == 403
    assert state() == before


def test_the_api_refuses_bad_input_by_field(admin, lead_pool):
    # when
    bad_time = api(admin, {"as_of": "next tuesday"})
    bad_pool = api(admin, {"pool": "nowhere", "extra": 1})
    # then
    assert bad_time.status_code == 400
    assert bad_time.json() == {"errors": {"as_of": ["Enter a date and time (ISO 8601)."]}}
    assert bad_pool.status_code == 400
    assert bad_pool.json() == {
        "errors": {"pool": ["There is no pool nowhere."], "extra": ["Unknown field."]}
    }


# Transactional: like any long-running process, the worker closes stale connections
# between jobs, which would end a test's wrapping transaction on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_rules_as_a_task_once(reclaiming_pool, member, make_lead):
    # given
    lead = owned_lead(make_lead, reclaiming_pool, member, claimed_days_ago=8)
    # when
    call_command("worker", "--once", stdout=io.StringIO())
    # then
    lead.refresh_from_db()
    assert lead.owner is None
    result = DBTaskResult.objects.get(task_path=tasks.run_rules_task.module_path)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value["pools"][0]["counts"][NO_FOLLOWUP] == 1


def test_a_stop_request_ends_a_sweep_before_its_next_batch(reclaiming_pool, member, make_lead):
    # given
    owned_lead(make_lead, reclaiming_pool, member, claimed_days_ago=8)
    tasks.stop_requested.set()
    try:
        # when
        report = tasks.run_rules_task.call()
    finally:
        tasks.stop_requested.clear()
    # then
    assert report["complete"] is False
    assert Lead.objects.filter(owner__isnull=True).count() == 0


# --- several workers at once (PostgreSQL) -------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_reclaim_each_due_record_exactly_once(reclaiming_pool, member):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs real concurrent PostgreSQL connections (row locks with SKIP LOCKED); "
            f"this run is on {connection.vendor}, whose writers are serialised anyway"
        )
    # given: 10,000 leads whose reclaim time has passed
    now = timezone.now()
    Lead.objects.bulk_create(
        Lead(
            name=f"Lead {index}",
            pool=reclaiming_pool,
            owner=member,
            claimed_at=now - 8 * DAY,
            reclaim_at=now - DAY,
        )
        for index in range(10_000)
    )
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def sweep():
        try:
            barrier.wait()
            reports.append(run_rules(as_of=now, batch_size=500))
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connections.close_all()

    # when
    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert errors == []
    assert sum(counts(report, reclaiming_pool)[NO_FOLLOWUP] for report in reports) == 10_000
    per_lead = (
        Event.objects.filter(action=Event.Action.AUTO_RECLAIM)
        .values("lead")
        .annotate(events=Count("id"))
    )
    assert per_lead.count() == 10_000
    assert {row["events"] for row in per_lead} == {1}
    assert Lead.objects.filter(owner__isnull=False).count() == 0
