"""Pool rules as pure functions: each takes plain values and returns a decision.

Nothing here touches the database, so every rule is testable on its own and the
services in `pools/services.py` only gather the facts and act on the verdict.
"""

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from leadpool.core.results import Refusal


def format_time(moment: datetime.datetime) -> str:
    """A time as users read it, in the site's time zone: 2026-05-01 10:00."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def next_local_midnight(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    tomorrow = local.date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time.min))


@dataclass(frozen=True)
class ClaimRules:
    claim_limit_per_day: int | None = None
    max_held: int | None = None
    reclaim_cooldown_hours: int | None = None
    claim_embargo_hours: int | None = None
    claim_reason_required: bool = False

    @classmethod
    def of(cls, pool) -> "ClaimRules":
        return cls(
            claim_limit_per_day=pool.claim_limit_per_day,
            max_held=pool.max_held,
            reclaim_cooldown_hours=pool.reclaim_cooldown_hours,
            claim_embargo_hours=pool.claim_embargo_hours,
            claim_reason_required=pool.claim_reason_required,
        )


@dataclass(frozen=True)
class ClaimSituation:
    """The facts a claim is judged on, gathered by the service under the claimer's lock."""

    now: datetime.datetime
    claims_today: int
    held: int
    reason: str = ""
    # When the claimer last lost this record (returned, reclaimed, moved), if ever.
    claimer_released_at: datetime.datetime | None = None
    # When the record last entered the pool unassigned.
    pooled_at: datetime.datetime | None = None


def judge_claim(rules: ClaimRules, situation: ClaimSituation) -> Refusal | None:
    """Why this claim may not go ahead, or None if it may."""
    now = situation.now
    if rules.claim_reason_required and not situation.reason.strip():
        return Refusal("reason_required", _("This pool asks for a reason to claim."))
    if rules.claim_embargo_hours and situation.pooled_at:
        until = situation.pooled_at + datetime.timedelta(hours=rules.claim_embargo_hours)
        if now < until:
            return Refusal(
                "embargo",
                _("This record entered the pool at %(entered)s; it may be claimed after %(until)s.")
                % {"entered": format_time(situation.pooled_at), "until": format_time(until)},
                until,
            )
    if rules.reclaim_cooldown_hours and situation.claimer_released_at:
        until = situation.claimer_released_at + datetime.timedelta(
            hours=rules.reclaim_cooldown_hours
        )
        if now < until:
            return Refusal(
                "cooldown",
                _(
                    "You gave up this record at %(released)s; "
                    "you may claim it again after %(until)s."
                )
                % {
                    "released": format_time(situation.claimer_released_at),
                    "until": format_time(until),
                },
                until,
            )
    limit = rules.claim_limit_per_day
    if limit is not None and situation.claims_today >= limit:
        until = next_local_midnight(now)
        return Refusal(
            "claim_limit_reached",
            _("Daily claim limit %(count)d/%(limit)d reached; you may claim again after %(until)s.")
            % {"count": situation.claims_today, "limit": limit, "until": format_time(until)},
            until,
        )
    if rules.max_held is not None and situation.held >= rules.max_held:
        return Refusal(
            "max_held_reached",
            _("You hold %(held)d/%(max)d records from this pool.")
            % {"held": situation.held, "max": rules.max_held},
        )
    return None


def judge_return_reason(return_reasons: list[str], reason: str) -> Refusal | None:
    """A return needs a reason, picked from the pool's list when it has one."""
    reason = reason.strip()
    if not reason:
        return Refusal("reason_required", _("Say why you are returning this record."))
    if return_reasons and reason not in return_reasons:
        return Refusal(
            "reason_invalid",
            _("“%(reason)s” is not one of this pool's return reasons: %(reasons)s.")
            % {"reason": reason, "reasons": ", ".join(return_reasons)},
        )
    return None


@dataclass(frozen=True)
class ReclaimRules:
    no_followup_days: int | None = None
    not_converted_days: int | None = None
    exempt_open_opportunity: bool = False

    @classmethod
    def of(cls, pool) -> "ReclaimRules":
        if pool is None:
            return cls()
        return cls(
            no_followup_days=pool.reclaim_no_followup_days,
            not_converted_days=pool.reclaim_not_converted_days,
            exempt_open_opportunity=pool.reclaim_exempt_open_opportunity,
        )


def reclaim_deadline(
    rules: ReclaimRules,
    *,
    owned_since: datetime.datetime,
    last_followup_at: datetime.datetime | None,
    is_converted: bool,
    has_open_opportunity: bool = False,
) -> datetime.datetime | None:
    """When automatic reclaim takes an owned record back to its pool (None: never).

    The no-follow-up clock runs from the later of taking ownership and the last
    follow-up; the not-converted clock from taking ownership. The earlier one wins.
    """
    if is_converted or (rules.exempt_open_opportunity and has_open_opportunity):
        return None
    deadlines = []
    if rules.no_followup_days is not None:
        start = max(owned_since, last_followup_at) if last_followup_at else owned_since
        deadlines.append(start + datetime.timedelta(days=rules.no_followup_days))
    if rules.not_converted_days is not None:
        deadlines.append(owned_since + datetime.timedelta(days=rules.not_converted_days))
    return min(deadlines) if deadlines else None


def mask_phone(phone: str) -> str:
    """138****8000: enough to recognise a number, not to dial it.

    Works on the digits, whatever the spelling (`+86-138 0013 8000` → `138****8000`),
    dropping China's country code so a mobile reads as people write it.
    """
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) <= 4:
        return "*" * len(digits)
    # Always hide at least four digits: short numbers (10086, an 8-digit landline)
    # would otherwise show all or all but one of them.
    hidden = max(4, len(digits) - 7)
    keep_tail = min(4, len(digits) - hidden)
    keep_head = len(digits) - hidden - keep_tail
    return digits[:keep_head] + "*" * hidden + digits[len(digits) - keep_tail :]


def mask_email(email: str) -> str:
    """z***@example.com."""
    local, at, domain = email.strip().partition("@")
    if not at:
        return "***"
    return (local[:1] or "") + "***@" + domain


def mask_contact(kind: str, value: str) -> str:
    """A phone or e-mail (`kind` "phone" or "email", as custom field types name them)
    masked as its standard field is."""
    return mask_email(value) if kind == "email" else mask_phone(value)
