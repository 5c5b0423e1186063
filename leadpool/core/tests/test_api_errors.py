"""What every API endpoint shares: authentication, the two error shapes, pagination,
throttling, the JSON 404/500 handlers and the published schema and docs."""

import base64
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.urls import URLPattern, URLResolver
from django.utils.crypto import get_random_string
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leadpool import api_urls
from leadpool.accounts import services as account_services
from leadpool.accounts.models import Department
from leadpool.core.api import SettingsRateThrottle
from leadpool.history.models import Notification
from leadpool.history.services import notify

RATES_OFF = {"login_ip": None, "login_username": None, "write": None}
THROTTLED = {"detail": "Request was throttled. Expected available in 60 seconds."}


@pytest.fixture(autouse=True)
def fresh_throttles(settings):
    # Throttle counters live in the cache, which outlives each test's transaction.
    settings.LEADPOOL_RATES = RATES_OFF
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def frozen_throttle_clock(monkeypatch):
    # Every request happens at the same instant, so the wait is exactly one period.
    monkeypatch.setattr(SettingsRateThrottle, "timer", lambda self: 1_000_000.0)


def client_for(user, **kwargs) -> APIClient:
    client = APIClient(**kwargs)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def department_names() -> list[str]:
    return sorted(Department.objects.values_list("name", flat=True))


BASE_DEPARTMENTS = ["East Sales", "East Team", "HQ", "West Sales"]


# --- authentication --------------------------------------------------------------------


def test_a_request_without_credentials_is_refused_with_401(db):
    # when
    response = APIClient().get("/api/v1/users/")
    # then
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == "Token"


def test_a_write_without_credentials_is_refused_with_401_and_writes_nothing(departments):
    # when
    response = APIClient().post("/api/v1/departments/", {"name": "Sneaky"}, format="json")
    # then
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert department_names() == BASE_DEPARTMENTS


def test_a_bad_token_is_refused_with_401(db):
    # given
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    # when
    response = client.get("/api/v1/users/")
    # then
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_the_token_of_a_deactivated_user_is_refused_with_401(rep_east):
    # given
    client = client_for(rep_east)
    rep_east.is_active = False
    rep_east.save()
    # when
    response = client.get("/api/v1/users/")
    # then
    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


def test_a_browser_session_can_read(rep_east):
    # given
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="rep_east", password="pw-rep_east")
    # when
    response = client.get(f"/api/v1/users/{rep_east.pk}")
    # then
    assert response.status_code == 200
    assert response.json()["username"] == "rep_east"


def test_a_session_write_without_a_csrf_token_is_refused_and_writes_nothing(admin):
    # given
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="admin", password="pw-admin")
    # when
    response = client.post("/api/v1/departments/", {"name": "Forged"}, format="json")
    # then
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF cookie not set."}
    assert department_names() == BASE_DEPARTMENTS


def test_a_session_write_with_a_wrong_csrf_token_is_refused(admin):
    # given
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="admin", password="pw-admin")
    client.cookies["csrftoken"] = get_random_string(32)
    # when
    response = client.post(
        "/api/v1/departments/",
        {"name": "Forged"},
        format="json",
        HTTP_X_CSRFTOKEN=get_random_string(32),
    )
    # then
    assert response.status_code == 403
    assert response.json() == {
        "detail": "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."
    }
    assert department_names() == BASE_DEPARTMENTS


def test_a_session_write_with_the_csrf_token_succeeds(admin, departments):
    # given
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="admin", password="pw-admin")
    token = get_random_string(32)
    client.cookies["csrftoken"] = token
    # when
    response = client.post(
        "/api/v1/departments/", {"name": "North Sales"}, format="json", HTTP_X_CSRFTOKEN=token
    )
    # then
    assert response.status_code == 201
    north = Department.objects.get(name="North Sales")
    assert response.json() == {"id": north.pk, "name": "North Sales", "parent": None}


