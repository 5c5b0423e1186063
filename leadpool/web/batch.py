"""Batch actions from a list's tick boxes (or a record page's buttons): one service call
each, and a per-record summary of what was done and what was refused, and why."""

from collections import Counter

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from leadpool.core.models import MAX_ID
from leadpool.core.results import BatchResult
from leadpool.pools import access, services

ACTIONS = {
    "claim": gettext_lazy("Claim"),
    "assign": gettext_lazy("Assign"),
    "reclaim": gettext_lazy("Reclaim"),
    "return": gettext_lazy("Return"),
    "put_into_pool": gettext_lazy("Put into pool"),
    "delete": gettext_lazy("Delete"),
    "restore": gettext_lazy("Restore"),
}
SESSION_KEY = "web_batch_summary"


def run_action(model, *, action: str, ids: list, by, data) -> BatchResult:
    """Call the service behind `action`; bad parameters raise ValidationError."""
    reason = data.get("reason", "").strip()
    common = {"model": model, "ids": ids, "by": by}
    if action == "claim":
        return services.claim_records(**common, reason=reason)
    if action == "assign":
        return services.assign_records(
            **common,
            to_user=data.get("to_user") or None,
            to_pool=data.get("to_pool") or None,
            reason=reason,
        )
    if action == "reclaim":
        return services.reclaim_records(**common, reason=reason)
    if action == "return":
        return services.return_records(**common, reason=reason)
    if action == "put_into_pool":
        if not data.get("to_pool"):
            raise ValidationError({"to_pool": [_("Choose a pool.")]})
        return services.put_records_into_pool(**common, pool=data["to_pool"], reason=reason)
    if action == "delete":
        return services.delete_records(**common, reason=reason)
    if action == "restore":
        return services.restore_records(**common)
    raise ValidationError({"action": [_("Choose an action.")]})


def _done_text(action: str, count: int) -> str:
    texts = {
        "claim": ngettext("%(count)d claimed", "%(count)d claimed", count),
        "assign": ngettext("%(count)d assigned", "%(count)d assigned", count),
        "reclaim": ngettext("%(count)d reclaimed", "%(count)d reclaimed", count),
        "return": ngettext("%(count)d returned", "%(count)d returned", count),
        "put_into_pool": ngettext(
            "%(count)d put into the pool", "%(count)d put into the pool", count
        ),
        "delete": ngettext("%(count)d deleted", "%(count)d deleted", count),
        "restore": ngettext("%(count)d restored", "%(count)d restored", count),
    }
    return texts[action] % {"count": count}


def summarize(model, *, action: str, result: BatchResult, by) -> dict:
    """What to tell the user, as plain strings (it may wait in the session for the next
    page): "12 claimed, 3 refused: daily claim limit reached", then each refused record."""
    labels = _labels(model, [pk for pk, _refusal in result.refused], by)
    refused = [
        {"id": pk, "label": labels.get(pk, f"#{pk}"), "message": refusal.message}
        for pk, refusal in result.refused
    ]
    # The most common reason heads the summary; every record's own reason follows.
    reasons = Counter(refusal.code for _pk, refusal in result.refused)
    headline = _done_text(action, len(result.done))
    if refused:
        code, _count = reasons.most_common(1)[0]
        first = next(refusal.message for _pk, refusal in result.refused if refusal.code == code)
        refusals = ngettext(
            "%(count)d refused: %(reason)s", "%(count)d refused: %(reason)s", len(refused)
        ) % {"count": len(refused), "reason": first}
        # Joined as one translatable sentence, so Chinese gets its own comma (，).
        headline = _("%(done)s, %(refused)s") % {"done": headline, "refused": refusals}
    return {
        "action": action,
        "done": len(result.done),
        "headline": headline,
        "refused": refused,
        "errors": [],
    }


def summarize_error(action: str, error: ValidationError) -> dict:
    messages = list(error.messages)
    return {
        "action": action,
        "done": 0,
        "headline": _("Nothing was done."),
        "refused": [],
        "errors": messages,
    }


def _labels(model, ids: list, by) -> dict:
    """Names of the refused records the user may see; the others stay '#id'."""
    clean = [pk for pk in ids if isinstance(pk, int) and 0 < pk <= MAX_ID]
    if not clean:
        return {}
    scope = access.scope_of(by)
    labels = {}
    for queryset in (
        access.visible_records(by, model, scope=scope),
        access.recycle_bin(by, model, scope=scope),
    ):
        for record in queryset.filter(pk__in=clean).only("pk", "name", "company"):
            labels[record.pk] = record.display_name
    return labels


def take_summary(request) -> dict | None:
    """The summary a plain (non-htmx) POST left for the page it redirected to, once."""
    return request.session.pop(SESSION_KEY, None)
