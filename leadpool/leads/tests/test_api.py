"""/api/v1/leads/ over HTTP: list and its filters, pagination, retrieve, create, edit,
delete, every batch action and refusal code of API.md, convert, and contact masking."""

import datetime

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from leadpool.activity.models import CallRecord
from leadpool.fields.models import CustomField
from leadpool.history.models import Event, Notification
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool
from leadpool.pools.rules import format_time, next_local_midnight

REFUSED = {
    "owner": "Change the owner by claiming, assigning, reclaiming or returning.",
    "pool": "Move records between pools by assigning or putting them into a pool.",
}
URL = "/api/v1/leads/"
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _no_write_throttle(settings):
    settings.LEADPOOL_RATES = {**settings.LEADPOOL_RATES, "write": None}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _iso(moment) -> str | None:
    """A time as the API writes it."""
    return None if moment is None else serializers.DateTimeField().to_representation(moment)


def _at(day: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(day))


def _body(lead: Lead, **shown) -> dict:
    """The lead as its owner reads it over the API, fresh from the database; `shown`
    overrides what this reader sees (masked contacts)."""
    lead = Lead.objects.get(pk=lead.pk)
    body = {
        "id": lead.pk,
        "name": lead.name,
        "company": lead.company,
        "phone": lead.phone,
        "other_phone": lead.other_phone,
        "email": lead.email,
        "contact_visibility": "visible",
        "source": lead.source,
        "region": lead.region,
        "industry": lead.industry,
        "status": lead.status,
        "owner": lead.owner_id,
        "pool": lead.pool_id,
        "collaborators": sorted(lead.collaborators.values_list("pk", flat=True)),
        "notes": lead.notes,
        "custom": lead.custom,
        "reclaim_at": _iso(lead.reclaim_at),
        "claimed_at": _iso(lead.claimed_at),
        "assigned_at": _iso(lead.assigned_at),
        "last_followup_at": _iso(lead.last_followup_at),
        "next_followup_at": _iso(lead.next_followup_at),
        "created_by": lead.created_by_id,
        "created_at": _iso(lead.created_at),
        "updated_at": _iso(lead.updated_at),
        "deleted_at": _iso(lead.deleted_at),
        "score": lead.score,
        "score_explanation": [],
    }
    return body | shown


def _snapshot(lead: Lead) -> dict:
    """Everything the API could change about a lead, read fresh from the database."""
    fresh = Lead.objects.filter(pk=lead.pk).first()
    if fresh is None:
        return {"gone": True}
    return {
        "fields": {field.attname: getattr(fresh, field.attname) for field in fresh._meta.fields},
        "collaborators": sorted(fresh.collaborators.values_list("pk", flat=True)),
        "events": Event.objects.filter(lead=fresh).count(),
    }


def _table() -> dict:
    """Row counts of what a refused write could have left behind."""
    return {
        "leads": Lead.objects.count(),
        "events": Event.objects.count(),
        "notifications": Notification.objects.count(),
    }


def _batch(user, action: str, **body):
    return _client(user).post(f"{URL}{action}", body, format="json")


def _refusal(pk, code, message, until=None) -> dict:
    refusal = {"id": pk, "code": code, "message": message}
    return refusal | ({"until": until} if until else {})


# --- list and filters ------------------------------------------------------------------


@pytest.fixture
def custom_fields(db):
    return [
        CustomField.objects.create(
            entity="lead", key="level", label="Level", type="choice", choices=["A", "B"]
        ),
        CustomField.objects.create(entity="lead", key="size", label="Size", type="number"),
        CustomField.objects.create(
            entity="lead", key="tags", label="Tags", type="multi_choice", choices=["x", "y"]
        ),
        CustomField.objects.create(entity="lead", key="vip", label="VIP", type="boolean"),
    ]


@pytest.fixture
def catalogue(admin, rep_east, rep_west, lead_pool, make_lead, custom_fields):
    """Leads that differ in every filtered column, as the admin (who sees all) lists them."""
    return {
        "acme": make_lead(
            owner=admin,
            name="Li Lei",
            company="Acme Trading",
            phone="13811112222",
            email="lilei@acme.com",
            source="web",
            region="East",
            industry="retail",
            created_at=_at("2024-01-10T09:00"),
            custom={"level": "A", "size": 5, "tags": ["x", "y"], "vip": True},
        ),
        "beta": make_lead(
            owner=rep_east,
            pool=lead_pool,
            name="Han Meimei",
            company="Beta Soft",
            source="fair",
            region="West",
            industry="tech",
            status=Lead.Status.FOLLOWING,
            created_at=_at("2024-02-10T09:00"),
            custom={"level": "B", "size": 10, "tags": ["y"], "vip": False},
        ),
        "gamma": make_lead(
            pool=lead_pool,
            name="Wang Wu",
            source="web",
            region="West",
            industry="retail",
            created_at=_at("2024-03-10T09:00"),
        ),
        "delta": make_lead(
            owner=rep_west,
            name="Zhao Liu",
            source="referral",
            region="East",
            industry="tech",
            status=Lead.Status.INVALID,
            created_at=_at("2024-04-10T09:00"),
        ),
        "epsilon": make_lead(
            owner=rep_west,
            pool=lead_pool,
            name="Sun Qi",
            source="web",
            region="East",
            status=Lead.Status.CONVERTED,
            created_at=_at("2024-05-10T09:00"),
        ),
        "binned": make_lead(
            pool=lead_pool,
            name="Binned",
            source="web",
            created_at=_at("2024-06-10T09:00"),
            deleted_at=timezone.now(),
        ),
    }


def _listed(response, catalogue) -> list[str]:
    by_id = {lead.pk: name for name, lead in catalogue.items()}
    return [by_id[row["id"]] for row in response.json()["results"]]


