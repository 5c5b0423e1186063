from django.urls import reverse

from leadpool.history.models import Notification
from leadpool.pools.services import assign_records


def test_the_centre_lists_my_notifications_with_an_unread_badge(
    client_for, pool_admin, rep_east, rep_west, lead_pool, make_lead
):
    # given
    lead = make_lead(name="Hot lead", pool=lead_pool)
    assign_records(model=type(lead), ids=[lead.pk], by=pool_admin, to_user=rep_east)
    # when
    page = client_for(rep_east).get(reverse("web:notifications")).content.decode()
    other = client_for(rep_west).get(reverse("web:notifications")).content.decode()
    # then
    assert "Pool Admin assigned “Hot lead” to you." in page
    assert '<span class="badge"' in page and ">1</span>" in page
    assert f'href="/leads/{lead.pk}/"' in page
    assert "Hot lead" not in other


def test_marking_read_touches_only_my_own(client_for, rep_east, rep_west):
    # given
    mine = Notification.objects.create(user=rep_east, kind="assigned", details={"record": "A"})
    theirs = Notification.objects.create(user=rep_west, kind="assigned", details={"record": "B"})
    # when
    response = client_for(rep_east).post(
        reverse("web:notifications_read"), {"ids": [mine.pk, theirs.pk]}
    )
    # then
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None


def test_mark_all_read(client_for, rep_east):
    # given
    for record in "AB":
        Notification.objects.create(user=rep_east, kind="assigned", details={"record": record})
    # when
    client_for(rep_east).post(reverse("web:notifications_read"), {"all": "1"})
    # then
    assert not Notification.objects.filter(user=rep_east, read_at__isnull=True).exists()
