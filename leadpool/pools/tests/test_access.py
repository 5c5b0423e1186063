"""Data scope: who sees which records, pools and contact details, and who may act (access.py)."""

import contextlib
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from leadpool.accounts.models import Department, User
from leadpool.core.results import Refused
from leadpool.customers.models import Customer
from leadpool.leads.models import Lead
from leadpool.pools.access import (
    can,
    contact_details,
    contact_visibility,
    fetch_for_action,
    get_record_for,
    reaches,
    recycle_bin,
    scope_of,
    visible_pools,
    visible_records,
)
from leadpool.pools.models import Pool

PERSONAS = ("admin", "manager", "rep_east", "rep_west", "pool_admin", "member", "outsider")
LIVE = (
    "own_east",
    "own_west",
    "collab",
    "unassigned",
    "assigned_west",
    "assign_only",
    "converted",
    "outsider_private",
)
ACTIONS = (
    "view",
    "edit",
    "follow_up",
    "claim",
    "assign",
    "reclaim",
    "return",
    "put_into_pool",
    "delete",
    "restore",
    "purge",
    "convert",
)


# --- arrangement -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The personas are created with passwords; the default hasher costs ~0.2 s a user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def personas(admin, manager, rep_east, rep_west, pool_admin, member, outsider):
    return {
        "admin": admin,
        "manager": manager,
        "rep_east": rep_east,
        "rep_west": rep_west,
        "pool_admin": pool_admin,
        "member": member,
        "outsider": outsider,
    }


@pytest.fixture
def assign_only_pools(pool_admin, member, departments):
    """One assign-only pool per kind, with the same admins and members as the others."""
    pools = {}
    for kind in Pool.Kind.values:
        pool = Pool.objects.create(
            name="Assign-only pool", kind=kind, visibility=Pool.Visibility.ASSIGN_ONLY
        )
        pool.admins.add(pool_admin)
        pool.members.add(member)
        pool.member_departments.add(departments["east"])
        pools[kind] = pool
    return pools


@pytest.fixture
def entity():
    return "lead"


@dataclass
class World:
    model: type
    records: dict

    def names_of(self, queryset) -> set[str]:
        ids = set(queryset.values_list("pk", flat=True))
        return {name for name, record in self.records.items() if record.pk in ids}


@pytest.fixture
def world(
    entity,
    personas,
    lead_pool,
    customer_pool,
    assign_only_pools,
    make_lead,
    make_customer,
):
    """One record in each situation, of the parametrised entity."""
    if entity == "lead":
        model, make, pool, closed = Lead, make_lead, lead_pool, Lead.Status.CONVERTED
    else:
        model, make, pool, closed = Customer, make_customer, customer_pool, Customer.Status.WON
    p = personas
    collab = make(owner=p["rep_west"], name="Collaborated")
    collab.collaborators.add(p["rep_east"])
    records = {
        "own_east": make(owner=p["rep_east"], name="Own east"),
        "own_west": make(owner=p["rep_west"], name="Own west"),
        "collab": collab,
        "unassigned": make(pool=pool, name="Unassigned"),
        "assigned_west": make(pool=pool, owner=p["rep_west"], name="Assigned west"),
        "assign_only": make(pool=assign_only_pools[entity], name="Assign only"),
        "converted": make(pool=pool, status=closed, name="Converted"),
        "deleted": make(pool=pool, owner=p["rep_east"], name="Deleted", deleted_at=timezone.now()),
        "outsider_private": make(owner=p["outsider"], name="Outsider private"),
    }
    return World(model, records)


# Which live lead situations each persona sees (and so may act on at all).
LEAD_VISIBLE = {
    "admin": set(LIVE),
    "manager": {"own_east", "unassigned"},
    "rep_east": {"own_east", "collab", "unassigned"},
    "rep_west": {"own_west", "collab", "assigned_west"},
    "pool_admin": {"unassigned", "assigned_west", "assign_only", "converted"},
    "member": {"unassigned"},
    "outsider": {"outsider_private"},
}
# Customers: no status closes a customer to claims, so a won customer left unassigned in
# the customer pool is in the members' claimable set (二次成交).
CUSTOMER_VISIBLE = {
    **LEAD_VISIBLE,
    "manager": {"own_east", "unassigned", "converted"},
    "rep_east": {"own_east", "collab", "unassigned", "converted"},
    "member": {"unassigned", "converted"},
}


