"""Duplicate check (查重): exact, partial and fuzzy matches, in scope only (duplicates.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leadpool.core.normalize import normalize_email, normalize_phone
from leadpool.customers.models import Contact, Customer
from leadpool.leads.models import Lead
from leadpool.pools.duplicates import HiddenMatch, Match, find_duplicates


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The personas are created with passwords; the default hasher costs ~0.2 s a user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def zhang(rep_east, make_lead):
    """rep_east's private lead."""
    return make_lead(
        owner=rep_east,
        name="Zhang San",
        company="ACME Co., Ltd.",
        phone="13800138000",
        email="Zhang.San@Example.com",
    )


def _match(record, matched_on, score, *, state="owned", owner="Rep East", pool="") -> Match:
    return Match(
        type=record.entity,
        id=record.pk,
        display=record.display_name,
        matched_on=matched_on,
        score=score,
        state=state,
        owner=owner,
        pool=pool,
    )


def _add_contact(customer, name="Zhao", phone="", email="") -> Contact:
    return Contact.objects.create(
        customer=customer,
        name=name,
        phone=phone,
        phone_normalized=normalize_phone(phone),
        email=email,
        email_normalized=normalize_email(email),
    )


# --- exact phone and e-mail -------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["138 0013 8000", "+86-13800138000", "8613800138000", "１３８００１３８０００"]
)
def test_every_spelling_of_a_phone_finds_the_same_lead(rep_east, zhang, spelling):
    # when
    report = find_duplicates(by=rep_east, phone=spelling)
    # then
    assert (report.matches, report.elsewhere) == ([_match(zhang, ["phone"], 100)], [])


def test_a_phone_matches_a_records_other_phone(rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east, phone="13900139000", other_phone="13800138000")
    lead.other_phone_normalized = "+8613800138000"
    lead.save()
    # when
    report = find_duplicates(by=rep_east, phone="138 0013 8000")
    # then
    assert report.matches == [_match(lead, ["other_phone"], 100)]


@pytest.mark.parametrize("spelling", ["ZHANG.SAN@EXAMPLE.COM", " zhang.san@example.com "])
def test_email_matches_case_insensitively(rep_east, zhang, spelling):
    # when
    report = find_duplicates(by=rep_east, email=spelling)
    # then
    assert report.matches == [_match(zhang, ["email"], 100)]


def test_a_record_matching_on_phone_and_email_is_one_match_with_both_reasons(rep_east, zhang):
    # when
    report = find_duplicates(by=rep_east, phone="13800138000", email="zhang.san@example.com")
    # then
    assert report.matches == [_match(zhang, ["phone", "email"], 100)]


def test_a_customers_contacts_phone_and_email_match(rep_east, make_customer):
    # given
    customer = make_customer(owner=rep_east, company="ACME", phone="")
    _add_contact(customer, phone="137 0013 7000")
    _add_contact(customer, name="Qian", email="qian@acme.com")
    # when
    by_phone = find_duplicates(by=rep_east, phone="+86 13700137000")
    by_email = find_duplicates(by=rep_east, email="QIAN@acme.com")
    # then
    assert by_phone.matches == [_match(customer, ["phone"], 100)]
    assert by_email.matches == [_match(customer, ["email"], 100)]


def test_a_customer_matching_by_its_email_and_a_contacts_phone_gives_both_reasons(
    rep_east, make_customer
):
    # given
    customer = make_customer(owner=rep_east, company="ACME", phone="", email="info@acme.com")
    _add_contact(customer, phone="13700137000")
    # when
    report = find_duplicates(by=rep_east, phone="13700137000", email="info@acme.com")
    # then
    assert report.matches == [_match(customer, ["email", "phone"], 100)]


def test_a_customer_with_several_matching_contacts_is_one_match(rep_east, make_customer):
    # given
    customer = make_customer(owner=rep_east, company="ACME", phone="")
    _add_contact(customer, name="Zhao", phone="13700137000")
    _add_contact(customer, name="Qian", phone="13700137000")
    # when
    report = find_duplicates(by=rep_east, phone="13700137000")
    # then
    assert report.matches == [_match(customer, ["phone"], 100)]