def test_the_list_answers_every_live_lead_in_scope_newest_first(admin, catalogue):
    # when
    response = _client(admin).get(URL)
    # then
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            _body(catalogue[name]) for name in ("epsilon", "delta", "gamma", "beta", "acme")
        ],
        "next": None,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"pool": "{pool}"}, ["epsilon", "gamma", "beta"]),
        ({"owner": "me"}, ["acme"]),
        ({"owner": "none"}, ["gamma"]),
        ({"owner": "{rep_west}"}, ["epsilon", "delta"]),
        ({"status": "new"}, ["gamma", "acme"]),
        ({"status": "following,invalid"}, ["delta", "beta"]),
        ({"status": "converted"}, ["epsilon"]),
        ({"source": "web"}, ["epsilon", "gamma", "acme"]),
        ({"region": "West"}, ["gamma", "beta"]),
        ({"industry": "tech"}, ["delta", "beta"]),
        ({"q": "Wang"}, ["gamma"]),  # name
        ({"q": "beta soft"}, ["beta"]),  # company, any case
        ({"q": "1111 2222"}, ["acme"]),  # phone digits
        ({"q": "LILEI@acme"}, ["acme"]),  # e-mail
        ({"created_after": "2024-03-10"}, ["epsilon", "delta", "gamma"]),
        ({"created_after": "2024-03-10T09:00:00+08:00"}, ["epsilon", "delta", "gamma"]),
        ({"created_after": "2024-03-10T09:00:01+08:00"}, ["epsilon", "delta"]),
        ({"created_before": "2024-03-10T09:00:00+08:00"}, ["beta", "acme"]),
        ({"created_before": "2024-02-11"}, ["beta", "acme"]),
        ({"deleted": "true"}, ["binned"]),
        ({"deleted": "false"}, ["epsilon", "delta", "gamma", "beta", "acme"]),
    ],
)
def test_each_filter_narrows_the_list(admin, rep_west, lead_pool, catalogue, query, expected):
    # given
    ids = {"pool": lead_pool.pk, "rep_west": rep_west.pk}
    params = {key: value.format(**ids) for key, value in query.items()}
    # when
    response = _client(admin).get(URL, params)
    # then
    assert response.status_code == 200
    assert _listed(response, catalogue) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"pool": "{pool}", "status": "new", "source": "web"}, ["gamma"]),
        ({"region": "East", "industry": "tech", "owner": "{rep_west}"}, ["delta"]),
        (
            {"source": "web", "created_after": "2024-02-01", "created_before": "2024-05-01"},
            ["gamma"],
        ),
        ({"owner": "none", "region": "East"}, []),
        ({"deleted": "true", "source": "web", "pool": "{pool}"}, ["binned"]),
        ({"deleted": "true", "source": "fair"}, []),
        ({"q": "Li", "status": "new"}, ["acme"]),
    ],
)
def test_filters_combine(admin, rep_west, lead_pool, catalogue, query, expected):
    # given
    ids = {"pool": lead_pool.pk, "rep_west": rep_west.pk}
    params = {key: value.format(**ids) for key, value in query.items()}
    # when
    response = _client(admin).get(URL, params)
    # then
    assert response.status_code == 200
    assert _listed(response, catalogue) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"custom.level": "A"}, ["acme"]),
        ({"custom.level": "B"}, ["beta"]),
        ({"custom.size": "10"}, ["beta"]),
        ({"custom.size": "5.0"}, ["acme"]),
        ({"custom.tags": "y"}, ["beta", "acme"]),
        ({"custom.tags": "x"}, ["acme"]),
        ({"custom.vip": "false"}, ["beta"]),
        ({"custom.vip": "yes"}, ["acme"]),
        ({"custom.level": "A", "custom.vip": "true"}, ["acme"]),
        ({"custom.level": "A", "custom.vip": "false"}, []),
        ({"custom.tags": "y", "owner": "me"}, ["acme"]),
    ],
)
def test_custom_field_filters_match_the_stored_values(admin, catalogue, query, expected):
    # when
    response = _client(admin).get(URL, query)
    # then
    assert response.status_code == 200
    assert _listed(response, catalogue) == expected


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"pool": "abc"}, {"pool": ["Give a whole number."]}),
        ({"pool": "99999999999999999999"}, {"pool": ["Give a whole number."]}),
        ({"owner": "someone"}, {"owner": ["Give a whole number."]}),
        ({"owner": "-1"}, {"owner": ["Give a whole number."]}),
        ({"status": "won"}, {"status": ["Choose from: new, following, converted, invalid."]}),
        ({"status": "new,bogus"}, {"status": ["Choose from: new, following, converted, invalid."]}),
        ({"created_after": "yesterday"}, {"created_after": ["Give a date or an ISO 8601 time."]}),
        (
            {"created_before": "2024-13-01"},
            {"created_before": ["Give a date or an ISO 8601 time."]},
        ),
        ({"deleted": "maybe"}, {"deleted": ["Give true or false."]}),
        ({"custom.unknown": "1"}, {"custom.unknown": ["There is no custom field “unknown”."]}),
        ({"custom.level": "Z"}, {"custom.level": ["“Z” is not one of the choices: A, B."]}),
        ({"custom.size": "big"}, {"custom.size": ["“big” is not a number."]}),
        ({"custom.tags": "z"}, {"custom.tags": ["Choose from: x, y."]}),
        ({"custom.vip": "maybe"}, {"custom.vip": ["“maybe” is not yes or no."]}),
        (
            {"pool": "x", "status": "nope", "custom.level": "Z"},
            {
                "pool": ["Give a whole number."],
                "status": ["Choose from: new, following, converted, invalid."],
                "custom.level": ["“Z” is not one of the choices: A, B."],
            },
        ),
    ],
)
def test_a_malformed_filter_is_a_400_naming_the_filter(admin, catalogue, query, errors):
    # when
    response = _client(admin).get(URL, query)
    # then
    assert (response.status_code, response.json()) == (400, {"errors": errors})


@pytest.mark.parametrize(
    "query",
    [
        {"created_after": "0001-01-01"},
        {"created_after": "0001-01-01T00:00:00+14:00"},
        {"created_before": "9999-12-31T23:59:59-12:00"},
        {"created_before": "1969-12-31"},
    ],
)
def test_a_time_filter_outside_1970_to_2099_is_a_400_not_a_crash(admin, catalogue, query):
    # when
    response = _client(admin).get(URL, query)
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": dict.fromkeys(query, ["Enter a time between 1970 and 2099."])},
    )


@pytest.mark.parametrize("name", ["q", "source", "region", "industry"])
def test_a_filter_holding_a_nul_character_is_a_400_not_a_crash(admin, catalogue, name):
    # when: PostgreSQL cannot compare text holding NUL
    response = _client(admin).get(URL, {name: "web\x00"})
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {name: ["Remove the NUL character."]}},
    )


def test_filters_never_reach_past_the_scope(rep_west, catalogue, lead_pool):
    # given: rep_west is no member of the pool; he owns delta and epsilon only
    client = _client(rep_west)
    # when
    by_pool = client.get(URL, {"pool": lead_pool.pk})
    by_owner = client.get(URL, {"owner": "none"})
    by_text = client.get(URL, {"q": "Acme"})
    # then
    assert _listed(by_pool, catalogue) == ["epsilon"]
    assert _listed(by_owner, catalogue) == []
    assert _listed(by_text, catalogue) == []


# --- pagination -------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["1", "500"])
def test_the_limit_may_be_anything_from_1_to_500(rep_east, make_lead, limit):
    # given
    leads = [make_lead(owner=rep_east) for _ in range(2)]
    # when
    response = _client(rep_east).get(URL, {"limit": limit})
    # then
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(int(limit), len(leads))
    assert (response.json()["next"] is None) == (int(limit) >= len(leads))


@pytest.mark.parametrize("limit", ["0", "501", "-1", "ten", "1.5"])
def test_a_limit_outside_1_to_500_is_a_400(rep_east, limit):
    # when
    response = _client(rep_east).get(URL, {"limit": limit})
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"limit": ["Give a number from 1 to 500."]}},
    )


def test_the_default_page_holds_50_leads(rep_east, make_lead):
    # given
    for _ in range(51):
        make_lead(owner=rep_east)
    # when
    first = _client(rep_east).get(URL).json()
    second = _client(rep_east).get(URL, {"cursor": first["next"]}).json()
    # then
    assert (len(first["results"]), len(second["results"]), second["next"]) == (50, 1, None)


def test_the_next_cursor_walks_every_lead_exactly_once_while_leads_are_added(rep_east, make_lead):
    # given: seven leads, three of them created at the very same moment
    same = _at("2024-05-01T10:00")
    leads = [make_lead(owner=rep_east, created_at=_at(f"2024-04-0{day}T10:00")) for day in (1, 2)]
    leads += [make_lead(owner=rep_east, created_at=same) for _ in range(3)]
    leads += [make_lead(owner=rep_east, created_at=_at(f"2024-06-0{day}T10:00")) for day in (1, 2)]
    expected = [lead.pk for lead in sorted(leads, key=lambda x: (x.created_at, x.pk), reverse=True)]
    client = _client(rep_east)
    seen, cursor, pages = [], None, 0
    # when: two per page, a new lead added before every next page
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(URL, params).json()
        seen += [row["id"] for row in page["results"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
        make_lead(owner=rep_east)
    # then
    assert seen == expected
    assert pages == 4


def test_a_cursor_keeps_its_filters_company(rep_east, lead_pool, make_lead):
    # given
    pooled = [make_lead(owner=rep_east, pool=lead_pool) for _ in range(3)]
    make_lead(owner=rep_east)
    client = _client(rep_east)
    # when
    first = client.get(URL, {"pool": lead_pool.pk, "limit": 2}).json()
    second = client.get(URL, {"pool": lead_pool.pk, "limit": 2, "cursor": first["next"]}).json()
    # then
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert ids == [lead.pk for lead in reversed(pooled)]
    assert second["next"] is None


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "MjAyNHww", "fHg", "bm90LWEtdGltZXwx", "MjAyNC0wMS0wMVQwMDowMDowMHwx", "%%%"],
)
def test_an_invalid_cursor_is_a_400(rep_east, cursor):
    # "MjAyNHww" is "2024|0"; "fHg" is "|x"; the next is "not-a-time|1" and the last but
    # one a time without an offset.
    # when
    response = _client(rep_east).get(URL, {"cursor": cursor})
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"cursor": ["This cursor is not valid."]}},
    )


# --- retrieve ---------------------------------------------------------------------------


