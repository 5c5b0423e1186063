"""The dashboard: counts per pool and state, ageing, funnel, workload, due follow-ups and
reclaim warnings, all within the user's scope, in a constant number of queries."""

import datetime

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leadpool.pools.models import Pool
from leadpool.web import charts, dashboard
from leadpool.web.kinds import KINDS

DASHBOARD = reverse("web:dashboard")


def test_managers_and_admins_land_on_the_dashboard_and_reps_on_their_leads(
    client_for, admin, manager, pool_admin, rep_east
):
    # then
    assert client_for(admin).get("/")["Location"] == DASHBOARD
    assert client_for(manager).get("/")["Location"] == DASHBOARD
    assert client_for(rep_east).get("/")["Location"] == "/leads/"
    assert Client().get("/")["Location"] == "/leads/"


def test_pool_counts_by_state(pool_admin, rep_east, lead_pool, make_lead):
    # given
    make_lead(pool=lead_pool)
    make_lead(pool=lead_pool)
    make_lead(pool=lead_pool, owner=rep_east)
    make_lead(pool=lead_pool, owner=rep_east, status="converted")
    # when
    found = dashboard.numbers(pool_admin, KINDS["leads"].model)
    # then
    assert [(row["pool__name"], row["unassigned"], row["assigned"], row["converted"])
            for row in found.pools] == [("Lead pool", 2, 1, 1)]  # fmt: skip
    assert (found.totals["total"], found.totals["converted"]) == (4, 1)


def test_counts_stay_within_the_users_scope(rep_west, rep_east, make_lead, lead_pool):
    # given leads rep_west may not see
    make_lead(owner=rep_east)
    make_lead(pool=lead_pool)
    mine = make_lead(owner=rep_west)
    # when
    found = dashboard.numbers(rep_west, KINDS["leads"].model)
    # then
    assert found.totals["total"] == 1
    assert found.pools == []
    assert [row["owner_id"] for row in found.owners] == [mine.owner_id]


def test_ageing_buckets_by_time_in_the_pool(pool_admin, lead_pool, make_lead):
    # given
    now = timezone.now()
    for days in (0, 3, 3, 10, 45):
        make_lead(pool=lead_pool, pooled_at=now - datetime.timedelta(days=days, hours=1))
    # when
    totals = dashboard.numbers(pool_admin, KINDS["leads"].model).totals
    # then
    assert [totals[f"age_{key}"] for key, _days in dashboard.AGES] == [1, 2, 1, 1]


def test_due_follow_ups_and_reclaim_warnings(pool_admin, rep_east, lead_pool, make_lead):
    # given a pool that warns two days before reclaiming
    lead_pool.reclaim_warning_days = 2
    lead_pool.save()
    now = timezone.now()
    due = make_lead(name="Due", owner=rep_east, next_followup_at=now - datetime.timedelta(hours=1))
    make_lead(name="Later", owner=rep_east, next_followup_at=now + datetime.timedelta(days=3))
    soon = make_lead(
        name="Soon", pool=lead_pool, owner=rep_east, reclaim_at=now + datetime.timedelta(days=1)
    )
    make_lead(
        name="Far", pool=lead_pool, owner=rep_east, reclaim_at=now + datetime.timedelta(days=9)
    )
    # when
    found = dashboard.numbers(pool_admin, KINDS["leads"].model)
    # then the pool admin sees what is in their pool; the rep's private lead is not theirs
    assert found.reclaim_soon == [soon]
    assert found.totals["reclaim_soon"] == 1
    rep = dashboard.numbers(rep_east, KINDS["leads"].model)
    assert rep.due_today == [due]
    assert rep.totals["due_today"] == 1


def test_the_dashboard_page_draws_svg_charts(client_for, manager, rep_east, lead_pool, make_lead):
    # given
    make_lead(name="<script>alert(1)</script>", owner=rep_east, pool=lead_pool)
    # when
    page = client_for(manager).get(DASHBOARD).content.decode()
    # then
    assert page.count("<svg") >= 2
    assert "Workload per owner" in page
    assert "Rep East" in page
    assert "<script>alert(1)</script>" not in page


def test_the_customer_dashboard(client_for, admin, customer_pool, make_customer):
    # given
    make_customer(pool=customer_pool)
    # when
    response = client_for(admin).get(reverse("web:dashboard_kind", args=["customers"]))
    # then
    assert response.status_code == 200
    assert "Customer pool" in response.content.decode()


def test_the_dashboard_takes_a_constant_number_of_queries(
    client_for, admin, rep_east, make_lead, django_assert_max_num_queries
):
    # given many pools, owners and records
    client = client_for(admin)
    for number in range(6):
        pool = Pool.objects.create(name=f"Pool {number}", reclaim_warning_days=3)
        for _ in range(3):
            make_lead(pool=pool)
            make_lead(pool=pool, owner=rep_east, reclaim_at=timezone.now())
    # then
    with django_assert_max_num_queries(16):
        assert client.get(DASHBOARD).status_code == 200


