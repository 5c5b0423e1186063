"""Accounts (issue 10): password rules, sign-in throttling with a clear message, sessions
rotated on sign-in and ended by sign-out and by a password change."""

import pytest
from django.test import Client

from leadpool.history.models import AuditEntry

HOME = "/password/"  # any page that needs a signed-in user


def signed_in(username: str, password: str | None = None) -> Client:
    client = Client()
    response = client.post(
        "/login/", {"username": username, "password": password or f"pw-{username}"}
    )
    assert response.status_code == 302, response.content
    return client


def test_the_session_key_changes_at_sign_in(rep_east):
    client = Client()
    client.get("/login/")
    client.post("/i18n/setlang/", {"language": "zh-hans"})  # an anonymous session
    before = client.session.session_key
    client.post("/login/", {"username": "rep_east", "password": "pw-rep_east"})
    assert client.session.session_key != before
    assert client.get(HOME).status_code == 200


def test_sign_out_ends_the_session_for_good(rep_east):
    client = signed_in("rep_east")
    cookie = client.cookies["sessionid"].value
    client.post("/logout/")
    replay = Client()
    replay.cookies["sessionid"] = cookie
    response = replay.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_password_change_signs_out_every_other_session(rep_east):
    here, elsewhere = signed_in("rep_east"), signed_in("rep_east")
    response = here.post(
        "/password/",
        {
            "old_password": "pw-rep_east",
            "new_password1": "a-Much-longer-passphrase-2026",
            "new_password2": "a-Much-longer-passphrase-2026",
        },
    )
    assert response.status_code == 302
    assert here.get(HOME).status_code == 200  # the session that changed it stays
    response = elsewhere.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("weak", ["12345678", "password", "rep_east1", "short"])
def test_weak_passwords_are_refused_with_the_reason(rep_east, weak):
    client = signed_in("rep_east")
    response = client.post(
        "/password/",
        {"old_password": "pw-rep_east", "new_password1": weak, "new_password2": weak},
    )
    assert response.status_code == 200  # the form again, with the validator's message
    assert response.context["form"].errors["new_password2"]
    rep_east.refresh_from_db()
    assert rep_east.check_password("pw-rep_east")


def test_repeated_failed_sign_ins_lock_the_name_out_with_a_clear_message(rep_east, settings):
    settings.LEADPOOL_RATES = {**settings.LEADPOOL_RATES, "login_username": "5/minute"}
    client = Client()
    for _attempt in range(5):
        client.post("/login/", {"username": "rep_east", "password": "wrong"})
    # Even the right password waits now: the lockout is per name, whoever guesses.
    response = Client().post("/login/", {"username": "REP_EAST", "password": "pw-rep_east"})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in Client().session
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED).count() == 5
