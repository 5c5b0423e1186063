"""Spam protection for the public forms, without third-party services.

- a honeypot: a field people never see (hidden by CSS) and bots fill in;
- a minimum fill time: the page carries a signed stamp of when it was served, and a
  submission sooner than LEADPOOL_FORM_MIN_SECONDS after it is a bot's;
- rate limits per client IP and per form, counted in the cache like the API's throttles
  (settings.LEADPOOL_RATES "form_ip" and "form").

Caught bots are answered as if their submission was accepted, so they learn nothing.
"""

import time

from django.conf import settings
from django.core import signing

from leadpool.core.api import SettingsRateThrottle

HONEYPOT_FIELD = "website"
STAMP_FIELD = "form_started"
# Fields of the form itself rather than of the lead.
CONTROL_FIELDS = frozenset({HONEYPOT_FIELD, STAMP_FIELD})
# A page left open longer than this must be reloaded: a stamp is not a lifelong pass for
# a bot that scraped it once.
STAMP_MAX_AGE_SECONDS = 24 * 3600
_SALT = "leadpool.capture.stamp"


def issue_stamp(token: str, *, at: float | None = None) -> str:
    """A signed "this form's page was served at `at`" (now by default)."""
    return signing.dumps({"form": token, "at": time.time() if at is None else at}, salt=_SALT)


def stamp_verdict(token: str, stamp) -> str:
    """ "ok", "missing", "expired" or "bot" (forged, another form's, or too fast)."""
    if not stamp or not isinstance(stamp, str):
        return "missing"
    try:
        payload = signing.loads(stamp, salt=_SALT)
        served_at = float(payload["at"])
        same_form = payload["form"] == token
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return "bot"
    age = time.time() - served_at
    if not same_form or age < settings.LEADPOOL_FORM_MIN_SECONDS:
        return "bot"
    return "expired" if age > STAMP_MAX_AGE_SECONDS else "ok"


def is_honeypot_filled(value) -> bool:
    return bool(value.strip() if isinstance(value, str) else value)


class FormIPThrottle(SettingsRateThrottle):
    """Submissions per client IP, over every form: it also slows down token guessing."""

    scope = "form_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class FormThrottle(SettingsRateThrottle):
    """Submissions per form, from everywhere: caps what a botnet can pour into one pool."""

    scope = "form"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": view.token}


def throttled(throttle: SettingsRateThrottle, request, view=None) -> int | None:
    """Seconds to wait when `throttle` refuses this request (counting it otherwise)."""
    if throttle.allow_request(request, view):
        return None
    return max(1, round(throttle.wait() or 1))