# --- visible_records: the scope matrix --------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("entity", "expected"), [("lead", LEAD_VISIBLE), ("customer", CUSTOMER_VISIBLE)]
)
def test_each_persona_sees_exactly_the_records_of_their_scope(
    world, personas, persona, entity, expected
):
    # given
    user = personas[persona]
    # when
    seen = world.names_of(visible_records(user, world.model))
    # then
    assert seen == expected[persona]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("entity", ["lead", "customer"])
def test_the_single_record_check_agrees_with_the_scope_query(world, personas, persona, entity):
    # given: batch steps ask reaches() of a record fetched by id; lists filter in SQL
    scope = scope_of(personas[persona])
    in_sql = world.names_of(visible_records(personas[persona], world.model))
    # when
    in_python = {
        name
        for name, record in world.records.items()
        if not record.is_deleted
        and reaches(scope, world.model.objects.select_related("owner", "pool").get(pk=record.pk))
    }
    # then
    assert in_python == in_sql


def test_scope_of_reads_pools_and_departments_in_one_query(
    personas, departments, lead_pool, customer_pool, assign_only_pools, django_assert_num_queries
):
    # given: a manager of East, whose department belongs to every pool; and a pool admin
    manager, pool_admin = personas["manager"], personas["pool_admin"]
    every_pool = {lead_pool.pk, customer_pool.pk} | {p.pk for p in assign_only_pools.values()}
    # when
    with django_assert_num_queries(1):
        scope = scope_of(manager)
    # then
    assert scope.member_pool_ids == every_pool
    assert scope.claimable_pool_ids == {lead_pool.pk, customer_pool.pk}
    assert scope.managed_department_ids == {departments["east"].pk, departments["east_team"].pk}
    assert scope.administered_pool_ids == set()
    assert scope_of(pool_admin).administered_pool_ids == every_pool


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("entity", ["lead", "customer"])
def test_deactivated_users_see_nothing(world, personas, persona, entity):
    # given
    User.objects.filter(pk=personas[persona].pk).update(is_active=False)
    user = User.objects.get(pk=personas[persona].pk)
    scope = scope_of(user)
    # when
    seen = world.names_of(visible_records(user, world.model))
    binned = world.names_of(recycle_bin(user, world.model))
    pools = set(visible_pools(user))
    allowed = {
        action
        for action in ACTIONS
        for record in world.records.values()
        if can(scope, action, record)
    }
    # then
    assert (seen, binned, pools, allowed) == (set(), set(), set(), set())


def test_a_deactivated_user_gets_404_for_their_own_record(world, personas):
    # given
    record = world.records["own_east"]
    User.objects.filter(pk=personas["rep_east"].pk).update(is_active=False)
    user = User.objects.get(pk=personas["rep_east"].pk)
    # when / then
    with pytest.raises(Http404):
        get_record_for(user, Lead, record.pk)


def test_an_anonymous_user_sees_nothing(world):
    # when
    seen = world.names_of(visible_records(AnonymousUser(), Lead))
    # then
    assert seen == set()
    assert scope_of(None).is_active is False


def test_a_superuser_with_the_sales_role_sees_everything(world, departments):
    # given
    root = User.objects.create_superuser("root", password="pw-root", role=User.Role.SALES)
    # when
    seen = world.names_of(visible_records(root, Lead))
    # then
    assert seen == set(LIVE)


