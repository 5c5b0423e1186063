"""The API of pools: /api/v1/pools/ and POST /api/v1/pools/{id}/transfer (PoolViewSet)."""

import pytest
from django.core.cache import cache
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leadpool.history.models import Event, Notification
from leadpool.pools.models import Pool

DEFAULT_RULES = {
    "visibility": "claimable",
    "claim_limit_per_day": None,
    "max_held": None,
    "max_held_counts_converted": False,
    "reclaim_cooldown_hours": None,
    "claim_embargo_hours": None,
    "claim_reason_required": False,
    "contact_visibility": "visible",
    "return_reasons": [],
    "distribution": "manual",
    "distribution_members": [],
    "redistribute_reclaimed": False,
    "routing": [],
    "reclaim_no_followup_days": None,
    "reclaim_not_converted_days": None,
    "reclaim_exempt_open_opportunity": False,
    "reclaim_warning_days": None,
    "retention_days": None,
    "on_retention_expiry": "keep",
    "retention_move_to_pool": None,
    "score_threshold": None,
    "score_threshold_action": "notify",
}


@pytest.fixture(autouse=True)
def no_throttles(settings):
    settings.LEADPOOL_RATES = {"login_ip": None, "login_username": None, "write": None}
    cache.clear()


def client_for(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def pool_state(pool: Pool) -> dict:
    """Everything a denied request must leave alone."""
    pool = Pool.objects.get(pk=pool.pk)
    return {
        "row": Pool.objects.filter(pk=pool.pk).values().get(),
        "admins": sorted(pool.admins.values_list("pk", flat=True)),
        "members": sorted(pool.members.values_list("pk", flat=True)),
        "member_departments": sorted(pool.member_departments.values_list("pk", flat=True)),
        "distribution_members": sorted(pool.distribution_members.values_list("pk", flat=True)),
    }


def without_time(body: dict, pool: Pool) -> dict:
    """The body minus created_at, after checking created_at is the pool's."""
    body = dict(body)
    assert parse_datetime(body.pop("created_at")) == Pool.objects.get(pk=pool.pk).created_at
    return body


@pytest.fixture
def other_pool(db):
    """A lead pool nobody but system admins sees."""
    return Pool.objects.create(name="Other pool", kind=Pool.Kind.LEAD)


# --- reading ---------------------------------------------------------------------------


def test_a_pool_is_shown_with_its_people_and_every_rule(pool_admin, member, departments, lead_pool):
    # when
    response = client_for(member).get(f"/api/v1/pools/{lead_pool.pk}")
    # then
    assert response.status_code == 200
    assert without_time(response.json(), lead_pool) == {
        "id": lead_pool.pk,
        "name": "Lead pool",
        "kind": "lead",
        "description": "",
        "admins": [pool_admin.pk],
        "members": [member.pk],
        "member_departments": [departments["east"].pk],
        "rules": DEFAULT_RULES,
    }


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("admin", ["lead", "customer", "other"]),
        ("pool_admin", ["lead", "customer"]),
        ("member", ["lead", "customer"]),
        ("rep_east", ["lead", "customer"]),  # through East Sales, above East Team
        ("manager", ["lead", "customer"]),  # East Sales itself
        ("rep_west", []),
        ("outsider", []),
    ],
)
def test_the_list_shows_only_pools_the_caller_administers_or_belongs_to(
    request, lead_pool, customer_pool, other_pool, persona, visible
):
    # given
    user = request.getfixturevalue(persona)
    pools = {"lead": lead_pool, "customer": customer_pool, "other": other_pool}
    # when
    response = client_for(user).get("/api/v1/pools/")
    # then
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [pools[name].pk for name in reversed(visible)]
    assert body["next"] is None


def test_a_pool_admin_who_is_no_member_still_sees_the_pool(outsider, other_pool):
    # given
    other_pool.admins.add(outsider)
    # when
    response = client_for(outsider).get("/api/v1/pools/")
    # then
    assert [row["id"] for row in response.json()["results"]] == [other_pool.pk]


@pytest.mark.parametrize(
    ("kind", "expected"), [("lead", "lead_pool"), ("customer", "customer_pool")]
)
def test_the_list_filters_by_kind(request, member, lead_pool, customer_pool, kind, expected):
    # when
    response = client_for(member).get(f"/api/v1/pools/?kind={kind}")
    # then
    assert response.status_code == 200
    pool = request.getfixturevalue(expected)
    assert [(row["id"], row["kind"]) for row in response.json()["results"]] == [(pool.pk, kind)]


