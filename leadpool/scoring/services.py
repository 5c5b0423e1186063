"""Scoring leads: keeping each lead's score and explanation current, and the rules' CRUD.

A lead is rescored where it changes (created or edited in pools/records.py, followed up
or called in activity/services.py, imported in transfer/import_writer.py) and by the
rules worker (`rescore_due_leads`, from pools/automation.run_rules) when time alone moves
it (a recency rule's day count is crossed: `Lead.rescore_at`) or the rules changed (then
every live lead is due). A rise to the pool's `score_threshold` notifies the owner once
per crossing: the rescoring locks the lead's row, so two rescorings never both see it
cross. A pool whose `score_threshold_action` is "convert" also converts an assigned lead
that crosses (leads/services.convert_lead, as its owner, with an opportunity named after
it), in the same transaction as the new score, so a rerun finds nothing left to cross;
a refused conversion is noted on the notification and changes nothing else.
"""

import datetime
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from leadpool.activity.models import CallRecord, FollowUp
from leadpool.core.results import Refused
from leadpool.history.audit import audit
from leadpool.history.models import AuditEntry, Notification
from leadpool.history.services import notify
from leadpool.leads.models import Lead
from leadpool.pools import access
from leadpool.pools.models import Pool
from leadpool.scoring import rules as scoring
from leadpool.scoring.models import ScoringRule

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
RESCORED_FIELDS = ("score", "score_explanation", "rescore_at")
CONVERSION_FIELDS = ("status", "converted_at", "customer", "reclaim_at", "updated_at")
RULE_ATTRIBUTES = ("name", "field", "operator", "value", "points", "is_active", "position")


def active_rules() -> list[scoring.Rule]:
    return [scoring.Rule.of(rule) for rule in ScoringRule.objects.filter(is_active=True)]


# --- rescoring ----------------------------------------------------------------------------


def rescore_record(record, *, now: datetime.datetime | None = None) -> None:
    """Rescore one lead after it changed (a customer has no score: nothing happens).

    Call inside the change's transaction; the lead's row stays locked until it ends.
    """
    if getattr(record, "entity", None) != "lead":
        return
    rules = active_rules()
    if not rules and not (record.score or record.score_explanation or record.rescore_at):
        return  # no rules and nothing left to clear: spare the common case its queries
    rescore_leads([record.pk], now=now, rules=rules)
    # A crossing may have converted it (the pool's threshold action): the caller's copy
    # then learns that too.
    record.refresh_from_db(fields=[*RESCORED_FIELDS, *CONVERSION_FIELDS])


def rescore_leads(
    ids: Sequence[int],
    *,
    now: datetime.datetime | None = None,
    rules: list[scoring.Rule] | None = None,
    skip_locked: bool = False,
) -> int:
    """Rescore the live leads `ids`, set-wise: their activity counts in two queries, one
    UPDATE for the batch, and for each lead that crossed its pool's threshold, its
    pool's action (a conversion, then a notification to its owner). Returns how many
    were rescored."""
    now = now or timezone.now()
    rules = active_rules() if rules is None else rules
    with transaction.atomic():
        leads = list(
            Lead.objects.select_for_update(of=("self",), skip_locked=skip_locked)
            .select_related("pool", "owner")
            .filter(pk__in=list(ids), deleted_at__isnull=True)
            .order_by("pk")
        )
        if not leads:
            return 0
        followups, calls = _activity_counts([lead.pk for lead in leads], rules)
        changed = []
        crossed = []
        for lead in leads:
            before = lead.score
            values = scoring.lead_values(
                source=lead.source,
                industry=lead.industry,
                region=lead.region,
                email=lead.email,
                custom=lead.custom,
                followups=followups.get(lead.pk, 0),
                calls=calls.get(lead.pk, 0),
                last_followup_at=lead.last_followup_at,
                created_at=lead.created_at,
                now=now,
            )
            lead.score, lead.score_explanation = scoring.score(values, rules)
            lead.rescore_at = scoring.rescore_due_at(
                rules, last_followup_at=lead.last_followup_at, created_at=lead.created_at, now=now
            )
            changed.append(lead)
            threshold = lead.pool.score_threshold if lead.pool is not None else None
            if threshold is not None and lead.owner_id and before < threshold <= lead.score:
                crossed.append(lead)
        Lead.objects.bulk_update(changed, list(RESCORED_FIELDS))
        for lead in crossed:
            _threshold_crossed(lead)
    return len(changed)


