"""log_call: call records, which answered calls count as follow-ups, and what is refused."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from leadpool.activity.models import CallRecord, FollowUp
from leadpool.activity.services import log_call
from leadpool.customers.models import Customer
from leadpool.leads.models import Lead

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The personas are made with create_user; the default hasher costs ~0.25 s a user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _state(record):
    """The columns a call may change, read fresh from the database."""
    record.refresh_from_db()
    return {
        "status": record.status,
        "last_followup_at": record.last_followup_at,
        "next_followup_at": record.next_followup_at,
        "reclaim_at": record.reclaim_at,
    }


@pytest.fixture
def owned_lead(make_lead, lead_pool, rep_east):
    """A new lead rep_east claimed from a pool that reclaims after 7 days without follow-up."""
    lead_pool.reclaim_no_followup_days = 7
    lead_pool.save()
    lead = make_lead(pool=lead_pool, owner=rep_east, claimed_at=timezone.now() - 3 * DAY)
    lead.reclaim_at = lead.claimed_at + 7 * DAY
    lead.save(update_fields=["reclaim_at"])
    return lead


def test_answered_call_is_recorded_and_counts_as_a_followup(owned_lead, rep_east):
    # given
    started = timezone.now() - HOUR
    # when
    call = log_call(
        record=owned_lead,
        by=rep_east,
        number=" 13800138000 ",
        started_at=started,
        duration_seconds=180,
        direction=CallRecord.Direction.OUTBOUND,
        outcome=CallRecord.Outcome.ANSWERED,
        recording_url="https://calls.example.com/r/1.mp3",
        notes=" wants a demo ",
    )
    # then
    call.refresh_from_db()
    assert (call.lead_id, call.customer_id, call.author_id) == (owned_lead.pk, None, rep_east.pk)
    assert (call.number, call.direction, call.outcome, call.duration_seconds) == (
        "13800138000",
        "outbound",
        "answered",
        180,
    )
    assert (call.started_at, call.recording_url, call.notes) == (
        started,
        "https://calls.example.com/r/1.mp3",
        "wants a demo",
    )
    assert _state(owned_lead) == {
        "status": Lead.Status.FOLLOWING,
        "last_followup_at": started,
        "next_followup_at": None,
        "reclaim_at": started + 7 * DAY,
    }


@pytest.mark.parametrize(
    "outcome",
    [
        CallRecord.Outcome.NO_ANSWER,
        CallRecord.Outcome.BUSY,
        CallRecord.Outcome.VOICEMAIL,
        CallRecord.Outcome.FAILED,
    ],
)
def test_missed_call_is_recorded_but_is_not_a_followup(owned_lead, rep_east, outcome):
    # given
    before = _state(owned_lead)
    # when
    call = log_call(
        record=owned_lead,
        by=rep_east,
        number="13800138000",
        started_at=timezone.now() - HOUR,
        outcome=outcome,
    )
    # then
    assert list(CallRecord.objects.values_list("pk", "outcome")) == [(call.pk, outcome)]
    assert _state(owned_lead) == before
    assert before["status"] == Lead.Status.NEW


def test_call_is_not_a_followup_record(owned_lead, rep_east):
    # when
    log_call(record=owned_lead, by=rep_east, number="13800138000", started_at=timezone.now())
    # then the call counts as a follow-up without writing a follow-up record
    assert FollowUp.objects.count() == 0
    assert CallRecord.objects.count() == 1


def test_answered_call_logged_late_does_not_move_the_last_followup_back(owned_lead, rep_east):
    # given a follow-up an hour ago
    recent = timezone.now() - HOUR
    Lead.objects.filter(pk=owned_lead.pk).update(
        last_followup_at=recent, status=Lead.Status.FOLLOWING
    )
    owned_lead.refresh_from_db()
    # when a call from yesterday is logged now
    log_call(record=owned_lead, by=rep_east, number="13800138000", started_at=timezone.now() - DAY)
    # then
    state = _state(owned_lead)
    assert state["last_followup_at"] == recent
    assert state["reclaim_at"] == recent + 7 * DAY


def test_inbound_answered_call_counts_as_a_followup(owned_lead, rep_east):
    # given
    started = timezone.now() - 5 * HOUR
    # when
    log_call(
        record=owned_lead,
        by=rep_east,
        number="13800138000",
        started_at=started,
        direction=CallRecord.Direction.INBOUND,
    )
    # then
    assert _state(owned_lead)["last_followup_at"] == started


def test_call_starting_a_minute_ahead_is_accepted_for_clock_skew(owned_lead, rep_east):
    # given
    started = timezone.now() + datetime.timedelta(minutes=1)
    # when
    call = log_call(record=owned_lead, by=rep_east, number="13800138000", started_at=started)
    # then
    assert call.pk is not None


def test_answered_call_on_a_customer_counts_as_a_followup(make_customer, customer_pool, rep_east):
    # given
    customer = make_customer(pool=customer_pool, owner=rep_east)
    started = timezone.now() - HOUR
    # when
    call = log_call(record=customer, by=rep_east, number="13800138000", started_at=started)
    # then
    call.refresh_from_db()
    assert (call.customer_id, call.lead_id) == (customer.pk, None)
    state = _state(customer)
    assert (state["status"], state["last_followup_at"]) == (Customer.Status.FOLLOWING, started)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"outcome": "hung_up"}, ["outcome"]),
        ({"direction": "sideways"}, ["direction"]),
        ({"duration_seconds": -1}, ["duration_seconds"]),
        ({"duration_seconds": "long"}, ["duration_seconds"]),
        ({"recording_url": "not a url"}, ["recording_url"]),
        ({"recording_url": "javascript:alert(1)"}, ["recording_url"]),
        ({"number": "  "}, ["number"]),
        ({"started_at": None}, ["started_at"]),
        ({"started_at": "future"}, ["started_at"]),
        ({"started_at": "yesterday"}, ["started_at"]),
        ({"outcome": "hung_up", "duration_seconds": -5}, ["duration_seconds", "outcome"]),
    ],
)
def test_call_with_bad_fields_names_them_and_writes_nothing(owned_lead, rep_east, fields, bad):
    # given
    if fields.get("started_at") == "future":
        fields["started_at"] = timezone.now() + HOUR
    call = {"number": "13800138000", "started_at": timezone.now() - HOUR} | fields
    before = _state(owned_lead)
    # when
    with pytest.raises(ValidationError) as raised:
        log_call(record=owned_lead, by=rep_east, **call)
    # then
    assert sorted(raised.value.message_dict) == bad
    assert CallRecord.objects.count() == 0
    assert _state(owned_lead) == before


def test_call_time_without_a_zone_is_read_in_the_site_zone(owned_lead, rep_east, settings):
    # given 2026-01-05 10:00 with no zone: 02:00 UTC in Shanghai
    settings.TIME_ZONE = "Asia/Shanghai"
    started = datetime.datetime(2026, 1, 5, 10, 0)
    # when
    call = log_call(record=owned_lead, by=rep_east, number="13800138000", started_at=started)
    # then
    expected = datetime.datetime(2026, 1, 5, 2, 0, tzinfo=datetime.UTC)
    call.refresh_from_db()
    assert call.started_at == expected
    assert _state(owned_lead)["last_followup_at"] == expected


def test_call_time_given_as_iso_text_is_parsed(owned_lead, rep_east):
    # when
    call = log_call(
        record=owned_lead,
        by=rep_east,
        number="13800138000",
        started_at="2026-01-05T10:00:00+08:00",
    )
    # then
    expected = datetime.datetime(2026, 1, 5, 2, 0, tzinfo=datetime.UTC)
    call.refresh_from_db()
    assert call.started_at == expected
    assert _state(owned_lead)["last_followup_at"] == expected


def test_call_starting_in_the_future_says_so(owned_lead, rep_east):
    # when
    with pytest.raises(ValidationError) as raised:
        log_call(
            record=owned_lead,
            by=rep_east,
            number="13800138000",
            started_at=timezone.now() + DAY,
        )
    # then
    assert raised.value.message_dict == {"started_at": ["A call cannot start in the future."]}


@pytest.mark.parametrize("who", ["rep_east", "rep_west_collaborating", "pool_admin", "manager"])
def test_call_may_be_logged_by_owner_collaborator_pool_admin_and_owners_manager(
    owned_lead, who, request
):
    # given
    if who == "rep_west_collaborating":
        user = request.getfixturevalue("rep_west")
        owned_lead.collaborators.add(user)
    else:
        user = request.getfixturevalue(who)
    # when
    call = log_call(record=owned_lead, by=user, number="13800138000", started_at=timezone.now())
    # then
    assert list(CallRecord.objects.values_list("pk", "author_id")) == [(call.pk, user.pk)]


@pytest.mark.parametrize("who", ["member", "outsider", "rep_west"])
def test_call_on_a_lead_out_of_scope_is_not_found_and_writes_nothing(owned_lead, who, request):
    # given
    user = request.getfixturevalue(who)
    before = _state(owned_lead)
    # when
    with pytest.raises(Http404):
        log_call(record=owned_lead, by=user, number="13800138000", started_at=timezone.now())
    # then
    assert CallRecord.objects.count() == 0
    assert _state(owned_lead) == before


def test_call_by_a_pool_member_on_an_unassigned_lead_is_forbidden_and_writes_nothing(
    make_lead, lead_pool, member
):
    # given
    lead = make_lead(pool=lead_pool)
    before = _state(lead)
    # when
    with pytest.raises(PermissionDenied):
        log_call(record=lead, by=member, number="13800138000", started_at=timezone.now())
    # then
    assert CallRecord.objects.count() == 0
    assert _state(lead) == before