def test_an_unknown_kind_is_a_400(member, lead_pool):
    # when
    response = client_for(member).get("/api/v1/pools/?kind=opportunity")
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"kind": ["Give lead or customer."]}}


@pytest.mark.parametrize("persona", ["rep_west", "outsider"])
def test_an_invisible_pool_is_a_404(request, lead_pool, persona):
    # when
    response = client_for(request.getfixturevalue(persona)).get(f"/api/v1/pools/{lead_pool.pk}")
    # then
    assert response.status_code == 404
    assert response.json() == {"detail": "No such pool."}


def test_an_unknown_pool_is_a_404(admin):
    # when
    response = client_for(admin).get("/api/v1/pools/999999")
    # then
    assert response.status_code == 404
    assert response.json() == {"detail": "No such pool."}


# --- creating --------------------------------------------------------------------------


def test_a_system_admin_creates_a_pool_with_its_rules(
    admin, pool_admin, rep_east, departments, other_pool
):
    # when
    response = client_for(admin).post(
        "/api/v1/pools/",
        {
            "name": "East leads",
            "kind": "lead",
            "description": "Trade-show leads",
            "admins": [pool_admin.pk],
            "members": [rep_east.pk],
            "member_departments": [departments["west"].pk],
            "rules": {
                "visibility": "assign_only",
                "claim_limit_per_day": 5,
                "max_held": 50,
                "claim_reason_required": True,
                "return_reasons": ["Wrong number", "Not interested"],
                "distribution": "round_robin",
                "distribution_members": [rep_east.pk],
                "reclaim_no_followup_days": 7,
                "reclaim_warning_days": 2,
                "on_retention_expiry": "move",
                "retention_days": 90,
                "retention_move_to_pool": other_pool.pk,
                "routing": [{"when": {"region": {"equals": "East"}}, "to_user": rep_east.pk}],
            },
        },
        format="json",
    )
    # then
    assert response.status_code == 201
    pool = Pool.objects.get(name="East leads")
    assert without_time(response.json(), pool) == {
        "id": pool.pk,
        "name": "East leads",
        "kind": "lead",
        "description": "Trade-show leads",
        "admins": [pool_admin.pk],
        "members": [rep_east.pk],
        "member_departments": [departments["west"].pk],
        "rules": {
            **DEFAULT_RULES,
            "visibility": "assign_only",
            "claim_limit_per_day": 5,
            "max_held": 50,
            "claim_reason_required": True,
            "return_reasons": ["Wrong number", "Not interested"],
            "distribution": "round_robin",
            "distribution_members": [rep_east.pk],
            "reclaim_no_followup_days": 7,
            "reclaim_warning_days": 2,
            "on_retention_expiry": "move",
            "retention_days": 90,
            "retention_move_to_pool": other_pool.pk,
            "routing": [{"when": {"region": {"equals": "East"}}, "to_user": rep_east.pk}],
        },
    }
    assert client_for(admin).get(f"/api/v1/pools/{pool.pk}").json() == response.json()


@pytest.mark.parametrize("persona", ["manager", "pool_admin", "member", "outsider"])
def test_only_system_admins_create_pools(request, pool_admin, persona):
    # when
    response = client_for(request.getfixturevalue(persona)).post(
        "/api/v1/pools/",
        {"name": "Mine", "kind": "lead", "admins": [pool_admin.pk]},
        format="json",
    )
    # then
    assert response.status_code == 403
    assert response.json() == {"detail": "Only system admins create pools."}
    assert not Pool.objects.exists()


def test_a_new_pool_needs_a_name_a_kind_and_admins(admin):
    # when
    response = client_for(admin).post("/api/v1/pools/", {"rules": {}}, format="json")
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {
            "name": ["This field is required."],
            "kind": ["This field is required."],
            "admins": ["This field is required."],
        }
    }
    assert not Pool.objects.exists()