def test_a_lead_is_read_whole(rep_east, rep_west, lead_pool, make_lead):
    # given
    lead = make_lead(
        owner=rep_east,
        pool=lead_pool,
        name="Li Lei",
        company="Acme Trading",
        phone="13800138000",
        other_phone="010-12345678",
        email="lilei@acme.com",
        source="web",
        region="East",
        industry="retail",
        status=Lead.Status.FOLLOWING,
        notes="Wants a demo",
        created_at=_at("2024-03-01T09:30"),
        claimed_at=_at("2024-03-02T10:00"),
        last_followup_at=_at("2024-03-03T11:00"),
        next_followup_at=_at("2024-03-10T09:00"),
    )
    lead.collaborators.add(rep_west)
    # when
    response = _client(rep_east).get(f"{URL}{lead.pk}")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "id": lead.pk,
        "name": "Li Lei",
        "company": "Acme Trading",
        "phone": "13800138000",
        "other_phone": "010-12345678",
        "email": "lilei@acme.com",
        "contact_visibility": "visible",
        "source": "web",
        "region": "East",
        "industry": "retail",
        "status": "following",
        "owner": rep_east.pk,
        "pool": lead_pool.pk,
        "collaborators": [rep_west.pk],
        "notes": "Wants a demo",
        "custom": {},
        "reclaim_at": None,
        "claimed_at": "2024-03-02T10:00:00+08:00",
        "assigned_at": None,
        "last_followup_at": "2024-03-03T11:00:00+08:00",
        "next_followup_at": "2024-03-10T09:00:00+08:00",
        "created_by": None,
        "created_at": "2024-03-01T09:30:00+08:00",
        "updated_at": _iso(Lead.objects.get(pk=lead.pk).updated_at),
        "deleted_at": None,
        "score": 0,
        "score_explanation": [],
    }


@pytest.mark.parametrize("path", ["999999", "0", "abc", "1.5"])
def test_a_lead_that_does_not_exist_is_a_404(rep_east, path):
    # when
    response = _client(rep_east).get(f"{URL}{path}")
    # then
    assert response.status_code == 404


def test_a_lead_in_the_recycle_bin_is_a_404_outside_the_recycle_bin(
    pool_admin, lead_pool, make_lead
):
    # given
    lead = make_lead(pool=lead_pool, deleted_at=timezone.now())
    # when
    response = _client(pool_admin).get(f"{URL}{lead.pk}")
    # then
    assert (response.status_code, response.json()) == (404, {"detail": "No such record."})


def test_without_credentials_every_lead_call_is_a_401(rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east)
    client = APIClient()
    before = _snapshot(lead)
    # when
    answers = [
        client.get(URL),
        client.get(f"{URL}{lead.pk}"),
        client.patch(f"{URL}{lead.pk}", {"notes": "x"}, format="json"),
        client.post(f"{URL}delete", {"ids": [lead.pk]}, format="json"),
    ]
    # then
    assert [answer.status_code for answer in answers] == [401, 401, 401, 401]
    assert _snapshot(lead) == before


def test_a_token_from_the_token_endpoint_opens_the_api(rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east)
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token", {"username": "rep_east", "password": "pw-rep_east"}, format="json"
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    # when
    response = client.get(f"{URL}{lead.pk}")
    # then
    assert (response.status_code, response.json()["id"]) == (200, lead.pk)


# --- create -----------------------------------------------------------------------------


def test_a_rep_creates_a_private_lead_owned_by_himself(rep_east):
    # when
    response = _client(rep_east).post(
        URL,
        {
            "name": " Li Si ",
            "company": "Acme Trading",
            "phone": "+86 139 1234 5678",
            "email": "LiSi@Acme.com",
            "source": "web",
            "region": "East",
            "industry": "retail",
            "notes": "Met at the fair",
            "next_followup_at": "2030-01-02T09:00:00+08:00",
        },
        format="json",
    )
    # then
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert response.json() == _body(lead)
    assert response.json() | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "name": "Li Si",
        "company": "Acme Trading",
        "phone": "+86 139 1234 5678",
        "other_phone": "",
        "email": "LiSi@Acme.com",
        "contact_visibility": "visible",
        "source": "web",
        "region": "East",
        "industry": "retail",
        "status": "new",
        "owner": rep_east.pk,
        "pool": None,
        "collaborators": [],
        "notes": "Met at the fair",
        "custom": {},
        "reclaim_at": None,
        "claimed_at": None,
        "assigned_at": None,
        "last_followup_at": None,
        "next_followup_at": "2030-01-02T09:00:00+08:00",
        "created_by": rep_east.pk,
        "created_at": "",
        "updated_at": "",
        "deleted_at": None,
        "score": 0,
        "score_explanation": [],
    }
    assert (lead.phone_normalized, lead.email_normalized) == ("+8613912345678", "lisi@acme.com")
    assert list(Event.objects.values_list("action", "actor_id", "to_owner_id", "to_pool_id")) == [
        ("create", rep_east.pk, rep_east.pk, None)
    ]


def test_a_member_creates_a_lead_into_a_pool_unassigned(member, lead_pool):
    # when
    response = _client(member).post(
        URL, {"name": "Pooled", "pool": lead_pool.pk, "owner": None}, format="json"
    )
    # then
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert response.json() == _body(lead)
    assert (lead.owner_id, lead.pool_id, lead.created_by_id) == (None, lead_pool.pk, member.pk)
    assert lead.pooled_at is not None


def test_a_pool_admin_creates_a_lead_in_his_pool_for_a_rep_who_is_notified(
    pool_admin, rep_west, lead_pool
):
    # when
    response = _client(pool_admin).post(
        URL, {"name": "For west", "pool": lead_pool.pk, "owner": rep_west.pk}, format="json"
    )
    # then
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert response.json() == _body(lead)
    assert (lead.owner_id, lead.pool_id) == (rep_west.pk, lead_pool.pk)
    assert response.json()["assigned_at"] == _iso(lead.created_at)
    assert list(Notification.objects.values_list("user_id", "kind", "lead_id")) == [
        (rep_west.pk, "assigned", lead.pk)
    ]


def test_a_member_creating_into_an_assign_only_pool_is_answered_the_lead(member, pool_admin):
    # given: members see nothing of an assign-only pool; its admins hand its leads out
    pool = Pool.objects.create(name="Inbox", visibility=Pool.Visibility.ASSIGN_ONLY)
    pool.admins.add(pool_admin)
    pool.members.add(member)
    client = _client(member)
    # when
    response = client.post(URL, {"name": "For the admins", "pool": pool.pk}, format="json")
    # then
    lead = Lead.objects.get()
    assert (response.status_code, response.json()) == (201, _body(lead))
    assert client.get(f"{URL}{lead.pk}").status_code == 404


def test_custom_values_and_collaborators_are_set_on_create(rep_east, rep_west, custom_fields):
    # when
    response = _client(rep_east).post(
        URL,
        {
            "name": "Custom",
            "custom": {"level": "A", "size": "1,200", "tags": ["y", "x"], "vip": "yes"},
            "collaborators": [rep_west.pk],
        },
        format="json",
    )
    # then
    assert response.status_code == 201
    assert (response.json()["custom"], response.json()["collaborators"]) == (
        {"level": "A", "size": 1200, "tags": ["y", "x"], "vip": True},
        [rep_west.pk],
    )
    assert response.json() == _body(Lead.objects.get())


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {
                "name": "",
                "company": "",
                "phone": "12",
                "email": "bad",
                "status": "converted",
                "collaborators": [99999],
                "custom": {"nope": 1, "level": "Z"},
            },
            {
                "name": ["Give a name or a company."],
                "phone": ["“12” is not a valid phone number."],
                "email": ["“bad” is not a valid e-mail address."],
                "status": ["Choose one of: following, invalid, new."],
                "collaborators": ["There is no active user 99999."],
                "custom.nope": ["There is no custom field “nope”."],
                "custom.level": ["“Z” is not one of the choices: A, B."],
            },
        ),
        (
            {"name": "x" * 201, "source": "s" * 101, "next_followup_at": "tomorrow"},
            {
                "name": ["Ensure this field has no more than 200 characters."],
                "source": ["Ensure this field has no more than 100 characters."],
                "next_followup_at": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ],
            },
        ),
        (
            {"name": "Old", "next_followup_at": "1900-01-01T00:00:00Z"},
            {"next_followup_at": ["Enter a time between 1970 and 2099."]},
        ),
        (
            {"name": "Nul\x00"},
            {"name": ["Null characters are not allowed."]},
        ),
        (
            {"collaborators": "everyone", "custom": [], "allow_duplicate": "maybe"},
            {
                "collaborators": ['Expected a list of items but got type "str".'],
                "custom": ['Expected a dictionary of items but got type "list".'],
                "allow_duplicate": ["Must be a valid boolean."],
            },
        ),
        (
            {"name": "X", "pool": 99999, "owner": 99999},
            {"pool": ["There is no pool 99999."], "owner": ["There is no active user 99999."]},
        ),
        (
            {"name": "X", "pool": "first", "owner": 0},
            {
                "pool": ["A valid integer is required."],
                "owner": ["Ensure this value is greater than or equal to 1."],
            },
        ),
    ],
)
def test_a_create_with_bad_fields_names_each_and_writes_nothing(
    rep_east, custom_fields, body, errors
):
    # given
    before = _table()
    # when
    response = _client(rep_east).post(URL, body, format="json")
    # then
    assert (response.status_code, response.json()) == (400, {"errors": errors})
    assert _table() == before


