"""GET /api/v1/followups/due: a user's own records due today (site time zone) or overdue."""

import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from leadpool.activity.followups import due_followups
from leadpool.history.models import Notification
from leadpool.leads.models import Lead
from leadpool.pools.automation import run_rules

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 10:00 in Shanghai is 02:00 UTC: "today" must be Shanghai's day, not UTC's.
NOW = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def clock(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield NOW


@pytest.fixture
def planned(make_lead, make_customer, lead_pool, rep_east, rep_west):
    """rep_east's records by when their next follow-up is planned."""

    def lead(name, at, **extra):
        return make_lead(pool=lead_pool, owner=rep_east, name=name, next_followup_at=at, **extra)

    return {
        "yesterday": lead("Yesterday", NOW - 24 * HOUR),
        "early_today": lead("Early today", NOW.replace(hour=0, minute=30)),
        "later_today": lead("Later today", NOW + 3 * HOUR),
        "tomorrow": lead("Tomorrow", NOW.replace(hour=0) + 24 * HOUR),
        "none": lead("Unplanned", None),
        "converted": lead("Converted", NOW - HOUR, status=Lead.Status.CONVERTED),
        "deleted": lead("Deleted", NOW - HOUR, deleted_at=NOW - HOUR),
        "customer": make_customer(owner=rep_east, name="Customer", next_followup_at=NOW - 2 * HOUR),
        "colleague": make_lead(pool=lead_pool, owner=rep_west, next_followup_at=NOW - HOUR),
    }


def names(due) -> list[str]:
    return [record.name for record in due.records]


def test_due_today_is_the_site_time_zone_day(clock, planned, rep_east):
    # when
    due = due_followups(user=rep_east, when="today")
    # then
    assert names(due) == ["Early today", "Later today", "Customer"]
    assert due.truncated is False


def test_overdue_is_before_now(clock, planned, rep_east):
    # when
    due = due_followups(user=rep_east, when="overdue")
    # then
    assert names(due) == ["Yesterday", "Early today", "Customer"]


def test_the_api_lists_the_callers_own_due_records(clock, planned, rep_east):
    # given
    client = APIClient()
    client.force_authenticate(rep_east)
    # when
    response = client.get("/api/v1/followups/due", {"when": "overdue", "type": "lead"})
    # then
    assert response.status_code == 200
    body = response.json()
    assert [row["display"] for row in body["results"]] == ["Yesterday", "Early today"]
    assert body["results"][0] == {
        "type": "lead",
        "id": planned["yesterday"].pk,
        "display": "Yesterday",
        "status": "new",
        "pool": planned["yesterday"].pool_id,
        "next_followup_at": "2027-02-28T10:00:00+08:00",
    }
    assert body["truncated"] is False


def test_the_api_names_a_bad_when(rep_east):
    # given
    client = APIClient()
    client.force_authenticate(rep_east)
    # when
    response = client.get("/api/v1/followups/due", {"when": "soon", "type": "order"})
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"when": ["Give today or overdue."], "type": ["Give lead or customer."]}
    }


def test_the_reminder_sweep_and_the_due_list_agree_on_what_is_due(clock, planned, rep_east):
    # when
    run_rules(as_of=NOW)
    # then
    reminded = Notification.objects.filter(user=rep_east, kind=Notification.Kind.FOLLOWUP_DUE)
    assert sorted(n.details["record"] for n in reminded) == sorted(
        names(due_followups(user=rep_east, when="overdue"))
    )