def test_manager_sees_leads_owned_in_his_department_subtree(
    manager, rep_east, rep_west, pool_admin, departments, make_lead
):
    # given
    east_direct = User.objects.create_user(
        "east_direct", password="x", department=departments["east"]
    )
    deeper = Department.objects.create(name="East Night Shift", parent=departments["east_team"])
    night_rep = User.objects.create_user("night_rep", password="x", department=deeper)
    leads = {
        "manager": make_lead(owner=manager),
        "east_direct": make_lead(owner=east_direct),
        "rep_east": make_lead(owner=rep_east),
        "night_rep": make_lead(owner=night_rep),
        "rep_west": make_lead(owner=rep_west),
        "hq": make_lead(owner=pool_admin),
    }
    # when
    seen = set(visible_records(manager, Lead).values_list("pk", flat=True))
    # then
    assert seen == {leads[name].pk for name in ("manager", "east_direct", "rep_east", "night_rep")}


def test_manager_sees_his_reps_records_inside_pools_he_does_not_administer(
    manager, rep_east, rep_west, lead_pool, customer_pool, make_lead, make_customer
):
    # given
    east_lead = make_lead(pool=lead_pool, owner=rep_east)
    make_lead(pool=lead_pool, owner=rep_west)
    east_customer = make_customer(pool=customer_pool, owner=rep_east)
    make_customer(pool=customer_pool, owner=rep_west)
    # when
    leads = set(visible_records(manager, Lead))
    customers = set(visible_records(manager, Customer))
    # then
    assert (leads, customers) == ({east_lead}, {east_customer})


def test_a_sales_rep_in_a_managers_department_does_not_see_colleagues_records(
    rep_east, departments, make_lead
):
    # given
    east_direct = User.objects.create_user(
        "east_direct", password="x", department=departments["east"]
    )
    own = make_lead(owner=east_direct)
    make_lead(owner=rep_east)
    # when
    seen = set(visible_records(east_direct, Lead))
    # then
    assert seen == {own}


def test_a_manager_without_a_department_sees_only_his_own(rep_east, make_lead):
    # given
    lone = User.objects.create_user("lone", password="x", role=User.Role.MANAGER)
    own = make_lead(owner=lone)
    make_lead(owner=rep_east)
    # when
    seen = set(visible_records(lone, Lead))
    # then
    assert seen == {own}


def test_pool_members_see_only_unassigned_open_records_of_claimable_pools(
    member, rep_west, lead_pool, assign_only_pools, make_lead
):
    # given
    open_lead = make_lead(pool=lead_pool)
    following = make_lead(pool=lead_pool, status=Lead.Status.FOLLOWING)
    invalid = make_lead(pool=lead_pool, status=Lead.Status.INVALID)
    make_lead(pool=lead_pool, status=Lead.Status.CONVERTED)
    make_lead(pool=lead_pool, owner=rep_west)
    make_lead(pool=assign_only_pools["lead"])
    # when
    seen = set(visible_records(member, Lead))
    # then
    assert seen == {open_lead, following, invalid}


def test_membership_through_a_department_above_reaches_everyone_below(
    departments, pool_admin, rep_west, rep_east, outsider, make_lead
):
    # given
    company_pool = Pool.objects.create(name="Company pool")
    company_pool.admins.add(pool_admin)
    company_pool.member_departments.add(departments["hq"])
    lead = make_lead(pool=company_pool)
    # when
    seen = {
        user.username: set(visible_records(user, Lead)) for user in (rep_west, rep_east, outsider)
    }
    # then
    assert seen == {"rep_west": {lead}, "rep_east": {lead}, "outsider": set()}


def test_membership_of_a_department_does_not_reach_the_department_above(
    departments, pool_admin, manager, rep_east, make_lead
):
    # given
    team_pool = Pool.objects.create(name="Team pool")
    team_pool.admins.add(pool_admin)
    team_pool.member_departments.add(departments["east_team"])
    lead = make_lead(pool=team_pool)
    # when
    seen = {user.username: set(visible_records(user, Lead)) for user in (manager, rep_east)}
    # then
    assert seen == {"manager": set(), "rep_east": {lead}}


# --- recycle_bin ------------------------------------------------------------------------