def test_creating_for_someone_one_may_not_give_to_is_refused(rep_east, rep_west):
    # when
    response = _client(rep_east).post(URL, {"name": "X", "owner": rep_west.pk}, format="json")
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"owner": ["You may not create records for Rep West."]}},
    )
    assert Lead.objects.count() == 0


def test_a_pool_one_does_not_belong_to_is_reported_as_unknown(rep_west, lead_pool):
    # when
    response = _client(rep_west).post(URL, {"name": "X", "pool": lead_pool.pk}, format="json")
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"pool": [f"There is no pool {lead_pool.pk}."]}},
    )
    assert Lead.objects.count() == 0


def test_a_customer_pool_is_refused_for_a_lead(pool_admin, customer_pool):
    # when
    response = _client(pool_admin).post(URL, {"name": "X", "pool": customer_pool.pk}, format="json")
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"pool": ["“Customer pool” is not a lead pool."]}},
    )
    assert Lead.objects.count() == 0


def test_unknown_fields_are_refused_by_name(rep_east):
    # when
    response = _client(rep_east).post(
        URL, {"name": "X", "owner_name": "me", "deleted_at": None}, format="json"
    )
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"deleted_at": ["Unknown field."], "owner_name": ["Unknown field."]}},
    )
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[1, 2]", "Send a JSON object."),
        (
            "{bad",
            "JSON parse error - Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
    ],
)
def test_a_body_that_is_no_json_object_is_a_400(rep_east, raw, message):
    # when
    response = _client(rep_east).post(URL, raw, content_type="application/json")
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"non_field_errors": [message]}},
    )


def test_a_duplicate_phone_is_refused_with_the_match_then_allowed_on_request(rep_east, make_lead):
    # given
    existing = make_lead(owner=rep_east, name="Li Lei", phone="13800138000")
    client = _client(rep_east)
    body = {"name": "Li Lei again", "phone": "138-0013-8000"}
    # when
    refused = client.post(URL, body, format="json")
    allowed = client.post(URL, body | {"allow_duplicate": True}, format="json")
    # then
    assert (refused.status_code, refused.json()) == (
        400,
        {
            "errors": {"phone": ["Already on file: “Li Lei”, owned by Rep East."]},
            "duplicates": {
                "results": [
                    {
                        "type": "lead",
                        "id": existing.pk,
                        "display": "Li Lei",
                        "matched_on": ["phone"],
                        "score": 100,
                        "state": "owned",
                        "owner": "Rep East",
                        "pool": "",
                    }
                ],
                "elsewhere": [],
            },
        },
    )
    assert allowed.status_code == 201
    assert allowed.json() == _body(Lead.objects.exclude(pk=existing.pk).get())
    assert Lead.objects.count() == 2


def test_a_duplicate_outside_the_scope_is_refused_without_naming_it(rep_east, rep_west, make_lead):
    # given
    make_lead(owner=rep_west, name="Secret", email="boss@secret.cn")
    # when
    response = _client(rep_east).post(
        URL, {"name": "Mine", "email": "BOSS@secret.cn"}, format="json"
    )
    # then
    assert (response.status_code, response.json()) == (
        400,
        {
            "errors": {"email": ["This is already on file in a record held by a colleague."]},
            "duplicates": {
                "results": [],
                "elsewhere": [{"type": "lead", "matched_on": ["email"], "state": "owned"}],
            },
        },
    )
    assert Lead.objects.count() == 1


# --- edit -------------------------------------------------------------------------------


@pytest.fixture
def east_lead(rep_east, make_lead):
    return make_lead(owner=rep_east, name="Li Lei", company="Acme", phone="13800138000")


def test_an_edit_saves_the_fields_and_answers_the_lead(rep_east, east_lead):
    # when
    response = _client(rep_east).patch(
        f"{URL}{east_lead.pk}",
        {
            "name": "Li Lei (CTO)",
            "company": "Acme Ltd",
            "phone": "13900139000",
            "other_phone": "010-12345678",
            "email": "cto@acme.com",
            "source": "fair",
            "region": "North",
            "industry": "tech",
            "notes": "Call after 10",
            "status": "invalid",
            "next_followup_at": "2030-05-01T10:00:00+08:00",
        },
        format="json",
    )
    # then
    assert response.status_code == 200
    assert response.json() == _body(east_lead)
    fresh = Lead.objects.get(pk=east_lead.pk)
    assert (
        fresh.name,
        fresh.company,
        fresh.phone_normalized,
        fresh.other_phone_normalized,
        fresh.email,
        fresh.source,
        fresh.region,
        fresh.industry,
        fresh.notes,
        fresh.status,
        fresh.next_followup_at,
    ) == (
        "Li Lei (CTO)",
        "Acme Ltd",
        "+8613900139000",
        "+861012345678",
        "cto@acme.com",
        "fair",
        "North",
        "tech",
        "Call after 10",
        "invalid",
        _at("2030-05-01T10:00"),
    )
    assert list(Event.objects.values_list("action", "actor_id", "details")) == [
        (
            "edit",
            rep_east.pk,
            {
                "fields": [
                    "company",
                    "email",
                    "industry",
                    "name",
                    "next_followup_at",
                    "notes",
                    "other_phone",
                    "phone",
                    "region",
                    "source",
                    "status",
                ]
            },
        )
    ]


def test_custom_values_are_merged_into_the_existing_ones(rep_east, east_lead, custom_fields):
    # given
    Lead.objects.filter(pk=east_lead.pk).update(custom={"level": "A", "size": 5})
    # when
    response = _client(rep_east).patch(
        f"{URL}{east_lead.pk}", {"custom": {"size": "7", "vip": False, "level": ""}}, format="json"
    )
    # then
    assert response.status_code == 200
    assert response.json()["custom"] == {"size": 7, "vip": False}
    assert Lead.objects.get(pk=east_lead.pk).custom == {"size": 7, "vip": False}


def test_collaborators_are_replaced_and_then_see_the_lead(rep_east, rep_west, member, east_lead):
    # given
    east_lead.collaborators.add(member)
    # when
    response = _client(rep_east).patch(
        f"{URL}{east_lead.pk}", {"collaborators": [rep_west.pk]}, format="json"
    )
    # then
    assert (response.status_code, response.json()["collaborators"]) == (200, [rep_west.pk])
    assert _client(rep_west).get(f"{URL}{east_lead.pk}").status_code == 200
    assert _client(member).get(f"{URL}{east_lead.pk}").status_code == 404


def test_a_collaborator_taking_himself_off_is_answered_the_lead(rep_east, rep_west, make_lead):
    # given
    lead = make_lead(owner=rep_west)
    lead.collaborators.add(rep_east)
    client = _client(rep_east)
    # when
    response = client.patch(f"{URL}{lead.pk}", {"collaborators": []}, format="json")
    # then
    assert (response.status_code, response.json()) == (200, _body(lead))
    assert response.json()["collaborators"] == []
    assert client.get(f"{URL}{lead.pk}").status_code == 404


@pytest.mark.parametrize(
    "body",
    [{"owner": 1}, {"pool": 1}, {"owner": None, "pool": None}, {"deleted_at": None}],
)
def test_owner_pool_and_other_unknown_fields_cannot_be_edited(rep_east, east_lead, body):
    # given
    before = _snapshot(east_lead)
    # when
    response = _client(rep_east).patch(f"{URL}{east_lead.pk}", body, format="json")
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {field: [REFUSED.get(field, "Unknown field.")] for field in body}},
    )
    assert _snapshot(east_lead) == before


def test_an_open_lead_cannot_be_marked_converted_by_editing(rep_east, east_lead):
    # given
    before = _snapshot(east_lead)
    # when
    response = _client(rep_east).patch(
        f"{URL}{east_lead.pk}", {"status": "converted"}, format="json"
    )
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"status": ["Choose one of: following, invalid, new."]}},
    )
    assert _snapshot(east_lead) == before


