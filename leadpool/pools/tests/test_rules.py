"""The pool rules in `pools/rules.py`, judged without a database.

Times are written in UTC and read back in the site's zone, Asia/Shanghai (UTC+8, no
daylight saving), which is how every refusal message shows them.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from leadpool.pools.rules import (
    ClaimRules,
    ClaimSituation,
    ReclaimRules,
    format_time,
    judge_claim,
    judge_return_reason,
    mask_email,
    mask_phone,
    next_local_midnight,
    reclaim_deadline,
)

UTC = datetime.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


# 2026-05-01 02:00 UTC is 2026-05-01 10:00 in Shanghai.
NOW = utc(2026, 5, 1, 2, 0)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)

EVERY_RULE = ClaimRules(
    claim_limit_per_day=10,
    max_held=50,
    reclaim_cooldown_hours=24,
    claim_embargo_hours=2,
    claim_reason_required=True,
)

moments = st.datetimes(
    min_value=datetime.datetime(2000, 1, 1),
    max_value=datetime.datetime(2100, 1, 1),
    timezones=st.just(UTC),
)
days = st.none() | st.integers(min_value=0, max_value=3650)


@pytest.fixture(autouse=True, scope="module")
def _shanghai_time():
    # The site's zone by default; activated so that a TIME_ZONE set in the environment
    # does not change what these tests read. Module-scoped: hypothesis re-runs a test's
    # body without re-running function-scoped fixtures.
    with timezone.override(SHANGHAI):
        yield


# --- format_time and next_local_midnight ------------------------------------------------


def test_times_are_shown_in_shanghai_time():
    # given
    moment = utc(2026, 4, 30, 16, 5)
    # when
    shown = format_time(moment)
    # then
    assert shown == "2026-05-01 00:05"


def test_next_midnight_is_the_local_one_on_the_same_utc_day():
    # given 2026-04-30 10:00 in Shanghai
    now = utc(2026, 4, 30, 2, 0)
    # when
    midnight = next_local_midnight(now)
    # then 2026-05-01 00:00 in Shanghai
    assert midnight == utc(2026, 4, 30, 16, 0)


def test_next_midnight_after_the_local_date_has_turned_but_the_utc_date_has_not():
    # given 2026-04-30 17:30 UTC, already 2026-05-01 01:30 in Shanghai
    now = utc(2026, 4, 30, 17, 30)
    # when
    midnight = next_local_midnight(now)
    # then the end of 1 May in Shanghai, not of 30 April
    assert midnight == utc(2026, 5, 1, 16, 0)
    assert midnight.astimezone(SHANGHAI).isoformat() == "2026-05-02T00:00:00+08:00"


def test_next_midnight_one_minute_before_local_midnight():
    # given 2026-04-30 23:59 in Shanghai
    now = utc(2026, 4, 30, 15, 59)
    # when
    midnight = next_local_midnight(now)
    # then
    assert midnight == utc(2026, 4, 30, 16, 0)


def test_next_midnight_at_local_midnight_is_a_full_day_later():
    # given exactly 2026-05-01 00:00 in Shanghai
    now = utc(2026, 4, 30, 16, 0)
    # when
    midnight = next_local_midnight(now)
    # then
    assert midnight == now + DAY


@given(now=moments)
def test_next_midnight_is_a_local_midnight_within_a_day(now):
    # when
    midnight = next_local_midnight(now)
    # then
    local = midnight.astimezone(SHANGHAI)
    assert (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
    assert now < midnight <= now + DAY
    assert local.date() == now.astimezone(SHANGHAI).date() + DAY


# --- judge_claim: each refusal ----------------------------------------------------------


def test_claim_without_reason_is_refused_when_the_pool_asks_for_one():
    # given
    rules = ClaimRules(claim_reason_required=True)
    situation = ClaimSituation(now=NOW, claims_today=0, held=0, reason="   ")
    # when
    refusal = judge_claim(rules, situation)
    # then
    assert refusal.code == "reason_required"
    assert refusal.message == "This pool asks for a reason to claim."
    assert refusal.until is None


def test_claim_with_a_reason_passes_the_reason_rule():
    # given
    rules = ClaimRules(claim_reason_required=True)
    situation = ClaimSituation(now=NOW, claims_today=0, held=0, reason="客户来电")
    # when
    refusal = judge_claim(rules, situation)
    # then
    assert refusal is None


def test_claim_during_the_embargo_is_refused_until_it_ends():
    # given the record entered the pool an hour ago; the embargo is two hours
    rules = ClaimRules(claim_embargo_hours=2)
    situation = ClaimSituation(now=NOW, claims_today=0, held=0, pooled_at=NOW - HOUR)
    # when
    refusal = judge_claim(rules, situation)
    # then
    assert refusal.code == "embargo"
    assert refusal.until == NOW + HOUR
    assert refusal.message == (
        "This record entered the pool at 2026-05-01 09:00; "
        "it may be claimed after 2026-05-01 11:00."
    )


def test_claim_when_the_embargo_has_just_ended_is_allowed():
    # given
    rules = ClaimRules(claim_embargo_hours=2)
    situation = ClaimSituation(now=NOW, claims_today=0, held=0, pooled_at=NOW - 2 * HOUR)
    # when
    refusal = judge_claim(rules, situation)
    # then
    assert refusal is None


def test_claim_by_the_previous_owner_during_the_cooldown_is_refused_until_it_ends():
    # given the claimer returned the record 3 hours ago; the cooldown is 24 hours
    rules = ClaimRules(reclaim_cooldown_hours=24)
    situation = ClaimSituation(now=NOW, claims_today=0, held=0, claimer_released_at=NOW - 3 * HOUR)
    # when
    refusal = judge_claim(rules, situation)
    # then
    assert refusal.code == "cooldown"
    assert refusal.until == NOW + 21 * HOUR
    assert refusal.message == (
        "You gave up this record at 2026-05-01 07:00; "
        "you may claim it again after 2026-05-02 07:00."
    )


def test_claim_by_the_previous_owner_after_the_cooldown_is_allowed():
    # given
    rules = ClaimRules(reclaim_cooldown_hours=24)
    situation = ClaimSituation(now=NOW, claims_today=0, held=0, claimer_released_at=NOW - DAY)
    # when
    refusal = judge_claim(rules, situation)
    # then
    assert refusal is None


def test_claim_after_the_daily_limit_is_refused_until_local_midnight():
    # given 10 of 10 claims made today
    rules = ClaimRules(claim_limit_per_day=10)
    situation = ClaimSituation(now=NOW, claims_today=10, held=3)
    # when
    refusal = judge_claim(rules, situation)
    # then
    assert refusal.code == "claim_limit_reached"
    assert refusal.until == utc(2026, 5, 1, 16, 0)
    assert refusal.message == (
        "Daily claim limit 10/10 reached; you may claim again after 2026-05-02 00:00."
    )


def test_daily_limit_resets_at_shanghai_midnight_even_when_utc_is_a_day_behind():
    # given 2026-05-01 23:30 in Shanghai is still 1 May in UTC, 15:30
    rules = ClaimRules(claim_limit_per_day=10)
    situation = ClaimSituation(now=utc(2026, 5, 1, 15, 30), claims_today=10, held=0)
    # when
    refusal = judge_claim(rules, situation)
    # then half an hour later, not at UTC midnight
    assert refusal.until == utc(2026, 5, 1, 16, 0)
    assert refusal.message.endswith("you may claim again after 2026-05-02 00:00.")


def test_claim_one_under_the_daily_limit_is_allowed():
    # given
    rules = ClaimRules(claim_limit_per_day=10)
    situation = ClaimSituation(now=NOW, claims_today=9, held=0)
    # when
    refusal = judge_claim(rules, situation)
    # then
    assert refusal is None


def test_claim_limit_of_zero_refuses_every_claim():
    # given
    rules = ClaimRules(claim_limit_per_day=0)
    situation = ClaimSituation(now=NOW, claims_today=0, held=0)
    # when
    refusal = judge_claim(rules, situation)
    # then
    assert refusal.code == "claim_limit_reached"
    assert "0/0" in refusal.message


def test_claim_when_holding_the_most_allowed_is_refused_without_an_end_time():
    # given
    rules = ClaimRules(max_held=50)
    situation = ClaimSituation(now=NOW, claims_today=0, held=50)
    # when
    refusal = judge_claim(rules, situation)
    # then
    assert refusal.code == "max_held_reached"
    assert refusal.message == "You hold 50/50 records from this pool."
    assert refusal.until is None


def test_claim_when_holding_one_under_the_most_allowed_is_allowed():
    # given
    rules = ClaimRules(max_held=50)
    situation = ClaimSituation(now=NOW, claims_today=0, held=49)
    # when
    refusal = judge_claim(rules, situation)
    # then
    assert refusal is None


# --- judge_claim: precedence and rules that are off -------------------------------------


def _breaking_every_rule(**overrides) -> ClaimSituation:
    facts = {
        "now": NOW,
        "claims_today": 10,
        "held": 50,
        "reason": "",
        "claimer_released_at": NOW - HOUR,
        "pooled_at": NOW - HOUR,
    }
    return ClaimSituation(**(facts | overrides))


@pytest.mark.parametrize(
    ("fixed", "expected_code"),
    [
        ({}, "reason_required"),
        ({"reason": "callback"}, "embargo"),
        ({"reason": "callback", "pooled_at": None}, "cooldown"),
        (
            {"reason": "callback", "pooled_at": None, "claimer_released_at": None},
            "claim_limit_reached",
        ),
        (
            {
                "reason": "callback",
                "pooled_at": None,
                "claimer_released_at": None,
                "claims_today": 0,
            },
            "max_held_reached",
        ),
        (
            {
                "reason": "callback",
                "pooled_at": None,
                "claimer_released_at": None,
                "claims_today": 0,
                "held": 0,
            },
            None,
        ),
    ],
)
def test_claim_refusals_come_in_order_reason_embargo_cooldown_daily_limit_most_held(
    fixed, expected_code
):
    # given a situation breaking every rule but those fixed
    situation = _breaking_every_rule(**fixed)
    # when
    refusal = judge_claim(EVERY_RULE, situation)
    # then the first rule still broken is the one reported
    assert (refusal.code if refusal else None) == expected_code


def test_claim_is_never_refused_when_every_rule_is_off():
    # given
    situation = _breaking_every_rule(claims_today=10_000, held=10_000)
    # when
    refusal = judge_claim(ClaimRules(), situation)
    # then
    assert refusal is None


@given(
    limit=st.integers(min_value=1, max_value=1000),
    max_held=st.integers(min_value=1, max_value=1000),
    data=st.data(),
    now=moments,
)
def test_claim_is_never_refused_for_limits_while_under_both(limit, max_held, data, now):
    # given
    rules = ClaimRules(claim_limit_per_day=limit, max_held=max_held)
    situation = ClaimSituation(
        now=now,
        claims_today=data.draw(st.integers(min_value=0, max_value=limit - 1)),
        held=data.draw(st.integers(min_value=0, max_value=max_held - 1)),
    )
    # when
    refusal = judge_claim(rules, situation)
    # then
    assert refusal is None


@given(
    limit=st.integers(min_value=0, max_value=1000),
    over=st.integers(min_value=0, max_value=1000),
    now=moments,
)
def test_claim_at_or_over_the_daily_limit_is_always_refused_until_the_next_local_midnight(
    limit, over, now
):
    # given
    rules = ClaimRules(claim_limit_per_day=limit, max_held=None)
    situation = ClaimSituation(now=now, claims_today=limit + over, held=0)
    # when
    refusal = judge_claim(rules, situation)
    # then
    assert refusal.code == "claim_limit_reached"
    assert refusal.until == next_local_midnight(now)
    assert f"{limit + over}/{limit}" in refusal.message


@given(
    hours=st.integers(min_value=1, max_value=1000),
    since=st.timedeltas(min_value=datetime.timedelta(0), max_value=datetime.timedelta(days=60)),
    now=moments,
)
def test_time_bound_refusals_last_exactly_their_hours(hours, since, now):
    # given a record pooled, and released by the claimer, `since` ago
    for rules, code in (
        (ClaimRules(claim_embargo_hours=hours), "embargo"),
        (ClaimRules(reclaim_cooldown_hours=hours), "cooldown"),
    ):
        situation = ClaimSituation(
            now=now,
            claims_today=0,
            held=0,
            pooled_at=now - since,
            claimer_released_at=now - since,
        )
        # when
        refusal = judge_claim(rules, situation)
        # then
        if since < datetime.timedelta(hours=hours):
            assert refusal.code == code
            assert refusal.until == now - since + datetime.timedelta(hours=hours)
            assert refusal.until > now
        else:
            assert refusal is None


# --- judge_return_reason ----------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_return_without_a_reason_is_refused(reason):
    # when
    refusal = judge_return_reason(["无法联系", "无意向"], reason)
    # then
    assert refusal.code == "reason_required"
    assert refusal.message == "Say why you are returning this record."
    assert refusal.until is None


def test_return_without_a_reason_is_refused_even_when_the_pool_has_no_list():
    # when
    refusal = judge_return_reason([], " ")
    # then
    assert refusal.code == "reason_required"


def test_return_with_a_reason_not_on_the_pools_list_is_refused_naming_the_list():
    # when
    refusal = judge_return_reason(["无法联系", "无意向", "信息错误"], "太忙")
    # then
    assert refusal.code == "reason_invalid"
    assert refusal.message == (
        "“太忙” is not one of this pool's return reasons: 无法联系, 无意向, 信息错误."
    )


def test_return_with_a_reason_from_the_list_is_allowed_ignoring_surrounding_spaces():
    # when
    refusal = judge_return_reason(["无法联系", "无意向"], "  无意向 ")
    # then
    assert refusal is None


def test_return_with_any_reason_is_allowed_when_the_pool_has_no_list():
    # when
    refusal = judge_return_reason([], "moved abroad")
    # then
    assert refusal is None


# --- reclaim_deadline -------------------------------------------------------------------

OWNED = utc(2026, 5, 1, 2, 0)


def test_no_reclaim_when_no_reclaim_rule_is_set():
    # when
    deadline = reclaim_deadline(
        ReclaimRules(), owned_since=OWNED, last_followup_at=None, is_converted=False
    )
    # then
    assert deadline is None


def test_no_followup_clock_runs_from_taking_ownership():
    # when
    deadline = reclaim_deadline(
        ReclaimRules(no_followup_days=7),
        owned_since=OWNED,
        last_followup_at=None,
        is_converted=False,
    )
    # then
    assert deadline == OWNED + 7 * DAY


def test_not_converted_clock_runs_from_taking_ownership():
    # when
    deadline = reclaim_deadline(
        ReclaimRules(not_converted_days=30),
        owned_since=OWNED,
        last_followup_at=OWNED + 5 * DAY,
        is_converted=False,
    )
    # then a follow-up does not move it
    assert deadline == OWNED + 30 * DAY


def test_followup_restarts_the_no_followup_clock():
    # when
    deadline = reclaim_deadline(
        ReclaimRules(no_followup_days=7),
        owned_since=OWNED,
        last_followup_at=OWNED + 3 * DAY,
        is_converted=False,
    )
    # then
    assert deadline == OWNED + 10 * DAY


def test_followup_by_a_previous_owner_does_not_shorten_the_new_owners_clock():
    # when
    deadline = reclaim_deadline(
        ReclaimRules(no_followup_days=7),
        owned_since=OWNED,
        last_followup_at=OWNED - 20 * DAY,
        is_converted=False,
    )
    # then
    assert deadline == OWNED + 7 * DAY


def test_earlier_deadline_wins_no_followup_first():
    # given
    rules = ReclaimRules(no_followup_days=7, not_converted_days=30)
    # when
    deadline = reclaim_deadline(
        rules, owned_since=OWNED, last_followup_at=OWNED + 2 * DAY, is_converted=False
    )
    # then
    assert deadline == OWNED + 9 * DAY


def test_earlier_deadline_wins_not_converted_first():
    # given follow-ups keep the no-follow-up clock beyond the conversion deadline
    rules = ReclaimRules(no_followup_days=7, not_converted_days=30)
    # when
    deadline = reclaim_deadline(
        rules, owned_since=OWNED, last_followup_at=OWNED + 28 * DAY, is_converted=False
    )
    # then
    assert deadline == OWNED + 30 * DAY


def test_converted_records_are_never_reclaimed():
    # when
    deadline = reclaim_deadline(
        ReclaimRules(no_followup_days=7, not_converted_days=30),
        owned_since=OWNED,
        last_followup_at=None,
        is_converted=True,
    )
    # then
    assert deadline is None


def test_records_with_an_open_opportunity_are_exempt_when_the_pool_says_so():
    # when
    deadline = reclaim_deadline(
        ReclaimRules(no_followup_days=7, exempt_open_opportunity=True),
        owned_since=OWNED,
        last_followup_at=None,
        is_converted=False,
        has_open_opportunity=True,
    )
    # then
    assert deadline is None


def test_records_with_an_open_opportunity_are_reclaimed_when_the_pool_does_not_exempt_them():
    # when
    deadline = reclaim_deadline(
        ReclaimRules(no_followup_days=7, exempt_open_opportunity=False),
        owned_since=OWNED,
        last_followup_at=None,
        is_converted=False,
        has_open_opportunity=True,
    )
    # then
    assert deadline == OWNED + 7 * DAY


def test_exemption_for_open_opportunities_needs_an_open_opportunity():
    # when
    deadline = reclaim_deadline(
        ReclaimRules(not_converted_days=30, exempt_open_opportunity=True),
        owned_since=OWNED,
        last_followup_at=None,
        is_converted=False,
        has_open_opportunity=False,
    )
    # then
    assert deadline == OWNED + 30 * DAY


@given(
    no_followup_days=days,
    not_converted_days=days,
    owned_since=moments,
    last_followup_at=st.none() | moments,
)
def test_reclaim_deadline_is_never_earlier_than_taking_ownership(
    no_followup_days, not_converted_days, owned_since, last_followup_at
):
    # given
    rules = ReclaimRules(no_followup_days=no_followup_days, not_converted_days=not_converted_days)
    # when
    deadline = reclaim_deadline(
        rules, owned_since=owned_since, last_followup_at=last_followup_at, is_converted=False
    )
    # then
    if no_followup_days is None and not_converted_days is None:
        assert deadline is None
    else:
        assert deadline >= owned_since


@given(
    no_followup_days=st.integers(min_value=0, max_value=3650),
    not_converted_days=st.integers(min_value=0, max_value=3650),
    owned_since=moments,
    last_followup_at=st.none() | moments,
)
def test_reclaim_deadline_is_the_earlier_of_the_two_clocks(
    no_followup_days, not_converted_days, owned_since, last_followup_at
):
    # given
    both = ReclaimRules(no_followup_days=no_followup_days, not_converted_days=not_converted_days)
    only_followup = ReclaimRules(no_followup_days=no_followup_days)
    only_conversion = ReclaimRules(not_converted_days=not_converted_days)
    facts = {
        "owned_since": owned_since,
        "last_followup_at": last_followup_at,
        "is_converted": False,
    }
    # when
    deadline = reclaim_deadline(both, **facts)
    # then
    assert deadline == min(
        reclaim_deadline(only_followup, **facts), reclaim_deadline(only_conversion, **facts)
    )


# --- masking ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800138000", "138****8000"),
        (" 13800138000 ", "138****8000"),
        ("138 0013 8000", "138****8000"),
        ("+86-13800138000", "138****8000"),
        ("8613800138000", "138****8000"),
        ("008613800138000", "138****8000"),
        ("021-62345678", "021****5678"),
        ("+1 650 253 0000", "165****0000"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_phone_is_masked_keeping_its_head_and_last_four(phone, masked):
    # when
    shown = mask_phone(phone)
    # then
    assert shown == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("10086", "****6"),
        ("123456", "****56"),
        ("1234567", "****567"),
        ("62345678", "****5678"),
        ("0216234567", "02****4567"),
    ],
)
def test_short_phone_numbers_still_hide_four_digits(phone, masked):
    # when
    shown = mask_phone(phone)
    # then
    assert shown == masked


@given(
    phone=st.text(alphabet="0123456789", min_size=1, max_size=20).filter(
        lambda digits: not digits.startswith(("86", "0086"))
    )
)
def test_masked_phone_keeps_its_length_and_hides_at_least_four_digits(phone):
    # when
    shown = mask_phone(phone)
    # then
    assert len(shown) == len(phone)
    assert shown.count("*") >= min(4, len(phone))
    assert all(kept in (original, "*") for kept, original in zip(shown, phone, strict=True))


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("zhang.san@example.com", "z***@example.com"),
        (" Li@Example.CN ", "L***@Example.CN"),
        ("@example.com", "***@example.com"),
        ("not-an-email", "***"),
        ("", "***"),
    ],
)
def test_email_is_masked_keeping_its_first_letter_and_domain(email, masked):
    # when
    shown = mask_email(email)
    # then
    assert shown == masked
