"""Settings → Users, and the Settings landing page: system admins only (others get 403,
audited as the API's refusals are), search and department filter, create and edit through
accounts/services.save_user with its rules and Django's password validators."""

import pytest
from django.test import Client
from django.urls import reverse

from leadpool.accounts.models import User
from leadpool.history.models import AuditEntry

USERS = reverse("web:settings_users")
NEW_USER = reverse("web:settings_user_create")

ADMIN_PAGES = [
    "/settings/",
    "/settings/users/",
    "/settings/users/new/",
    "/settings/departments/",
    "/settings/departments/new/",
    "/settings/fields/",
    "/settings/fields/lead/",
    "/settings/fields/customer/new/",
    "/settings/mapping/",
]


def user_form(person: User | None = None, **changes) -> dict:
    data = {
        "username": person.username if person else "",
        "display_name": person.display_name if person else "",
        "email": person.email if person else "",
        "role": person.role if person else "sales",
        "department": person.department_id or "" if person else "",
        "is_active": "on" if person is None or person.is_active else None,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_every_settings_page_opens_for_a_system_admin(client_for, admin, url):
    # then
    assert client_for(admin).get(url).status_code == 200


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_others_are_refused_every_settings_page_and_the_refusal_is_audited(
    client_for, manager, pool_admin, url
):
    for person in (manager, pool_admin):
        # when
        response = client_for(person).get(url)
        # then
        assert response.status_code == 403
        assert "Only system admins change these settings." in response.content.decode()
        entry = AuditEntry.objects.filter(actor=person, action="permission_denied").get()
        assert (entry.action, entry.target) == ("permission_denied", f"GET {url}")


def test_a_refused_post_changes_nothing(client_for, rep_east, departments):
    # when
    response = client_for(rep_east).post(NEW_USER, user_form(username="sneaky", password="x"))
    edit = client_for(rep_east).post(
        reverse("web:settings_user", args=[rep_east.pk]), user_form(rep_east, role="admin")
    )
    # then
    assert (response.status_code, edit.status_code) == (403, 403)
    assert not User.objects.filter(username="sneaky").exists()
    rep_east.refresh_from_db()
    assert rep_east.role == "sales"


def test_the_settings_pages_need_a_login():
    # then
    assert Client().get("/settings/users/")["Location"].startswith("/login/")


def test_only_system_admins_see_settings_in_the_navigation(
    client_for, admin, pool_admin, rep_east, lead_pool
):
    # when
    for_admin = client_for(admin).get("/notifications/").content.decode()
    for_pool_admin = client_for(pool_admin).get("/notifications/").content.decode()
    for_rep = client_for(rep_east).get("/notifications/").content.decode()
    # then
    assert 'href="/settings/"' in for_admin
    assert 'href="/settings/"' not in for_pool_admin
    assert 'href="/settings/pools/"' in for_pool_admin  # their pools' settings, as before
    assert 'href="/settings/"' not in for_rep and 'href="/settings/pools/"' not in for_rep
    assert 'href="/settings/me/"' in for_rep  # everyone's own preferences, in the user menu


def test_the_landing_page_links_every_settings_page(client_for, admin):
    # when
    page = client_for(admin).get("/settings/").content.decode()
    # then
    for url in ("/settings/users/", "/settings/departments/", "/settings/fields/",
                "/settings/mapping/", "/settings/pools/", "/settings/me/"):  # fmt: skip
        assert f'href="{url}"' in page


def test_the_user_list_searches_and_filters_by_department(
    client_for, admin, manager, rep_east, rep_west, departments
):
    client = client_for(admin)
    # when
    searched = client.get(USERS, {"q": "WEST"}).content.decode()
    east = client.get(USERS, {"department": departments["east"].pk}).content.decode()
    # then
    assert "rep_west" in searched and "rep_east" not in searched
    assert "rep_east" in east and "manager" in east  # East Team is below East Sales
    assert "rep_west" not in east
    assert "HQ / East Sales / East Team" in east


def test_the_user_list_escapes_names(client_for, admin, rep_east):
    # given
    rep_east.display_name = "<script>alert(1)</script>"
    rep_east.save()
    # when
    page = client_for(admin).get(USERS).content.decode()
    # then
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_admin_creates_a_user(client_for, admin, departments):
    # when
    response = client_for(admin).post(
        NEW_USER,
        user_form(
            username="li_na",
            display_name="李娜",
            email="li.na@example.com",
            role="manager",
            department=departments["west"].pk,
            password="Sturdy-passphrase-42",
        ),
    )
    # then
    person = User.objects.get(username="li_na")
    assert response["Location"] == reverse("web:settings_user", args=[person.pk])
    assert (person.display_name, person.email, person.role) == (
        "李娜",
        "li.na@example.com",
        "manager",
    )
    assert person.department == departments["west"]
    assert person.is_active and person.check_password("Sturdy-passphrase-42")


def test_the_form_sets_only_what_an_admin_may(client_for, admin):
    # when extra fields are posted
    client_for(admin).post(
        NEW_USER,
        user_form(
            username="plain",
            password="Sturdy-passphrase-42",
            is_superuser="on",
            is_staff="on",
            language="zh-hans",
            email_notifications="assigned",
        ),
    )
    # then they are ignored
    person = User.objects.get(username="plain")
    assert (person.is_superuser, person.is_staff, person.language) == (False, False, "")
    assert person.email_notifications == []


def test_a_weak_password_and_a_taken_username_are_refused_with_the_reasons(client_for, admin):
    # when
    response = client_for(admin).post(NEW_USER, user_form(username="ADMIN", password="123"))
    # then
    page = response.content.decode()
    assert response.status_code == 400
    assert "This username is taken." in page
    assert "This password is too short." in page
    assert User.objects.count() == 1


def test_an_admin_changes_a_users_role_and_department_and_deactivates_them(
    client_for, admin, rep_east, departments
):
    # when
    response = client_for(admin).post(
        reverse("web:settings_user", args=[rep_east.pk]),
        user_form(rep_east, role="manager", department=departments["west"].pk, is_active=None),
    )
    # then
    assert response.status_code == 302
    rep_east.refresh_from_db()
    assert (rep_east.role, rep_east.department, rep_east.is_active) == (
        "manager",
        departments["west"],
        False,
    )


def test_an_admin_cannot_deactivate_themselves(client_for, admin):
    # when
    response = client_for(admin).post(
        reverse("web:settings_user", args=[admin.pk]), user_form(admin, is_active=None)
    )
    # then
    assert response.status_code == 400
    assert "You cannot deactivate yourself." in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_an_admin_resets_a_password(client_for, admin, rep_east):
    # given
    url = reverse("web:settings_user_password", args=[rep_east.pk])
    client = client_for(admin)
    # when
    differ = client.post(url, {"password": "Sturdy-passphrase-42", "confirmation": "other"})
    weak = client.post(url, {"password": "password", "confirmation": "password"})
    strong = "Sturdy-passphrase-42"
    done = client.post(url, {"password": strong, "confirmation": strong})
    # then
    assert differ.status_code == weak.status_code == 400
    assert "The two passwords differ." in differ.content.decode()
    assert "This password is too common." in weak.content.decode()
    assert done["Location"] == reverse("web:settings_user", args=[rep_east.pk])
    rep_east.refresh_from_db()
    assert rep_east.check_password("Sturdy-passphrase-42")


def test_settings_forms_need_the_csrf_token(admin):
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    # when
    response = client.post(NEW_USER, user_form(username="forged", password="Sturdy-pass-42"))
    # then
    assert response.status_code == 403
    assert not User.objects.filter(username="forged").exists()
    assert 'name="csrfmiddlewaretoken"' in client.get(NEW_USER).content.decode()
