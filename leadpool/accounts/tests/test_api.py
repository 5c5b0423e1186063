"""The API of logging in, users and departments (accounts/api.py)."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leadpool.accounts.models import Department, User
from leadpool.core.api import SettingsRateThrottle

RATES_OFF = {"login_ip": None, "login_username": None, "write": None}
THROTTLED = {"detail": "Request was throttled. Expected available in 60 seconds."}
WRONG_LOGIN = {"errors": {"non_field_errors": ["Wrong username or password."]}}
ADMINS_ONLY = {"detail": "Only system admins manage users and departments."}


@pytest.fixture(autouse=True)
def fresh_throttles(settings):
    # Throttle counters live in the cache, which outlives each test's transaction.
    settings.LEADPOOL_RATES = RATES_OFF
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def frozen_throttle_clock(monkeypatch):
    monkeypatch.setattr(SettingsRateThrottle, "timer", lambda self: 1_000_000.0)


def client_for(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def login(username, password, **extra):
    return APIClient().post(
        "/api/v1/auth/token", {"username": username, "password": password}, format="json", **extra
    )


def user_rows() -> list[tuple]:
    return list(
        User.objects.order_by("pk").values_list(
            "username", "display_name", "email", "role", "department", "is_active", "password"
        )
    )


def department_rows() -> list[tuple]:
    return list(Department.objects.order_by("pk").values_list("pk", "name", "parent"))


@pytest.fixture
def everyone(admin, manager, rep_east, rep_west, pool_admin, member, outsider):
    return {
        "admin": admin,
        "manager": manager,
        "rep_east": rep_east,
        "rep_west": rep_west,
        "pool_admin": pool_admin,
        "member": member,
        "outsider": outsider,
    }


# --- token login -----------------------------------------------------------------------


def test_login_answers_a_token_that_authenticates(rep_east):
    # when
    response = login("rep_east", "pw-rep_east")
    # then
    assert response.status_code == 200
    token = Token.objects.get(user=rep_east)
    assert response.json() == {"token": token.key}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(f"/api/v1/users/{rep_east.pk}").status_code == 200


def test_logging_in_again_answers_the_same_token(rep_east):
    # given
    first = login("rep_east", "pw-rep_east").json()
    # when
    second = login("rep_east", "pw-rep_east").json()
    # then
    assert first == second
    assert Token.objects.filter(user=rep_east).count() == 1


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("rep_east", "wrong password"),
        ("nobody", "pw-nobody"),
        ("rep_east", "PW-REP_EAST"),
    ],
)
def test_a_wrong_login_is_a_400_that_does_not_say_which_part_was_wrong(
    rep_east, username, password
):
    # when
    response = login(username, password)
    # then
    assert response.status_code == 400
    assert response.json() == WRONG_LOGIN
    assert Token.objects.count() == 0


def test_an_inactive_user_cannot_log_in_even_with_the_right_password(rep_east):
    # given
    rep_east.is_active = False
    rep_east.save()
    # when
    response = login("rep_east", "pw-rep_east")
    # then
    assert response.status_code == 400
    assert response.json() == WRONG_LOGIN
    assert Token.objects.count() == 0


def test_a_login_without_username_or_password_names_both(db):
    # when
    response = APIClient().post("/api/v1/auth/token", {}, format="json")
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {
            "username": ["This field is required."],
            "password": ["This field is required."],
        }
    }


def test_a_login_with_blank_fields_or_extra_fields_is_a_400(db):
    # when
    response = APIClient().post(
        "/api/v1/auth/token",
        {"username": "", "password": "x", "remember": True},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"username": ["This field may not be blank."], "remember": ["Unknown field."]}
    }


def test_logins_from_one_ip_past_its_rate_are_refused_with_429(
    rep_east, rep_west, settings, frozen_throttle_clock
):
    # given
    settings.LEADPOOL_RATES = {**RATES_OFF, "login_ip": "3/minute"}
    for username in ("a", "b", "c"):
        assert login(username, "guess", REMOTE_ADDR="10.0.0.1").status_code == 400
    # when
    refused = login("rep_east", "pw-rep_east", REMOTE_ADDR="10.0.0.1")
    elsewhere = login("rep_west", "pw-rep_west", REMOTE_ADDR="10.0.0.2")
    # then
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json() == THROTTLED
    assert not Token.objects.filter(user=rep_east).exists()
    assert elsewhere.status_code == 200
    assert elsewhere.json() == {"token": Token.objects.get(user=rep_west).key}


def test_a_forged_forwarded_for_header_does_not_escape_the_ip_rate(
    rep_east, settings, frozen_throttle_clock
):
    # given: each attempt claims to come from a new address
    settings.LEADPOOL_RATES = {**RATES_OFF, "login_ip": "2/minute"}
    for n in range(2):
        login("x", "guess", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    # when
    response = login(
        "rep_east", "pw-rep_east", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.99"
    )
    # then
    assert response.status_code == 429
    assert not Token.objects.filter(user=rep_east).exists()


def test_logins_to_one_username_past_its_rate_are_refused_from_any_ip(
    rep_east, rep_west, settings, frozen_throttle_clock
):
    # given: guesses at rep_east's password from two addresses
    settings.LEADPOOL_RATES = {**RATES_OFF, "login_username": "2/minute"}
    assert login("rep_east", "guess 1", REMOTE_ADDR="10.0.0.1").status_code == 400
    assert login("REP_EAST ", "guess 2", REMOTE_ADDR="10.0.0.2").status_code == 400
    # when
    refused = login("rep_east", "pw-rep_east", REMOTE_ADDR="10.0.0.3")
    other_user = login("rep_west", "pw-rep_west", REMOTE_ADDR="10.0.0.4")
    # then
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json() == THROTTLED
    assert not Token.objects.filter(user=rep_east).exists()
    assert other_user.status_code == 200


# --- users: reading --------------------------------------------------------------------


def test_any_signed_in_user_lists_every_user_newest_first(everyone, departments):
    # when
    response = client_for(everyone["outsider"]).get("/api/v1/users/")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    assert [row["username"] for row in body["results"]] == [
        "outsider",
        "member",
        "pool_admin",
        "rep_west",
        "rep_east",
        "manager",
        "admin",
    ]
    assert body["results"][-1] == {
        "id": everyone["admin"].pk,
        "username": "admin",
        "display_name": "Admin",
        "email": "",
        "role": "admin",
        "department": departments["hq"].pk,
        "is_active": True,
    }


def test_any_signed_in_user_retrieves_a_user(rep_west, manager, departments):
    # when
    response = client_for(rep_west).get(f"/api/v1/users/{manager.pk}")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "id": manager.pk,
        "username": "manager",
        "display_name": "Manager",
        "email": "",
        "role": "manager",
        "department": departments["east"].pk,
        "is_active": True,
    }


def test_retrieving_an_unknown_user_is_a_404(rep_west):
    # when
    response = client_for(rep_west).get("/api/v1/users/999999")
    # then
    assert response.status_code == 404
    assert response.json() == {"detail": "No such user."}


# --- users: creating -------------------------------------------------------------------


def test_a_system_admin_creates_a_user_who_can_then_log_in(admin, departments):
    # given
    client = client_for(admin)
    # when
    response = client.post(
        "/api/v1/users/",
        {
            "username": "li_lei",
            "display_name": " Li Lei ",
            "email": "li@example.com",
            "role": "manager",
            "department": departments["west"].pk,
            "password": "Pudding-Lantern-42",
        },
        format="json",
    )
    # then
    assert response.status_code == 201
    user = User.objects.get(username="li_lei")
    assert response.json() == {
        "id": user.pk,
        "username": "li_lei",
        "display_name": "Li Lei",
        "email": "li@example.com",
        "role": "manager",
        "department": departments["west"].pk,
        "is_active": True,
    }
    assert user.is_staff is False
    assert user.password != "Pudding-Lantern-42"
    assert login("li_lei", "Pudding-Lantern-42").status_code == 200


def test_a_user_created_as_admin_may_use_the_django_admin(admin):
    # when
    response = client_for(admin).post(
        "/api/v1/users/",
        {"username": "boss", "role": "admin", "password": "Pudding-Lantern-42"},
        format="json",
    )
    # then
    assert response.status_code == 201
    assert User.objects.get(username="boss").is_staff is True


@pytest.mark.parametrize("persona", ["manager", "rep_east", "pool_admin", "outsider"])
def test_only_system_admins_create_users(everyone, persona):
    # given
    before = user_rows()
    # when
    response = client_for(everyone[persona]).post(
        "/api/v1/users/",
        {"username": "intruder", "password": "Pudding-Lantern-42", "role": "admin"},
        format="json",
    )
    # then
    assert response.status_code == 403
    assert response.json() == ADMINS_ONLY
    assert user_rows() == before


def test_a_new_user_needs_a_username_and_a_password(admin):
    # given
    before = user_rows()
    # when
    response = client_for(admin).post("/api/v1/users/", {"role": "sales"}, format="json")
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {
            "username": ["This field is required."],
            "password": ["This field is required."],
        }
    }
    assert user_rows() == before


def test_a_taken_username_is_refused_whatever_its_case(admin, rep_east):
    # given
    before = user_rows()
    # when
    response = client_for(admin).post(
        "/api/v1/users/",
        {"username": "Rep_East", "password": "Pudding-Lantern-42"},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"username": ["This username is taken."]}}
    assert user_rows() == before


def test_a_weak_password_is_refused_with_every_reason(admin):
    # given
    before = user_rows()
    # when
    response = client_for(admin).post(
        "/api/v1/users/", {"username": "li_lei", "password": "12345678"}, format="json"
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {
            "password": ["This password is too common.", "This password is entirely numeric."]
        }
    }
    assert b"12345678" not in response.content
    assert user_rows() == before


def test_a_password_like_the_username_is_refused(admin):
    # when
    response = client_for(admin).post(
        "/api/v1/users/",
        {"username": "lileisales", "password": "lileisales1"},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"password": ["The password is too similar to the username."]}
    }


def test_an_unknown_role_is_refused(admin):
    # given
    before = user_rows()
    # when
    response = client_for(admin).post(
        "/api/v1/users/",
        {"username": "li_lei", "password": "Pudding-Lantern-42", "role": "boss"},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"role": ['"boss" is not a valid choice.']}}
    assert user_rows() == before


def test_an_unknown_department_is_refused(admin, departments):
    # given
    missing = Department.objects.order_by("-pk").first().pk + 100
    before = user_rows()
    # when
    response = client_for(admin).post(
        "/api/v1/users/",
        {"username": "li_lei", "password": "Pudding-Lantern-42", "department": missing},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"department": [f"There is no department {missing}."]}}
    assert user_rows() == before


def test_an_invalid_email_is_refused(admin):
    # when
    response = client_for(admin).post(
        "/api/v1/users/",
        {"username": "li_lei", "password": "Pudding-Lantern-42", "email": "not-an-email"},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"email": ["Enter a valid email address."]}}


@pytest.mark.parametrize("field", ["is_superuser", "is_staff", "last_login", "id"])
def test_fields_outside_the_user_shape_cannot_be_written(admin, field):
    # given
    before = user_rows()
    # when
    response = client_for(admin).post(
        "/api/v1/users/",
        {"username": "li_lei", "password": "Pudding-Lantern-42", field: True},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {field: ["Unknown field."]}}
    assert user_rows() == before


# --- users: editing and deactivating ---------------------------------------------------


def test_a_system_admin_edits_a_user(admin, rep_east, departments):
    # when
    response = client_for(admin).patch(
        f"/api/v1/users/{rep_east.pk}",
        {"display_name": "East Rep", "role": "manager", "department": departments["west"].pk},
        format="json",
    )
    # then
    assert response.status_code == 200
    assert response.json() == {
        "id": rep_east.pk,
        "username": "rep_east",
        "display_name": "East Rep",
        "email": "",
        "role": "manager",
        "department": departments["west"].pk,
        "is_active": True,
    }
    rep_east.refresh_from_db()
    assert (rep_east.display_name, rep_east.role) == ("East Rep", "manager")


def test_a_system_admin_sets_a_new_password(admin, rep_east):
    # when
    response = client_for(admin).patch(
        f"/api/v1/users/{rep_east.pk}", {"password": "Pudding-Lantern-42"}, format="json"
    )
    # then
    assert response.status_code == 200
    assert login("rep_east", "pw-rep_east").status_code == 400
    assert login("rep_east", "Pudding-Lantern-42").status_code == 200


@pytest.mark.parametrize("persona", ["manager", "rep_east", "pool_admin"])
def test_only_system_admins_edit_users_even_themselves(everyone, persona):
    # given
    user = everyone[persona]
    before = user_rows()
    client = client_for(user)
    # when
    others = client.patch(
        f"/api/v1/users/{everyone['rep_west'].pk}", {"display_name": "X"}, format="json"
    )
    themselves = client.patch(f"/api/v1/users/{user.pk}", {"role": "admin"}, format="json")
    # then
    assert (others.status_code, others.json()) == (403, ADMINS_ONLY)
    assert (themselves.status_code, themselves.json()) == (403, ADMINS_ONLY)
    assert user_rows() == before


def test_renaming_a_user_to_a_taken_username_is_refused(admin, rep_east, rep_west):
    # given
    before = user_rows()
    # when
    response = client_for(admin).patch(
        f"/api/v1/users/{rep_east.pk}", {"username": "REP_WEST"}, format="json"
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"username": ["This username is taken."]}}
    assert user_rows() == before


def test_editing_an_unknown_user_is_a_404(admin):
    # when
    response = client_for(admin).patch("/api/v1/users/999999", {"email": ""}, format="json")
    # then
    assert response.status_code == 404
    assert response.json() == {"detail": "No such user."}


def test_deleting_a_user_deactivates_them_and_stops_their_token(admin, rep_east):
    # given
    rep_client = client_for(rep_east)
    # when
    response = client_for(admin).delete(f"/api/v1/users/{rep_east.pk}")
    # then
    assert response.status_code == 204
    assert response.content == b""
    rep_east.refresh_from_db()
    assert rep_east.is_active is False
    assert rep_client.get("/api/v1/users/").status_code == 401
    assert login("rep_east", "pw-rep_east").json() == WRONG_LOGIN


def test_a_deactivated_user_is_still_listed_as_inactive(admin, rep_east):
    # given
    client_for(admin).delete(f"/api/v1/users/{rep_east.pk}")
    # when
    response = client_for(admin).get(f"/api/v1/users/{rep_east.pk}")
    # then
    assert response.json()["is_active"] is False


@pytest.mark.parametrize("persona", ["manager", "rep_west", "outsider"])
def test_only_system_admins_deactivate_users(everyone, persona):
    # given
    before = user_rows()
    # when
    response = client_for(everyone[persona]).delete(f"/api/v1/users/{everyone['rep_east'].pk}")
    # then
    assert response.status_code == 403
    assert response.json() == ADMINS_ONLY
    assert user_rows() == before


def test_a_system_admin_cannot_deactivate_themselves(admin):
    # given
    client = client_for(admin)
    before = user_rows()
    # when
    deleted = client.delete(f"/api/v1/users/{admin.pk}")
    patched = client.patch(f"/api/v1/users/{admin.pk}", {"is_active": False}, format="json")
    # then
    for response in (deleted, patched):
        assert response.status_code == 400
        assert response.json() == {"errors": {"is_active": ["You cannot deactivate yourself."]}}
    assert user_rows() == before


def test_a_deactivated_user_can_be_reactivated(admin, rep_east):
    # given
    client = client_for(admin)
    client.delete(f"/api/v1/users/{rep_east.pk}")
    # when
    response = client.patch(f"/api/v1/users/{rep_east.pk}", {"is_active": True}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert login("rep_east", "pw-rep_east").status_code == 200


def test_the_password_is_never_in_a_response(admin, rep_east):
    # given
    client = client_for(admin)
    password = "Pudding-Lantern-42"
    # when
    responses = [
        client.post("/api/v1/users/", {"username": "li_lei", "password": password}, format="json"),
        client.patch(f"/api/v1/users/{rep_east.pk}", {"password": password}, format="json"),
        client.get("/api/v1/users/"),
        client.get(f"/api/v1/users/{rep_east.pk}"),
    ]
    # then
    assert [response.status_code for response in responses] == [201, 200, 200, 200]
    hashes = list(User.objects.values_list("password", flat=True))
    for response in responses:
        assert b"password" not in response.content
        assert password.encode() not in response.content
        for hashed in hashes:
            assert hashed.encode() not in response.content


# --- departments -----------------------------------------------------------------------


def test_any_signed_in_user_lists_the_departments(outsider, departments):
    # when
    response = client_for(outsider).get("/api/v1/departments/")
    # then
    assert response.status_code == 200
    hq, east, east_team, west = (departments[k] for k in ("hq", "east", "east_team", "west"))
    assert response.json() == {
        "results": [
            {"id": west.pk, "name": "West Sales", "parent": hq.pk},
            {"id": east_team.pk, "name": "East Team", "parent": east.pk},
            {"id": east.pk, "name": "East Sales", "parent": hq.pk},
            {"id": hq.pk, "name": "HQ", "parent": None},
        ],
        "next": None,
    }


def test_any_signed_in_user_retrieves_a_department(rep_west, departments):
    # when
    response = client_for(rep_west).get(f"/api/v1/departments/{departments['east_team'].pk}")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "id": departments["east_team"].pk,
        "name": "East Team",
        "parent": departments["east"].pk,
    }


def test_retrieving_an_unknown_department_is_a_404(rep_west):
    # when
    response = client_for(rep_west).get("/api/v1/departments/999999")
    # then
    assert response.status_code == 404
    assert response.json() == {"detail": "No such department."}


def test_a_system_admin_creates_renames_and_moves_a_department(admin, departments):
    # given
    client = client_for(admin)
    # when
    created = client.post(
        "/api/v1/departments/",
        {"name": " North Sales ", "parent": departments["hq"].pk},
        format="json",
    )
    north = Department.objects.get(name="North Sales")
    renamed = client.patch(
        f"/api/v1/departments/{north.pk}",
        {"name": "North Team", "parent": departments["east"].pk},
        format="json",
    )
    # then
    assert created.status_code == 201
    assert created.json() == {"id": north.pk, "name": "North Sales", "parent": departments["hq"].pk}
    assert renamed.status_code == 200
    assert renamed.json() == {
        "id": north.pk,
        "name": "North Team",
        "parent": departments["east"].pk,
    }


def test_a_department_moved_to_the_top_has_no_parent(admin, departments):
    # when
    response = client_for(admin).patch(
        f"/api/v1/departments/{departments['west'].pk}", {"parent": None}, format="json"
    )
    # then
    assert response.status_code == 200
    assert response.json() == {"id": departments["west"].pk, "name": "West Sales", "parent": None}


@pytest.mark.parametrize("persona", ["manager", "rep_east", "pool_admin"])
def test_only_system_admins_change_departments(everyone, departments, persona):
    # given
    client = client_for(everyone[persona])
    before = department_rows()
    # when
    responses = [
        client.post("/api/v1/departments/", {"name": "Rogue"}, format="json"),
        client.patch(
            f"/api/v1/departments/{departments['west'].pk}", {"name": "Mine"}, format="json"
        ),
        client.delete(f"/api/v1/departments/{departments['east_team'].pk}"),
    ]
    # then
    for response in responses:
        assert response.status_code == 403
        assert response.json() == ADMINS_ONLY
    assert department_rows() == before


@pytest.mark.parametrize("new_parent", ["east_team", "east"])
def test_a_department_cannot_move_under_itself_or_its_children(admin, departments, new_parent):
    # given
    before = department_rows()
    # when
    response = client_for(admin).patch(
        f"/api/v1/departments/{departments['east'].pk}",
        {"parent": departments[new_parent].pk},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"parent": ["A department cannot sit under itself."]}}
    assert department_rows() == before


def test_a_department_under_an_unknown_parent_is_refused(admin, departments):
    # given
    before = department_rows()
    # when
    response = client_for(admin).post(
        "/api/v1/departments/", {"name": "North", "parent": 999999}, format="json"
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"parent": ["There is no department 999999."]}}
    assert department_rows() == before


@pytest.mark.parametrize(
    ("name", "parent"), [("East Sales", "hq"), ("HQ", None), ("West Sales", "hq")]
)
def test_two_departments_with_one_parent_cannot_share_a_name(admin, departments, name, parent):
    # given
    before = department_rows()
    # when
    response = client_for(admin).post(
        "/api/v1/departments/",
        {"name": name, "parent": departments[parent].pk if parent else None},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"name": ["There is already a department with this name here."]}
    }
    assert department_rows() == before


def test_a_department_needs_a_name(admin, departments):
    # when
    response = client_for(admin).post(
        "/api/v1/departments/", {"parent": departments["hq"].pk}, format="json"
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"name": ["Give a name of at most 100 characters."]}}


def test_a_system_admin_deletes_an_empty_department(admin, departments):
    # given
    north = Department.objects.create(name="North", parent=departments["hq"])
    # when
    response = client_for(admin).delete(f"/api/v1/departments/{north.pk}")
    # then
    assert response.status_code == 204
    assert not Department.objects.filter(pk=north.pk).exists()


def test_a_department_with_users_cannot_be_deleted(admin, departments, rep_west):
    # given
    before = department_rows()
    # when
    response = client_for(admin).delete(f"/api/v1/departments/{departments['west'].pk}")
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"non_field_errors": ["Move its users and sub-departments out first."]}
    }
    assert department_rows() == before


def test_a_department_with_sub_departments_cannot_be_deleted(admin, departments):
    # given: a department with no users of its own but a child
    north = Department.objects.create(name="North", parent=departments["hq"])
    Department.objects.create(name="North Team", parent=north)
    before = department_rows()
    # when
    response = client_for(admin).delete(f"/api/v1/departments/{north.pk}")
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"non_field_errors": ["Move its users and sub-departments out first."]}
    }
    assert department_rows() == before


def test_a_department_that_belongs_to_a_pool_cannot_be_deleted(admin, departments, lead_pool):
    # given
    north = Department.objects.create(name="North", parent=departments["hq"])
    lead_pool.member_departments.add(north)
    before = department_rows()
    # when
    response = client_for(admin).delete(f"/api/v1/departments/{north.pk}")
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"non_field_errors": ["Remove it from the pools it belongs to first."]}
    }
    assert department_rows() == before
