"""Pool settings pages: who sees which pools, creating (system admins), editing people and
rules with inline errors, and transferring a pool to other admins."""

from django.urls import reverse

from leadpool.history.models import Event, Notification
from leadpool.pools.models import Pool

SETTINGS = reverse("web:pool_settings_list")
CREATE = reverse("web:pool_settings_create")


def rules_form(pool: Pool, **changes) -> dict:
    """The edit form as a pool admin posts it, unchanged but for `changes`."""
    data = {
        "name": pool.name,
        "description": pool.description,
        "members": [user.pk for user in pool.members.all()],
        "member_departments": [d.pk for d in pool.member_departments.all()],
        "visibility": pool.visibility,
        "contact_visibility": pool.contact_visibility,
        "distribution": pool.distribution,
        "on_retention_expiry": pool.on_retention_expiry,
        "return_reasons": "\n".join(pool.return_reasons),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_pool_admin_sees_the_pools_they_administer(client_for, pool_admin, lead_pool):
    # given
    other = Pool.objects.create(name="Someone else's pool")
    # when
    page = client_for(pool_admin).get(SETTINGS).content.decode()
    # then
    assert "Lead pool" in page
    assert other.name not in page
    assert "New pool" not in page


def test_a_system_admin_sees_every_pool(client_for, admin, lead_pool, customer_pool):
    # when
    page = client_for(admin).get(SETTINGS).content.decode()
    # then
    assert "Lead pool" in page and "Customer pool" in page
    assert "New pool" in page


def test_a_member_may_not_open_a_pools_settings(client_for, member, lead_pool):
    # when
    response = client_for(member).get(reverse("web:pool_settings", args=[lead_pool.pk]))
    # then
    assert response.status_code == 404


def test_only_system_admins_create_pools(client_for, pool_admin):
    # when
    response = client_for(pool_admin).post(CREATE, {"name": "Mine", "kind": "lead"})
    # then
    assert response.status_code == 403
    assert not Pool.objects.filter(name="Mine").exists()


def test_a_system_admin_creates_a_pool(client_for, admin, pool_admin, departments):
    # when
    response = client_for(admin).post(
        CREATE,
        {
            "name": "华东线索池",
            "kind": "lead",
            "admins": [pool_admin.pk],
            "member_departments": [departments["east"].pk],
            "visibility": "claimable",
            "contact_visibility": "masked",
            "distribution": "manual",
            "on_retention_expiry": "keep",
            "claim_limit_per_day": "10",
            "return_reasons": "无法联系\n无意向\n",
        },
    )
    # then
    pool = Pool.objects.get(name="华东线索池")
    assert response["Location"] == reverse("web:pool_settings", args=[pool.pk])
    assert list(pool.admins.all()) == [pool_admin]
    assert (pool.claim_limit_per_day, pool.contact_visibility) == (10, "masked")
    assert pool.return_reasons == ["无法联系", "无意向"]


def test_the_edit_page_explains_every_rule(client_for, pool_admin, lead_pool):
    # when
    page = client_for(pool_admin).get(reverse("web:pool_settings", args=[lead_pool.pk]))
    # then
    text = page.content.decode()
    for words in (
        "Claims per member per day",
        "Leave empty for no daily limit.",
        "Reclaim after this many days without a follow-up",
        "Warn the owner this many days before",
        "Days a record may stay unclaimed",
        "To change them, transfer the pool.",
    ):
        assert words in text
    assert 'name="admins"' not in text  # pool admins hand over by transferring


def test_a_pool_admin_changes_the_rules(client_for, pool_admin, lead_pool):
    # when
    response = client_for(pool_admin).post(
        reverse("web:pool_settings", args=[lead_pool.pk]),
        rules_form(
            lead_pool,
            claim_limit_per_day="5",
            reclaim_no_followup_days="7",
            reclaim_warning_days="2",
            claim_reason_required="on",
        ),
    )
    # then
    assert response.status_code == 302
    lead_pool.refresh_from_db()
    assert (lead_pool.claim_limit_per_day, lead_pool.reclaim_no_followup_days) == (5, 7)
    assert lead_pool.claim_reason_required is True
    assert Event.objects.filter(action=Event.Action.EDIT_POOL).count() == 1


def test_a_rule_out_of_range_is_shown_at_its_field_and_nothing_changes(
    client_for, pool_admin, lead_pool
):
    # when
    response = client_for(pool_admin).post(
        reverse("web:pool_settings", args=[lead_pool.pk]),
        rules_form(lead_pool, claim_limit_per_day="0", name="Renamed"),
    )
    # then the form comes back with the error and what was typed
    text = response.content.decode()
    assert response.status_code == 400
    assert "Give a whole number from 1 to 1000000" in text
    assert 'value="Renamed"' in text
    lead_pool.refresh_from_db()
    assert (lead_pool.name, lead_pool.claim_limit_per_day) == ("Lead pool", None)


def test_round_robin_without_people_is_explained(client_for, pool_admin, lead_pool):
    # when
    response = client_for(pool_admin).post(
        reverse("web:pool_settings", args=[lead_pool.pk]),
        rules_form(lead_pool, distribution="round_robin"),
    )
    # then
    assert response.status_code == 400
    assert "Choose the members that “Round robin” hands records to." in response.content.decode()


def test_bad_routing_json_is_explained(client_for, pool_admin, lead_pool):
    # when
    response = client_for(pool_admin).post(
        reverse("web:pool_settings", args=[lead_pool.pk]),
        rules_form(lead_pool, routing="[{"),
    )
    # then
    assert response.status_code == 400
    assert "This is not valid JSON." in response.content.decode()


def test_transfer_a_pool_to_other_admins(client_for, pool_admin, rep_east, lead_pool):
    # when
    response = client_for(pool_admin).post(
        reverse("web:pool_transfer", args=[lead_pool.pk]), {"to_admins": [rep_east.pk]}
    )
    # then the old admin no longer administers it, and the new one is told
    assert response["Location"] == SETTINGS
    assert list(lead_pool.admins.all()) == [rep_east]
    assert Notification.objects.filter(
        user=rep_east, kind=Notification.Kind.POOL_TRANSFERRED
    ).exists()
    assert (
        client_for(pool_admin).get(reverse("web:pool_settings", args=[lead_pool.pk])).status_code
        == 404
    )


def test_a_transfer_needs_someone(client_for, pool_admin, lead_pool):
    # when
    response = client_for(pool_admin).post(reverse("web:pool_transfer", args=[lead_pool.pk]), {})
    # then
    assert response.status_code == 400
    assert list(lead_pool.admins.all()) == [pool_admin]


def test_others_cannot_transfer_a_pool(client_for, member, rep_east, lead_pool):
    # when
    response = client_for(member).post(
        reverse("web:pool_transfer", args=[lead_pool.pk]), {"to_admins": [member.pk]}
    )
    # then
    assert response.status_code == 404
    assert member not in lead_pool.admins.all()
