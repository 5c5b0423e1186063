"""Reading times from people and programs, and the range of times we accept.

A follow-up planned for the year 1358 or 9999 is a typo, and outside 1970–2099 time
zones turn odd (Asia/Shanghai before 1901 is +08:05:43), so such times are refused
with a clear message wherever they come in.
"""

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)


def parse_moment(raw) -> datetime.datetime:
    """An aware datetime from a datetime or an ISO 8601 string (local time if no offset).

    Raises ValueError with a message for people when it cannot be read or is out of range.
    """
    value = raw if isinstance(raw, datetime.datetime) else None
    if value is None and isinstance(raw, str):
        try:
            value = parse_datetime(raw.strip())
        except ValueError:
            value = None
    if value is None:
        raise ValueError(_("Enter a date and time (ISO 8601)."))
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        in_range = EARLIEST <= value < LATEST
    except (OverflowError, ValueError):
        in_range = False
    if not in_range:
        raise ValueError(_("Enter a time between 1970 and 2099."))
    return value
