"""Writing the ownership trail and notifications.

Called by the services that change records, inside their transaction, so an
operation and its history commit or roll back together (no signals).
"""

from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leadpool.history.models import Event, Notification


def record_event(
    record,  # a lead or customer, or None for pool-level events
    *,
    action: str,
    actor=None,
    from_owner_id: int | None = None,
    to_owner_id: int | None = None,
    from_pool_id: int | None = None,
    to_pool_id: int | None = None,
    reason: str = "",
    rule: str = "",
    details: dict | None = None,
    at=None,
) -> Event:
    subject = {record.entity: record} if record is not None else {}
    return Event.objects.create(
        **subject,
        action=action,
        actor=actor,
        from_owner_id=from_owner_id,
        to_owner_id=to_owner_id,
        from_pool_id=from_pool_id,
        to_pool_id=to_pool_id,
        reason=reason,
        rule=rule,
        details=details or {},
        at=at or timezone.now(),
    )


def notify(
    users: Iterable,
    *,
    kind: str,
    record=None,
    pool=None,
    actor=None,
    details: dict | None = None,
) -> list[Notification]:
    """Notify each user once; the actor is never notified of their own doing."""
    recipients = {getattr(user, "pk", user) for user in users if user is not None}
    recipients.discard(getattr(actor, "pk", None))
    subject = {record.entity: record} if record is not None else {}
    words = {"record": record.display_name} if record is not None else {}
    if pool is not None:
        words["pool"] = pool.name
    if actor is not None:
        words["actor"] = str(actor)
    words.update(details or {})
    return Notification.objects.bulk_create(
        Notification(user_id=user_id, kind=kind, pool=pool, actor=actor, details=words, **subject)
        for user_id in sorted(recipients)
    )


_TEXTS = {
    Notification.Kind.ASSIGNED: lambda d: _("%(actor)s assigned “%(record)s” to you.") % d,
    Notification.Kind.RECLAIMED: lambda d: _reclaimed_text(d),
    Notification.Kind.REASSIGNED: lambda d: (
        _("%(actor)s reassigned “%(record)s” to %(owner)s.") % d
    ),
    Notification.Kind.DELETED: lambda d: _("%(actor)s deleted “%(record)s”.") % d,
    Notification.Kind.RECLAIM_WARNING: lambda d: (
        _("“%(record)s” goes back to its pool at %(reclaim_at)s unless you follow it up.") % d
    ),
    Notification.Kind.FOLLOWUP_DUE: lambda d: _("A follow-up of “%(record)s” is due.") % d,
    Notification.Kind.POOL_TRANSFERRED: lambda d: (
        _("%(actor)s made you an admin of the pool “%(pool)s”.") % d
    ),
    Notification.Kind.IMPORTED: lambda d: _imported_text(d),
}


def _imported_text(words: dict) -> str:
    # One notification per import, not one per record: an import may bring a million.
    count = int(words.get("count") or 0)
    return ngettext(
        "%(actor)s imported %(count)d record for you.",
        "%(actor)s imported %(count)d records for you.",
        count,
    ) % {**words, "count": count}


def _reclaimed_text(words: dict) -> str:
    if not words.get("automatic"):
        return _("%(actor)s took “%(record)s” back into the pool.") % words
    # The reclaim rule tells each owner once per sweep batch how many records it took.
    count = int(words.get("count") or 1)
    if count == 1 and words["record"]:
        return _("The pool's reclaim rule took “%(record)s” back into the pool.") % words
    return ngettext(
        "The pool's reclaim rule took %(count)d record back into “%(pool)s”.",
        "The pool's reclaim rule took %(count)d records back into “%(pool)s”.",
        count,
    ) % {**words, "count": count}


def notification_text(notification: Notification) -> str:
    """The notification as a sentence in the active language."""
    if notification.kind == Notification.Kind.ASSIGNED and "actor" not in notification.details:
        # Nobody acted: a rule (distribution after an automatic reclaim) handed it out.
        return _("The pool's distribution gave you “%(record)s”.") % {
            "record": notification.details.get("record", "")
        }
    words = {"actor": _("Someone"), "record": "", "pool": "", "reclaim_at": "", "owner": ""}
    words.update(notification.details)
    return _TEXTS[notification.kind](words)


def mark_read(*, user, ids: Iterable[int]) -> int:
    """Mark the user's own notifications read; others' ids are ignored."""
    return Notification.objects.filter(user=user, pk__in=list(ids), read_at__isnull=True).update(
        read_at=timezone.now()
    )
