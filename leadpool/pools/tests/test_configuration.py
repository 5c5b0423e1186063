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


# --- distribution settings -------------------------------------------------------------------


def test_distribution_members_may_be_members_direct_or_by_department_or_admins(
    pool_admin, member, rep_east, lead_pool
):
    # when: member directly, rep_east through East Sales, pool_admin as its admin
    update_pool(
        pool=lead_pool,
        by=pool_admin,
        changes={
            "distribution": "round_robin",
            "distribution_members": [member.pk, rep_east.pk, pool_admin.pk],
        },
    )
    # then
    assert sorted(lead_pool.distribution_members.values_list("pk", flat=True)) == sorted(
        [member.pk, rep_east.pk, pool_admin.pk]
    )


def test_distribution_to_someone_outside_the_pool_is_refused(
    pool_admin, member, rep_west, outsider, lead_pool
):
    # when
    with pytest.raises(ValidationError) as caught:
        update_pool(
            pool=lead_pool,
            by=pool_admin,
            changes={
                "distribution": "round_robin",
                "distribution_members": [member.pk, rep_west.pk, outsider.pk],
            },
        )
    # then: nothing changed
    assert caught.value.message_dict == {
        "distribution_members": [
            "Rep West, Outsider neither belong to this pool nor administer it."
        ]
    }
    lead_pool.refresh_from_db()
    assert lead_pool.distribution == "manual"
    assert not lead_pool.distribution_members.exists()


def test_removing_a_distribution_member_from_the_pool_is_refused(
    admin, pool_admin, member, lead_pool
):
    # given
    update_pool(
        pool=lead_pool,
        by=pool_admin,
        changes={"distribution": "load_balanced", "distribution_members": [member.pk]},
    )
    # when
    with pytest.raises(ValidationError) as caught:
        update_pool(pool=lead_pool, by=pool_admin, changes={"members": []})
    # then
    assert list(caught.value.message_dict) == ["distribution_members"]
    assert list(lead_pool.members.all()) == [member]


@pytest.mark.parametrize("strategy", ["round_robin", "load_balanced"])
def test_round_robin_or_load_balancing_without_members_is_refused(
    admin, pool_admin, lead_pool, strategy
):
    # when
    with pytest.raises(ValidationError) as creating:
        create_pool(
            by=admin, name="New", kind="lead", admins=[pool_admin.pk], distribution=strategy
        )
    with pytest.raises(ValidationError) as updating:
        update_pool(pool=lead_pool, by=pool_admin, changes={"distribution": strategy})
    # then
    label = dict(Pool.Distribution.choices)[strategy]
    expected = {"distribution_members": [f"Choose the members that “{label}” hands records to."]}
    assert creating.value.message_dict == expected
    assert updating.value.message_dict == expected
    assert Pool.objects.count() == 1


def test_a_new_pool_may_distribute_to_its_own_members(admin, pool_admin, rep_west, departments):
    # when
    pool = create_pool(
        by=admin,
        name="West leads",
        kind="lead",
        admins=[pool_admin.pk],
        member_departments=[departments["west"].pk],
        distribution="round_robin",
        distribution_members=[rep_west.pk],
    )
    # then
    assert list(pool.distribution_members.all()) == [rep_west]


def test_routing_that_loops_back_is_refused(admin, pool_admin, lead_pool):
    # given: B routes everything to A
    other = create_pool(
        by=admin,
        name="Other",
        kind="lead",
        admins=[pool_admin.pk],
        routing=[{"when": {}, "to_pool": lead_pool.pk}],
    )
    # when: A would route to B
    with pytest.raises(ValidationError) as caught:
        update_pool(
            pool=lead_pool,
            by=pool_admin,
            changes={"routing": [{"when": {"region": {"equals": "北京"}}, "to_pool": other.pk}]},
        )
    # then
    assert caught.value.message_dict == {
        "routing": ["Entry 1: routing loops back to this pool (Lead pool → Other → Lead pool)."]
    }
    lead_pool.refresh_from_db()
    assert lead_pool.routing == []


def test_routing_to_itself_and_longer_loops_are_refused(admin, pool_admin, lead_pool):
    # given: C → B, B → A
    b = create_pool(
        by=admin, name="B", kind="lead", admins=[pool_admin.pk],
        routing=[{"when": {}, "to_pool": lead_pool.pk}],
    )  # fmt: skip
    c = create_pool(
        by=admin, name="C", kind="lead", admins=[pool_admin.pk],
        routing=[{"when": {}, "to_pool": b.pk}],
    )  # fmt: skip
    # then: A → C closes A → C → B → A; A → A is a loop of one
    with pytest.raises(ValidationError) as caught:
        update_pool(pool=lead_pool, by=pool_admin, changes={"routing": [
            {"when": {"source": {"equals": "展会"}}, "to_pool": c.pk},
        ]})  # fmt: skip
    assert caught.value.message_dict == {
        "routing": ["Entry 1: routing loops back to this pool (Lead pool → C → B → Lead pool)."]
    }
    with pytest.raises(ValidationError) as caught:
        update_pool(
            pool=lead_pool,
            by=pool_admin,
            changes={"routing": [{"when": {}, "to_pool": lead_pool.pk}]},
        )
    assert list(caught.value.message_dict) == ["routing"]


def test_routing_onwards_without_a_loop_is_accepted(admin, pool_admin, lead_pool):
    # given: B → C
    c = create_pool(by=admin, name="C", kind="lead", admins=[pool_admin.pk])
    b = create_pool(
        by=admin, name="B", kind="lead", admins=[pool_admin.pk],
        routing=[{"when": {}, "to_pool": c.pk}],
    )  # fmt: skip
    # when: A → B
    update_pool(pool=lead_pool, by=pool_admin, changes={"routing": [{"when": {}, "to_pool": b.pk}]})
    # then
    lead_pool.refresh_from_db()
    assert lead_pool.routing == [{"when": {}, "to_pool": b.pk}]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"region": {"empty": "yes"}}, "Entry 1: “region”: “empty” takes true or false."),
        ({"source": {"in": "展会"}}, "Entry 1: “source”: “in” takes a list of values."),
        ({"source": {"in": []}}, "Entry 1: “source”: “in” takes a list of values."),
        (
            {"industry": {"contains": ["x"]}},
            "Entry 1: “industry”: “contains” takes a text or a number.",
        ),
    ],
)
def test_routing_condition_values_are_checked(pool_admin, lead_pool, condition, message):
    # when
    with pytest.raises(ValidationError) as caught:
        update_pool(
            pool=lead_pool,
            by=pool_admin,
            changes={"routing": [{"when": condition, "to_user": pool_admin.pk}]},
        )
    # then
    assert caught.value.message_dict == {"routing": [message]}
