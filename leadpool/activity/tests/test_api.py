"""Follow-ups and calls over HTTP: /api/v1/{leads,customers}/{id}/followups/ and /calls/."""

import datetime

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from leadpool.activity.models import CallRecord, FollowUp
from leadpool.customers.models import Customer
from leadpool.leads.models import Lead

HOUR = datetime.timedelta(hours=1)
ENTITIES = ("lead", "customer")


@pytest.fixture(autouse=True)
def _no_write_throttle(settings):
    settings.LEADPOOL_RATES = {**settings.LEADPOOL_RATES, "write": None}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _iso(moment) -> str | None:
    return None if moment is None else serializers.DateTimeField().to_representation(moment)


def _at(text: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


@pytest.fixture(params=ENTITIES)
def entity(request):
    return request.param


@pytest.fixture
def make(entity, make_lead, make_customer, lead_pool, customer_pool):
    """make(**fields) for the entity, `pool=True` meaning its pool."""

    def make_record(pool=False, **fields):
        if entity == "lead":
            return make_lead(pool=lead_pool if pool else None, **fields)
        return make_customer(pool=customer_pool if pool else None, **fields)

    return make_record


def _url(record, part: str) -> str:
    return f"/api/v1/{record.entity}s/{record.pk}/{part}/"


def _state(record) -> dict:
    """What adding activity may change: the record's columns and the activity rows."""
    fresh = type(record).objects.get(pk=record.pk)
    return {
        "fields": {field.attname: getattr(fresh, field.attname) for field in fresh._meta.fields},
        "followups": FollowUp.objects.count(),
        "calls": CallRecord.objects.count(),
    }


def _followup(followup: FollowUp) -> dict:
    return {
        "id": followup.pk,
        "kind": followup.kind,
        "content": followup.content,
        "next_step": followup.next_step,
        "next_followup_at": _iso(followup.next_followup_at),
        "author": followup.author_id,
        "created_at": _iso(followup.created_at),
    }


def _call(call: CallRecord) -> dict:
    return {
        "id": call.pk,
        "number": call.number,
        "direction": call.direction,
        "started_at": _iso(call.started_at),
        "duration_seconds": call.duration_seconds,
        "outcome": call.outcome,
        "recording_url": call.recording_url,
        "notes": call.notes,
        "author": call.author_id,
        "created_at": _iso(call.created_at),
    }


def _add_followup(record, author, at: datetime.datetime, content: str) -> FollowUp:
    return FollowUp.objects.create(
        **{record.entity: record}, content=content, author=author, created_at=at
    )


# --- follow-ups: reading ----------------------------------------------------------------


def test_followups_are_listed_newest_first_a_page_at_a_time(rep_east, make):
    # given
    record = make(owner=rep_east)
    oldest = _add_followup(record, rep_east, _at("2024-01-01T09:00"), "First call")
    middle = _add_followup(record, rep_east, _at("2024-01-02T09:00"), "Sent a quote")
    newest = _add_followup(record, rep_east, _at("2024-01-03T09:00"), "Visited")
    client = _client(rep_east)
    # when
    first = client.get(_url(record, "followups"), {"limit": 2}).json()
    second = client.get(_url(record, "followups"), {"limit": 2, "cursor": first["next"]}).json()
    # then
    assert first["results"] == [_followup(newest), _followup(middle)]
    assert first["next"] is not None
    assert second == {"results": [_followup(oldest)], "next": None}
    assert first["results"][0] == {
        "id": newest.pk,
        "kind": "call",
        "content": "Visited",
        "next_step": "",
        "next_followup_at": None,
        "author": rep_east.pk,
        "created_at": "2024-01-03T09:00:00+08:00",
    }


def test_only_the_records_own_followups_are_listed(rep_east, make):
    # given
    record, other = make(owner=rep_east), make(owner=rep_east)
    mine = _add_followup(record, rep_east, _at("2024-01-01T09:00"), "Mine")
    _add_followup(other, rep_east, _at("2024-01-02T09:00"), "Other")
    # when
    response = _client(rep_east).get(_url(record, "followups"))
    # then
    assert response.json() == {"results": [_followup(mine)], "next": None}


def test_a_member_who_sees_an_unassigned_record_reads_its_followups(member, pool_admin, make):
    # given
    record = make(pool=True)
    note = _add_followup(record, pool_admin, _at("2024-01-01T09:00"), "Left a message")
    # when
    response = _client(member).get(_url(record, "followups"))
    # then
    assert response.json() == {"results": [_followup(note)], "next": None}


def test_followups_of_a_record_out_of_scope_are_a_404(rep_west, rep_east, make):
    # given
    record = make(owner=rep_east)
    _add_followup(record, rep_east, _at("2024-01-01T09:00"), "Secret")
    # when
    response = _client(rep_west).get(_url(record, "followups"))
    # then
    assert (response.status_code, response.json()) == (404, {"detail": "No such record."})


def test_followups_of_a_record_that_does_not_exist_are_a_404(rep_east, entity):
    # when
    response = _client(rep_east).get(f"/api/v1/{entity}s/987654/followups/")
    # then
    assert (response.status_code, response.json()) == (404, {"detail": "No such record."})


def test_a_bad_followups_page_size_is_a_400(rep_east, make):
    # given
    record = make(owner=rep_east)
    # when
    response = _client(rep_east).get(_url(record, "followups"), {"limit": "1000"})
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"limit": ["Give a number from 1 to 500."]}},
    )


