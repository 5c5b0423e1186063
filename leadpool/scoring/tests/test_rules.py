"""The pure scoring functions: which rules a lead meets, its score and why."""

import datetime

from leadpool.scoring.rules import Rule, lead_values, rescore_due_at, score, validate_rule

NOW = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def values(**overrides):
    base = {
        "source": "展会",
        "industry": "Machinery",
        "region": "华东",
        "email": "zw@Example.COM",
        "custom": {"level": "A", "tags": ["vip", "export"]},
        "followups": 2,
        "calls": 0,
        "last_followup_at": NOW - 10 * DAY,
        "created_at": NOW - 40 * DAY,
        "now": NOW,
    }
    return lead_values(**{**base, **overrides})


def test_a_lead_scores_the_points_of_the_rules_it_meets_with_the_reasons():
    # given
    rules = [
        Rule(1, "Trade fair", "source", "equals", "展会", 20),
        Rule(2, "Target industry", "industry", "in", ["machinery", "Steel"], 15),
        Rule(3, "Free mail", "email_domain", "in", ["qq.com", "163.com"], -10),
        Rule(4, "Level A", "custom.level", "equals", "A", 5),
        Rule(5, "Followed up", "followups", "at_least", 2, 10),
        Rule(6, "Gone quiet", "days_since_followup", "at_least", 7, -8),
        Rule(7, "No region", "region", "empty", True, -3),
    ]
    # when
    total, explanation = score(values(), rules)
    # then
    assert total == 20 + 15 + 5 + 10 - 8
    assert [(entry["rule"], entry["points"], entry["reason"]) for entry in explanation] == [
        (1, 20, "source is “展会”"),
        (2, 15, "industry is “Machinery”, one of: machinery, Steel"),
        (4, 5, "level is “A”"),
        (5, 10, "follow-ups: 2, at least 2"),
        (6, -8, "days since the last follow-up: 10, at least 7"),
    ]


def test_the_email_domain_is_lower_case_and_custom_lists_match_any_item():
    # given
    rules = [
        Rule(1, "Company mail", "email_domain", "equals", "example.com", 4),
        Rule(2, "VIP tag", "custom.tags", "contains", "vi", 6),
    ]
    # when
    total, explanation = score(values(), rules)
    # then
    assert total == 10
    assert explanation[0]["actual"] == "example.com"


def test_a_lead_never_followed_up_counts_its_days_since_creation():
    # given
    rule = Rule(1, "Untouched a month", "days_since_followup", "at_least", 30, -20)
    # when
    total, _explanation = score(values(last_followup_at=None), [rule])
    # then
    assert total == -20


def test_a_lead_meeting_no_rule_scores_zero_with_no_explanation():
    assert score(values(), [Rule(1, "Web", "source", "equals", "官网", 5)]) == (0, [])


def test_the_next_rescoring_is_when_a_recency_rule_next_flips():
    # given: followed up 3 days ago; rules at 7 days (at least) and 2 days (at most)
    rules = [
        Rule(1, "Quiet", "days_since_followup", "at_least", 7, -5),
        Rule(2, "Fresh", "days_since_followup", "at_most", 2, 5),
        Rule(3, "Trade fair", "source", "equals", "展会", 20),
    ]
    last = NOW - 3 * DAY
    # when
    due = rescore_due_at(rules, last_followup_at=last, created_at=NOW - 40 * DAY, now=NOW)
    # then
    assert due == last + 7 * DAY


def test_no_recency_rule_means_no_rescoring_by_time():
    rules = [Rule(1, "Trade fair", "source", "equals", "展会", 20)]
    assert rescore_due_at(rules, last_followup_at=None, created_at=NOW, now=NOW) is None


def test_rules_are_validated_by_field_operator_value_and_points():
    assert validate_rule(field="source", operator="equals", value="展会", points=5) == {}
    assert validate_rule(field="custom.level", operator="empty", value=True, points=-1) == {}
    assert set(validate_rule(field="owner", operator="equals", value="x", points=5)) == {"field"}
    assert set(validate_rule(field="calls", operator="contains", value=1, points=5)) == {"operator"}
    assert set(validate_rule(field="calls", operator="at_least", value="3", points=5)) == {"value"}
    assert set(validate_rule(field="region", operator="in", value=[], points=5)) == {"value"}
    assert set(validate_rule(field="region", operator="equals", value="x", points=0)) == {"points"}
    assert set(validate_rule(field="region", operator="equals", value="x", points=True)) == {
        "points"
    }
