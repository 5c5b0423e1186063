"""A record's ownership history over HTTP: /api/v1/{leads,customers}/{id}/history/."""

import datetime

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from leadpool.customers.models import Customer
from leadpool.history.models import Event
from leadpool.leads.models import Lead

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


@pytest.fixture(params=ENTITIES)
def entity(request):
    return request.param


@pytest.fixture
def pool(entity, lead_pool, customer_pool):
    return lead_pool if entity == "lead" else customer_pool


@pytest.fixture
def make(entity, make_lead, make_customer):
    return make_lead if entity == "lead" else make_customer


def _history(record) -> str:
    return f"/api/v1/{record.entity}s/{record.pk}/history/"


def _events() -> list[tuple]:
    return list(Event.objects.order_by("id").values_list("id", "action", "at", "details"))


@pytest.fixture
def travelled(entity, rep_east, member, pool):
    """A record rep_east created privately, edited and put into the pool, and the member
    then claimed: all over the API, so its history is what the services wrote."""
    base = f"/api/v1/{entity}s/"
    east = _client(rep_east)
    record_id = east.post(base, {"name": "Li Lei", "phone": "13800138000"}, format="json").json()[
        "id"
    ]
    east.patch(f"{base}{record_id}", {"notes": "Call after 10", "region": "East"}, format="json")
    east.post(
        f"{base}put_into_pool",
        {"ids": [record_id], "pool": pool.pk, "reason": "No time"},
        format="json",
    )
    _client(member).post(
        f"{base}claim", {"ids": [record_id], "reason": "I know them"}, format="json"
    )
    return (Lead if entity == "lead" else Customer).objects.get(pk=record_id)


def test_the_history_lists_every_event_newest_first_in_the_api_shape(
    travelled, rep_east, member, pool, pool_admin
):
    # given
    events = list(Event.objects.filter(**{travelled.entity: travelled}).order_by("id"))
    created, edited, put, claimed = events
    # when
    response = _client(pool_admin).get(_history(travelled))
    # then
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "id": claimed.pk,
                "action": "claim",
                "actor": member.pk,
                "from_owner": None,
                "to_owner": member.pk,
                "from_pool": pool.pk,
                "to_pool": pool.pk,
                "reason": "I know them",
                "rule": "",
                "details": {},
                "at": _iso(claimed.at),
            },
            {
                "id": put.pk,
                "action": "put_into_pool",
                "actor": rep_east.pk,
                "from_owner": rep_east.pk,
                "to_owner": None,
                "from_pool": None,
                "to_pool": pool.pk,
                "reason": "No time",
                "rule": "",
                "details": {},
                "at": _iso(put.at),
            },
            {
                "id": edited.pk,
                "action": "edit",
                "actor": rep_east.pk,
                "from_owner": None,
                "to_owner": None,
                "from_pool": None,
                "to_pool": None,
                "reason": "",
                "rule": "",
                "details": {"fields": ["notes", "region"]},
                "at": _iso(edited.at),
            },
            {
                "id": created.pk,
                "action": "create",
                "actor": rep_east.pk,
                "from_owner": None,
                "to_owner": rep_east.pk,
                "from_pool": None,
                "to_pool": None,
                "reason": "",
                "rule": "",
                "details": {},
                "at": _iso(created.at),
            },
        ],
        "next": None,
    }


def test_an_event_by_a_rule_has_no_actor_and_names_the_rule(rep_east, pool, make):
    # given
    record = make(pool=pool)
    event = Event.objects.create(
        **{record.entity: record},
        action=Event.Action.AUTO_RECLAIM,
        from_owner=rep_east,
        from_pool=pool,
        to_pool=pool,
        rule="reclaim_no_followup_days",
        at=timezone.make_aware(datetime.datetime(2024, 2, 1, 3, 0)),
    )
    # when
    response = _client(rep_east).get(_history(record))
    # then
    assert response.json() == {
        "results": [
            {
                "id": event.pk,
                "action": "auto_reclaim",
                "actor": None,
                "from_owner": rep_east.pk,
                "to_owner": None,
                "from_pool": pool.pk,
                "to_pool": pool.pk,
                "reason": "",
                "rule": "reclaim_no_followup_days",
                "details": {},
                "at": "2024-02-01T03:00:00+08:00",
            }
        ],
        "next": None,
    }


def test_the_history_holds_only_the_records_own_events(rep_east, pool, make, pool_admin):
    # given
    record, other = make(owner=rep_east), make(owner=rep_east)
    Event.objects.create(**{other.entity: other}, action=Event.Action.EDIT, actor=rep_east)
    Event.objects.create(action=Event.Action.TRANSFER_POOL, actor=pool_admin, from_pool=pool)
    own = Event.objects.create(**{record.entity: record}, action=Event.Action.EDIT, actor=rep_east)
    # when
    response = _client(rep_east).get(_history(record))
    # then
    assert [row["id"] for row in response.json()["results"]] == [own.pk]


def test_the_history_is_paginated(travelled, pool_admin):
    # given
    ids = list(
        Event.objects.filter(**{travelled.entity: travelled})
        .order_by("-at", "-id")
        .values_list("id", flat=True)
    )
    client = _client(pool_admin)
    # when
    first = client.get(_history(travelled), {"limit": 3}).json()
    second = client.get(_history(travelled), {"limit": 3, "cursor": first["next"]}).json()
    # then
    assert [row["id"] for row in first["results"] + second["results"]] == ids
    assert second["next"] is None


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_history_is_read_only(travelled, pool_admin, admin, method):
    # given
    before = _events()
    # when
    answers = [
        getattr(_client(user), method)(_history(travelled), {"action": "create"}, format="json")
        for user in (pool_admin, admin)
    ]
    # then
    assert [(answer.status_code, answer.json()) for answer in answers] == [
        (405, {"detail": f'Method "{method.upper()}" not allowed.'})
    ] * 2
    assert _events() == before


def test_no_single_event_can_be_reached_or_changed(travelled, admin):
    # given
    event = Event.objects.filter(**{travelled.entity: travelled}).first()
    before = _events()
    client = _client(admin)
    # when
    read = client.get(f"{_history(travelled)}{event.pk}/")
    deleted = client.delete(f"{_history(travelled)}{event.pk}/")
    # then
    assert (read.status_code, deleted.status_code) == (404, 404)
    assert _events() == before


def test_the_history_of_a_record_out_of_scope_is_a_404(travelled, rep_west, outsider):
    # when
    answers = [_client(user).get(_history(travelled)) for user in (rep_west, outsider)]
    # then
    assert [(answer.status_code, answer.json()) for answer in answers] == [
        (404, {"detail": "No such record."})
    ] * 2


def test_the_history_of_a_record_that_does_not_exist_is_a_404(rep_east, entity):
    # when
    response = _client(rep_east).get(f"/api/v1/{entity}s/987654/history/")
    # then
    assert (response.status_code, response.json()) == (404, {"detail": "No such record."})


def test_a_former_owner_loses_the_history_with_the_record(travelled, rep_east, member):
    # given: rep_east put the record into the pool and the member claimed it; rep_east is
    # neither owner nor collaborator now, and members see only unassigned records
    # when
    former = _client(rep_east).get(_history(travelled))
    owner = _client(member).get(_history(travelled))
    # then
    assert (former.status_code, former.json()) == (404, {"detail": "No such record."})
    assert (owner.status_code, len(owner.json()["results"])) == (200, 4)


def test_without_credentials_the_history_is_a_401(travelled):
    # when
    response = APIClient().get(_history(travelled))
    # then
    assert response.status_code == 401