@pytest.fixture
def binned(rep_east, rep_west, lead_pool, make_lead):
    deleted = timezone.now()
    return {
        "deleted_in_pool": make_lead(pool=lead_pool, owner=rep_east, deleted_at=deleted),
        "deleted_unassigned": make_lead(pool=lead_pool, deleted_at=deleted),
        "deleted_private_east": make_lead(owner=rep_east, deleted_at=deleted),
        "deleted_private_west": make_lead(owner=rep_west, deleted_at=deleted),
        "live_private_east": make_lead(owner=rep_east),
        "live_in_pool": make_lead(pool=lead_pool),
    }


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        (
            "admin",
            {
                "deleted_in_pool",
                "deleted_unassigned",
                "deleted_private_east",
                "deleted_private_west",
            },
        ),
        ("pool_admin", {"deleted_in_pool", "deleted_unassigned"}),
        ("manager", {"deleted_private_east"}),
        ("rep_east", {"deleted_private_east"}),
        ("rep_west", {"deleted_private_west"}),
        ("member", set()),
        ("outsider", set()),
    ],
)
def test_the_recycle_bin_holds_the_deleted_records_one_may_restore(
    binned, personas, persona, expected
):
    # given
    user = personas[persona]
    # when
    found = set(recycle_bin(user, Lead))
    # then
    assert found == {binned[name] for name in expected}


@pytest.mark.parametrize("persona", PERSONAS)
def test_deleted_records_are_never_among_the_visible_records(binned, personas, persona):
    # when
    seen = set(visible_records(personas[persona], Lead))
    # then
    assert not any(record.is_deleted for record in seen)


@pytest.mark.parametrize("persona", PERSONAS)
def test_whoever_finds_a_record_in_the_recycle_bin_may_restore_and_purge_it(
    binned, personas, persona
):
    # given
    user = personas[persona]
    scope = scope_of(user)
    # when
    rights = {
        (record.pk, action)
        for record in recycle_bin(user, Lead)
        for action in ("restore", "purge")
        if can(scope, action, record)
    }
    # then
    assert rights == {
        (record.pk, action) for record in recycle_bin(user, Lead) for action in ("restore", "purge")
    }


# --- visible_pools ----------------------------------------------------------------------


@pytest.fixture
def more_pools(lead_pool, customer_pool, assign_only_pools, departments, rep_west):
    west_pool = Pool.objects.create(name="West pool")
    west_pool.admins.add(rep_west)
    elsewhere = Pool.objects.create(name="Someone else's pool")
    elsewhere.member_departments.add(departments["west"])
    return [lead_pool, customer_pool, *assign_only_pools.values(), west_pool, elsewhere]


ALL_POOLS = {
    ("lead", "Lead pool"),
    ("customer", "Customer pool"),
    ("lead", "Assign-only pool"),
    ("customer", "Assign-only pool"),
    ("lead", "West pool"),
    ("lead", "Someone else's pool"),
}
EAST_POOLS = {
    ("lead", "Lead pool"),
    ("customer", "Customer pool"),
    ("lead", "Assign-only pool"),
    ("customer", "Assign-only pool"),
}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", ALL_POOLS),
        ("pool_admin", EAST_POOLS),
        ("member", EAST_POOLS),
        ("rep_east", EAST_POOLS),
        ("manager", EAST_POOLS),
        ("rep_west", {("lead", "West pool"), ("lead", "Someone else's pool")}),
        ("outsider", set()),
    ],
)
def test_visible_pools_are_those_one_administers_or_belongs_to(
    more_pools, personas, persona, expected
):
    # when
    pools = {(pool.kind, pool.name) for pool in visible_pools(personas[persona])}
    # then
    assert pools == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", {"Customer pool", "Assign-only pool"}),
        ("member", {"Customer pool", "Assign-only pool"}),
        ("rep_west", set()),
    ],
)
def test_visible_pools_filter_by_kind(more_pools, personas, persona, expected):
    # when
    pools = {pool.name for pool in visible_pools(personas[persona], kind="customer")}
    # then
    assert pools == expected


# --- can: who may take which action ---------------------------------------------------