# --- bad input -------------------------------------------------------------------------


def test_malformed_json_is_a_400_in_the_errors_shape(admin):
    # given
    client = client_for(admin)
    # when
    response = client.post("/api/v1/departments/", '{"name": ', content_type="application/json")
    # then
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["errors"]
    assert list(body["errors"]) == ["non_field_errors"]
    [message] = body["errors"]["non_field_errors"]
    assert message.startswith("JSON parse error - ")
    assert department_names() == BASE_DEPARTMENTS


@pytest.mark.parametrize("raw", ['[{"name": "North"}]', '"North"', "42"])
def test_a_body_that_is_not_a_json_object_is_a_400(admin, raw):
    # given
    client = client_for(admin)
    # when
    response = client.post("/api/v1/departments/", raw, content_type="application/json")
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"non_field_errors": ["Send a JSON object."]}}
    assert department_names() == BASE_DEPARTMENTS


def test_json_null_as_the_body_is_a_400(admin):
    # given
    client = client_for(admin)
    # when
    response = client.post("/api/v1/departments/", "null", content_type="application/json")
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"non_field_errors": ["No data provided"]}}


def test_wrong_types_and_unknown_fields_are_named_together(admin):
    # given
    client = client_for(admin)
    # when
    response = client.post(
        "/api/v1/departments/",
        {"name": ["North"], "parent": "top", "colour": "red"},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {
            "name": ["Not a valid string."],
            "parent": ["A valid integer is required."],
            "colour": ["Unknown field."],
        }
    }
    assert department_names() == BASE_DEPARTMENTS


def test_an_unknown_field_alone_is_refused_not_ignored(admin, departments):
    # given
    client = client_for(admin)
    # when
    response = client.patch(
        f"/api/v1/departments/{departments['west'].pk}",
        {"name": "West", "manager": 1},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"manager": ["Unknown field."]}}
    assert department_names() == BASE_DEPARTMENTS


def test_a_body_over_the_size_limit_is_refused_with_413_and_writes_nothing(admin, settings):
    # given
    client = client_for(admin)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"name": "x" * limit})
    assert len(body) > limit
    # when
    response = client.post("/api/v1/departments/", body, content_type="application/json")
    # then
    assert response.status_code == 413
    assert response.json() == {"detail": f"The request body is larger than {limit} bytes."}
    assert department_names() == BASE_DEPARTMENTS


def test_an_oversized_login_is_refused_with_413_before_any_check(db, settings):
    # given: the login throttle reads the username from the body before the view runs
    settings.LEADPOOL_RATES = {"login_ip": "30/minute", "login_username": "10/minute"}
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"username": "admin", "password": "p" * 2000})
    # when
    response = APIClient().post("/api/v1/auth/token", body, content_type="application/json")
    # then
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 1000 bytes."}
    assert Token.objects.count() == 0


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "name=North"),
        ("text/plain", '{"name": "North"}'),
    ],
)
def test_a_body_that_is_not_json_is_refused_with_415(admin, content_type, body):
    # given
    client = client_for(admin)
    # when
    response = client.post("/api/v1/departments/", body, content_type=content_type)
    # then
    assert response.status_code == 415
    assert response.json() == {"detail": f'Unsupported media type "{content_type}" in request.'}
    assert department_names() == BASE_DEPARTMENTS


def test_a_multipart_body_is_refused_with_415(admin):
    # given
    client = client_for(admin)
    # when
    response = client.post("/api/v1/departments/", {"name": "North"}, format="multipart")
    # then
    assert response.status_code == 415
    assert response.json()["detail"].startswith('Unsupported media type "multipart/form-data')
    assert department_names() == BASE_DEPARTMENTS