def test_leads_and_customers_both_match(rep_east, make_lead, make_customer):
    # given
    lead = make_lead(owner=rep_east, name="Zhang San", phone="13800138000")
    customer = make_customer(owner=rep_east, name="Zhang San", phone="13800138000")
    # when
    report = find_duplicates(by=rep_east, phone="13800138000")
    # then
    assert report.matches == [_match(customer, ["phone"], 100), _match(lead, ["phone"], 100)]


# --- partial input ----------------------------------------------------------------------


@pytest.mark.parametrize("fragment", ["8000", "138 0013", "0138000", "13800138"])
def test_part_of_a_phone_of_four_digits_or_more_matches(rep_east, zhang, fragment):
    # when
    report = find_duplicates(by=rep_east, phone=fragment)
    # then
    assert report.matches == [_match(zhang, ["phone"], 70)]


@pytest.mark.parametrize("fragment", ["800", "8", "abc"])
def test_fewer_than_four_digits_of_a_phone_match_nothing(rep_east, zhang, fragment):
    # when
    report = find_duplicates(by=rep_east, phone=fragment)
    # then
    assert (report.matches, report.elsewhere) == ([], [])


def test_part_of_a_phone_matches_an_other_phone(rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east, phone="13900139000")
    lead.other_phone, lead.other_phone_normalized = "010-62345678", "+861062345678"
    lead.save()
    # when
    report = find_duplicates(by=rep_east, phone="6234 5678")
    # then
    assert report.matches == [_match(lead, ["phone"], 70)]


@pytest.mark.parametrize("fragment", ["zhang.san@", "ZHANG.SAN", "example.com", "n@ex"])
def test_part_of_an_email_matches_case_insensitively(rep_east, zhang, fragment):
    # when
    report = find_duplicates(by=rep_east, email=fragment)
    # then
    assert report.matches == [_match(zhang, ["email"], 70)]


def test_one_character_of_an_email_matches_nothing(rep_east, zhang):
    # when
    report = find_duplicates(by=rep_east, email="z")
    # then
    assert report.matches == []


@pytest.mark.parametrize(("fragment", "score"), [("Zhang", 71), ("zhang", 71), ("ZHANG SAN", 100)])
def test_part_of_a_name_matches_with_a_score_for_how_close_it_is(rep_east, zhang, fragment, score):
    # when
    report = find_duplicates(by=rep_east, name=fragment)
    # then
    assert report.matches == [_match(zhang, ["name"], score)]


def test_a_single_chinese_character_of_a_name_matches(rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east, name="张三丰")
    make_lead(owner=rep_east, name="李四")
    # when
    report = find_duplicates(by=rep_east, name="张")
    # then
    assert report.matches == [_match(lead, ["name"], 50)]


def test_a_single_latin_letter_of_a_name_matches_nothing(rep_east, zhang):
    # when
    report = find_duplicates(by=rep_east, name="Z")
    # then
    assert report.matches == []


# --- company: exact after normalisation, and fuzzy --------------------------------------


@pytest.mark.parametrize(
    ("on_file", "typed"),
    [
        ("华为技术有限公司", "华为技术"),
        ("华为技术有限公司", "华为技术股份有限公司"),
        ("ACME Co., Ltd.", "acme inc"),
        ("ACME Co., Ltd.", "ＡＣＭＥ有限公司"),
    ],
)
def test_a_company_matches_exactly_after_normalisation(rep_east, make_lead, on_file, typed):
    # given
    lead = make_lead(owner=rep_east, name="", company=on_file)
    # when
    report = find_duplicates(by=rep_east, company=typed)
    # then
    assert report.matches == [_match(lead, ["company"], 100)]


