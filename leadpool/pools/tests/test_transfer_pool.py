"""Handing a pool's administration to other users (转移线索池): `transfer_pool`."""

import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from leadpool.history.models import Event, Notification
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool
from leadpool.pools.services import assign_records, transfer_pool

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI)
EVENT_FIELDS = (
    "action",
    "actor",
    "lead",
    "customer",
    "from_owner",
    "to_owner",
    "from_pool",
    "to_pool",
    "reason",
    "rule",
    "details",
    "at",
)


@pytest.fixture
def clock(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield NOW


@pytest.fixture(params=["lead_pool", "customer_pool"])
def pool(request) -> Pool:
    return request.getfixturevalue(request.param)


def admins_of(pool: Pool) -> list[int]:
    return sorted(pool.admins.values_list("pk", flat=True))


def all_events() -> list[dict]:
    return list(Event.objects.order_by("id").values(*EVENT_FIELDS))


def notifications() -> list[dict]:
    return list(
        Notification.objects.order_by("id").values(
            "user", "kind", "lead", "customer", "pool", "actor", "details"
        )
    )


def transfer_event(pool, *, by, before, after) -> dict:
    return {
        "action": Event.Action.TRANSFER_POOL,
        "actor": by.pk,
        "lead": None,
        "customer": None,
        "from_owner": None,
        "to_owner": None,
        "from_pool": pool.pk,
        "to_pool": pool.pk,
        "reason": "",
        "rule": "",
        "details": {"from_admins": before, "to_admins": after},
        "at": NOW,
    }


def pool_notice(pool, *, user, actor) -> dict:
    return {
        "user": user.pk,
        "kind": Notification.Kind.POOL_TRANSFERRED,
        "lead": None,
        "customer": None,
        "pool": pool.pk,
        "actor": actor.pk,
        "details": {"pool": pool.name, "actor": str(actor)},
    }


def assert_nothing_changed(pool: Pool, admins: list[int]) -> None:
    assert admins_of(pool) == admins
    assert (Event.objects.count(), Notification.objects.count()) == (0, 0)


def test_pool_admin_hands_the_pool_to_other_users(clock, pool, pool_admin, rep_east, rep_west):
    # given
    ordered = sorted([rep_east, rep_west], key=lambda user: user.pk)
    # when
    returned = transfer_pool(pool=pool, by=pool_admin, to_admins=[rep_west, rep_east.pk])
    # then
    after = [user.pk for user in ordered]
    assert returned.pk == pool.pk
    assert admins_of(pool) == after
    assert all_events() == [
        transfer_event(pool, by=pool_admin, before=[pool_admin.pk], after=after)
    ]
    assert notifications() == [pool_notice(pool, user=user, actor=pool_admin) for user in ordered]


def test_transfer_may_keep_the_current_admins(clock, pool, pool_admin, rep_west):
    # when
    transfer_pool(pool=pool, by=pool_admin, to_admins=[rep_west], keep_current=True)
    # then
    after = sorted([pool_admin.pk, rep_west.pk])
    assert admins_of(pool) == after
    assert all_events() == [
        transfer_event(pool, by=pool_admin, before=[pool_admin.pk], after=after)
    ]
    assert notifications() == [pool_notice(pool, user=rep_west, actor=pool_admin)]


def test_admins_who_stay_and_the_actor_are_not_notified(clock, pool, admin, pool_admin, rep_west):
    # given: the system admin is not an admin of the pool
    # when
    transfer_pool(pool=pool, by=admin, to_admins=[pool_admin, rep_west, admin])
    # then
    assert admins_of(pool) == sorted([admin.pk, pool_admin.pk, rep_west.pk])
    assert notifications() == [pool_notice(pool, user=rep_west, actor=admin)]


def test_new_admins_take_up_the_pools_administration(
    clock, lead_pool, pool_admin, rep_west, make_lead
):
    # given
    lead = make_lead(pool=lead_pool)
    transfer_pool(pool=lead_pool, by=pool_admin, to_admins=[rep_west])
    # when
    by_new_admin = assign_records(model=Lead, ids=[lead.pk], by=rep_west, to_user=rep_west)
    # then
    assert by_new_admin.as_dict() == {"done": [lead.pk], "refused": []}
    assert admins_of(lead_pool) == [rep_west.pk]


def test_former_admin_may_no_longer_assign(clock, lead_pool, pool_admin, rep_west, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    transfer_pool(pool=lead_pool, by=pool_admin, to_admins=[rep_west])
    # when
    result = assign_records(model=Lead, ids=[lead.pk], by=pool_admin, to_user=pool_admin)
    # then
    assert [refusal.code for _pk, refusal in result.refused] == ["not_in_scope"]


@pytest.mark.parametrize("actor", ["member", "manager", "rep_west", "outsider"])
def test_only_the_pools_admins_may_transfer_it(clock, pool, pool_admin, request, actor):
    # given
    by = request.getfixturevalue(actor)
    # when / then
    with pytest.raises(PermissionDenied) as raised:
        transfer_pool(pool=pool, by=by, to_admins=[by])
    assert str(raised.value) == "Only this pool's admins may transfer it."
    assert_nothing_changed(pool, [pool_admin.pk])


def test_admin_of_another_pool_may_not_transfer_this_one(clock, pool_admin, rep_west):
    # given
    pool = Pool.objects.create(name="West pool")
    pool.admins.add(rep_west)
    # when / then
    with pytest.raises(PermissionDenied):
        transfer_pool(pool=pool, by=pool_admin, to_admins=[pool_admin])
    assert_nothing_changed(pool, [rep_west.pk])


def test_transfer_needs_a_new_admin(clock, pool, pool_admin):
    # when / then
    with pytest.raises(ValidationError) as raised:
        transfer_pool(pool=pool, by=pool_admin, to_admins=[])
    assert raised.value.message_dict == {"to_admins": ["Choose at least one new admin."]}
    assert_nothing_changed(pool, [pool_admin.pk])


@pytest.mark.parametrize("new_admin", ["inactive", "unknown", "not-an-id"])
def test_transfer_to_an_inactive_or_unknown_user_is_rejected(
    clock, pool, pool_admin, rep_east, rep_west, new_admin
):
    # given
    rep_west.is_active = False
    rep_west.save()
    target, shown = {
        "inactive": (rep_west, rep_west.pk),
        "unknown": (999_999, 999_999),
        "not-an-id": ("rep_east", "rep_east"),
    }[new_admin]
    # when / then
    with pytest.raises(ValidationError) as raised:
        transfer_pool(pool=pool, by=pool_admin, to_admins=[rep_east, target])
    assert raised.value.message_dict == {"to_admins": [f"There is no active user {shown}."]}
    assert_nothing_changed(pool, [pool_admin.pk])