# --- 404, 405 and 500 ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing/", "/api/v1/users/abc", "/api/nothing", "/api/v2/users/"]
)
def test_an_unknown_url_under_api_is_a_json_404(rep_east, path):
    # given
    client = client_for(rep_east)
    # when
    response = client.get(path)
    # then
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_id_is_a_404_saying_what_is_missing(rep_east):
    # given
    client = client_for(rep_east)
    # when
    response = client.get("/api/v1/users/999999999")
    # then
    assert response.status_code == 404
    assert response.json() == {"detail": "No such user."}


def test_a_method_a_route_does_not_offer_is_a_405(rep_east):
    # given
    client = client_for(rep_east)
    # when
    response = client.put(f"/api/v1/users/{rep_east.pk}", {"username": "x"}, format="json")
    # then
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


def test_an_unexpected_error_is_a_500_without_details(admin, monkeypatch, settings):
    # given
    settings.DEBUG = False

    def broken(**kwargs):
        raise RuntimeError('SELECT "password" FROM "accounts_user" -- secret detail')

    monkeypatch.setattr(account_services, "save_department", broken)
    client = client_for(admin, raise_request_exception=False)
    # when
    response = client.post("/api/v1/departments/", {"name": "North"}, format="json")
    # then
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Server error."}
    for leak in (b"Traceback", b"SELECT", b"secret", b"RuntimeError", b"accounts_user"):
        assert leak not in response.content
    assert department_names() == BASE_DEPARTMENTS


# --- pagination ------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "501", "abc", "-1", "1.5"])
def test_a_limit_outside_1_to_500_is_a_400_naming_limit(rep_east, limit):
    # given
    client = client_for(rep_east)
    # when
    response = client.get(f"/api/v1/users/?limit={limit}")
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"limit": ["Give a number from 1 to 500."]}}


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "bm90LWEtY3Vyc29y",  # "not-a-cursor"
        cursor_of("2020-01-01T00:00:00|1"),  # a time without an offset
        cursor_of("2020-13-01T00:00:00+00:00|1"),
        cursor_of("|0"),
        cursor_of("|-5"),
        cursor_of("|99999999999999999999"),
        cursor_of("a|b|c"),
        # Valid times that leave the datetime range once put in UTC.
        cursor_of("0001-01-01T00:00:00+05:00|1"),
        cursor_of("9999-12-31T23:59:59-05:00|1"),
    ],
)
def test_a_garbage_cursor_is_a_400_naming_cursor(rep_east, cursor):
    # given
    notify([rep_east], kind=Notification.Kind.FOLLOWUP_DUE)
    client = client_for(rep_east)
    # when
    response = client.get(f"/api/v1/notifications/?cursor={cursor}")
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"cursor": ["This cursor is not valid."]}}


def test_pages_follow_each_other_without_gaps_or_repeats(rep_east, pool_admin):
    # given: five notifications created at the same instant
    created = notify([rep_east], kind=Notification.Kind.FOLLOWUP_DUE)
    for _ in range(4):
        created += notify([rep_east], kind=Notification.Kind.FOLLOWUP_DUE)
    Notification.objects.update(created_at=created[0].created_at)
    client = client_for(rep_east)
    # when
    first = client.get("/api/v1/notifications/?limit=2").json()
    second = client.get(f"/api/v1/notifications/?limit=2&cursor={first['next']}").json()
    third = client.get(f"/api/v1/notifications/?limit=2&cursor={second['next']}").json()
    # then
    pages = [[row["id"] for row in page["results"]] for page in (first, second, third)]
    ids = sorted((n.pk for n in created), reverse=True)
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]
    assert third["next"] is None


# --- throttling ------------------------------------------------------------------------


def test_writes_past_the_rate_are_refused_with_429_and_retry_after(
    admin, settings, frozen_throttle_clock
):
    # given
    settings.LEADPOOL_RATES = {**RATES_OFF, "write": "2/minute"}
    client = client_for(admin)
    for name in ("North", "South"):
        assert client.post("/api/v1/departments/", {"name": name}, format="json").status_code == 201
    # when
    response = client.post("/api/v1/departments/", {"name": "Central"}, format="json")
    # then
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json() == THROTTLED
    assert department_names() == sorted([*BASE_DEPARTMENTS, "North", "South"])


