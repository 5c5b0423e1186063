"""Follow-ups and call records: adding them moves the record along and feeds the rules."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from leadpool.activity.models import CallRecord, FollowUp
from leadpool.core.times import parse_moment
from leadpool.pools import access
from leadpool.pools.models import PooledRecord
from leadpool.pools.services import refresh_reclaim_at
from leadpool.scoring.services import rescore_record

CONTENT_MAX_LENGTH = 10_000


def add_followup(
    *,
    record: PooledRecord,
    by,
    content: str,
    kind: str = FollowUp.Kind.CALL,
    next_step: str = "",
    next_followup_at: datetime.datetime | None = None,
) -> FollowUp:
    """Add a follow-up record (跟进记录).

    The record moves from `new` to `following`, its last follow-up time is now, and its
    next follow-up time becomes the one given (without one, a next follow-up that was
    already due is cleared and a later one kept); the reclaim clock restarts.
    """
    _check_may_follow_up(record, by)
    errors: dict[str, list[str]] = {}
    content = (content or "").strip()
    if not content:
        errors["content"] = [_("Say what happened.")]
    elif len(content) > CONTENT_MAX_LENGTH:
        errors["content"] = [_("Enter at most %(max)d characters.") % {"max": CONTENT_MAX_LENGTH}]
    if kind not in FollowUp.Kind.values:
        errors["kind"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(FollowUp.Kind.values)}
        ]
    if next_followup_at is not None:
        try:
            next_followup_at = parse_moment(next_followup_at)
        except ValueError as error:
            errors["next_followup_at"] = [str(error)]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        followup = FollowUp.objects.create(
            **{record.entity: record},
            kind=kind,
            content=content,
            next_step=(next_step or "").strip(),
            next_followup_at=next_followup_at,
            author=by,
            created_at=now,
        )
        _mark_followed_up(record, at=now, next_followup_at=next_followup_at)
        rescore_record(record, now=now)
    return followup


def log_call(
    *,
    record: PooledRecord,
    by,
    number: str,
    started_at: datetime.datetime,
    duration_seconds: int = 0,
    direction: str = CallRecord.Direction.OUTBOUND,
    outcome: str = CallRecord.Outcome.ANSWERED,
    recording_url: str = "",
    notes: str = "",
) -> CallRecord:
    """Log a call (通话记录). An answered call counts as a follow-up; a missed one does not."""
    _check_may_follow_up(record, by)
    try:
        started_at = parse_moment(started_at)
    except ValueError as error:
        raise ValidationError({"started_at": [str(error)]}) from None
    call = CallRecord(
        **{record.entity: record},
        number=(number or "").strip(),
        direction=direction,
        started_at=started_at,
        duration_seconds=duration_seconds,
        outcome=outcome,
        recording_url=(recording_url or "").strip(),
        notes=(notes or "").strip(),
        author=by,
    )
    try:
        call.full_clean(exclude=["lead", "customer", "author"])
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    if started_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"started_at": [_("A call cannot start in the future.")]})
    with transaction.atomic():
        call.save()
        if outcome == CallRecord.Outcome.ANSWERED:
            _mark_followed_up(record, at=started_at, next_followup_at=None)
        rescore_record(record)  # a missed call counts among the calls too
    return call


def _check_may_follow_up(record: PooledRecord, by) -> None:
    scope = access.scope_of(by)
    model = type(record)
    if not access.visible_records(by, model, scope=scope).filter(pk=record.pk).exists():
        raise access.Http404(_("No such record."))
    if not access.can(scope, "follow_up", record):
        raise access.PermissionDenied(_("You may not follow up this record."))


def _mark_followed_up(
    record: PooledRecord, *, at: datetime.datetime, next_followup_at: datetime.datetime | None
) -> None:
    model = type(record)
    rows = model.objects.filter(pk=record.pk)
    # Only ever move the last follow-up time forward (a call logged late is older).
    rows.filter(Q(last_followup_at__isnull=True) | Q(last_followup_at__lt=at)).update(
        last_followup_at=at
    )
    rows.filter(status=model.NEW_STATUS).update(status=model.FOLLOWING_STATUS)
    if next_followup_at is not None:
        rows.update(next_followup_at=next_followup_at)
    else:
        # This contact fulfils a follow-up that was due; a later planned one stays.
        rows.filter(next_followup_at__lte=at).update(next_followup_at=None)
    record.refresh_from_db(fields=["last_followup_at", "status", "next_followup_at"])
    refresh_reclaim_at(record)