def test_a_converted_lead_keeps_its_status_but_may_resend_it(rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east, status=Lead.Status.CONVERTED)
    client = _client(rep_east)
    before = _snapshot(lead)
    # when
    refused = client.patch(f"{URL}{lead.pk}", {"status": "following"}, format="json")
    unchanged = _snapshot(lead)
    resent = client.patch(f"{URL}{lead.pk}", {"status": "converted", "notes": "x"}, format="json")
    # then
    assert (refused.status_code, refused.json()) == (
        400,
        {"errors": {"status": ["A converted record keeps its status."]}},
    )
    assert unchanged == before
    assert (resent.status_code, resent.json()["status"], resent.json()["notes"]) == (
        200,
        "converted",
        "x",
    )


def test_an_edit_with_bad_fields_changes_nothing(rep_east, east_lead, custom_fields):
    # given
    before = _snapshot(east_lead)
    # when
    response = _client(rep_east).patch(
        f"{URL}{east_lead.pk}",
        {"name": "", "company": "", "email": "nope", "custom": {"size": "x"}, "notes": "kept?"},
        format="json",
    )
    # then
    assert (response.status_code, response.json()) == (
        400,
        {
            "errors": {
                "email": ["“nope” is not a valid e-mail address."],
                "custom.size": ["“x” is not a number."],
                "name": ["Give a name or a company."],
            }
        },
    )
    assert _snapshot(east_lead) == before


def test_changing_the_phone_to_one_on_file_is_refused_then_allowed(rep_east, east_lead, make_lead):
    # given
    other = make_lead(owner=rep_east, name="Other", phone="13700137000")
    before = _snapshot(east_lead)
    client = _client(rep_east)
    # when
    refused = client.patch(f"{URL}{east_lead.pk}", {"phone": "13700137000"}, format="json")
    unchanged = _snapshot(east_lead)
    allowed = client.patch(
        f"{URL}{east_lead.pk}", {"phone": "13700137000", "allow_duplicate": True}, format="json"
    )
    # then
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"phone": ["Already on file: “Other”, owned by Rep East."]}
    assert [match["id"] for match in refused.json()["duplicates"]["results"]] == [other.pk]
    assert unchanged == before
    assert (allowed.status_code, allowed.json()["phone"]) == (200, "13700137000")


def test_an_edit_by_a_visible_but_not_allowed_user_is_a_403(member, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    before = _snapshot(lead)
    # when
    response = _client(member).patch(f"{URL}{lead.pk}", {"notes": "mine"}, format="json")
    # then
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "You may not do that with this record."},
    )
    assert _snapshot(lead) == before


def test_an_edit_of_a_lead_out_of_scope_is_a_404(rep_west, east_lead):
    # given
    before = _snapshot(east_lead)
    # when
    response = _client(rep_west).patch(f"{URL}{east_lead.pk}", {"notes": "mine"}, format="json")
    # then
    assert (response.status_code, response.json()) == (404, {"detail": "No such record."})
    assert _snapshot(east_lead) == before


def test_put_is_not_allowed(rep_east, east_lead):
    # given
    before = _snapshot(east_lead)
    # when
    response = _client(rep_east).put(f"{URL}{east_lead.pk}", {"name": "X"}, format="json")
    # then
    assert (response.status_code, response.json()) == (
        405,
        {"detail": 'Method "PUT" not allowed.'},
    )
    assert _snapshot(east_lead) == before


# --- delete -----------------------------------------------------------------------------


def test_delete_moves_the_lead_to_the_recycle_bin(rep_east, east_lead):
    # given
    client = _client(rep_east)
    # when
    response = client.delete(f"{URL}{east_lead.pk}")
    # then
    assert (response.status_code, response.content) == (204, b"")
    assert client.get(f"{URL}{east_lead.pk}").status_code == 404
    assert client.get(URL).json() == {"results": [], "next": None}
    assert client.get(URL, {"deleted": "true"}).json() == {
        "results": [_body(east_lead)],
        "next": None,
    }
    assert Lead.objects.get(pk=east_lead.pk).deleted_by_id == rep_east.pk


def test_deleting_a_lead_already_in_the_recycle_bin_is_a_409_with_its_code(rep_east, east_lead):
    # given
    client = _client(rep_east)
    client.delete(f"{URL}{east_lead.pk}")
    before = _snapshot(east_lead)
    # when
    response = client.delete(f"{URL}{east_lead.pk}")
    # then
    assert (response.status_code, response.json()) == (
        409,
        {"detail": "This record is in the recycle bin.", "code": "deleted"},
    )
    assert _snapshot(east_lead) == before


def test_deleting_a_visible_lead_one_may_not_delete_is_a_403(member, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    before = _snapshot(lead)
    # when
    response = _client(member).delete(f"{URL}{lead.pk}")
    # then
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "You may not do that with this record."},
    )
    assert _snapshot(lead) == before


def test_deleting_a_lead_out_of_scope_is_a_404(rep_west, east_lead):
    # given
    before = _snapshot(east_lead)
    # when
    response = _client(rep_west).delete(f"{URL}{east_lead.pk}")
    # then
    assert (response.status_code, response.json()) == (404, {"detail": "No such record."})
    assert _snapshot(east_lead) == before


# --- batch actions: each one done -------------------------------------------------------


@pytest.fixture
def other_pool(pool_admin, member):
    pool = Pool.objects.create(name="Other lead pool", kind=Pool.Kind.LEAD)
    pool.admins.add(pool_admin)
    pool.members.add(member)
    return pool


def test_claim_makes_the_member_the_owner_with_reason_and_next_followup(
    member, lead_pool, make_lead
):
    # given
    leads = [make_lead(pool=lead_pool) for _ in range(2)]
    # when
    response = _batch(
        member,
        "claim",
        ids=[lead.pk for lead in leads],
        reason="Know them",
        expected_followup_at="2030-01-01T10:00:00+08:00",
    )
    # then
    assert (response.status_code, response.json()) == (
        200,
        {"done": sorted(lead.pk for lead in leads), "refused": []},
    )
    for lead in leads:
        fresh = Lead.objects.get(pk=lead.pk)
        assert (fresh.owner_id, fresh.pooled_at, fresh.next_followup_at) == (
            member.pk,
            None,
            _at("2030-01-01T10:00"),
        )
    assert (
        list(Event.objects.values_list("action", "actor_id", "to_owner_id", "reason"))
        == [("claim", member.pk, member.pk, "Know them")] * 2
    )


def test_the_batch_endpoints_answer_with_and_without_a_trailing_slash(member, lead_pool, make_lead):
    # given
    first, second = make_lead(pool=lead_pool), make_lead(pool=lead_pool)
    client = _client(member)
    # when
    without = client.post(f"{URL}claim", {"ids": [first.pk]}, format="json")
    with_slash = client.post(f"{URL}claim/", {"ids": [second.pk]}, format="json")
    # then
    assert (without.json(), with_slash.json()) == (
        {"done": [first.pk], "refused": []},
        {"done": [second.pk], "refused": []},
    )


def test_assign_to_a_user_hands_the_lead_over_and_tells_both_owners(
    pool_admin, rep_east, rep_west, lead_pool, make_lead
):
    # given
    lead = make_lead(pool=lead_pool, owner=rep_west, name="Li Lei")
    # when
    response = _batch(pool_admin, "assign", ids=[lead.pk], to_user=rep_east.pk, reason="Region")
    # then
    assert response.json() == {"done": [lead.pk], "refused": []}
    fresh = Lead.objects.get(pk=lead.pk)
    assert (fresh.owner_id, fresh.pool_id) == (rep_east.pk, lead_pool.pk)
    assert list(Event.objects.values_list("action", "from_owner_id", "to_owner_id", "reason")) == [
        ("assign", rep_west.pk, rep_east.pk, "Region")
    ]
    assert sorted(Notification.objects.values_list("user_id", "kind")) == sorted(
        [(rep_east.pk, "assigned"), (rep_west.pk, "reassigned")]
    )