# How the history names a conversion the score threshold made (Event.rule).
THRESHOLD_RULE = "score_threshold"


def _threshold_crossed(lead: Lead) -> None:
    """The pool's threshold action for a lead whose score just rose to it (inside the
    rescoring's transaction): convert it if the pool says so, and tell its owner."""
    details: dict[str, Any] = {"score": lead.score, "threshold": lead.pool.score_threshold}
    if lead.pool.score_threshold_action == Pool.ThresholdAction.CONVERT and not lead.is_closed:
        details.update(_convert_on_threshold(lead))
    notify(
        [lead.owner_id],
        kind=Notification.Kind.SCORE_THRESHOLD,
        record=lead,
        pool=lead.pool,
        details=details,
    )


def _convert_on_threshold(lead: Lead) -> dict[str, Any]:
    """Convert the lead as its owner, into a new customer with an opportunity named after
    the lead, or linked to the one customer on file that it matches (the duplicate check
    the conversion runs). What happened, for the notification: the customer and the
    opportunity, or why it was refused (nothing is then written)."""
    from leadpool.leads.services import convert_lead  # it imports this module

    owner = lead.owner
    opportunity = {"name": (lead.name or lead.company)[:200]}
    try:
        # A savepoint: a refusal undoes the conversion's partial work and nothing else.
        with transaction.atomic():
            try:
                conversion = convert_lead(
                    lead_id=lead.pk, by=owner, opportunity=opportunity, rule=THRESHOLD_RULE
                )
            except ValidationError as error:
                existing = _the_matching_customer(error)
                if existing is None:
                    raise
                conversion = convert_lead(
                    lead_id=lead.pk,
                    by=owner,
                    existing_customer=existing,
                    opportunity=opportunity,
                    rule=THRESHOLD_RULE,
                )
    except Refused as refused:
        code, message = refused.refusal.code, refused.refusal.message
    except ValidationError as error:
        code, message = "invalid", " ".join(error.messages)
    except PermissionDenied as error:
        code, message = "forbidden", str(error)
    else:
        return {
            "converted": True,
            "customer": conversion.customer.pk,
            "customer_name": str(conversion.customer),
            "created_customer": conversion.created_customer,
            "opportunity": conversion.opportunity.pk if conversion.opportunity else None,
        }
    logger.warning(
        "Lead %s crossed its pool's score threshold but was not converted: %s (%s)",
        lead.pk,
        message,
        code,
    )
    return {"converted": False, "conversion_refused": code, "conversion_message": message}


def _the_matching_customer(error: ValidationError) -> int | None:
    """The customer a conversion was refused as a duplicate of, when exactly one in the
    owner's scope matches and none outside it does; otherwise a person must choose."""
    report = getattr(error, "report", None)
    if report is None or report.elsewhere:
        return None
    customers = [match.id for match in report.matches if match.type == "customer"]
    return customers[0] if len(customers) == 1 else None


def _activity_counts(ids: list[int], rules: list[scoring.Rule]) -> tuple[dict, dict]:
    """Follow-ups and calls per lead, counted only when a rule looks at them."""
    fields = {rule.field for rule in rules}
    followups: dict[int, int] = {}
    calls: dict[int, int] = {}
    if "followups" in fields:
        followups = dict(
            FollowUp.objects.filter(lead_id__in=ids)
            .values("lead_id")
            .annotate(count=Count("pk"))
            .values_list("lead_id", "count")
        )
    if "calls" in fields:
        calls = dict(
            CallRecord.objects.filter(lead_id__in=ids)
            .values("lead_id")
            .annotate(count=Count("pk"))
            .values_list("lead_id", "count")
        )
    return followups, calls