@pytest.mark.parametrize(
    ("rules", "errors"),
    [
        (
            {"claim_limit_per_day": 0},
            {"rules.claim_limit_per_day": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            {"max_held": "many"},
            {"rules.max_held": ["A valid integer is required."]},
        ),
        (
            {"visibility": "public"},
            {"rules.visibility": ['"public" is not a valid choice.']},
        ),
        (
            {"reclaim_cooldown_hours": -1, "colour": "red"},
            {
                "rules.reclaim_cooldown_hours": [
                    "Ensure this value is greater than or equal to 0."
                ],
                "rules.colour": ["Unknown field."],
            },
        ),
        (
            {"on_retention_expiry": "move"},
            {"rules.retention_move_to_pool": ["Choose the pool to move expired records to."]},
        ),
        (
            {"return_reasons": ["Wrong number", "Wrong number"]},
            {"rules.return_reasons": ["Each reason may appear once."]},
        ),
        (
            {"routing": [{"when": {"colour": {"equals": "red"}}, "to_pool": 1}]},
            {"rules.routing": ["Entry 1: “colour” is not a condition we know."]},
        ),
        (
            {"distribution_members": [999999]},
            {"rules.distribution_members": ["There is no active user 999999."]},
        ),
    ],
)
def test_a_bad_rule_is_named_under_rules_and_nothing_is_created(admin, pool_admin, rules, errors):
    # when
    response = client_for(admin).post(
        "/api/v1/pools/",
        {"name": "East leads", "kind": "lead", "admins": [pool_admin.pk], "rules": rules},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    assert not Pool.objects.exists()


def test_a_pool_name_is_unique_per_kind(admin, pool_admin, lead_pool, customer_pool):
    # given
    client = client_for(admin)
    # when
    same_kind = client.post(
        "/api/v1/pools/",
        {"name": "Lead pool", "kind": "lead", "admins": [pool_admin.pk]},
        format="json",
    )
    other_kind = client.post(
        "/api/v1/pools/",
        {"name": "Lead pool", "kind": "customer", "admins": [pool_admin.pk]},
        format="json",
    )
    # then
    assert same_kind.status_code == 400
    assert same_kind.json() == {"errors": {"name": ["There is already a pool called “Lead pool”."]}}
    assert other_kind.status_code == 201
    assert Pool.objects.filter(name="Lead pool").count() == 2


def test_a_pool_needs_active_admins(admin, rep_east):
    # given
    rep_east.is_active = False
    rep_east.save()
    client = client_for(admin)
    # when
    nobody = client.post(
        "/api/v1/pools/", {"name": "P", "kind": "lead", "admins": []}, format="json"
    )
    inactive = client.post(
        "/api/v1/pools/", {"name": "P", "kind": "lead", "admins": [rep_east.pk]}, format="json"
    )
    # then
    assert nobody.json() == {"errors": {"admins": ["A pool needs at least one admin."]}}
    assert inactive.json() == {"errors": {"admins": [f"There is no active user {rep_east.pk}."]}}
    assert not Pool.objects.exists()


# --- editing ---------------------------------------------------------------------------


def test_a_pool_admin_edits_the_name_and_rules_and_it_is_recorded(pool_admin, lead_pool):
    # when
    response = client_for(pool_admin).patch(
        f"/api/v1/pools/{lead_pool.pk}",
        {"name": "East leads", "rules": {"max_held": 10, "claim_reason_required": True}},
        format="json",
    )
    # then
    assert response.status_code == 200
    body = without_time(response.json(), lead_pool)
    assert body["name"] == "East leads"
    assert body["rules"] == {**DEFAULT_RULES, "max_held": 10, "claim_reason_required": True}
    [event] = Event.objects.all()
    assert (
        event.action,
        event.actor_id,
        event.from_pool_id,
        event.to_pool_id,
        event.lead_id,
        event.customer_id,
        event.details,
    ) == (
        Event.Action.EDIT_POOL,
        pool_admin.pk,
        lead_pool.pk,
        lead_pool.pk,
        None,
        None,
        {"fields": ["name", "max_held", "claim_reason_required"]},
    )


def test_a_pool_admin_turns_a_rule_off_with_null(pool_admin, lead_pool):
    # given
    lead_pool.claim_limit_per_day = 3
    lead_pool.save()
    # when
    response = client_for(pool_admin).patch(
        f"/api/v1/pools/{lead_pool.pk}", {"rules": {"claim_limit_per_day": None}}, format="json"
    )
    # then
    assert response.status_code == 200
    assert response.json()["rules"]["claim_limit_per_day"] is None
    lead_pool.refresh_from_db()
    assert lead_pool.claim_limit_per_day is None


def test_an_edit_that_changes_nothing_records_nothing(pool_admin, lead_pool):
    # when
    response = client_for(pool_admin).patch(
        f"/api/v1/pools/{lead_pool.pk}",
        {"name": "Lead pool", "rules": {"visibility": "claimable"}},
        format="json",
    )
    # then
    assert response.status_code == 200
    assert not Event.objects.exists()


def test_a_pool_admin_edits_members(pool_admin, rep_west, departments, lead_pool):
    # when
    response = client_for(pool_admin).patch(
        f"/api/v1/pools/{lead_pool.pk}",
        {"members": [rep_west.pk], "member_departments": []},
        format="json",
    )
    # then
    assert response.status_code == 200
    assert (response.json()["members"], response.json()["member_departments"]) == (
        [rep_west.pk],
        [],
    )
    assert Event.objects.get().details == {"fields": ["members", "member_departments"]}


def test_a_bad_rule_in_an_edit_is_named_and_nothing_changes(pool_admin, lead_pool):
    # given
    before = pool_state(lead_pool)
    # when
    response = client_for(pool_admin).patch(
        f"/api/v1/pools/{lead_pool.pk}",
        {"name": "Renamed", "rules": {"max_held": 0, "on_retention_expiry": "delete"}},
        format="json",
    )
    service_refusal = client_for(pool_admin).patch(
        f"/api/v1/pools/{lead_pool.pk}",
        {"name": "Renamed", "rules": {"retention_move_to_pool": lead_pool.pk}},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"rules.max_held": ["Ensure this value is greater than or equal to 1."]}
    }
    assert service_refusal.status_code == 400
    assert service_refusal.json() == {
        "errors": {"rules.retention_move_to_pool": ["Choose another lead pool."]}
    }
    assert pool_state(lead_pool) == before
    assert not Event.objects.exists()


def test_a_pool_member_may_not_edit_the_pool(member, lead_pool):
    # given
    before = pool_state(lead_pool)
    # when
    response = client_for(member).patch(
        f"/api/v1/pools/{lead_pool.pk}", {"rules": {"max_held": 1}}, format="json"
    )
    # then
    assert response.status_code == 403
    assert response.json() == {"detail": "Only this pool's admins may change it."}
    assert pool_state(lead_pool) == before
    assert not Event.objects.exists()


def test_editing_an_invisible_pool_is_a_404(rep_west, lead_pool):
    # given
    before = pool_state(lead_pool)
    # when
    response = client_for(rep_west).patch(
        f"/api/v1/pools/{lead_pool.pk}", {"name": "Mine"}, format="json"
    )
    # then
    assert response.status_code == 404
    assert response.json() == {"detail": "No such pool."}
    assert pool_state(lead_pool) == before


def test_a_pool_admin_may_not_change_the_admins_directly(pool_admin, member, lead_pool):
    # given
    before = pool_state(lead_pool)
    # when
    response = client_for(pool_admin).patch(
        f"/api/v1/pools/{lead_pool.pk}", {"admins": [member.pk]}, format="json"
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"admins": ["Hand the pool to other admins by transferring it."]}
    }
    assert pool_state(lead_pool) == before
    assert not Event.objects.exists()