PRIVATE = ("own_east", "own_west", "collab", "outsider_private")
POOLED = ("unassigned", "assigned_west", "assign_only", "converted")
EDITORS = {
    "own_east": {"admin", "manager", "rep_east"},
    "own_west": {"admin", "rep_west"},
    "collab": {"admin", "rep_east", "rep_west"},
    "unassigned": {"admin", "pool_admin"},
    "assigned_west": {"admin", "rep_west", "pool_admin"},
    "assign_only": {"admin", "pool_admin"},
    "converted": {"admin", "pool_admin"},
    "outsider_private": {"admin", "outsider"},
}
OWNERS = {
    "own_east": {"rep_east"},
    "own_west": {"rep_west"},
    "collab": {"rep_west"},
    "unassigned": set(),
    "assigned_west": {"rep_west"},
    "assign_only": set(),
    "converted": set(),
    "outsider_private": {"outsider"},
}
POOL_ADMINS = {
    **dict.fromkeys(PRIVATE, {"admin"}),
    **dict.fromkeys(POOLED, {"admin", "pool_admin"}),
}
RECYCLERS = {
    "own_east": {"admin", "rep_east", "manager"},
    "own_west": {"admin", "rep_west"},
    "collab": {"admin", "rep_west"},
    "outsider_private": {"admin", "outsider"},
    **dict.fromkeys(POOLED, {"admin", "pool_admin"}),
}
# For each action, the personas who see a lead in each situation AND may take the action.
LEAD_RIGHTS = {
    "view": {
        situation: {p for p, seen in LEAD_VISIBLE.items() if situation in seen}
        for situation in LIVE
    },
    "edit": EDITORS,
    "follow_up": EDITORS,
    "claim": {
        **dict.fromkeys(PRIVATE, set()),
        "unassigned": {"manager", "rep_east", "pool_admin", "member"},
        "assigned_west": {"pool_admin"},
        "assign_only": {"pool_admin"},
        "converted": {"pool_admin"},
    },
    "assign": POOL_ADMINS,
    "reclaim": POOL_ADMINS,
    "return": OWNERS,
    "put_into_pool": {situation: OWNERS[situation] | {"admin"} for situation in LIVE},
    "delete": RECYCLERS,
    "restore": RECYCLERS,
    "purge": RECYCLERS,
    "convert": {situation: OWNERS[situation] | POOL_ADMINS[situation] for situation in LIVE},
}


def _rights(world, personas, action) -> dict[str, set[str]]:
    scopes = {name: scope_of(user) for name, user in personas.items()}
    visible = {
        name: set(visible_records(user, Lead).values_list("pk", flat=True))
        for name, user in personas.items()
    }
    return {
        situation: {
            name
            for name, scope in scopes.items()
            if world.records[situation].pk in visible[name]
            and can(scope, action, world.records[situation])
        }
        for situation in LIVE
    }


@pytest.mark.parametrize("action", ACTIONS)
def test_who_may_take_each_action_on_a_lead_in_each_situation(world, personas, action):
    # when
    rights = _rights(world, personas, action)
    # then
    assert rights == LEAD_RIGHTS[action]


def test_members_may_claim_a_won_customer_left_in_the_customer_pool(
    member, customer_pool, make_customer
):
    # given
    won = make_customer(pool=customer_pool, status=Customer.Status.WON)
    # when
    found = get_record_for(member, Customer, won.pk, "claim")
    # then
    assert found == won


def test_an_unknown_action_is_a_programming_error(world, admin):
    # when / then
    with pytest.raises(ValueError, match="unknown action 'steal'"):
        can(scope_of(admin), "steal", world.records["own_east"])


# --- get_record_for: 404 out of scope, 403 visible but forbidden ----------------------


def test_get_record_for_returns_a_visible_record_the_user_may_act_on(world, rep_east):
    # given
    record = world.records["own_east"]
    # when
    found = get_record_for(rep_east, Lead, record.pk, "edit")
    # then
    assert found == record


