"""GET /api/v1/duplicates over HTTP: matches in scope only, `elsewhere` for contact
details on file outside it (without id or name), and 400 for no question at all."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from leadpool.core.normalize import normalize_phone
from leadpool.customers.models import Contact
from leadpool.history.models import Event
from leadpool.leads.models import Lead

URL = "/api/v1/duplicates"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def zhang(rep_east, make_lead):
    """rep_east's private lead."""
    return make_lead(
        owner=rep_east,
        name="Zhang San",
        company="Acme Trading Co., Ltd.",
        phone="13800138000",
        email="zhang.san@example.com",
    )


def _match(record, matched_on, score, *, state="owned", owner="Rep East", pool="") -> dict:
    return {
        "type": record.entity,
        "id": record.pk,
        "display": record.display_name,
        "matched_on": matched_on,
        "score": score,
        "state": state,
        "owner": owner,
        "pool": pool,
    }


def test_an_exact_phone_in_scope_is_a_match_with_why_and_whose(rep_east, zhang):
    # when
    response = _client(rep_east).get(URL, {"phone": "+86 138-0013-8000"})
    # then
    assert (response.status_code, response.json()) == (
        200,
        {"results": [_match(zhang, ["phone"], 100)], "elsewhere": []},
    )


def test_an_exact_phone_out_of_scope_is_reported_elsewhere_without_id_or_name(rep_west, zhang):
    # when
    response = _client(rep_west).get(URL, {"phone": "13800138000"})
    # then
    assert response.json() == {
        "results": [],
        "elsewhere": [{"type": "lead", "matched_on": ["phone"], "state": "owned"}],
    }


def test_an_exact_email_out_of_scope_is_reported_elsewhere_too(rep_west, zhang):
    # when
    response = _client(rep_west).get(URL, {"email": "ZHANG.SAN@example.com"})
    # then
    assert response.json() == {
        "results": [],
        "elsewhere": [{"type": "lead", "matched_on": ["email"], "state": "owned"}],
    }


def test_a_customers_contact_out_of_scope_is_reported_elsewhere_as_a_customer(
    rep_west, rep_east, make_customer
):
    # given
    customer = make_customer(owner=rep_east, name="Acme", phone="")
    Contact.objects.create(
        customer=customer,
        name="Li",
        phone="13900139000",
        phone_normalized=normalize_phone("13900139000"),
    )
    # when
    response = _client(rep_west).get(URL, {"phone": "13900139000"})
    # then
    assert response.json() == {
        "results": [],
        "elsewhere": [{"type": "customer", "matched_on": ["phone"], "state": "owned"}],
    }


def test_leads_and_customers_in_scope_both_match(rep_east, zhang, make_customer):
    # given
    customer = make_customer(owner=rep_east, name="Zhang San", phone="13800138000")
    # when
    response = _client(rep_east).get(URL, {"phone": "13800138000"})
    # then
    assert response.json() == {
        "results": [_match(customer, ["phone"], 100), _match(zhang, ["phone"], 100)],
        "elsewhere": [],
    }


def test_an_unassigned_record_in_a_pool_is_named_with_its_pool(member, lead_pool, make_lead):
    # given
    lead = make_lead(pool=lead_pool, name="Wang Wu", phone="13700137000")
    # when
    response = _client(member).get(URL, {"phone": "13700137000"})
    # then
    assert response.json() == {
        "results": [_match(lead, ["phone"], 100, state="in_pool", owner="", pool="Lead pool")],
        "elsewhere": [],
    }


def test_partial_name_phone_and_email_match_in_scope(rep_east, zhang):
    # given
    client = _client(rep_east)
    # when
    by_name = client.get(URL, {"name": "Zhang San"}).json()
    by_phone = client.get(URL, {"phone": "0013 8000"}).json()
    by_email = client.get(URL, {"email": "zhang.san@"}).json()
    # then
    assert (by_name, by_phone, by_email) == (
        {"results": [_match(zhang, ["name"], 100)], "elsewhere": []},
        {"results": [_match(zhang, ["phone"], 70)], "elsewhere": []},
        {"results": [_match(zhang, ["email"], 70)], "elsewhere": []},
    )