def test_assign_to_a_pool_moves_the_lead_there_unassigned(
    pool_admin, rep_west, lead_pool, other_pool, make_lead
):
    # given
    lead = make_lead(pool=lead_pool, owner=rep_west)
    # when
    response = _batch(pool_admin, "assign", ids=[lead.pk], to_pool=other_pool.pk)
    # then
    assert response.json() == {"done": [lead.pk], "refused": []}
    fresh = Lead.objects.get(pk=lead.pk)
    assert (fresh.owner_id, fresh.pool_id) == (None, other_pool.pk)
    assert list(Event.objects.values_list("action", "from_pool_id", "to_pool_id")) == [
        ("assign_to_pool", lead_pool.pk, other_pool.pk)
    ]


def test_reclaim_takes_the_lead_back_into_its_pool_and_tells_the_owner(
    pool_admin, rep_west, lead_pool, make_lead
):
    # given
    lead = make_lead(pool=lead_pool, owner=rep_west)
    # when
    response = _batch(pool_admin, "reclaim", ids=[lead.pk], reason="No follow-up")
    # then
    assert response.json() == {"done": [lead.pk], "refused": []}
    fresh = Lead.objects.get(pk=lead.pk)
    assert (fresh.owner_id, fresh.pool_id) == (None, lead_pool.pk)
    assert list(Notification.objects.values_list("user_id", "kind")) == [(rep_west.pk, "reclaimed")]


def test_return_gives_the_lead_back_to_its_pool_or_to_a_chosen_one(
    member, lead_pool, other_pool, make_lead
):
    # given
    back = make_lead(pool=lead_pool, owner=member)
    elsewhere = make_lead(pool=lead_pool, owner=member)
    # when
    first = _batch(member, "return", ids=[back.pk], reason="No budget")
    second = _batch(
        member, "return", ids=[elsewhere.pk], reason="Wrong team", to_pool=other_pool.pk
    )
    # then
    assert (first.json(), second.json()) == (
        {"done": [back.pk], "refused": []},
        {"done": [elsewhere.pk], "refused": []},
    )
    assert [(lead.owner_id, lead.pool_id) for lead in Lead.objects.order_by("pk")] == [
        (None, lead_pool.pk),
        (None, other_pool.pk),
    ]


def test_put_into_pool_moves_an_owned_private_lead_into_a_pool(rep_east, lead_pool, east_lead):
    # when
    response = _batch(rep_east, "put_into_pool", ids=[east_lead.pk], pool=lead_pool.pk)
    # then
    assert response.json() == {"done": [east_lead.pk], "refused": []}
    fresh = Lead.objects.get(pk=east_lead.pk)
    assert (fresh.owner_id, fresh.pool_id) == (None, lead_pool.pk)


def test_delete_restore_and_purge_go_through_the_recycle_bin(pool_admin, lead_pool, make_lead):
    # given
    kept, purged = make_lead(pool=lead_pool), make_lead(pool=lead_pool)
    ids = [kept.pk, purged.pk]
    # when
    deleted = _batch(pool_admin, "delete", ids=ids, reason="Spam")
    binned = _client(pool_admin).get(URL, {"deleted": "true"}).json()
    restored = _batch(pool_admin, "restore", ids=[kept.pk])
    gone = _batch(pool_admin, "purge", ids=[purged.pk])
    # then
    assert deleted.json() == {"done": ids, "refused": []}
    assert [row["id"] for row in binned["results"]] == [purged.pk, kept.pk]
    assert restored.json() == {"done": [kept.pk], "refused": []}
    assert gone.json() == {"done": [purged.pk], "refused": []}
    assert list(Lead.objects.values_list("pk", "deleted_at")) == [(kept.pk, None)]
    assert list(
        Event.objects.filter(lead_id=purged.pk).order_by("id").values_list("action", flat=True)
    ) == ["delete", "purge"]


# --- batch actions: every refusal code ---------------------------------------------------


def test_not_in_scope_for_a_lead_one_cannot_see_or_that_does_not_exist(
    rep_west, lead_pool, make_lead
):
    # given
    lead = make_lead(pool=lead_pool)
    before = _snapshot(lead)
    # when
    response = _batch(rep_west, "claim", ids=[lead.pk, 987654321])
    # then
    assert response.json() == {
        "done": [],
        "refused": [
            _refusal(lead.pk, "not_in_scope", "No such record."),
            _refusal(987654321, "not_in_scope", "No such record."),
        ],
    }
    assert _snapshot(lead) == before


