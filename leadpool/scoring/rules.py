"""Lead scoring, judged by pure functions of plain values (no database).

A rule looks at one value of a lead: a field (source, industry, region, a custom field
`custom.<key>`, the e-mail's domain) with the routing operators of pools/distribution.py
(equals, in, contains, empty), or its activity (how many follow-ups and calls it has had,
how many days since it was last followed up) compared as a number (equals, at_least,
at_most). A lead's score is the sum of the points of the rules it meets; the
explanation lists each of them with why.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from leadpool.pools.distribution import condition_holds

FIELD_NAMES = ("source", "industry", "region", "email_domain")
ACTIVITY_NAMES = ("followups", "calls", "days_since_followup")
CUSTOM_PREFIX = "custom."
TEXT_OPERATORS = ("equals", "in", "contains", "empty")
NUMBER_OPERATORS = ("equals", "at_least", "at_most")
POINTS_LIMIT = 10_000


@dataclass(frozen=True)
class Rule:
    """A scoring rule as the pure functions see it (ScoringRule without the database)."""

    id: int
    name: str
    field: str
    operator: str
    value: Any
    points: int

    @classmethod
    def of(cls, rule) -> "Rule":
        return cls(rule.pk, rule.name, rule.field, rule.operator, rule.value, rule.points)


def is_activity(field: str) -> bool:
    return field in ACTIVITY_NAMES


def operators_for(field: str) -> tuple[str, ...]:
    return NUMBER_OPERATORS if is_activity(field) else TEXT_OPERATORS


def rule_holds(rule: Rule, actual: Any) -> bool:
    """Whether a lead whose `rule.field` is `actual` meets the rule."""
    if is_activity(rule.field):
        if actual is None or isinstance(rule.value, bool) or not isinstance(rule.value, int):
            return False
        if rule.operator == "equals":
            return actual == rule.value
        if rule.operator == "at_least":
            return actual >= rule.value
        if rule.operator == "at_most":
            return actual <= rule.value
        return False
    return condition_holds(rule.operator, rule.value, actual)


def email_domain(email: str) -> str:
    """The part after the last @, lower case ("" without one)."""
    _local, at, domain = (email or "").strip().rpartition("@")
    return domain.lower() if at else ""


def days_between(start: datetime.datetime, end: datetime.datetime) -> int:
    """Whole days from `start` to `end` (0 when `start` is later)."""
    return max((end - start).days, 0)


def lead_values(
    *,
    source: str,
    industry: str,
    region: str,
    email: str,
    custom: Mapping | None,
    followups: int,
    calls: int,
    last_followup_at: datetime.datetime | None,
    created_at: datetime.datetime,
    now: datetime.datetime,
) -> dict[str, Any]:
    """The values scoring rules look at. A lead never followed up counts its days since
    it was created (recency then ages it the same way)."""
    values: dict[str, Any] = {
        "source": source,
        "industry": industry,
        "region": region,
        "email_domain": email_domain(email),
        "followups": followups,
        "calls": calls,
        "days_since_followup": days_between(last_followup_at or created_at, now),
    }
    for key, value in (custom or {}).items():
        values[f"{CUSTOM_PREFIX}{key}"] = value
    return values


def score(values: Mapping[str, Any], rules: Iterable[Rule]) -> tuple[int, list[dict]]:
    """A lead's score and its explanation: the rules it meets, in order, each as
    {rule, name, points, reason} plus the facts the reason was written from (so a reader
    may see it again in their own language, `reason_text`)."""
    total = 0
    explanation = []
    for rule in rules:
        actual = values.get(rule.field)
        if not rule_holds(rule, actual):
            continue
        total += rule.points
        entry = {
            "rule": rule.id,
            "name": rule.name,
            "points": rule.points,
            "field": rule.field,
            "operator": rule.operator,
            "value": rule.value,
            "actual": actual,
        }
        entry["reason"] = reason_text(entry)
        explanation.append(entry)
    return total, explanation


def field_label(field: str) -> str:
    labels = {
        "source": _("source"),
        "industry": _("industry"),
        "region": _("region"),
        "email_domain": _("e-mail domain"),
        "followups": _("follow-ups"),
        "calls": _("calls"),
        "days_since_followup": _("days since the last follow-up"),
    }
    if field.startswith(CUSTOM_PREFIX):
        return field[len(CUSTOM_PREFIX) :]
    return labels.get(field, field)


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def reason_text(entry: Mapping[str, Any]) -> str:
    """Why a rule gave its points, as a sentence in the active language (plain text:
    whoever shows it in HTML escapes it, as it holds the lead's own values)."""
    words = {
        "field": field_label(entry["field"]),
        "value": _shown(entry.get("value")),
        "actual": _shown(entry.get("actual")),
    }
    operator = entry["operator"]
    if operator == "empty":
        if entry.get("value"):
            return _("%(field)s is empty") % words
        return _("%(field)s is filled in (“%(actual)s”)") % words
    if operator == "equals":
        return _("%(field)s is “%(actual)s”") % words
    if operator == "in":
        return _("%(field)s is “%(actual)s”, one of: %(value)s") % words
    if operator == "contains":
        return _("%(field)s “%(actual)s” contains “%(value)s”") % words
    if operator == "at_least":
        return _("%(field)s: %(actual)s, at least %(value)s") % words
    if operator == "at_most":
        return _("%(field)s: %(actual)s, at most %(value)s") % words
    return words["field"]


def rescore_due_at(
    rules: Iterable[Rule],
    *,
    last_followup_at: datetime.datetime | None,
    created_at: datetime.datetime,
    now: datetime.datetime,
) -> datetime.datetime | None:
    """When time alone next changes whether a recency rule holds (a day count crosses a
    rule's number), or None if no recency rule ever will: the rules worker rescores the
    lead then, and not before."""
    start = last_followup_at or created_at
    moments = []
    for rule in rules:
        if rule.field != "days_since_followup" or not isinstance(rule.value, int):
            continue
        # `days` becomes n at start + n days; at_most n stops holding at n + 1.
        for days in (rule.value, rule.value + 1):
            if days >= 0:
                moments.append(start + datetime.timedelta(days=days))
    upcoming = [moment for moment in moments if moment > now]
    return min(upcoming) if upcoming else None


def validate_rule(*, field: str, operator: str, value: Any, points: Any) -> dict[str, list[str]]:
    """What is wrong with a rule, by its attribute (empty when nothing)."""
    errors: dict[str, list[str]] = {}
    custom = field.startswith(CUSTOM_PREFIX) and len(field) > len(CUSTOM_PREFIX)
    if not (custom or field in FIELD_NAMES or field in ACTIVITY_NAMES):
        errors["field"] = [
            _("Choose one of: %(choices)s, or custom.<key>.")
            % {"choices": ", ".join((*FIELD_NAMES, *ACTIVITY_NAMES))}
        ]
        return errors
    operators = operators_for(field)
    if operator not in operators:
        errors["operator"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(operators)}]
    elif is_activity(field):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000:
            errors["value"] = [_("Give a whole number from 0 to 100000.")]
    elif operator == "empty":
        if not isinstance(value, bool):
            errors["value"] = [_("Give true (is empty) or false (is filled in).")]
    elif operator == "in":
        if (
            not isinstance(value, list)
            or not value
            or len(value) > 100
            or not all(isinstance(item, str) and 0 < len(item) <= 200 for item in value)
        ):
            errors["value"] = [_("Give a list of 1 to 100 texts of at most 200 characters.")]
    elif not isinstance(value, str) or not value.strip() or len(value) > 200:
        errors["value"] = [_("Give a text of 1 to 200 characters.")]
    if isinstance(points, bool) or not isinstance(points, int):
        errors["points"] = [_("Give a whole number.")]
    elif not -POINTS_LIMIT <= points <= POINTS_LIMIT or points == 0:
        errors["points"] = [
            _("Give a number of points from %(low)d to %(high)d, not 0.")
            % {"low": -POINTS_LIMIT, "high": POINTS_LIMIT}
        ]
    return errors