def test_one_record_matching_several_ways_is_one_result_with_every_reason(rep_east, zhang):
    # when
    response = _client(rep_east).get(
        URL,
        {"name": "Zhang San", "phone": "13800138000", "email": "zhang.san@example.com"},
    )
    # then
    assert response.json() == {
        "results": [_match(zhang, ["phone", "email", "name"], 100)],
        "elsewhere": [],
    }


def test_a_similar_company_matches_fuzzily_with_a_score_below_100(rep_east, zhang):
    # when
    response = _client(rep_east).get(URL, {"company": "Acme Tradng"})
    # then
    [match] = response.json()["results"]
    assert match | {"score": 0} == _match(zhang, ["company"], 0)
    assert 0 < match["score"] < 100


@pytest.mark.parametrize(
    "query",
    [{"name": "Zhang San"}, {"phone": "0013 8000"}, {"email": "zhang.san@"}, {"company": "Acme"}],
)
def test_partial_and_company_matches_out_of_scope_are_not_reported_at_all(rep_west, zhang, query):
    # when
    response = _client(rep_west).get(URL, query)
    # then
    assert response.json() == {"results": [], "elsewhere": []}


def test_only_the_records_of_the_callers_scope_are_results(
    rep_east, rep_west, member, lead_pool, make_lead
):
    # given: the same name everywhere
    own = make_lead(owner=rep_east, name="Chen Jing")
    pooled = make_lead(pool=lead_pool, name="Chen Jing")
    make_lead(owner=rep_west, name="Chen Jing")
    make_lead(pool=lead_pool, owner=rep_west, name="Chen Jing")
    # when
    as_east = _client(rep_east).get(URL, {"name": "Chen Jing"}).json()
    as_member = _client(member).get(URL, {"name": "Chen Jing"}).json()
    # then
    assert {match["id"] for match in as_east["results"]} == {own.pk, pooled.pk}
    assert {match["id"] for match in as_member["results"]} == {pooled.pk}


def test_records_in_the_recycle_bin_do_not_match(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, phone="13600136000", deleted_at=timezone.now())
    # when
    response = _client(rep_east).get(URL, {"phone": "13600136000"})
    # then
    assert response.json() == {"results": [], "elsewhere": []}


@pytest.mark.parametrize(
    "query", [{}, {"name": ""}, {"name": "  ", "phone": " ", "email": "", "company": "\t"}]
)
def test_without_a_value_to_look_for_it_is_a_400(rep_east, zhang, query):
    # when
    response = _client(rep_east).get(URL, query)
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"non_field_errors": ["Give a name, phone, e-mail or company."]}},
    )


def test_an_unknown_parameter_is_a_400_naming_it(rep_east, zhang):
    # when
    response = _client(rep_east).get(URL, {"name": "Zhang", "owner": "me"})
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"owner": ["Unknown field."]}},
    )


def test_a_value_too_long_is_a_400_naming_it(rep_east):
    # when
    response = _client(rep_east).get(URL, {"phone": "1" * 41})
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"phone": ["Ensure this field has no more than 40 characters."]}},
    )


def test_the_duplicate_check_writes_nothing(rep_east, rep_west, zhang):
    # given
    before = (Lead.objects.count(), Event.objects.count())
    # when
    _client(rep_west).get(URL, {"phone": "13800138000", "name": "Zhang"})
    # then
    assert (Lead.objects.count(), Event.objects.count()) == before


def test_the_duplicate_check_needs_credentials(zhang):
    # when
    response = APIClient().get(URL, {"phone": "13800138000"})
    # then
    assert response.status_code == 401


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_the_duplicate_check_only_answers_get(rep_east, method):
    # when
    response = getattr(_client(rep_east), method)(URL, {"name": "x"}, format="json")
    # then
    assert (response.status_code, response.json()) == (
        405,
        {"detail": f'Method "{method.upper()}" not allowed.'},
    )


def test_fragments_of_a_hidden_phone_or_email_find_nothing(member, lead_pool, make_lead):
    # given
    lead_pool.contact_visibility = "hidden"
    lead_pool.save()
    make_lead(pool=lead_pool, phone="13812345678", email="secret@corp.cn")
    client = _client(member)
    # when
    found = [
        client.get(URL, query).json()
        for query in ({"phone": "12345678"}, {"phone": "1381234"}, {"email": "secret@"})
    ]
    # then
    assert found == [{"results": [], "elsewhere": []}] * 3