def test_the_write_rate_is_counted_per_user(admin, rep_east, settings, frozen_throttle_clock):
    # given: the admin has used up the rate
    settings.LEADPOOL_RATES = {**RATES_OFF, "write": "1/minute"}
    admin_client = client_for(admin)
    assert (
        admin_client.post("/api/v1/departments/", {"name": "North"}, format="json").status_code
        == 201
    )
    assert (
        admin_client.post("/api/v1/departments/", {"name": "South"}, format="json").status_code
        == 429
    )
    # when
    response = client_for(rep_east).post("/api/v1/notifications/read", {"ids": [1]}, format="json")
    # then
    assert response.status_code == 200
    assert response.json() == {"read": 0}


def test_reads_are_not_throttled_nor_counted_against_writes(admin, settings):
    # given
    settings.LEADPOOL_RATES = {**RATES_OFF, "write": "1/minute"}
    client = client_for(admin)
    # when
    reads = [client.get("/api/v1/departments/").status_code for _ in range(5)]
    write = client.post("/api/v1/departments/", {"name": "North"}, format="json")
    # then
    assert reads == [200] * 5
    assert write.status_code == 201


def test_a_rate_of_none_turns_the_write_throttle_off(admin, settings):
    # given
    settings.LEADPOOL_RATES = {**RATES_OFF, "write": None}
    client = client_for(admin)
    # when
    statuses = [
        client.post("/api/v1/departments/", {"name": f"D{n}"}, format="json").status_code
        for n in range(5)
    ]
    # then
    assert statuses == [201] * 5


# --- schema and docs -------------------------------------------------------------------


def _openapi_paths(patterns, prefix: str) -> set[str]:
    """The OpenAPI spelling of every route: `{id}` for pk, a `/` for the optional slash."""
    paths: set[str] = set()
    for pattern in patterns:
        route = str(pattern.pattern).removeprefix("^").removesuffix("$").replace("/?", "/")
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
        route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route).replace("{pk}", "{id}")
        if isinstance(pattern, URLResolver):
            paths |= _openapi_paths(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            paths.add(prefix + route)
    return paths


def test_the_schema_is_openapi_3_and_names_every_api_path(db):
    # given
    expected = _openapi_paths(api_urls.urlpatterns, "/api/v1/")
    # when
    response = APIClient().get("/api/schema/?format=json")
    # then
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "LeadPool API"
    assert "/api/v1/auth/token" in expected
    assert sorted(expected - set(document["paths"])) == []


def test_the_schema_is_served_as_yaml_by_default(db):
    # when
    response = APIClient().get("/api/schema/")
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oai.openapi; charset=utf-8"
    assert response.content.startswith(b"openapi: 3.")


def test_the_schema_documents_the_error_responses(db):
    # when
    document = APIClient().get("/api/schema/?format=json").json()
    # then
    create_user = document["paths"]["/api/v1/users/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "413", "415", "429"} <= set(create_user)
    retrieve_user = document["paths"]["/api/v1/users/{id}/"]["get"]["responses"]
    assert {"200", "401", "403", "404", "429"} <= set(retrieve_user)


def test_the_docs_page_loads_its_scripts_and_styles_from_this_server(db):
    # when
    response = APIClient().get("/api/docs/")
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assets = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 3
    for url in assets:
        assert url.startswith("/static/drf_spectacular_sidecar/"), url
        assert finders.find(url.removeprefix("/static/")) is not None, url
    # No CDN host (the page's random CSRF nonce may spell "cdn": look for hosts only).
    assert not re.search(r"(?:https?:)?//[\w.-]*cdn", html.lower())
    assert "https://" not in html
