"""/api/v1/users/me/: each user reads and sets their own language and e-mailed
notification types (issue 8), and nothing else about themselves."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leadpool.accounts.models import User

RATES_OFF = {"login_ip": None, "login_username": None, "write": None}


@pytest.fixture(autouse=True)
def fresh_throttles(settings):
    settings.LEADPOOL_RATES = RATES_OFF
    cache.clear()
    yield
    cache.clear()


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def row(user) -> dict:
    return User.objects.filter(pk=user.pk).values().get()


def test_a_user_reads_their_own_preferences(rep_east):
    # given
    rep_east.language = "zh-hans"
    rep_east.email_notifications = ["assigned"]
    rep_east.save()
    # when
    response = client_for(rep_east).get("/api/v1/users/me/")
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["username"]) == (rep_east.pk, "rep_east")
    assert (body["language"], body["email_notifications"]) == ("zh-hans", ["assigned"])


def test_a_user_sets_their_language_and_notification_types(rep_east):
    # when
    response = client_for(rep_east).patch(
        "/api/v1/users/me/",
        {"language": "zh-hans", "email_notifications": ["reclaimed", "assigned", "reclaimed"]},
        format="json",
    )
    # then
    assert response.status_code == 200, response.json()
    rep_east.refresh_from_db()
    assert rep_east.language == "zh-hans"
    # each once, in the order the types are listed
    assert rep_east.email_notifications == ["assigned", "reclaimed"]
    assert response.json()["email_notifications"] == ["assigned", "reclaimed"]


def test_a_blank_language_means_the_sites_and_an_empty_list_opts_out(rep_east):
    # given
    rep_east.language = "zh-hans"
    rep_east.email_notifications = ["assigned"]
    rep_east.save()
    # when
    response = client_for(rep_east).patch(
        "/api/v1/users/me", {"language": "", "email_notifications": []}, format="json"
    )
    # then
    assert response.status_code == 200, response.json()
    rep_east.refresh_from_db()
    assert (rep_east.language, rep_east.email_notifications) == ("", [])


def test_unknown_notification_types_are_named_and_nothing_is_saved(rep_east):
    # given
    before = row(rep_east)
    # when
    response = client_for(rep_east).patch(
        "/api/v1/users/me/",
        {"language": "zh-hans", "email_notifications": ["assigned", "weather", "gossip"]},
        format="json",
    )
    # then
    assert response.status_code == 400
    [message] = response.json()["errors"]["email_notifications"]
    assert "weather" in message and "gossip" in message and "assigned" not in message
    assert row(rep_east) == before


def test_an_unknown_language_is_refused(rep_east):
    before = row(rep_east)
    response = client_for(rep_east).patch("/api/v1/users/me/", {"language": "fr"}, format="json")
    assert response.status_code == 400
    assert "language" in response.json()["errors"]
    assert row(rep_east) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("role", "admin"),
        ("is_active", False),
        ("department", 1),
        ("username", "boss"),
        ("display_name", "Boss"),
        ("email", "boss@example.com"),
        ("password", "a-new-long-password-1"),
        ("is_superuser", True),
        ("is_staff", True),
        ("id", 1),
    ],
)
def test_nothing_else_about_oneself_can_be_written_there(rep_east, departments, field, value):
    # given
    before = row(rep_east)
    # when: a preference and a field one may not set, together
    response = client_for(rep_east).patch(
        "/api/v1/users/me/", {"language": "zh-hans", field: value}, format="json"
    )
    # then: refused by name, and nothing saved (not even the preference)
    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == [field]
    assert row(rep_east) == before


def test_anonymous_callers_get_401(db):
    assert APIClient().get("/api/v1/users/me/").status_code == 401
    assert APIClient().patch("/api/v1/users/me/", {}, format="json").status_code == 401


def test_me_does_not_shadow_the_user_with_an_id(admin, rep_east):
    response = client_for(admin).get(f"/api/v1/users/{rep_east.pk}/")
    assert response.status_code == 200 and response.json()["username"] == "rep_east"
    assert "language" not in response.json()


def test_the_schema_describes_me(db):
    document = APIClient().get("/api/schema/?format=json").json()
    operations = document["paths"]["/api/v1/users/me/"]
    assert {"get", "patch"} <= set(operations)
    assert "400" in operations["patch"]["responses"]
