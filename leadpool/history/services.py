"""Writing the ownership trail and notifications.

Called by the services that change records, inside their transaction, so an
operation and its history commit or roll back together (no signals).
"""

import datetime
import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leadpool.history.models import Event, Notification

logger = logging.getLogger(__name__)
# A user who opts in is not sent their whole past: only what is newer than this.
DIGEST_MAX_AGE = datetime.timedelta(days=7)
# One e-mail lists at most this many; the rest are counted ("and 12 more").
DIGEST_MAX_LINES = 100


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
    Notification.Kind.SCORE_THRESHOLD: lambda d: _threshold_text(d),
}


def _threshold_text(words: dict) -> str:
    text = _("“%(record)s” scored %(score)s, reaching the pool's threshold of %(threshold)s.")
    # The pool may convert it too (scoring.services): say how that went.
    if words.get("converted") is True:
        text += " " + _("It was converted into the customer “%(customer_name)s”.")
    elif words.get("converted") is False:
        text += " " + _("It could not be converted: %(conversion_message)s")
    return text % {"customer_name": "", "conversion_message": "", **words}


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
    words = {
        "actor": _("Someone"),
        "record": "",
        "pool": "",
        "reclaim_at": "",
        "owner": "",
        "score": "",
        "threshold": "",
    }
    words.update(notification.details)
    return _TEXTS[notification.kind](words)


def mark_read(*, user, ids: Iterable[int]) -> int:
    """Mark the user's own notifications read; others' ids are ignored."""
    return Notification.objects.filter(user=user, pk__in=list(ids), read_at__isnull=True).update(
        read_at=timezone.now()
    )


def send_notification_digests(*, now: datetime.datetime | None = None) -> int:
    """E-mail each user who opted in a digest of their unsent notifications of the kinds
    they chose (`User.email_notifications`): one e-mail however many arrived since the
    last digest, in the user's language, as plain text (the texts hold records' names,
    which are user data; plain text has nothing to escape). Run by the rules worker.

    Notifications already read in the app are not e-mailed. A user's notifications are
    locked while their e-mail goes out (SKIP LOCKED: workers at once take different
    users), and marked `emailed_at` in the same transaction, so a failed send is retried
    by the next run. Returns how many e-mails were sent.
    """
    now = now or timezone.now()
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .exclude(email_notifications=[])
        .order_by("pk")
    )
    sent = 0
    for user in users:
        kinds = [kind for kind in user.email_notifications if kind in Notification.Kind.values]
        if not kinds:
            continue
        try:
            sent += _send_digest(user, kinds, now=now)
        except Exception:  # one user's bad address must not stop the others' digests
            logger.exception("The e-mail digest of user %s failed.", user.pk)
    return sent


def _send_digest(user, kinds: list[str], *, now: datetime.datetime) -> int:
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                user=user,
                kind__in=kinds,
                emailed_at__isnull=True,
                read_at__isnull=True,
                created_at__gt=now - DIGEST_MAX_AGE,
            )
            .order_by("created_at", "pk")
        )
        if not pending:
            return 0
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject, body = digest_message(user, pending)
        send_mail(subject, body, None, [user.email])
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
    return 1


def digest_message(user, notifications: list[Notification]) -> tuple[str, str]:
    """The digest's subject and plain-text body, in the active language."""
    count = len(notifications)
    subject = ngettext(
        "LeadPool: %(count)d new notification",
        "LeadPool: %(count)d new notifications",
        count,
    ) % {"count": count}
    # Header injection is refused by Django; a subject is one line anyway.
    lines = [_("Hello %(name)s,") % {"name": user.display_name or user.username}, ""]
    lines.append(
        ngettext(
            "You have %(count)d new notification:",
            "You have %(count)d new notifications:",
            count,
        )
        % {"count": count}
    )
    lines.append("")
    for notification in notifications[:DIGEST_MAX_LINES]:
        moment = timezone.localtime(notification.created_at).strftime("%Y-%m-%d %H:%M")
        lines.append(f"- {moment}  {notification_text(notification)}")
    if count > DIGEST_MAX_LINES:
        lines.append(_("… and %(count)d more.") % {"count": count - DIGEST_MAX_LINES})
    lines += ["", _("You receive these e-mails because you asked for them in LeadPool.")]
    return subject, "\n".join(lines) + "\n"