def test_a_similar_company_matches_fuzzily_with_a_score_below_100(rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east, name="", company="Acme Robotics Co., Ltd.")
    make_lead(owner=rep_east, name="", company="Tencent")
    # when
    report = find_duplicates(by=rep_east, company="Acme Robotic")
    # then: rapidfuzz's ratio on SQLite, pg_trgm's similarity on PostgreSQL
    score = 79 if connection.vendor == "postgresql" else 96
    assert report.matches == [_match(lead, ["company"], score)]


def test_similar_companies_are_not_scored_when_exact_matches_fill_the_list(rep_east, make_lead):
    # given: two leads of the very company typed, and one of a similar name
    exact = [make_lead(owner=rep_east, name="", company="Acme Robotics Co., Ltd.") for _ in "ab"]
    similar = make_lead(owner=rep_east, name="", company="Acme Robotic Co., Ltd.")
    # when: a list of two is already full of exact matches; a list of three is not
    with CaptureQueriesContext(connection) as full:
        report_of_two = find_duplicates(by=rep_east, company="ACME Robotics Ltd.", limit=2)
    with CaptureQueriesContext(connection) as room:
        report_of_three = find_duplicates(by=rep_east, company="ACME Robotics Ltd.", limit=3)
    # then: the full list is the exact matches, found without the similar-name query
    assert {m.id for m in report_of_two.matches} == {lead.pk for lead in exact}
    assert len(full) < len(room)
    assert [m.id for m in report_of_three.matches][-1] == similar.pk
    assert report_of_three.matches[-1].score < 100


def test_similar_customers_are_not_scored_when_exact_leads_fill_the_list(
    rep_east, make_lead, make_customer
):
    # given: leads of the very company typed fill a list of two; a customer is similar
    exact = [make_lead(owner=rep_east, name="", company="Acme Robotics Co., Ltd.") for _ in "ab"]
    make_customer(owner=rep_east, name="", company="Acme Robotic Co., Ltd.")
    # when
    with CaptureQueriesContext(connection) as full:
        report = find_duplicates(by=rep_east, company="ACME Robotics Ltd.", limit=2)
    with CaptureQueriesContext(connection) as exact_only:
        find_duplicates(by=rep_east, company="ACME Robotics Ltd.", limit=2, exact_only=True)
    # then: the list is the exact leads, found with no similar-name query of either kind
    assert {m.id for m in report.matches} == {lead.pk for lead in exact}
    assert len(full) == len(exact_only)


def test_several_leads_of_similar_companies_come_closest_name_first_within_the_limit(
    rep_east, make_lead
):
    # given: three contacts at a company one letter off the one typed, two at one further
    closer = [make_lead(owner=rep_east, name="", company="Acme Robotic Co.") for _ in "abc"]
    further = [make_lead(owner=rep_east, name="", company="Acme Robots Co.") for _ in "ab"]
    # when
    report = find_duplicates(by=rep_east, company="Acme Robotics", limit=4)
    # then: the closer name's leads first, newest first among equals; four in all
    assert [m.id for m in report.matches] == [
        *sorted((lead.pk for lead in closer), reverse=True),
        max(lead.pk for lead in further),
    ]
    assert report.matches[0].score > report.matches[-1].score


def test_a_chinese_company_matches_fuzzily_too(rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east, name="", company="华为技术有限公司")
    make_lead(owner=rep_east, name="", company="阿里巴巴网络技术有限公司")
    # when
    report = find_duplicates(by=rep_east, company="华为")
    # then
    score = 33 if connection.vendor == "postgresql" else 67
    assert report.matches == [_match(lead, ["company"], score)]


def test_exact_company_matches_come_before_fuzzy_ones(rep_east, make_lead):
    # given
    fuzzy = make_lead(owner=rep_east, name="", company="Acme Robotic")
    exact = make_lead(owner=rep_east, name="", company="Acme Robotics Inc.")
    # when
    report = find_duplicates(by=rep_east, company="ACME ROBOTICS LTD")
    # then
    assert [(m.id, m.score == 100) for m in report.matches] == [(exact.pk, True), (fuzzy.pk, False)]