# --- follow-ups: adding -----------------------------------------------------------------


def test_a_followup_is_added_and_moves_a_new_record_to_following(rep_east, make):
    # given
    record = make(owner=rep_east)
    # when
    response = _client(rep_east).post(
        _url(record, "followups"),
        {
            "kind": "visit",
            "content": "  Visited, wants a quote  ",
            "next_step": "Send the quote",
            "next_followup_at": "2030-01-05T10:00:00+08:00",
        },
        format="json",
    )
    # then
    assert response.status_code == 201
    followup = FollowUp.objects.get()
    assert response.json() == _followup(followup)
    assert response.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "kind": "visit",
        "content": "Visited, wants a quote",
        "next_step": "Send the quote",
        "next_followup_at": "2030-01-05T10:00:00+08:00",
        "author": rep_east.pk,
        "created_at": "",
    }
    fresh = type(record).objects.get(pk=record.pk)
    assert (fresh.status, fresh.last_followup_at, fresh.next_followup_at) == (
        "following",
        followup.created_at,
        _at("2030-01-05T10:00"),
    )
    assert getattr(followup, f"{record.entity}_id") == record.pk


def test_a_followup_without_a_kind_is_a_call(rep_east, make):
    # given
    record = make(owner=rep_east)
    # when
    response = _client(rep_east).post(_url(record, "followups"), {"content": "Rang"}, format="json")
    # then
    assert (response.status_code, response.json()["kind"]) == (201, "call")


def test_a_followup_leaves_a_status_other_than_new_alone(rep_east, make):
    # given
    record = make(owner=rep_east)
    status = Lead.Status.INVALID if record.entity == "lead" else Customer.Status.LOST
    type(record).objects.filter(pk=record.pk).update(status=status)
    # when
    response = _client(rep_east).post(_url(record, "followups"), {"content": "Rang"}, format="json")
    # then
    assert response.status_code == 201
    assert type(record).objects.get(pk=record.pk).status == status


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"content": ["This field is required."]}),
        ({"content": "   "}, {"content": ["This field may not be blank."]}),
        (
            {"content": "x" * 10_001},
            {"content": ["Ensure this field has no more than 10000 characters."]},
        ),
        (
            {"content": "Rang", "kind": "telepathy"},
            {"kind": ['"telepathy" is not a valid choice.']},
        ),
        (
            {"content": "Rang", "next_followup_at": "next week"},
            {
                "next_followup_at": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
        (
            {"content": "Rang", "next_followup_at": "2150-01-01T00:00:00+08:00"},
            {"next_followup_at": ["Enter a time between 1970 and 2099."]},
        ),
        ({"content": "Rang", "author": 1}, {"author": ["Unknown field."]}),
        ([{"content": "Rang"}], {"non_field_errors": ["Send a JSON object."]}),
    ],
)
def test_a_bad_followup_is_a_400_and_nothing_is_written(rep_east, make, body, errors):
    # given
    record = make(owner=rep_east)
    before = _state(record)
    # when
    response = _client(rep_east).post(_url(record, "followups"), body, format="json")
    # then
    assert (response.status_code, response.json()) == (400, {"errors": errors})
    assert _state(record) == before


