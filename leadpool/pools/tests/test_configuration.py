import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from leadpool.history.models import Event
from leadpool.leads.models import Lead
from leadpool.pools.configuration import create_pool, update_pool
from leadpool.pools.models import Pool


def test_a_system_admin_creates_a_pool_with_rules(admin, pool_admin, member, departments):
    # when
    pool = create_pool(
        by=admin,
        name="  Trade fair leads ",
        kind="lead",
        admins=[pool_admin.pk],
        members=[member.pk],
        member_departments=[departments["west"].pk],
        claim_limit_per_day=10,
        return_reasons=["无法联系", "无意向"],
        contact_visibility="masked",
    )
    # then
    pool.refresh_from_db()
    assert (
        pool.name,
        pool.kind,
        pool.claim_limit_per_day,
        pool.return_reasons,
        pool.contact_visibility,
    ) == ("Trade fair leads", "lead", 10, ["无法联系", "无意向"], "masked")
    assert list(pool.admins.all()) == [pool_admin]
    assert list(pool.members.all()) == [member]
    assert list(pool.member_departments.all()) == [departments["west"]]


def test_only_system_admins_create_pools(pool_admin):
    with pytest.raises(PermissionDenied):
        create_pool(by=pool_admin, name="Mine", kind="lead", admins=[pool_admin.pk])
    assert not Pool.objects.exists()


def test_every_bad_setting_is_named_and_nothing_is_written(admin, lead_pool):
    # when
    with pytest.raises(ValidationError) as caught:
        create_pool(
            by=admin,
            name="Lead pool",
            kind="lead",
            admins=[],
            claim_limit_per_day=0,
            reclaim_cooldown_hours=-1,
            contact_visibility="sometimes",
            return_reasons=["ok", "ok"],
            claim_reason_required="yes",
            colour="blue",
            on_retention_expiry="move",
        )
    # then
    assert sorted(caught.value.message_dict) == [
        "admins",
        "claim_limit_per_day",
        "claim_reason_required",
        "colour",
        "contact_visibility",
        "name",
        "reclaim_cooldown_hours",
        "retention_move_to_pool",
        "return_reasons",
    ]
    assert Pool.objects.count() == 1


def test_routing_entries_are_checked(admin, pool_admin, customer_pool):
    # when
    with pytest.raises(ValidationError) as caught:
        create_pool(
            by=admin,
            name="Routed",
            kind="lead",
            admins=[pool_admin.pk],
            routing=[{"when": {"region": {"equals": "华东"}}, "to_pool": customer_pool.pk}],
        )
    # then
    assert caught.value.message_dict == {
        "routing": [f"Entry 1: there is no lead pool {customer_pool.pk}."]
    }


def test_a_pool_admin_edits_rules_and_the_change_is_in_the_history(pool_admin, lead_pool):
    # when
    update_pool(
        pool=lead_pool, by=pool_admin, changes={"max_held": 50, "claim_limit_per_day": None}
    )
    # then
    lead_pool.refresh_from_db()
    assert (lead_pool.max_held, lead_pool.claim_limit_per_day) == (50, None)
    event = Event.objects.get(action=Event.Action.EDIT_POOL)
    assert (event.actor, event.from_pool, event.details) == (
        pool_admin,
        lead_pool,
        {"fields": ["max_held"]},
    )


def test_members_may_not_edit_a_pool_and_pool_admins_may_not_change_its_admins(
    member, pool_admin, rep_east, lead_pool
):
    with pytest.raises(PermissionDenied):
        update_pool(pool=lead_pool, by=member, changes={"max_held": 1})
    with pytest.raises(ValidationError) as caught:
        update_pool(pool=lead_pool, by=pool_admin, changes={"admins": [rep_east.pk]})
    assert list(caught.value.message_dict) == ["admins"]
    lead_pool.refresh_from_db()
    assert lead_pool.max_held is None
    assert list(lead_pool.admins.all()) == [pool_admin]


def test_changing_reclaim_rules_recomputes_every_owned_records_reclaim_time(
    pool_admin, rep_east, lead_pool, make_lead
):
    # given
    claimed = timezone.now() - datetime.timedelta(days=2)
    lead = make_lead(pool=lead_pool, owner=rep_east, claimed_at=claimed)
    unowned = make_lead(pool=lead_pool)
    # when
    update_pool(pool=lead_pool, by=pool_admin, changes={"reclaim_no_followup_days": 7})
    # then
    lead.refresh_from_db()
    unowned.refresh_from_db()
    assert lead.reclaim_at == claimed + datetime.timedelta(days=7)
    assert unowned.reclaim_at is None
    # and turning the rule off clears it again
    update_pool(pool=lead_pool, by=pool_admin, changes={"reclaim_no_followup_days": None})
    assert Lead.objects.get(pk=lead.pk).reclaim_at is None