def test_a_blank_company_matches_nothing(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, name="Zhang San", company="")
    # when
    report = find_duplicates(by=rep_east, company="  ")
    # then
    assert report.matches == []


# --- what a match says ------------------------------------------------------------------


def test_matches_say_whether_the_record_is_in_a_pool_owned_or_converted(
    pool_admin, rep_west, lead_pool, make_lead
):
    # given
    unassigned = make_lead(pool=lead_pool, company="ACME Ltd")
    owned = make_lead(pool=lead_pool, owner=rep_west, company="ACME Ltd")
    converted = make_lead(
        pool=lead_pool, owner=rep_west, company="ACME Ltd", status=Lead.Status.CONVERTED
    )
    # when
    report = find_duplicates(by=pool_admin, company="acme inc")
    # then
    assert report.matches == [
        _match(converted, ["company"], 100, state="converted", owner="Rep West", pool="Lead pool"),
        _match(owned, ["company"], 100, state="owned", owner="Rep West", pool="Lead pool"),
        _match(unassigned, ["company"], 100, state="in_pool", owner="", pool="Lead pool"),
    ]


def test_a_won_customer_is_reported_converted(rep_east, make_customer):
    # given
    customer = make_customer(owner=rep_east, company="ACME", status=Customer.Status.WON)
    # when
    report = find_duplicates(by=rep_east, company="ACME")
    # then
    assert report.matches == [_match(customer, ["company"], 100, state="converted")]


def test_a_match_as_a_dict_has_the_api_shape(rep_east, zhang):
    # when
    report = find_duplicates(by=rep_east, phone="13800138000")
    # then
    assert report.as_dict() == {
        "results": [
            {
                "type": "lead",
                "id": zhang.pk,
                "display": "Zhang San (ACME Co., Ltd.)",
                "matched_on": ["phone"],
                "score": 100,
                "state": "owned",
                "owner": "Rep East",
                "pool": "",
            }
        ],
        "elsewhere": [],
    }


def test_matches_are_ordered_best_first(rep_east, make_lead):
    # given
    by_name = make_lead(owner=rep_east, name="Zhang Sanfeng", phone="13900139000")
    by_phone = make_lead(owner=rep_east, name="Li Si", phone="13800138000")
    by_partial_phone = make_lead(owner=rep_east, name="Wang Wu", phone="13700138000")
    # when
    report = find_duplicates(by=rep_east, name="Zhang", phone="13800138000")
    partial = find_duplicates(by=rep_east, name="Zhang", phone="8000")
    # then
    assert [(m.id, m.score) for m in report.matches] == [(by_phone.pk, 100), (by_name.pk, 56)]
    assert [(m.id, m.matched_on, m.score) for m in partial.matches] == [
        (by_partial_phone.pk, ["phone"], 70),
        (by_phone.pk, ["phone"], 70),
        (by_name.pk, ["name"], 56),
    ]


def test_results_are_cut_at_the_limit(rep_east, make_lead):
    # given
    leads = [make_lead(owner=rep_east, company="ACME") for _ in range(4)]
    # when
    report = find_duplicates(by=rep_east, company="ACME", limit=2)
    # then
    assert [m.id for m in report.matches] == [leads[3].pk, leads[2].pk]


def test_exact_only_ignores_names_similar_companies_and_fragments(rep_east, zhang):
    # when
    report = find_duplicates(
        by=rep_east, name="Zhang San", company="ACMF", email="zhang.san@", exact_only=True
    )
    # then
    assert (report.matches, report.elsewhere) == ([], [])


def test_exact_only_still_matches_the_same_company_after_normalising(rep_east, zhang):
    # when
    report = find_duplicates(by=rep_east, company="ACME", exact_only=True)
    # then
    assert [(m.id, m.matched_on, m.score) for m in report.matches] == [(zhang.pk, ["company"], 100)]
    assert not report.has_exact_contact_match