def test_a_system_admin_changes_the_admins_directly(admin, member, lead_pool):
    # when
    response = client_for(admin).patch(
        f"/api/v1/pools/{lead_pool.pk}", {"admins": [member.pk]}, format="json"
    )
    # then
    assert response.status_code == 200
    assert response.json()["admins"] == [member.pk]
    assert Event.objects.get().details == {"fields": ["admins"]}


def test_a_pools_kind_cannot_change(admin, lead_pool):
    # given
    before = pool_state(lead_pool)
    # when
    response = client_for(admin).patch(
        f"/api/v1/pools/{lead_pool.pk}", {"kind": "customer"}, format="json"
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"kind": ["A pool's kind cannot change."]}}
    assert pool_state(lead_pool) == before


# --- transfer --------------------------------------------------------------------------


def test_a_pool_admin_transfers_the_pool_and_the_new_admins_are_told(
    pool_admin, member, rep_east, lead_pool
):
    # when
    response = client_for(pool_admin).post(
        f"/api/v1/pools/{lead_pool.pk}/transfer",
        {"to_admins": [member.pk, rep_east.pk]},
        format="json",
    )
    # then
    assert response.status_code == 200
    assert response.json()["admins"] == sorted([member.pk, rep_east.pk])
    assert sorted(lead_pool.admins.values_list("pk", flat=True)) == sorted([member.pk, rep_east.pk])
    notifications = Notification.objects.order_by("user_id")
    assert [(n.user_id, n.kind, n.pool_id, n.actor_id) for n in notifications] == sorted(
        (user.pk, Notification.Kind.POOL_TRANSFERRED, lead_pool.pk, pool_admin.pk)
        for user in (member, rep_east)
    )
    [event] = Event.objects.all()
    assert (event.action, event.actor_id, event.details) == (
        Event.Action.TRANSFER_POOL,
        pool_admin.pk,
        {"from_admins": [pool_admin.pk], "to_admins": sorted([member.pk, rep_east.pk])},
    )


