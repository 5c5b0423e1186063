"""add_followup: who may add a follow-up, what it changes and what it refuses."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from leadpool.activity.models import FollowUp
from leadpool.activity.services import add_followup
from leadpool.customers.models import Customer
from leadpool.leads.models import Lead

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The personas are made with create_user; the default hasher costs ~0.25 s a user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _state(record):
    """The columns a follow-up may change, read fresh from the database."""
    record.refresh_from_db()
    return {
        "status": record.status,
        "last_followup_at": record.last_followup_at,
        "next_followup_at": record.next_followup_at,
        "reclaim_at": record.reclaim_at,
    }


@pytest.fixture
def owned_lead(make_lead, lead_pool, rep_east):
    """A new lead rep_east claimed from the lead pool ten days ago."""
    claimed = timezone.now() - 10 * DAY
    return make_lead(pool=lead_pool, owner=rep_east, claimed_at=claimed, company="Acme")


def test_followup_moves_a_new_lead_to_following_and_records_when(owned_lead, rep_east):
    # given
    next_time = timezone.now() + 2 * DAY
    # when
    followup = add_followup(
        record=owned_lead,
        by=rep_east,
        content="  Called, wants a quote  ",
        kind=FollowUp.Kind.CALL,
        next_step=" send quote ",
        next_followup_at=next_time,
    )
    # then
    followup.refresh_from_db()
    assert (followup.lead_id, followup.customer_id, followup.author_id) == (
        owned_lead.pk,
        None,
        rep_east.pk,
    )
    assert (followup.kind, followup.content, followup.next_step) == (
        "call",
        "Called, wants a quote",
        "send quote",
    )
    assert followup.next_followup_at == next_time
    assert _state(owned_lead) == {
        "status": Lead.Status.FOLLOWING,
        "last_followup_at": followup.created_at,
        "next_followup_at": next_time,
        "reclaim_at": None,
    }


def test_followup_without_a_next_time_keeps_the_records_next_time(owned_lead, rep_east):
    # given
    planned = timezone.now() + 3 * DAY
    Lead.objects.filter(pk=owned_lead.pk).update(next_followup_at=planned)
    # when
    add_followup(record=owned_lead, by=rep_east, content="Left a message")
    # then
    assert _state(owned_lead)["next_followup_at"] == planned


def test_followup_without_a_next_time_clears_a_next_time_that_was_due(owned_lead, rep_east):
    # given
    Lead.objects.filter(pk=owned_lead.pk).update(next_followup_at=timezone.now() - DAY)
    # when
    add_followup(record=owned_lead, by=rep_east, content="Called back as planned")
    # then
    assert _state(owned_lead)["next_followup_at"] is None


@pytest.mark.parametrize("status", [Lead.Status.CONVERTED, Lead.Status.INVALID])
def test_followup_does_not_change_a_converted_or_invalid_lead_status(owned_lead, rep_east, status):
    # given
    Lead.objects.filter(pk=owned_lead.pk).update(status=status)
    owned_lead.refresh_from_db()
    # when
    followup = add_followup(record=owned_lead, by=rep_east, content="Courtesy call")
    # then
    state = _state(owned_lead)
    assert state["status"] == status
    assert state["last_followup_at"] == followup.created_at


def test_followup_on_a_following_lead_keeps_it_following(owned_lead, rep_east):
    # given
    Lead.objects.filter(pk=owned_lead.pk).update(status=Lead.Status.FOLLOWING)
    # when
    add_followup(record=owned_lead, by=rep_east, content="Second call")
    # then
    assert _state(owned_lead)["status"] == Lead.Status.FOLLOWING


def test_followup_restarts_the_no_followup_reclaim_clock(owned_lead, rep_east, lead_pool):
    # given a pool that reclaims after 7 days without a follow-up, 10 days after the claim
    lead_pool.reclaim_no_followup_days = 7
    lead_pool.save()
    owned_lead.refresh_from_db()
    # when
    followup = add_followup(record=owned_lead, by=rep_east, content="Finally reached them")
    # then
    assert _state(owned_lead)["reclaim_at"] == followup.created_at + 7 * DAY


def test_followup_does_not_move_the_not_converted_reclaim_clock(owned_lead, rep_east, lead_pool):
    # given
    lead_pool.reclaim_no_followup_days = 7
    lead_pool.reclaim_not_converted_days = 14
    lead_pool.save()
    owned_lead.refresh_from_db()
    # when
    add_followup(record=owned_lead, by=rep_east, content="Still thinking")
    # then the conversion deadline, 14 days after the claim, comes first
    assert _state(owned_lead)["reclaim_at"] == owned_lead.claimed_at + 14 * DAY


def test_followup_on_a_private_lead_sets_no_reclaim_time(make_lead, rep_east):
    # given
    lead = make_lead(owner=rep_east)
    # when
    followup = add_followup(record=lead, by=rep_east, content="Met at the fair")
    # then
    assert _state(lead) == {
        "status": Lead.Status.FOLLOWING,
        "last_followup_at": followup.created_at,
        "next_followup_at": None,
        "reclaim_at": None,
    }


@pytest.mark.parametrize("kind", FollowUp.Kind.values)
def test_followup_accepts_every_kind(owned_lead, rep_east, kind):
    # when
    followup = add_followup(record=owned_lead, by=rep_east, content="Done", kind=kind)
    # then
    assert FollowUp.objects.get().kind == kind == followup.kind


@pytest.mark.parametrize("who", ["rep_east", "rep_west_collaborating", "pool_admin", "manager"])
def test_followup_may_be_added_by_owner_collaborator_pool_admin_and_owners_manager(
    owned_lead, who, request
):
    # given
    if who == "rep_west_collaborating":
        user = request.getfixturevalue("rep_west")
        owned_lead.collaborators.add(user)
    else:
        user = request.getfixturevalue(who)
    # when
    followup = add_followup(record=owned_lead, by=user, content="Checked in")
    # then
    assert list(FollowUp.objects.values_list("pk", "author_id")) == [(followup.pk, user.pk)]
    assert _state(owned_lead)["status"] == Lead.Status.FOLLOWING


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("member", Http404),
        ("outsider", Http404),
        ("rep_west", Http404),
    ],
)
def test_followup_on_someone_elses_lead_out_of_scope_is_not_found_and_writes_nothing(
    owned_lead, who, error, request
):
    # given
    user = request.getfixturevalue(who)
    before = _state(owned_lead)
    # when
    with pytest.raises(error):
        add_followup(record=owned_lead, by=user, content="Sneaky")
    # then
    assert FollowUp.objects.count() == 0
    assert _state(owned_lead) == before


def test_followup_by_a_pool_member_on_an_unassigned_lead_is_forbidden_and_writes_nothing(
    make_lead, lead_pool, member
):
    # given a lead the member can see in the pool but has not claimed
    lead = make_lead(pool=lead_pool)
    before = _state(lead)
    # when
    with pytest.raises(PermissionDenied):
        add_followup(record=lead, by=member, content="Before claiming")
    # then
    assert FollowUp.objects.count() == 0
    assert _state(lead) == before


def test_followup_on_a_deleted_lead_is_not_found(owned_lead, rep_east):
    # given
    Lead.objects.filter(pk=owned_lead.pk).update(deleted_at=timezone.now())
    owned_lead.refresh_from_db()
    # when
    with pytest.raises(Http404):
        add_followup(record=owned_lead, by=rep_east, content="Too late")
    # then
    assert FollowUp.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"content": ""}, ["content"]),
        ({"content": "   \n"}, ["content"]),
        ({"content": None}, ["content"]),
        ({"content": "x" * 10_001}, ["content"]),
        ({"content": "Called", "kind": "fax"}, ["kind"]),
        ({"content": " ", "kind": "fax"}, ["content", "kind"]),
    ],
)
def test_followup_with_bad_fields_names_them_and_writes_nothing(owned_lead, rep_east, fields, bad):
    # given
    before = _state(owned_lead)
    # when
    with pytest.raises(ValidationError) as raised:
        add_followup(record=owned_lead, by=rep_east, **fields)
    # then
    assert sorted(raised.value.message_dict) == bad
    assert FollowUp.objects.count() == 0
    assert _state(owned_lead) == before


def test_followup_content_of_exactly_the_maximum_length_is_accepted(owned_lead, rep_east):
    # when
    followup = add_followup(record=owned_lead, by=rep_east, content="x" * 10_000)
    # then
    assert len(followup.content) == 10_000


def test_followup_error_messages_say_what_to_do(owned_lead, rep_east):
    # when
    with pytest.raises(ValidationError) as raised:
        add_followup(record=owned_lead, by=rep_east, content="", kind="fax")
    # then
    assert raised.value.message_dict == {
        "content": ["Say what happened."],
        "kind": ["Choose one of: call, visit, email, wechat, sms, meeting, other."],
    }


def test_followup_on_a_customer_moves_it_to_following_and_restarts_its_clock(
    make_customer, customer_pool, rep_east
):
    # given
    customer_pool.reclaim_no_followup_days = 30
    customer_pool.save()
    customer = make_customer(
        pool=customer_pool, owner=rep_east, claimed_at=timezone.now() - 40 * DAY
    )
    next_time = timezone.now() + DAY
    # when
    followup = add_followup(
        record=customer,
        by=rep_east,
        content="Visited the office",
        kind=FollowUp.Kind.VISIT,
        next_followup_at=next_time,
    )
    # then
    followup.refresh_from_db()
    assert (followup.customer_id, followup.lead_id) == (customer.pk, None)
    assert _state(customer) == {
        "status": Customer.Status.FOLLOWING,
        "last_followup_at": followup.created_at,
        "next_followup_at": next_time,
        "reclaim_at": followup.created_at + 30 * DAY,
    }


def test_followup_on_a_won_customer_keeps_it_won_and_never_reclaimed(
    make_customer, customer_pool, rep_east
):
    # given
    customer_pool.reclaim_no_followup_days = 30
    customer_pool.save()
    customer = make_customer(pool=customer_pool, owner=rep_east, status=Customer.Status.WON)
    # when
    add_followup(record=customer, by=rep_east, content="Repeat order?")
    # then
    state = _state(customer)
    assert (state["status"], state["reclaim_at"]) == (Customer.Status.WON, None)


def test_followup_on_another_reps_customer_is_not_found(make_customer, customer_pool, rep_east):
    # given
    customer = make_customer(pool=customer_pool, owner=rep_east)
    # when
    with pytest.raises(Http404):
        add_followup(record=customer, by=customer_pool.members.get(), content="Hello")
    # then
    assert FollowUp.objects.count() == 0
