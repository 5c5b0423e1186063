"""E-mail digests of notifications: one e-mail per user and run, only the kinds the user
opted in to, in their language, plain text, each notification e-mailed once."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from leadpool.history.models import Notification
from leadpool.history.services import send_notification_digests
from leadpool.pools.automation import run_rules

pytestmark = pytest.mark.django_db


def opt_in(user, *kinds, language=""):
    user.email = f"{user.username}@example.com"
    user.email_notifications = list(kinds)
    user.language = language
    user.save()


def notice(user, kind, record="", **details):
    return Notification.objects.create(user=user, kind=kind, details={"record": record, **details})


def test_the_digest_groups_a_users_notifications_into_one_email(rep_east):
    # given
    opt_in(rep_east, "assigned", "followup_due")
    first = notice(rep_east, "assigned", "张伟 (华东机械)", actor="pool_admin")
    second = notice(rep_east, "followup_due", "李娜")
    # when
    sent = send_notification_digests()
    # then
    assert sent == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rep_east@example.com"]
    assert message.subject == "LeadPool: 2 new notifications"
    assert "pool_admin assigned “张伟 (华东机械)” to you." in message.body
    assert "A follow-up of “李娜” is due." in message.body
    assert message.alternatives == []  # plain text only: names are never markup
    for each in (first, second):
        each.refresh_from_db()
        assert each.emailed_at is not None


def test_each_notification_is_emailed_once(rep_east):
    # given
    opt_in(rep_east, "assigned")
    notice(rep_east, "assigned", "张伟", actor="pool_admin")
    send_notification_digests()
    # when
    sent_again = send_notification_digests()
    notice(rep_east, "assigned", "李娜", actor="pool_admin")
    sent_later = send_notification_digests()
    # then
    assert (sent_again, sent_later, len(mail.outbox)) == (0, 1, 2)
    assert "李娜" in mail.outbox[1].body and "张伟" not in mail.outbox[1].body


def test_kinds_not_opted_in_are_not_emailed(rep_east, rep_west):
    # given: rep_east wants assignments only; rep_west wants nothing
    opt_in(rep_east, "assigned")
    opt_in(rep_west)
    kept = notice(rep_east, "deleted", "张伟", actor="admin")
    notice(rep_west, "assigned", "李娜", actor="admin")
    # when
    sent = send_notification_digests()
    # then
    assert (sent, mail.outbox) == (0, [])
    kept.refresh_from_db()
    assert kept.emailed_at is None


def test_read_and_old_notifications_are_not_emailed(rep_east):
    # given
    opt_in(rep_east, "assigned")
    read = notice(rep_east, "assigned", "张伟", actor="admin")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    old = notice(rep_east, "assigned", "李娜", actor="admin")
    Notification.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )
    # when
    sent = send_notification_digests()
    # then
    assert (sent, mail.outbox) == (0, [])


def test_the_digest_is_in_the_users_language(rep_east):
    # given
    opt_in(rep_east, "followup_due", language="zh-hans")
    notice(rep_east, "followup_due", "李娜")
    # when
    send_notification_digests()
    # then
    message = mail.outbox[0]
    assert "LeadPool" in message.subject
    assert "李娜" in message.body


def test_a_user_without_an_address_gets_nothing(rep_east):
    # given
    opt_in(rep_east, "assigned")
    rep_east.email = ""
    rep_east.save()
    notice(rep_east, "assigned", "张伟", actor="admin")
    # when / then
    assert send_notification_digests() == 0


def test_a_failed_send_is_retried_by_the_next_run(rep_east, monkeypatch):
    # given
    opt_in(rep_east, "assigned")
    pending = notice(rep_east, "assigned", "张伟", actor="admin")

    def broken(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr("leadpool.history.services.send_mail", broken)
    # when
    failed = send_notification_digests()
    monkeypatch.undo()
    retried = send_notification_digests()
    # then
    assert (failed, retried, len(mail.outbox)) == (0, 1, 1)
    pending.refresh_from_db()
    assert pending.emailed_at is not None


def test_the_rules_worker_sends_the_digests(rep_east):
    # given
    opt_in(rep_east, "assigned")
    notice(rep_east, "assigned", "张伟", actor="admin")
    # when
    report = run_rules()
    # then
    assert (report.digests, len(mail.outbox)) == (1, 1)