@pytest.mark.parametrize("persona", ["owner", "collaborator", "pool_admin", "manager", "admin"])
def test_owner_collaborator_pool_admin_manager_and_admin_may_add_followups(
    rep_east, rep_west, pool_admin, manager, admin, make, persona
):
    # given: rep_east's record in the pool, rep_west collaborating
    record = make(pool=True, owner=rep_east)
    record.collaborators.add(rep_west)
    user = {
        "owner": rep_east,
        "collaborator": rep_west,
        "pool_admin": pool_admin,
        "manager": manager,
        "admin": admin,
    }[persona]
    # when
    response = _client(user).post(_url(record, "followups"), {"content": "Rang"}, format="json")
    # then
    assert (response.status_code, response.json()["author"]) == (201, user.pk)


def test_a_member_who_only_sees_the_record_may_not_add_a_followup(member, make):
    # given
    record = make(pool=True)
    before = _state(record)
    # when
    response = _client(member).post(_url(record, "followups"), {"content": "Rang"}, format="json")
    # then
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "You may not do that with this record."},
    )
    assert _state(record) == before


def test_adding_a_followup_to_a_record_out_of_scope_is_a_404(rep_west, rep_east, make):
    # given
    record = make(owner=rep_east)
    before = _state(record)
    # when
    response = _client(rep_west).post(_url(record, "followups"), {"content": "Rang"}, format="json")
    # then
    assert (response.status_code, response.json()) == (404, {"detail": "No such record."})
    assert _state(record) == before


def test_an_out_of_scope_record_is_a_404_even_with_a_bad_body(rep_west, rep_east, make):
    # given
    record = make(owner=rep_east)
    before = _state(record)
    # when
    response = _client(rep_west).post(_url(record, "followups"), {"kind": "x"}, format="json")
    # then
    assert response.status_code == 404
    assert _state(record) == before


def test_a_record_in_the_recycle_bin_takes_no_followups(pool_admin, make):
    # given
    record = make(pool=True, deleted_at=timezone.now())
    before = _state(record)
    # when
    response = _client(pool_admin).post(
        _url(record, "followups"), {"content": "Rang"}, format="json"
    )
    # then
    assert (response.status_code, response.json()) == (404, {"detail": "No such record."})
    assert _state(record) == before


# --- calls ------------------------------------------------------------------------------


def test_calls_are_listed_a_page_at_a_time(rep_east, make):
    # given
    record = make(owner=rep_east, phone="13800138000")
    calls = [
        CallRecord.objects.create(
            **{record.entity: record},
            number="13800138000",
            started_at=_at(f"2024-01-0{day}T09:00"),
            created_at=_at(f"2024-01-0{day}T09:30"),
            duration_seconds=60 * day,
            author=rep_east,
        )
        for day in (1, 2, 3)
    ]
    client = _client(rep_east)
    # when
    first = client.get(_url(record, "calls"), {"limit": 2}).json()
    second = client.get(_url(record, "calls"), {"limit": 2, "cursor": first["next"]}).json()
    # then
    assert first["results"] == [_call(calls[2]), _call(calls[1])]
    assert second == {"results": [_call(calls[0])], "next": None}


def test_an_answered_call_is_logged_and_counts_as_a_followup(rep_east, make):
    # given
    record = make(owner=rep_east)
    started = timezone.now().replace(microsecond=0) - HOUR
    # when
    response = _client(rep_east).post(
        _url(record, "calls"),
        {
            "number": " 13800138000 ",
            "direction": "inbound",
            "started_at": _iso(started),
            "duration_seconds": 95,
            "outcome": "answered",
            "recording_url": "https://calls.example.com/r/1.mp3",
            "notes": "Asked for a quote",
        },
        format="json",
    )
    # then
    assert response.status_code == 201
    call = CallRecord.objects.get()
    assert response.json() == _call(call)
    assert response.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "number": "13800138000",
        "direction": "inbound",
        "started_at": _iso(started),
        "duration_seconds": 95,
        "outcome": "answered",
        "recording_url": "https://calls.example.com/r/1.mp3",
        "notes": "Asked for a quote",
        "author": rep_east.pk,
        "created_at": "",
    }
    fresh = type(record).objects.get(pk=record.pk)
    assert (fresh.status, fresh.last_followup_at) == ("following", started)