def test_forbidden_for_a_visible_lead_one_may_not_act_on(member, rep_east, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    before = _snapshot(lead)
    # when
    response = _batch(member, "assign", ids=[lead.pk], to_user=rep_east.pk)
    # then
    assert response.json() == {
        "done": [],
        "refused": [_refusal(lead.pk, "forbidden", "You may not do that with this record.")],
    }
    assert _snapshot(lead) == before


def test_already_owned_by_oneself_or_by_someone_else(
    rep_east, rep_west, pool_admin, lead_pool, make_lead
):
    # given
    own = make_lead(pool=lead_pool, owner=rep_east)
    theirs = make_lead(pool=lead_pool, owner=rep_west)
    before = (_snapshot(own), _snapshot(theirs))
    # when
    mine = _batch(rep_east, "claim", ids=[own.pk])
    other = _batch(pool_admin, "claim", ids=[theirs.pk])
    again = _batch(pool_admin, "assign", ids=[theirs.pk], to_user=rep_west.pk)
    # then
    assert (mine.json(), other.json(), again.json()) == (
        {
            "done": [],
            "refused": [_refusal(own.pk, "already_owned", "You already own this record.")],
        },
        {
            "done": [],
            "refused": [_refusal(theirs.pk, "already_owned", "Someone else owns this record.")],
        },
        {
            "done": [],
            "refused": [_refusal(theirs.pk, "already_owned", "Rep West already owns this record.")],
        },
    )
    assert (_snapshot(own), _snapshot(theirs)) == before


def test_not_owned_for_reclaiming_an_unassigned_lead_or_returning_anothers(
    pool_admin, rep_east, lead_pool, make_lead
):
    # given
    unassigned = make_lead(pool=lead_pool)
    before = _snapshot(unassigned)
    # when
    reclaimed = _batch(pool_admin, "reclaim", ids=[unassigned.pk])
    returned = _batch(rep_east, "return", ids=[unassigned.pk], reason="x")
    put = _batch(rep_east, "put_into_pool", ids=[unassigned.pk], pool=lead_pool.pk)
    # then
    assert (reclaimed.json(), returned.json(), put.json()) == (
        {"done": [], "refused": [_refusal(unassigned.pk, "not_owned", "Nobody owns this record.")]},
        {
            "done": [],
            "refused": [_refusal(unassigned.pk, "not_owned", "You do not own this record.")],
        },
        {"done": [], "refused": [_refusal(unassigned.pk, "not_owned", "Nobody owns this record.")]},
    )
    assert _snapshot(unassigned) == before


def test_claim_limit_reached_says_until_when(member, lead_pool, make_lead):
    # given
    lead_pool.claim_limit_per_day = 1
    lead_pool.save()
    first, second = make_lead(pool=lead_pool), make_lead(pool=lead_pool)
    before = _snapshot(second)
    until = next_local_midnight(timezone.now())
    # when
    response = _batch(member, "claim", ids=[first.pk, second.pk])
    # then
    assert response.json() == {
        "done": [first.pk],
        "refused": [
            _refusal(
                second.pk,
                "claim_limit_reached",
                f"Daily claim limit 1/1 reached; you may claim again after {format_time(until)}.",
                _iso(until),
            )
        ],
    }
    assert _snapshot(second) == before


def test_max_held_reached(member, lead_pool, make_lead):
    # given
    lead_pool.max_held = 1
    lead_pool.save()
    make_lead(pool=lead_pool, owner=member)
    lead = make_lead(pool=lead_pool)
    before = _snapshot(lead)
    # when
    response = _batch(member, "claim", ids=[lead.pk])
    # then
    assert response.json() == {
        "done": [],
        "refused": [_refusal(lead.pk, "max_held_reached", "You hold 1/1 records from this pool.")],
    }
    assert _snapshot(lead) == before


def test_cooldown_after_returning_says_until_when(member, lead_pool, make_lead):
    # given
    lead_pool.reclaim_cooldown_hours = 24
    lead_pool.save()
    lead = make_lead(pool=lead_pool, owner=member)
    _batch(member, "return", ids=[lead.pk], reason="No budget")
    released = Event.objects.get(action="return").at
    until = released + 24 * HOUR
    before = _snapshot(lead)
    # when
    response = _batch(member, "claim", ids=[lead.pk])
    # then
    assert response.json() == {
        "done": [],
        "refused": [
            _refusal(
                lead.pk,
                "cooldown",
                f"You gave up this record at {format_time(released)}; "
                f"you may claim it again after {format_time(until)}.",
                _iso(until),
            )
        ],
    }
    assert _snapshot(lead) == before


def test_embargo_on_a_lead_new_to_the_pool_says_until_when(member, lead_pool, make_lead):
    # given
    lead_pool.claim_embargo_hours = 2
    lead_pool.save()
    lead = make_lead(pool=lead_pool)
    until = lead.pooled_at + 2 * HOUR
    before = _snapshot(lead)
    # when
    response = _batch(member, "claim", ids=[lead.pk])
    # then
    assert response.json() == {
        "done": [],
        "refused": [
            _refusal(
                lead.pk,
                "embargo",
                f"This record entered the pool at {format_time(lead.pooled_at)}; "
                f"it may be claimed after {format_time(until)}.",
                _iso(until),
            )
        ],
    }
    assert _snapshot(lead) == before


def test_reason_required_to_claim_and_to_return(member, lead_pool, make_lead):
    # given
    lead_pool.claim_reason_required = True
    lead_pool.save()
    pooled = make_lead(pool=lead_pool)
    held = make_lead(pool=lead_pool, owner=member)
    before = (_snapshot(pooled), _snapshot(held))
    # when
    claimed = _batch(member, "claim", ids=[pooled.pk], reason="  ")
    returned = _batch(member, "return", ids=[held.pk], reason="")
    # then
    assert (claimed.json(), returned.json()) == (
        {
            "done": [],
            "refused": [
                _refusal(pooled.pk, "reason_required", "This pool asks for a reason to claim.")
            ],
        },
        {
            "done": [],
            "refused": [
                _refusal(held.pk, "reason_required", "Say why you are returning this record.")
            ],
        },
    )
    assert (_snapshot(pooled), _snapshot(held)) == before


def test_reason_invalid_when_the_pool_lists_its_return_reasons(member, lead_pool, make_lead):
    # given
    lead_pool.return_reasons = ["No budget", "Unreachable"]
    lead_pool.save()
    lead = make_lead(pool=lead_pool, owner=member)
    before = _snapshot(lead)
    # when
    response = _batch(member, "return", ids=[lead.pk], reason="Bored")
    # then
    assert response.json() == {
        "done": [],
        "refused": [
            _refusal(
                lead.pk,
                "reason_invalid",
                "“Bored” is not one of this pool's return reasons: No budget, Unreachable.",
            )
        ],
    }
    assert _snapshot(lead) == before


def test_deleted_for_a_lead_in_the_recycle_bin(member, pool_admin, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool, deleted_at=timezone.now())
    before = _snapshot(lead)
    # when
    claimed = _batch(member, "claim", ids=[lead.pk])
    reclaimed = _batch(pool_admin, "delete", ids=[lead.pk])
    # then
    refused = {
        "done": [],
        "refused": [_refusal(lead.pk, "deleted", "This record is in the recycle bin.")],
    }
    assert (claimed.json(), reclaimed.json()) == (refused, refused)
    assert _snapshot(lead) == before


def test_converted_leads_are_refused_every_ownership_change(
    pool_admin, rep_east, lead_pool, other_pool, make_lead
):
    # given
    lead = make_lead(pool=lead_pool, owner=rep_east, status=Lead.Status.CONVERTED)
    unassigned = make_lead(pool=lead_pool, status=Lead.Status.CONVERTED)
    before = (_snapshot(lead), _snapshot(unassigned))
    message = "This record has been converted."
    # when
    answers = [
        _batch(pool_admin, "claim", ids=[unassigned.pk]),
        _batch(pool_admin, "assign", ids=[lead.pk], to_user=pool_admin.pk),
        _batch(pool_admin, "assign", ids=[lead.pk], to_pool=other_pool.pk),
        _batch(pool_admin, "reclaim", ids=[lead.pk]),
        _batch(rep_east, "return", ids=[lead.pk], reason="Done"),
        _batch(rep_east, "put_into_pool", ids=[lead.pk], pool=lead_pool.pk),
    ]
    # then
    assert [answer.json() for answer in answers] == [
        {"done": [], "refused": [_refusal(unassigned.pk, "converted", message)]},
        *[{"done": [], "refused": [_refusal(lead.pk, "converted", message)]}] * 5,
    ]
    assert (_snapshot(lead), _snapshot(unassigned)) == before


def test_not_in_pool_for_reclaiming_or_returning_a_private_lead(admin, rep_east, east_lead):
    # given
    before = _snapshot(east_lead)
    # when
    reclaimed = _batch(admin, "reclaim", ids=[east_lead.pk])
    returned = _batch(rep_east, "return", ids=[east_lead.pk], reason="No budget")
    # then
    assert (reclaimed.json(), returned.json()) == (
        {
            "done": [],
            "refused": [_refusal(east_lead.pk, "not_in_pool", "This record is in no pool.")],
        },
        {
            "done": [],
            "refused": [
                _refusal(east_lead.pk, "not_in_pool", "This record is in no pool; choose one.")
            ],
        },
    )
    assert _snapshot(east_lead) == before


def test_already_in_pool_and_not_deleted(pool_admin, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    before = _snapshot(lead)
    # when
    moved = _batch(pool_admin, "assign", ids=[lead.pk], to_pool=lead_pool.pk)
    restored = _batch(pool_admin, "restore", ids=[lead.pk])
    purged = _batch(pool_admin, "purge", ids=[lead.pk])
    # then
    not_deleted = _refusal(lead.pk, "not_deleted", "This record is not in the recycle bin.")
    assert (moved.json(), restored.json(), purged.json()) == (
        {
            "done": [],
            "refused": [
                _refusal(lead.pk, "already_in_pool", "This record is already in “Lead pool”.")
            ],
        },
        {"done": [], "refused": [not_deleted]},
        {"done": [], "refused": [not_deleted]},
    )
    assert _snapshot(lead) == before


def test_one_refusal_never_undoes_the_others_in_a_mixed_batch(
    member, rep_west, lead_pool, make_lead
):
    # given
    first = make_lead(pool=lead_pool)
    owned = make_lead(pool=lead_pool, owner=member)
    hidden = make_lead(owner=rep_west)
    last = make_lead(pool=lead_pool)
    before = (_snapshot(owned), _snapshot(hidden))
    # when
    response = _batch(member, "claim", ids=[last.pk, 10**9, hidden.pk, owned.pk, first.pk])
    # then
    assert response.json() == {
        "done": [first.pk, last.pk],
        "refused": [
            _refusal(owned.pk, "already_owned", "You already own this record."),
            _refusal(hidden.pk, "not_in_scope", "No such record."),
            _refusal(10**9, "not_in_scope", "No such record."),
        ],
    }
    assert [Lead.objects.get(pk=lead.pk).owner_id for lead in (first, last)] == [member.pk] * 2
    assert (_snapshot(owned), _snapshot(hidden)) == before


def test_an_id_given_twice_is_acted_on_once(member, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    # when
    response = _batch(member, "claim", ids=[lead.pk, str(lead.pk), lead.pk])
    # then
    assert response.json() == {"done": [lead.pk], "refused": []}
    assert Event.objects.filter(action="claim").count() == 1


# --- batch actions: bad input -----------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "body", "errors"),
    [
        ("claim", {}, {"ids": ["This field is required."]}),
        ("claim", {"ids": []}, {"ids": ["This list may not be empty."]}),
        ("claim", {"ids": "1"}, {"ids": ['Expected a list of items but got type "str".']}),
        (
            "claim",
            {"ids": [1, "two", 3.5]},
            {"ids.1": ["A valid integer is required."], "ids.2": ["A valid integer is required."]},
        ),
        (
            "delete",
            {"ids": [0, 10**19]},
            {
                "ids.0": ["Ensure this value is greater than or equal to 1."],
                "ids.1": ["Ensure this value is less than or equal to 9223372036854775807."],
            },
        ),
        (
            "claim",
            {"ids": list(range(1, 1002))},
            {"ids": ["Ensure this field has no more than 1000 elements."]},
        ),
        (
            "claim",
            {"ids": [1], "expected_followup_at": "soon", "owner": 1},
            {
                "expected_followup_at": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ],
                "owner": ["Unknown field."],
            },
        ),
        (
            "assign",
            {"ids": [1]},
            {"non_field_errors": ["Choose a user or a pool to assign to, not both."]},
        ),
        (
            "assign",
            {"ids": [1], "to_user": 1, "to_pool": 1},
            {"non_field_errors": ["Choose a user or a pool to assign to, not both."]},
        ),
        ("assign", {"ids": [1], "to_user": 99999}, {"to_user": ["There is no active user 99999."]}),
        ("assign", {"ids": [1], "to_pool": 99999}, {"to_pool": ["There is no lead pool 99999."]}),
        ("return", {"ids": [1]}, {"reason": ["This field is required."]}),
        (
            "return",
            {"ids": [1], "reason": "x", "to_pool": 99999},
            {"to_pool": ["There is no pool 99999."]},
        ),
        ("put_into_pool", {"ids": [1]}, {"pool": ["This field is required."]}),
        ("put_into_pool", {"ids": [1], "pool": 99999}, {"pool": ["There is no pool 99999."]}),
        ("restore", {"ids": [1], "reason": "x"}, {"reason": ["Unknown field."]}),
        ("purge", {"ids": [1], "reason": "x"}, {"reason": ["Unknown field."]}),
    ],
)
def test_a_malformed_batch_is_a_400_and_nothing_happens(
    pool_admin, lead_pool, make_lead, action, body, errors
):
    # given: lead 1 exists and is the pool admin's to act on
    make_lead(pool=lead_pool, id=1)
    before = _table()
    # when
    response = _batch(pool_admin, action, **body)
    # then
    assert (response.status_code, response.json()) == (400, {"errors": errors})
    assert _table() == before


def test_a_batch_of_exactly_1000_ids_is_answered_id_by_id(member, lead_pool, make_lead):
    # given: one claimable lead among 999 ids that name nothing
    lead = make_lead(pool=lead_pool)
    missing = [10**9 + n for n in range(999)]
    # when
    response = _batch(member, "claim", ids=[*missing, lead.pk])
    # then
    assert response.status_code == 200
    assert response.json() == {
        "done": [lead.pk],
        "refused": [_refusal(pk, "not_in_scope", "No such record.") for pk in missing],
    }


def test_a_customer_pool_is_no_target_for_leads(pool_admin, rep_east, customer_pool, make_lead):
    # given
    lead = make_lead(owner=rep_east)
    before = _snapshot(lead)
    # when
    assigned = _batch(pool_admin, "assign", ids=[lead.pk], to_pool=customer_pool.pk)
    returned = _batch(rep_east, "return", ids=[lead.pk], reason="x", to_pool=customer_pool.pk)
    put = _batch(pool_admin, "put_into_pool", ids=[lead.pk], pool=customer_pool.pk)
    # then
    assert [(answer.status_code, answer.json()) for answer in (assigned, returned, put)] == [
        (400, {"errors": {"to_pool": [f"There is no lead pool {customer_pool.pk}."]}}),
        (400, {"errors": {"to_pool": ["“Customer pool” is not a lead pool."]}}),
        (400, {"errors": {"pool": ["“Customer pool” is not a lead pool."]}}),
    ]
    assert _snapshot(lead) == before


@pytest.mark.parametrize(
    "path", ["", "claim", "delete", "{id}/followups/", "{id}/calls/", "{id}/convert"]
)
def test_http_delete_is_a_405_wherever_no_delete_is_offered(admin, east_lead, path):
    # given: a body that the batch delete would accept
    before = _snapshot(east_lead)
    # when
    response = _client(admin).delete(
        URL + path.format(id=east_lead.pk), {"ids": [east_lead.pk]}, format="json"
    )
    # then
    assert (response.status_code, response.json()) == (
        405,
        {"detail": 'Method "DELETE" not allowed.'},
    )
    assert _snapshot(east_lead) == before


def test_only_post_answers_on_the_batch_endpoints(member, lead_pool, make_lead):
    # given
    make_lead(pool=lead_pool)
    # when
    response = _client(member).get(f"{URL}claim")
    # then
    assert (response.status_code, response.json()) == (
        405,
        {"detail": 'Method "GET" not allowed.'},
    )


# --- convert ----------------------------------------------------------------------------


def test_convert_by_a_member_who_only_sees_the_lead_is_a_403(member, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    before = _snapshot(lead)
    # when
    response = _client(member).post(f"{URL}{lead.pk}/convert", {}, format="json")
    # then
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "You may not do that with this record."},
    )
    assert _snapshot(lead) == before