def rescore_due_leads(
    *,
    as_of: datetime.datetime,
    should_stop: Callable[[], bool] = lambda: False,
    batch_size: int = BATCH_SIZE,
) -> int:
    """The rules worker's share: rescore the live leads whose `rescore_at` has come, a
    batch at a time along its index, each batch locked with SKIP LOCKED (several workers
    take different leads). Rescoring sets the next `rescore_at` (or none), so a rescored
    lead leaves the selection and a killed worker's next run finds what is left."""
    done = 0
    rules = active_rules()
    while not should_stop():
        ids = list(
            Lead.objects.filter(rescore_at__lte=as_of, deleted_at__isnull=True)
            .order_by("rescore_at", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        count = rescore_leads(ids, now=as_of, rules=rules, skip_locked=True)
        done += count
        if len(ids) < batch_size or count == 0:
            break
    return done


def score_import_rows(model, columns: Sequence[str], rows: Iterable[list]) -> Iterable[list]:
    """Score each new lead of an import as its row goes by on the way to COPY (imported
    leads have no activity yet, so the row alone decides). `rows` are lists of the values
    of `columns`; each is scored in place, so the instances the caller builds from the
    same list carry the score too. Customers pass through untouched.

    The rules are read here, before the COPY starts: the connection runs no other query
    while a COPY is in progress (one would wait for the COPY, which waits for it).
    """
    if model is not Lead:
        return rows
    rules = active_rules()
    if not rules:
        return rows
    return _scored_rows(columns, rows, rules, now=timezone.now())


def _scored_rows(
    columns: Sequence[str], rows: Iterable[list], rules: list[scoring.Rule], *, now
) -> Iterator[list]:
    where = {name: index for index, name in enumerate(columns)}
    for row in rows:
        created_at = row[where["created_at"]] or now
        values = scoring.lead_values(
            source=row[where["source"]],
            industry=row[where["industry"]],
            region=row[where["region"]],
            email=row[where["email"]],
            custom=row[where["custom"]],
            followups=0,
            calls=0,
            last_followup_at=None,
            created_at=created_at,
            now=now,
        )
        total, explanation = scoring.score(values, rules)
        row[where["score"]] = total
        row[where["score_explanation"]] = explanation
        row[where["rescore_at"]] = scoring.rescore_due_at(
            rules, last_followup_at=None, created_at=created_at, now=now
        )
        yield row


def mark_all_for_rescoring(*, now: datetime.datetime | None = None) -> int:
    """The rules changed: every live lead is due for rescoring by the worker (one UPDATE;
    rescoring a million leads inside an admin's request would not end in time)."""
    return Lead.objects.filter(deleted_at__isnull=True).update(rescore_at=now or timezone.now())


# --- the rules ----------------------------------------------------------------------------


def _check_admin(by) -> None:
    if not access.scope_of(by).is_admin:
        raise PermissionDenied(_("Only system admins manage scoring rules."))


def save_rule(*, by, data: dict[str, Any], rule: ScoringRule | None = None) -> ScoringRule:
    """Create a scoring rule, or change `rule`; every lead is then rescored by the worker."""
    _check_admin(by)
    rule = rule or ScoringRule(created_by=by)
    merged = {name: data.get(name, getattr(rule, name)) for name in RULE_ATTRIBUTES}
    errors = scoring.validate_rule(
        field=str(merged["field"] or ""),
        operator=str(merged["operator"] or ""),
        value=merged["value"],
        points=merged["points"],
    )
    name = str(merged["name"] or "").strip()
    if not name or len(name) > 100:
        errors["name"] = [_("Give the rule a name of at most 100 characters.")]
    if errors:
        raise ValidationError(errors)
    merged["name"] = name
    if isinstance(merged["value"], str):
        merged["value"] = merged["value"].strip()
    with transaction.atomic():
        for attribute, value in merged.items():
            setattr(rule, attribute, value)
        rule.save()
        mark_all_for_rescoring()
        _audit_rule(by, rule, details={"fields": sorted(data)})
    return rule


def delete_rule(*, by, rule: ScoringRule) -> None:
    """Delete a scoring rule; every lead is then rescored by the worker."""
    _check_admin(by)
    with transaction.atomic():
        _audit_rule(by, rule, details={"deleted": True})
        rule.delete()
        mark_all_for_rescoring()


def _audit_rule(by, rule: ScoringRule, *, details: dict) -> None:
    target = f"scoringrule:{rule.pk} {rule.name}"
    audit(AuditEntry.Action.SETTINGS_CHANGED, actor=by, target=target, details=details)