@pytest.mark.parametrize(
    ("persona", "situation"),
    [
        ("rep_west", "own_east"),
        ("member", "assigned_west"),
        ("outsider", "unassigned"),
        ("manager", "own_west"),
        ("pool_admin", "own_east"),
        ("rep_east", "converted"),
    ],
)
@pytest.mark.parametrize("action", ["view", "edit", "assign"])
def test_get_record_for_raises_404_for_records_out_of_scope_whatever_the_action(
    world, personas, persona, situation, action
):
    # when / then
    with pytest.raises(Http404):
        get_record_for(personas[persona], Lead, world.records[situation].pk, action)


@pytest.mark.parametrize("persona", PERSONAS)
def test_get_record_for_raises_404_for_deleted_records_even_for_admins(world, personas, persona):
    # when / then
    with pytest.raises(Http404):
        get_record_for(personas[persona], Lead, world.records["deleted"].pk)


@pytest.mark.parametrize("pk", [999_999, "abc", None, "1; DROP TABLE"])
def test_get_record_for_raises_404_for_missing_or_malformed_ids(world, admin, pk):
    # when / then
    with pytest.raises(Http404):
        get_record_for(admin, Lead, pk)


@pytest.mark.parametrize(
    ("persona", "situation", "action"),
    [
        ("member", "unassigned", "edit"),
        ("member", "unassigned", "assign"),
        ("rep_east", "unassigned", "delete"),
        ("rep_east", "own_east", "assign"),
        ("rep_east", "collab", "return"),
        ("manager", "own_east", "return"),
        ("manager", "unassigned", "edit"),
        ("pool_admin", "assigned_west", "return"),
        ("admin", "unassigned", "claim"),
    ],
)
def test_get_record_for_raises_403_for_visible_records_the_user_may_not_act_on(
    world, personas, persona, situation, action
):
    # when / then
    with pytest.raises(PermissionDenied):
        get_record_for(personas[persona], Lead, world.records[situation].pk, action)


# --- fetch_for_action agrees with visible_records and can ------------------------------


def _outcome(scope, record, action) -> str:
    try:
        fetch_for_action(scope, Lead, record.pk, action)
    except Refused as refused:
        return refused.refusal.code
    return "done"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", [a for a in ACTIONS if a not in ("restore", "purge")])
