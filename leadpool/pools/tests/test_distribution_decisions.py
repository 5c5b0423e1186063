"""The pure decisions of distribution (`pools.distribution`): which routing entry a
record matches, and who gets the next records. No database."""

import collections

import pytest

from leadpool.pools.distribution import (
    MemberLoad,
    condition_holds,
    entry_matches,
    first_route,
    plan_distribution,
)

ROUND_ROBIN = "round_robin"
LOAD_BALANCED = "load_balanced"


# --- routing conditions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "expected", "actual", "holds"),
    [
        ("equals", "上海", "上海", True),
        ("equals", "上海", " 上海 ", True),
        ("equals", "Trade fair", "trade FAIR", True),
        ("equals", "上海", "上海市", False),
        ("equals", "", "", False),
        ("equals", 5, 5, True),
        ("equals", "5", 5, True),
        ("in", ["北京", "上海"], "上海", True),
        ("in", ["北京", "上海"], "广州", False),
        ("in", ["北京"], "", False),
        ("contains", "展会", "2026 展会 上海", True),
        ("contains", "fair", "Trade Fair", True),
        ("contains", "展会", "官网", False),
        ("contains", "", "anything", False),
        ("empty", True, "", True),
        ("empty", True, "   ", True),
        ("empty", True, None, True),
        ("empty", True, [], True),
        ("empty", True, "上海", False),
        ("empty", False, "上海", True),
        ("empty", False, None, False),
        ("empty", True, 0, False),
        ("equals", "VIP", ["VIP", "SME"], True),
        ("in", ["VIP"], ["SME", "VIP"], True),
        ("contains", "VIP", ["SME"], False),
        ("unknown", "x", "x", False),
    ],
)
def test_a_condition_holds_as_its_operator_says(operator, expected, actual, holds):
    assert condition_holds(operator, expected, actual) is holds


def test_an_entry_needs_every_condition_to_hold():
    # given
    when = {"region": {"equals": "上海"}, "source": {"in": ["官网", "展会"]}}
    # then
    assert entry_matches(when, {"region": "上海", "source": "展会"}) is True
    assert entry_matches(when, {"region": "上海", "source": "转介绍"}) is False
    assert entry_matches(when, {"region": "北京", "source": "展会"}) is False


def test_a_missing_field_is_empty():
    assert entry_matches({"custom.budget": {"empty": True}}, {"region": "上海"}) is True
    assert entry_matches({"custom.budget": {"equals": "big"}}, {"region": "上海"}) is False


def test_an_entry_without_conditions_matches_everything():
    assert entry_matches({}, {"region": "上海"}) is True


def test_the_first_matching_entry_wins():
    # given
    routing = [
        {"when": {"region": {"equals": "北京"}}, "to_user": 1},
        {"when": {"region": {"equals": "上海"}}, "to_user": 2},
        {"when": {"region": {"contains": "上"}}, "to_user": 3},
    ]
    # then
    assert first_route(routing, {"region": "上海"}) == routing[1]
    assert first_route(routing, {"region": "广州"}) is None
    assert first_route([], {"region": "上海"}) is None


# --- who gets the next records -------------------------------------------------------------


def test_round_robin_takes_members_in_turn_from_after_the_last_served():
    # when
    owners, cursor = plan_distribution(
        ROUND_ROBIN, [30, 10, 20], count=5, loads={}, max_held=None, last_user_id=10
    )
    # then
    assert owners == [20, 30, 10, 20, 30]
    assert cursor == 30


def test_round_robin_goes_on_after_a_member_who_left_the_list():
    # given: 15 was served last and is no longer a member
    owners, cursor = plan_distribution(
        ROUND_ROBIN, [10, 20, 30], count=2, loads={}, max_held=None, last_user_id=15
    )
    # then
    assert owners == [20, 30]
    assert cursor == 30


def test_round_robin_over_batches_keeps_counts_within_one():
    # given
    members = [1, 2, 3]
    cursor = None
    counts: collections.Counter = collections.Counter()
    for batch in (4, 5, 7, 1, 2):
        # when
        owners, cursor = plan_distribution(
            ROUND_ROBIN, members, count=batch, loads={}, max_held=None, last_user_id=cursor
        )
        counts.update(owners)
        # then
        assert max(counts.values()) - min(counts[m] for m in members) <= 1
    assert sum(counts.values()) == 19


def test_round_robin_skips_members_at_the_most_held():
    # given
    loads = {1: MemberLoad(open=2, held=2), 2: MemberLoad(open=0, held=0)}
    # when
    owners, cursor = plan_distribution(
        ROUND_ROBIN, [1, 2, 3], count=4, loads=loads, max_held=2, last_user_id=None
    )
    # then: 1 is full; 2 and 3 fill up to 2 each, then nobody is left
    assert owners == [2, 3, 2, 3]
    assert cursor == 3
    assert loads[1] == MemberLoad(open=2, held=2)  # the caller's loads are not changed


def test_records_nobody_may_take_stay_unassigned():
    # given
    loads = {1: MemberLoad(open=1, held=1)}
    # when
    owners, cursor = plan_distribution(
        ROUND_ROBIN, [1, 2], count=3, loads=loads, max_held=1, last_user_id=1
    )
    # then
    assert owners == [2, None, None]
    assert cursor == 2


def test_load_balancing_fills_the_emptiest_first():
    # given
    loads = {1: MemberLoad(open=5, held=5), 2: MemberLoad(open=2, held=2)}
    # when
    owners, cursor = plan_distribution(
        LOAD_BALANCED, [1, 2, 3], count=8, loads=loads, max_held=None, last_user_id=None
    )
    # then: 3 catches up with 2, both with 1, then they take turns
    counts = collections.Counter(owners)
    assert owners[:2] == [3, 3]
    assert {member: loads.get(member, MemberLoad()).open + counts[member] for member in (1, 2, 3)}
    assert [loads[1].open + counts[1], loads[2].open + counts[2], counts[3]] == [5, 5, 5]


def test_load_balancing_ties_take_turns_from_the_cursor():
    # when: equal loads
    owners, cursor = plan_distribution(
        LOAD_BALANCED, [1, 2, 3], count=4, loads={}, max_held=None, last_user_id=2
    )
    # then
    assert owners == [3, 1, 2, 3]
    assert cursor == 3


def test_load_balancing_counts_what_the_most_held_counts():
    # given: 1 has the fewest open records but holds converted ones up to the limit
    loads = {1: MemberLoad(open=0, held=3), 2: MemberLoad(open=1, held=1)}
    # when
    owners, _cursor = plan_distribution(
        LOAD_BALANCED, [1, 2], count=2, loads=loads, max_held=3, last_user_id=None
    )
    # then
    assert owners == [2, 2]


def test_manual_distribution_gives_nobody_anything():
    # when
    owners, cursor = plan_distribution(
        "manual", [1, 2], count=2, loads={}, max_held=None, last_user_id=1
    )
    # then
    assert (owners, cursor) == ([None, None], 1)