def test_convert_of_a_lead_out_of_scope_is_a_404(rep_west, east_lead):
    # when
    response = _client(rep_west).post(f"{URL}{east_lead.pk}/convert", {}, format="json")
    # then
    assert (response.status_code, response.json()) == (404, {"detail": "No such record."})


# --- contact masking --------------------------------------------------------------------


@pytest.fixture
def contact_lead(lead_pool, make_lead):
    return make_lead(
        pool=lead_pool,
        name="Li Lei",
        phone="13800138000",
        other_phone="010-12345678",
        email="lilei@acme.com",
    )


MASKED = {
    "phone": "138****8000",
    "other_phone": "010****5678",
    "email": "l***@acme.com",
    "contact_visibility": "masked",
}
HIDDEN = {"phone": "", "other_phone": "", "email": "", "contact_visibility": "hidden"}


@pytest.mark.parametrize(("visibility", "shown"), [("masked", MASKED), ("hidden", HIDDEN)])
def test_a_member_sees_contacts_masked_or_hidden_until_he_claims(
    member, lead_pool, contact_lead, visibility, shown
):
    # given
    lead_pool.contact_visibility = visibility
    lead_pool.save()
    client = _client(member)
    expected = _body(contact_lead, **shown)
    # when
    read = client.get(f"{URL}{contact_lead.pk}").json()
    listed = client.get(URL).json()["results"]
    client.post(f"{URL}claim", {"ids": [contact_lead.pk]}, format="json")
    claimed = client.get(f"{URL}{contact_lead.pk}").json()
    # then
    assert read == expected
    assert listed == [read]
    assert (claimed["phone"], claimed["other_phone"], claimed["email"]) == (
        "13800138000",
        "010-12345678",
        "lilei@acme.com",
    )
    assert claimed["contact_visibility"] == "visible"


@pytest.mark.parametrize("visibility", ["masked", "hidden"])
def test_the_pool_admin_always_sees_the_contacts(pool_admin, lead_pool, contact_lead, visibility):
    # given
    lead_pool.contact_visibility = visibility
    lead_pool.save()
    # when
    read = _client(pool_admin).get(f"{URL}{contact_lead.pk}").json()
    # then
    assert read == _body(contact_lead)


@pytest.mark.parametrize(
    ("visibility", "number"),
    [("visible", "13800138000"), ("masked", "138****8000"), ("hidden", "")],
)
def test_call_numbers_are_shown_as_the_pool_shows_the_phone(
    member, pool_admin, lead_pool, contact_lead, visibility, number
):
    # given
    lead_pool.contact_visibility = visibility
    lead_pool.save()
    call = CallRecord.objects.create(
        lead=contact_lead,
        number="13800138000",
        started_at=timezone.now() - HOUR,
        author=pool_admin,
    )
    # when
    as_member = _client(member).get(f"{URL}{contact_lead.pk}/calls/").json()
    as_admin = _client(pool_admin).get(f"{URL}{contact_lead.pk}/calls/").json()
    # then
    expected = {
        "id": call.pk,
        "number": "13800138000",
        "direction": "outbound",
        "started_at": _iso(call.started_at),
        "duration_seconds": 0,
        "outcome": "answered",
        "recording_url": "",
        "notes": "",
        "author": pool_admin.pk,
        "created_at": _iso(call.created_at),
    }
    assert as_member == {"results": [expected | {"number": number}], "next": None}
    assert as_admin == {"results": [expected], "next": None}


@pytest.mark.parametrize("visibility", ["masked", "hidden"])
def test_a_member_cannot_find_a_hidden_phone_or_email_by_searching_for_it(
    member, lead_pool, contact_lead, visibility
):
    # given
    lead_pool.contact_visibility = visibility
    lead_pool.save()
    client = _client(member)
    # when
    found = [
        client.get(URL, {"q": text}).json()["results"]
        for text in ("1380013", "00138000", "lilei@", "acme.com")
    ]
    # then
    assert found == [[], [], [], []]