def test_the_excluded_record_does_not_match_itself(rep_east, zhang):
    # when
    report = find_duplicates(by=rep_east, phone="13800138000", exclude=zhang)
    # then
    assert (report.matches, report.elsewhere) == ([], [])


def test_deleted_records_do_not_match(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, name="Zhang San", phone="13800138000", deleted_at=timezone.now())
    # when
    report = find_duplicates(by=rep_east, phone="13800138000", name="Zhang")
    # then
    assert (report.matches, report.elsewhere) == ([], [])


# --- scope ------------------------------------------------------------------------------


def test_an_exact_match_out_of_scope_is_reported_elsewhere_without_id_or_name(rep_west, zhang):
    # when
    report = find_duplicates(by=rep_west, phone="138 0013 8000", email="ZHANG.SAN@example.com")
    # then
    assert report.matches == []
    assert report.elsewhere == [HiddenMatch("lead", ["phone", "email"], "owned")]
    assert report.as_dict() == {
        "results": [],
        "elsewhere": [{"type": "lead", "matched_on": ["phone", "email"], "state": "owned"}],
    }


def test_a_converted_lead_out_of_scope_is_reported_elsewhere_as_converted(
    member, lead_pool, make_lead
):
    # given
    make_lead(pool=lead_pool, phone="13800138000", status=Lead.Status.CONVERTED)
    # when
    report = find_duplicates(by=member, phone="13800138000")
    # then
    assert (report.matches, report.elsewhere) == ([], [HiddenMatch("lead", ["phone"], "converted")])


def test_a_customers_contact_out_of_scope_is_reported_elsewhere(rep_west, rep_east, make_customer):
    # given
    customer = make_customer(owner=rep_east, company="ACME", phone="")
    _add_contact(customer, phone="13700137000")
    # when
    report = find_duplicates(by=rep_west, phone="13700137000")
    # then
    assert (report.matches, report.elsewhere) == ([], [HiddenMatch("customer", ["phone"], "owned")])


@pytest.mark.parametrize(
    "query",
    [
        {"phone": "8000"},
        {"email": "zhang.san@"},
        {"name": "Zhang"},
        {"company": "ACME"},
        {"company": "ACME Robotics"},
    ],
)
def test_partial_and_company_matches_out_of_scope_are_not_reported_at_all(rep_west, zhang, query):
    # when
    report = find_duplicates(by=rep_west, **query)
    # then
    assert (report.matches, report.elsewhere) == ([], [])


def test_results_are_only_the_records_in_the_users_scope(
    rep_east, rep_west, member, lead_pool, make_lead
):
    # given
    own = make_lead(owner=rep_east, company="ACME")
    in_pool = make_lead(pool=lead_pool, company="ACME")
    make_lead(owner=rep_west, company="ACME")
    make_lead(pool=lead_pool, owner=rep_west, company="ACME")
    # when
    seen = {
        user.username: {m.id for m in find_duplicates(by=user, company="ACME").matches}
        for user in (rep_east, member)
    }
    # then
    assert seen == {"rep_east": {own.pk, in_pool.pk}, "member": {in_pool.pk}}


def test_a_deactivated_user_finds_nothing_by_name_and_only_hidden_exact_matches(rep_east, zhang):
    # given
    rep_east.is_active = False
    rep_east.save()
    # when
    report = find_duplicates(by=rep_east, phone="13800138000", name="Zhang")
    # then
    assert (report.matches, report.elsewhere) == ([], [HiddenMatch("lead", ["phone"], "owned")])


def test_describe_says_who_holds_a_visible_match_and_nothing_about_a_hidden_one(
    rep_east, rep_west, zhang, make_lead
):
    # given
    make_lead(owner=rep_west, email="li@example.com")
    # when
    report = find_duplicates(
        by=rep_east, phone="13800138000", email="li@example.com", exact_only=True
    )
    # then
    assert (report.describe("phone"), report.describe("email")) == (
        "Already on file: “Zhang San (ACME Co., Ltd.)”, owned by Rep East.",
        "This is already on file in a record held by a colleague.",
    )