def test_an_unanswered_call_is_logged_without_counting_as_a_followup(rep_east, make):
    # given
    record = make(owner=rep_east)
    # when
    response = _client(rep_east).post(
        _url(record, "calls"),
        {"number": "13800138000", "started_at": _iso(timezone.now()), "outcome": "no_answer"},
        format="json",
    )
    # then
    assert (response.status_code, response.json()["outcome"]) == (201, "no_answer")
    fresh = type(record).objects.get(pk=record.pk)
    assert (fresh.status, fresh.last_followup_at) == ("new", None)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {},
            {"number": ["This field is required."], "started_at": ["This field is required."]},
        ),
        (
            {"number": "138", "started_at": "2150-01-01T00:00:00+08:00"},
            {"started_at": ["Enter a time between 1970 and 2099."]},
        ),
        (
            {"number": "138", "started_at": "{future}"},
            {"started_at": ["A call cannot start in the future."]},
        ),
        (
            {"number": "138", "started_at": "{now}", "duration_seconds": -1},
            {"duration_seconds": ["Ensure this value is greater than or equal to 0."]},
        ),
        (
            {"number": "138", "started_at": "{now}", "outcome": "hung", "direction": "up"},
            {
                "outcome": ['"hung" is not a valid choice.'],
                "direction": ['"up" is not a valid choice.'],
            },
        ),
        (
            {"number": "138", "started_at": "{now}", "recording_url": "not a url"},
            {"recording_url": ["Enter a valid URL."]},
        ),
        (
            {"number": "138", "started_at": "{now}", "lead": 1},
            {"lead": ["Unknown field."]},
        ),
    ],
)
def test_a_bad_call_is_a_400_and_nothing_is_written(rep_east, make, body, errors):
    # given
    record = make(owner=rep_east)
    now = timezone.now()
    moments = {"{now}": _iso(now - HOUR), "{future}": _iso(now + HOUR)}
    body = {key: moments.get(value, value) for key, value in body.items()}
    before = _state(record)
    # when
    response = _client(rep_east).post(_url(record, "calls"), body, format="json")
    # then
    assert (response.status_code, response.json()) == (400, {"errors": errors})
    assert _state(record) == before


def test_a_member_who_only_sees_the_record_may_not_log_a_call(member, make):
    # given
    record = make(pool=True)
    before = _state(record)
    # when
    response = _client(member).post(
        _url(record, "calls"),
        {"number": "13800138000", "started_at": _iso(timezone.now())},
        format="json",
    )
    # then
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "You may not do that with this record."},
    )
    assert _state(record) == before


def test_calls_of_a_record_out_of_scope_are_a_404_to_read_and_to_log(rep_west, rep_east, make):
    # given
    record = make(owner=rep_east)
    CallRecord.objects.create(
        **{record.entity: record}, number="13800138000", started_at=timezone.now(), author=rep_east
    )
    before = _state(record)
    client = _client(rep_west)
    # when
    read = client.get(_url(record, "calls"))
    logged = client.post(
        _url(record, "calls"),
        {"number": "13800138000", "started_at": _iso(timezone.now())},
        format="json",
    )
    # then
    assert [(answer.status_code, answer.json()) for answer in (read, logged)] == [
        (404, {"detail": "No such record."})
    ] * 2
    assert _state(record) == before


@pytest.mark.parametrize(("visibility", "number"), [("masked", "138****8000"), ("hidden", "")])
def test_a_member_reads_call_numbers_masked_until_he_claims(
    member, pool_admin, lead_pool, customer_pool, make, visibility, number
):
    # given
    for pool in (lead_pool, customer_pool):
        pool.contact_visibility = visibility
        pool.save()
    record = make(pool=True, phone="13800138000")
    call = CallRecord.objects.create(
        **{record.entity: record},
        number="+86 138 0013 8000",
        started_at=timezone.now() - HOUR,
        author=pool_admin,
    )
    client = _client(member)
    # when
    before_claim = client.get(_url(record, "calls")).json()
    client.post(f"/api/v1/{record.entity}s/claim", {"ids": [record.pk]}, format="json")
    after_claim = client.get(_url(record, "calls")).json()
    # then
    assert before_claim == {"results": [_call(call) | {"number": number}], "next": None}
    assert after_claim == {"results": [_call(call)], "next": None}