def test_fetch_for_action_agrees_with_visible_records_and_can(world, personas, persona, action):
    # given
    scope = scope_of(personas[persona])
    # when
    outcomes = {situation: _outcome(scope, world.records[situation], action) for situation in LIVE}
    # then
    assert outcomes == {
        situation: "done"
        if persona in LEAD_RIGHTS[action][situation]
        else "forbidden"
        if situation in LEAD_VISIBLE[persona]
        else "not_in_scope"
        for situation in LIVE
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("entity", ["lead", "customer"])
def test_fetch_for_view_finds_exactly_the_visible_records(world, personas, persona, entity):
    # given
    user = personas[persona]
    scope = scope_of(user)
    # when
    fetched = set()
    for record in world.records.values():
        with contextlib.suppress(Refused):
            fetched.add(fetch_for_action(scope, world.model, record.pk, "view"))
    # then
    assert fetched == set(visible_records(user, world.model))


@pytest.mark.parametrize(
    ("persona", "code"),
    [
        ("admin", "deleted"),
        ("pool_admin", "deleted"),
        ("rep_east", "deleted"),  # its owner when it was deleted
        ("rep_west", "not_in_scope"),
        ("member", "not_in_scope"),
        ("manager", "deleted"),  # its owner is in his department
        ("outsider", "not_in_scope"),
    ],
)
def test_fetch_for_action_refuses_deleted_records(world, personas, persona, code):
    # given
    scope = scope_of(personas[persona])
    # when
    outcome = _outcome(scope, world.records["deleted"], "edit")
    # then
    assert outcome == code


@pytest.mark.parametrize("action", ["restore", "purge"])
@pytest.mark.parametrize(
    ("persona", "situation", "code"),
    [
        ("pool_admin", "deleted", "done"),
        ("admin", "deleted", "done"),
        ("pool_admin", "unassigned", "not_deleted"),
        ("rep_east", "own_east", "not_deleted"),
        ("rep_east", "deleted", "not_in_scope"),
        ("rep_west", "deleted", "not_in_scope"),
        ("member", "unassigned", "not_deleted"),
        ("outsider", "own_east", "not_in_scope"),
    ],
)
def test_fetch_for_restore_looks_in_the_recycle_bin(
    world, personas, action, persona, situation, code
):
    # given
    scope = scope_of(personas[persona])
    # when
    outcome = _outcome(scope, world.records[situation], action)
    # then
    assert outcome == code


def test_fetch_for_action_refuses_ids_that_do_not_exist(world, admin):
    # when
    with pytest.raises(Refused) as refused:
        fetch_for_action(scope_of(admin), Lead, 999_999, "view")
    # then
    assert (refused.value.refusal.code, refused.value.refusal.message) == (
        "not_in_scope",
        "No such record.",
    )


# --- contact_visibility / contact_details --------------------------------------------

RAW = {"phone": "13800138000", "other_phone": "13900139000", "email": "zhang@example.com"}
MASKED = {"phone": "138****8000", "other_phone": "139****9000", "email": "z***@example.com"}
HIDDEN = {"phone": "", "other_phone": "", "email": ""}


@pytest.fixture
def contacts(lead_pool, rep_east, rep_west, make_lead):
    unassigned = make_lead(pool=lead_pool, **RAW)
    assigned = make_lead(pool=lead_pool, owner=rep_east, **RAW)
    assigned.collaborators.add(rep_west)
    private = make_lead(owner=rep_east, **RAW)
    return {"unassigned": unassigned, "assigned": assigned, "private": private}


@pytest.mark.parametrize("rule", ["masked", "hidden"])
@pytest.mark.parametrize(
    ("persona", "situation", "sees"),
    [
        ("member", "unassigned", "rule"),
        ("rep_east", "unassigned", "rule"),  # a member through his department
        ("manager", "unassigned", "rule"),  # a member through his department
        ("pool_admin", "unassigned", "visible"),
        ("admin", "unassigned", "visible"),
        ("rep_east", "assigned", "visible"),  # the owner
        ("rep_west", "assigned", "visible"),  # a collaborator
        ("manager", "assigned", "visible"),  # the owner's manager
        ("pool_admin", "assigned", "visible"),
        ("rep_east", "private", "visible"),
    ],
)
def test_contact_visibility_follows_the_pool_rule_until_claimed(
    contacts, lead_pool, personas, rule, persona, situation, sees
):
    # given
    Pool.objects.filter(pk=lead_pool.pk).update(contact_visibility=rule)
    record = Lead.objects.select_related("pool").get(pk=contacts[situation].pk)
    scope = scope_of(personas[persona])
    # when
    visibility = contact_visibility(scope, record)
    details = contact_details(scope, record)
    # then
    expected = rule if sees == "rule" else "visible"
    assert (visibility, details) == (
        expected,
        {"visible": RAW, "masked": MASKED, "hidden": HIDDEN}[expected],
    )


@pytest.mark.parametrize("persona", ["member", "rep_east", "pool_admin", "admin"])
def test_a_visible_pool_shows_contact_details_to_everyone_who_sees_the_record(
    contacts, personas, persona
):
    # given
    record = contacts["unassigned"]
    scope = scope_of(personas[persona])
    # when
    seen = (contact_visibility(scope, record), contact_details(scope, record))
    # then
    assert seen == ("visible", RAW)


def test_masking_leaves_missing_contact_details_empty(lead_pool, member, make_lead):
    # given
    lead_pool.contact_visibility = Pool.ContactVisibility.MASKED
    lead_pool.save()
    record = make_lead(pool=lead_pool, phone="13800138000", email="")
    # when
    details = contact_details(scope_of(member), record)
    # then
    assert details == {"phone": "138****8000", "other_phone": "", "email": ""}