def test_the_new_admin_reads_the_transfer_in_their_notifications(pool_admin, member, lead_pool):
    # given
    client_for(pool_admin).post(
        f"/api/v1/pools/{lead_pool.pk}/transfer", {"to_admins": [member.pk]}, format="json"
    )
    # when
    response = client_for(member).get("/api/v1/notifications/")
    # then
    [row] = response.json()["results"]
    assert (row["kind"], row["pool"], row["text"]) == (
        "pool_transferred",
        lead_pool.pk,
        "Pool Admin made you an admin of the pool “Lead pool”.",
    )


def test_a_transfer_may_keep_the_current_admins(pool_admin, member, lead_pool):
    # when
    response = client_for(pool_admin).post(
        f"/api/v1/pools/{lead_pool.pk}/transfer",
        {"to_admins": [member.pk], "keep_current": True},
        format="json",
    )
    # then
    assert response.status_code == 200
    assert response.json()["admins"] == sorted([pool_admin.pk, member.pk])
    assert list(Notification.objects.values_list("user_id", flat=True)) == [member.pk]


@pytest.mark.parametrize("persona", ["member", "rep_east"])
def test_a_non_admin_may_not_transfer_a_pool(request, persona, lead_pool):
    # given
    user = request.getfixturevalue(persona)
    before = pool_state(lead_pool)
    # when
    response = client_for(user).post(
        f"/api/v1/pools/{lead_pool.pk}/transfer", {"to_admins": [user.pk]}, format="json"
    )
    # then
    assert response.status_code == 403
    assert response.json() == {"detail": "Only this pool's admins may transfer it."}
    assert pool_state(lead_pool) == before
    assert not Notification.objects.exists()
    assert not Event.objects.exists()


def test_transferring_an_invisible_pool_is_a_404(rep_west, lead_pool):
    # given
    before = pool_state(lead_pool)
    # when
    response = client_for(rep_west).post(
        f"/api/v1/pools/{lead_pool.pk}/transfer", {"to_admins": [rep_west.pk]}, format="json"
    )
    # then
    assert response.status_code == 404
    assert pool_state(lead_pool) == before


def test_a_transfer_to_nobody_is_a_400(pool_admin, lead_pool):
    # given
    before = pool_state(lead_pool)
    # when
    response = client_for(pool_admin).post(
        f"/api/v1/pools/{lead_pool.pk}/transfer", {"to_admins": []}, format="json"
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"to_admins": ["This list may not be empty."]}}
    assert pool_state(lead_pool) == before
    assert not Notification.objects.exists()


def test_a_transfer_to_an_inactive_user_is_a_400(pool_admin, member, lead_pool):
    # given
    member.is_active = False
    member.save()
    before = pool_state(lead_pool)
    # when
    response = client_for(pool_admin).post(
        f"/api/v1/pools/{lead_pool.pk}/transfer", {"to_admins": [member.pk]}, format="json"
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": {"to_admins": [f"There is no active user {member.pk}."]}}
    assert pool_state(lead_pool) == before
    assert not Notification.objects.exists()


def test_a_pool_admin_who_hands_the_pool_away_gets_the_result_then_loses_sight_of_it(
    pool_admin, member, departments, lead_pool
):
    # given: pool_admin is no member of the pool, so only administering it made it visible
    client = client_for(pool_admin)
    # when
    response = client.post(
        f"/api/v1/pools/{lead_pool.pk}/transfer", {"to_admins": [member.pk]}, format="json"
    )
    # then
    assert response.status_code == 200
    assert without_time(response.json(), lead_pool) == {
        "id": lead_pool.pk,
        "name": "Lead pool",
        "kind": "lead",
        "description": "",
        "admins": [member.pk],
        "members": [member.pk],
        "member_departments": [departments["east"].pk],
        "rules": DEFAULT_RULES,
    }
    assert client.get(f"/api/v1/pools/{lead_pool.pk}").status_code == 404
