from django.utils import translation

from leadpool.history.models import Notification
from leadpool.history.services import mark_read, notification_text, notify


def test_notify_skips_the_actor_and_duplicates(
    rep_east, rep_west, pool_admin, make_lead, lead_pool
):
    # given
    lead = make_lead(pool=lead_pool, name="Li Lei", company="Acme")
    # when
    created = notify(
        [rep_east, rep_west, rep_west.pk, None, pool_admin],
        kind=Notification.Kind.DELETED,
        record=lead,
        actor=pool_admin,
    )
    # then
    assert sorted(n.user_id for n in created) == sorted([rep_east.pk, rep_west.pk])
    assert {n.lead_id for n in created} == {lead.pk}
    assert created[0].details == {"record": "Li Lei (Acme)", "actor": "Pool Admin"}


def test_notification_text_is_rendered_in_the_readers_language(
    rep_east, pool_admin, make_lead, lead_pool
):
    # given
    lead = make_lead(pool=lead_pool, name="Li Lei", company="")
    [notification] = notify(
        [rep_east], kind=Notification.Kind.ASSIGNED, record=lead, actor=pool_admin
    )
    # when
    with translation.override("en"):
        text = notification_text(notification)
    # then
    assert text == "Pool Admin assigned “Li Lei” to you."


def test_notification_text_survives_the_record_being_purged(
    rep_east, pool_admin, make_lead, lead_pool
):
    # given
    lead = make_lead(pool=lead_pool, name="Li Lei", company="")
    [notification] = notify(
        [rep_east], kind=Notification.Kind.DELETED, record=lead, actor=pool_admin
    )
    # when
    lead.delete()
    notification.refresh_from_db()
    # then
    assert notification.lead_id is None
    assert notification_text(notification) == "Pool Admin deleted “Li Lei”."


def test_mark_read_marks_only_the_users_own_notifications(rep_east, rep_west, make_lead, lead_pool):
    # given
    lead = make_lead(pool=lead_pool)
    [mine] = notify([rep_east], kind=Notification.Kind.RECLAIMED, record=lead)
    [theirs] = notify([rep_west], kind=Notification.Kind.RECLAIMED, record=lead)
    # when
    count = mark_read(user=rep_east, ids=[mine.pk, theirs.pk])
    # then
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert count == 1
    assert mine.read_at is not None
    assert theirs.read_at is None


def test_an_assignment_by_a_rule_does_not_read_as_someones(rep_east, make_lead, lead_pool):
    lead = make_lead(pool=lead_pool, name="Li Lei", company="")
    [notification] = notify([rep_east], kind=Notification.Kind.ASSIGNED, record=lead, actor=None)
    with translation.override("en"):
        assert notification_text(notification) == "The pool's distribution gave you “Li Lei”."


def test_an_import_for_someone_is_one_notification_with_the_count(rep_east, manager):
    [notification] = notify(
        [rep_east], kind=Notification.Kind.IMPORTED, actor=manager, details={"count": 1200}
    )
    with translation.override("en"):
        assert notification_text(notification) == "Manager imported 1200 records for you."