def test_the_dashboard_needs_a_login():
    # then
    assert Client().get(DASHBOARD)["Location"].startswith("/login/")


def test_a_bar_chart_scales_to_the_largest_total():
    # when
    chart = charts.bar_chart(
        "Pools", [("a", "A"), ("b", "B")], [("One", {"a": 2, "b": 2}), ("Two", {"a": 1})]
    )
    # then
    first, second = chart.bars
    assert [segment.width for segment in first.segments] == [170.0, 170.0]
    assert [segment.width for segment in second.segments] == [85.0]
    assert (first.total, second.total) == (4, 1)
    assert not chart.is_empty


# --- return reasons ---------------------------------------------------------------------


def give_back(owner, pool, make_lead, reason: str, count: int = 1) -> list:
    """`count` leads that `owner` held from `pool`, returned with `reason` (the service)."""
    from leadpool.leads.models import Lead
    from leadpool.pools.services import return_records

    leads = [make_lead(pool=pool, owner=owner) for _ in range(count)]
    result = return_records(model=Lead, ids=[lead.pk for lead in leads], by=owner, reason=reason)
    assert len(result.done) == count
    return leads


def test_return_reasons_count_the_last_30_days_by_reason(
    pool_admin, rep_east, lead_pool, make_lead
):
    # given
    from leadpool.history.models import Event

    give_back(rep_east, lead_pool, make_lead, "无法联系", count=2)
    give_back(rep_east, lead_pool, make_lead, "无意向")
    old = make_lead(pool=lead_pool)
    Event.objects.create(
        lead=old,
        action=Event.Action.RETURN,
        actor=rep_east,
        from_owner=rep_east,
        to_pool=lead_pool,
        reason="信息错误",
        at=timezone.now() - datetime.timedelta(days=31),
    )
    # when
    found = dashboard.return_reasons(pool_admin, KINDS["leads"].model)
    # then
    assert found.rows == [("无法联系", 2), ("无意向", 1)]
    assert (found.other, found.total) == (0, 3)
    assert dashboard.return_reasons(pool_admin, KINDS["customers"].model).rows == []


def test_return_reasons_stay_within_what_the_viewer_oversees(
    admin, manager, pool_admin, member, rep_east, rep_west, outsider, lead_pool, make_lead
):
    # given a return into the pool by rep_east, and one into another pool by rep_west
    give_back(rep_east, lead_pool, make_lead, "无意向")
    elsewhere = Pool.objects.create(name="West pool")
    give_back(rep_west, elsewhere, make_lead, "信息错误")
    leads = KINDS["leads"].model

    def reasons(user):
        return sorted(reason for reason, _count in dashboard.return_reasons(user, leads).rows)

    # then
    assert reasons(admin) == ["信息错误", "无意向"]
    assert reasons(pool_admin) == ["无意向"]  # returns into the pool they administer
    assert reasons(manager) == ["无意向"]  # rep_east is in the department they manage
    assert reasons(rep_east) == ["无意向"]  # their own
    assert reasons(member) == ["无意向"]  # the record waits, claimable, in their pool
    assert reasons(rep_west) == ["信息错误"]
    assert reasons(outsider) == []


def test_many_reasons_are_summed_beyond_the_first_ten(pool_admin, rep_east, lead_pool, make_lead):
    # given twelve free-text reasons, the first twice
    give_back(rep_east, lead_pool, make_lead, "reason 00", count=2)
    for number in range(1, 12):
        give_back(rep_east, lead_pool, make_lead, f"reason {number:02d}")
    # when
    found = dashboard.return_reasons(pool_admin, KINDS["leads"].model)
    # then
    assert len(found.rows) == dashboard.REASONS_SHOWN
    assert found.rows[0] == ("reason 00", 2)
    assert (found.other, found.total) == (2, 13)


def test_the_dashboard_draws_the_return_reasons(
    client_for, pool_admin, rep_east, lead_pool, make_lead
):
    # given
    give_back(rep_east, lead_pool, make_lead, "<b>无法联系</b>", count=2)
    # when
    page = client_for(pool_admin).get(DASHBOARD).content.decode()
    # then
    section = page.split('id="return-reasons"')[1].split("</section>")[0]
    assert "Return reasons, last 30 days" in section
    assert "<svg" in section
    assert "&lt;b&gt;无法联系&lt;/b&gt;" in section
    assert "<b>无法联系</b>" not in section
    assert "2 returns in all." in section


def test_the_return_reasons_say_when_there_were_none(client_for, pool_admin, lead_pool):
    # when
    page = client_for(pool_admin).get(DASHBOARD).content.decode()
    # then
    section = page.split('id="return-reasons"')[1].split("</section>")[0]
    assert "No returns in the last 30 days." in section
    assert "<svg" not in section
