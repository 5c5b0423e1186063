"""The caller's notifications: /api/v1/notifications/ and POST /api/v1/notifications/read."""

import pytest
from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leadpool.history.models import Notification
from leadpool.history.services import notify


@pytest.fixture(autouse=True)
def no_throttles(settings):
    settings.LEADPOOL_RATES = {"login_ip": None, "login_username": None, "write": None}
    cache.clear()


def client_for(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def read_times() -> dict[int, object]:
    return dict(Notification.objects.values_list("pk", "read_at"))


@pytest.fixture
def inbox(rep_east, rep_west, pool_admin, lead_pool, make_lead):
    """rep_east: an assignment and a reclaim; rep_west: a deletion."""
    lead = make_lead(pool=lead_pool, name="Li Lei", company="")
    [assigned] = notify([rep_east], kind=Notification.Kind.ASSIGNED, record=lead, actor=pool_admin)
    [reclaimed] = notify(
        [rep_east], kind=Notification.Kind.RECLAIMED, record=lead, actor=pool_admin
    )
    [theirs] = notify([rep_west], kind=Notification.Kind.DELETED, record=lead, actor=pool_admin)
    return {"lead": lead, "assigned": assigned, "reclaimed": reclaimed, "theirs": theirs}


def test_a_user_sees_only_their_own_notifications_with_their_text(rep_east, pool_admin, inbox):
    # when
    response = client_for(rep_east).get("/api/v1/notifications/")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    rows = body["results"]
    for row, notification in zip(rows, (inbox["reclaimed"], inbox["assigned"]), strict=True):
        assert parse_datetime(row.pop("created_at")) == notification.created_at
    assert rows == [
        {
            "id": inbox["reclaimed"].pk,
            "kind": "reclaimed",
            "text": "Pool Admin took “Li Lei” back into the pool.",
            "lead": inbox["lead"].pk,
            "customer": None,
            "pool": None,
            "actor": pool_admin.pk,
            "read_at": None,
        },
        {
            "id": inbox["assigned"].pk,
            "kind": "assigned",
            "text": "Pool Admin assigned “Li Lei” to you.",
            "lead": inbox["lead"].pk,
            "customer": None,
            "pool": None,
            "actor": pool_admin.pk,
            "read_at": None,
        },
    ]


def test_a_user_without_notifications_sees_an_empty_list(outsider, inbox):
    # when
    response = client_for(outsider).get("/api/v1/notifications/")
    # then
    assert response.status_code == 200
    assert response.json() == {"results": [], "next": None}


def test_the_text_is_rendered_in_the_readers_language(rep_east, inbox):
    # when
    response = client_for(rep_east).get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    # then
    texts = [row["text"] for row in response.json()["results"]]
    assert texts[1] == "Pool Admin将“Li Lei”分配给了您。"


@pytest.mark.parametrize("flag", ["true", "1"])
def test_unread_true_lists_only_unread_notifications(rep_east, inbox, flag):
    # given
    Notification.objects.filter(pk=inbox["assigned"].pk).update(read_at=timezone.now())
    # when
    response = client_for(rep_east).get(f"/api/v1/notifications/?unread={flag}")
    # then
    assert [row["id"] for row in response.json()["results"]] == [inbox["reclaimed"].pk]


def test_unread_false_lists_read_and_unread(rep_east, inbox):
    # given
    Notification.objects.filter(pk=inbox["assigned"].pk).update(read_at=timezone.now())
    # when
    response = client_for(rep_east).get("/api/v1/notifications/?unread=false")
    # then
    assert [row["id"] for row in response.json()["results"]] == [
        inbox["reclaimed"].pk,
        inbox["assigned"].pk,
    ]


def test_marking_read_touches_only_the_callers_own_notifications(rep_east, inbox):
    # given
    before = timezone.now()
    # when
    response = client_for(rep_east).post(
        "/api/v1/notifications/read",
        {"ids": [inbox["assigned"].pk, inbox["theirs"].pk, 999999]},
        format="json",
    )
    # then
    assert response.status_code == 200
    assert response.json() == {"read": 1}
    times = read_times()
    assert times[inbox["assigned"].pk] >= before
    assert times[inbox["reclaimed"].pk] is None
    assert times[inbox["theirs"].pk] is None


def test_a_read_notification_shows_when_it_was_read_and_is_not_counted_again(rep_east, inbox):
    # given
    client = client_for(rep_east)
    client.post("/api/v1/notifications/read", {"ids": [inbox["assigned"].pk]}, format="json")
    first_read_at = read_times()[inbox["assigned"].pk]
    # when
    again = client.post(
        "/api/v1/notifications/read", {"ids": [inbox["assigned"].pk]}, format="json"
    )
    listed = client.get("/api/v1/notifications/").json()["results"]
    # then
    assert again.json() == {"read": 0}
    assert read_times()[inbox["assigned"].pk] == first_read_at
    assert parse_datetime(listed[1]["read_at"]) == first_read_at


def test_the_trailing_slash_is_optional_on_read(rep_east, inbox):
    # when
    response = client_for(rep_east).post(
        "/api/v1/notifications/read/", {"ids": [inbox["reclaimed"].pk]}, format="json"
    )
    # then
    assert response.json() == {"read": 1}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"ids": ["This field is required."]}),
        ({"ids": []}, {"ids": ["This list may not be empty."]}),
        ({"ids": "all"}, {"ids": ['Expected a list of items but got type "str".']}),
        ({"ids": [0]}, {"ids.0": ["Ensure this value is greater than or equal to 1."]}),
        ({"ids": [1], "all": True}, {"all": ["Unknown field."]}),
    ],
)
def test_a_bad_read_request_is_a_400_and_marks_nothing(rep_east, inbox, body, errors):
    # when
    response = client_for(rep_east).post("/api/v1/notifications/read", body, format="json")
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    assert set(read_times().values()) == {None}


def test_notifications_need_a_signed_in_user(inbox):
    # when
    listed = APIClient().get("/api/v1/notifications/")
    marked = APIClient().post(
        "/api/v1/notifications/read", {"ids": [inbox["assigned"].pk]}, format="json"
    )
    # then
    assert (listed.status_code, marked.status_code) == (401, 401)
    assert set(read_times().values()) == {None}
