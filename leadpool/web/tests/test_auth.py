"""Logging in and out, changing the password, switching the language."""

from django.test import Client
from django.urls import reverse


def test_logging_in_goes_back_to_the_page_asked_for(rep_east):
    # given
    client = Client()
    # when
    response = client.post(
        "/login/", {"username": "rep_east", "password": "pw-rep_east", "next": "/customers/"}
    )
    # then
    assert response["Location"] == "/customers/"


def test_a_wrong_password_is_refused_on_the_form(rep_east):
    # when
    response = Client().post("/login/", {"username": "rep_east", "password": "nope"})
    # then
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_logging_in_without_next_lands_on_my_leads(rep_east):
    # when
    response = Client().post("/login/", {"username": "rep_east", "password": "pw-rep_east"})
    # then
    assert response["Location"] == "/"
    assert Client().get("/")["Location"] == "/leads/"


def test_signing_in_brings_the_saved_language_to_a_new_browser(rep_east):
    # given: rep_east chose Chinese on another browser
    rep_east.language = "zh-hans"
    rep_east.save(update_fields=["language"])
    client = Client()
    # when
    client.post("/login/", {"username": "rep_east", "password": "pw-rep_east"})
    # then
    page = client.get("/leads/", follow=True)
    assert page.wsgi_request.LANGUAGE_CODE == "zh-hans"
    assert '<html lang="zh-hans"' in page.content.decode()


def test_without_a_saved_language_the_browsers_choice_stands(rep_east):
    # given
    client = Client(headers={"accept-language": "zh-CN"})
    # when
    response = client.post("/login/", {"username": "rep_east", "password": "pw-rep_east"})
    # then
    assert "django_language" not in response.cookies
    assert client.get("/leads/").wsgi_request.LANGUAGE_CODE == "zh-hans"


def test_logout_is_a_post(client_for, rep_east):
    # given
    client = client_for(rep_east)
    # when
    response = client.post(reverse("web:logout"))
    # then
    assert response["Location"] == "/login/"
    assert client.get("/leads/").status_code == 302


def test_changing_the_password(client_for, rep_east):
    # when
    response = client_for(rep_east).post(
        reverse("web:password_change"),
        {
            "old_password": "pw-rep_east",
            "new_password1": "a-Much-better-passw0rd",
            "new_password2": "a-Much-better-passw0rd",
        },
    )
    # then
    assert response["Location"] == reverse("web:password_change_done")
    rep_east.refresh_from_db()
    assert rep_east.check_password("a-Much-better-passw0rd")


def test_switching_to_chinese(client_for, rep_east):
    # given
    client = client_for(rep_east)
    # when
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/leads/"})
    # then
    assert response["Location"] == "/leads/"
    page = client.get("/leads/").content.decode()
    assert '<html lang="zh-hans"' in page


def test_the_navigation_names_every_place(client_for, rep_east):
    # when
    page = client_for(rep_east).get("/leads/").content.decode()
    # then
    for label in (
        "My leads",
        "Lead pools",
        "My customers",
        "Customer pools",
        "Recycle bin",
        "Notifications",
        "Change password",
        "Log out",
        "简体中文",
    ):
        assert label in page


def test_guessing_passwords_is_throttled(rep_east, settings):
    # given
    settings.LEADPOOL_RATES = {**settings.LEADPOOL_RATES, "login_username": "3/minute"}
    client = Client()
    for _attempt in range(3):
        client.post("/login/", {"username": "rep_east", "password": "guess"})
    # when even the right password comes too soon
    response = client.post("/login/", {"username": "rep_east", "password": "pw-rep_east"})
    # then
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
