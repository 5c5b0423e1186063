"""My preferences: every user's language (the next page is in it) and the notification
kinds they also get by e-mail (the digest then sends those, in that language)."""

from django.conf import settings
from django.core import mail
from django.urls import reverse

from leadpool.history.models import Notification
from leadpool.history.services import send_notification_digests

PREFERENCES = reverse("web:preferences")


def test_every_user_opens_their_preferences(client_for, rep_east):
    # when
    page = client_for(rep_east).get(PREFERENCES).content.decode()
    # then
    assert "My preferences" in page
    assert "Your browser&#x27;s language" in page
    for kind in Notification.Kind:
        assert f'value="{kind.value}"' in page
        assert str(kind.label) in page


def test_preferences_are_saved_and_the_next_page_is_in_the_chosen_language(client_for, rep_east):
    # given
    client = client_for(rep_east)
    # when
    response = client.post(
        PREFERENCES, {"language": "zh-hans", "email_notifications": ["followup_due", "assigned"]}
    )
    # then
    assert response["Location"] == PREFERENCES
    rep_east.refresh_from_db()
    assert rep_east.language == "zh-hans"
    assert rep_east.email_notifications == ["assigned", "followup_due"]
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    page = client.get("/leads/").content.decode()
    assert '<html lang="zh-hans"' in page
    assert "我的线索" in page  # "My leads" in the navigation


def test_the_browsers_language_clears_the_choice(client_for, rep_east):
    # given
    rep_east.language = "zh-hans"
    rep_east.save()
    client = client_for(rep_east)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    # when
    response = client.post(PREFERENCES, {"language": ""}, HTTP_ACCEPT_LANGUAGE="en")
    # then
    rep_east.refresh_from_db()
    assert (rep_east.language, rep_east.email_notifications) == ("", [])
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted
    page = client.get("/leads/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en"' in page


def test_unknown_choices_are_refused(client_for, rep_east):
    # when
    response = client_for(rep_east).post(
        PREFERENCES, {"language": "fr", "email_notifications": ["spam"]}
    )
    # then
    assert response.status_code == 400
    assert response.content.decode().count("Select a valid choice.") == 2
    rep_east.refresh_from_db()
    assert (rep_east.language, rep_east.email_notifications) == ("", [])


def test_the_digest_sends_the_chosen_kinds_in_the_chosen_language(client_for, rep_east):
    # given
    rep_east.email = "rep_east@example.com"
    rep_east.save()
    client_for(rep_east).post(
        PREFERENCES, {"language": "zh-hans", "email_notifications": ["followup_due"]}
    )
    Notification.objects.create(user=rep_east, kind="followup_due", details={"record": "李娜"})
    Notification.objects.create(user=rep_east, kind="assigned", details={"record": "王芳"})
    # when
    sent = send_notification_digests()
    # then
    assert sent == 1
    [message] = mail.outbox
    assert "李娜" in message.body and "王芳" not in message.body
    assert "LeadPool" in message.subject and "notification" not in message.subject


def test_preferences_need_a_login(client):
    # then
    assert client.get(PREFERENCES)["Location"].startswith("/login/")


SWITCH = reverse("web:switch_language")


def test_the_navigation_switch_also_saves_the_signed_in_users_language(client_for, rep_east):
    # given: a rep who gets e-mails of assignments
    rep_east.email_notifications = ["assigned"]
    rep_east.save()
    client = client_for(rep_east)
    # when
    response = client.post(SWITCH, {"language": "zh-hans", "next": "/leads/"})
    # then: the cookie, the way back, and the saved language (e-mails, other browsers)
    assert response.status_code == 302
    assert response["Location"] == "/leads/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    rep_east.refresh_from_db()
    assert rep_east.language == "zh-hans"
    assert rep_east.email_notifications == ["assigned"]
    assert 'action="/language/"' in client.get("/leads/").content.decode()


def test_the_switch_ignores_an_unknown_language_and_needs_no_sign_in(client, rep_east):
    # when
    unknown = client.post(SWITCH, {"language": "xx", "next": "/"})
    anonymous = client.post(SWITCH, {"language": "zh-hans", "next": "/"})
    # then
    assert settings.LANGUAGE_COOKIE_NAME not in unknown.cookies
    assert anonymous.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    rep_east.refresh_from_db()
    assert rep_east.language == ""


def test_the_switch_is_post_only(client):
    assert client.get(SWITCH).status_code == 405
