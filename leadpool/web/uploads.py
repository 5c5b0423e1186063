"""The import wizard's uploaded file, kept between its steps.

The file is stored once under settings.LEADPOOL_IMPORT_DIR (never a served folder) with a
random name; the session records that name with the wizard's choices, so a request can
only reach files its own session uploaded, and never names a path itself. The file goes
when the import starts, or after an hour (swept whenever someone uploads).
"""

import datetime
import re
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SESSION_KEY = "web_imports"
PREFIX = "web-"
LIFETIME = datetime.timedelta(hours=1)
# Wizards one session may have open at once (tabs); the oldest file goes past this.
MAX_OPEN = 5
TOKEN = re.compile(r"[0-9a-f]{32}")


def _folder() -> Path:
    return Path(settings.LEADPOOL_IMPORT_DIR)


def path_of(token: str) -> Path:
    if not TOKEN.fullmatch(token):
        raise ValueError(token)
    return _folder() / f"{PREFIX}{token}.upload"


def store(upload) -> str:
    """Copy the upload in chunks to a new random name; return its token."""
    limit = settings.LEADPOOL_IMPORT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            {
                "file": [
                    _("The file is larger than %(size)s MB, the most one import takes.")
                    % {"size": f"{limit // 1024**2:,}"}
                ]
            }
        )
    _folder().mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    with open(path_of(token), "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return token


def sweep() -> int:
    """Remove wizard uploads older than an hour (abandoned wizards); return how many."""
    folder = _folder()
    if not folder.is_dir():
        return 0
    cutoff = time.time() - LIFETIME.total_seconds()
    removed = 0
    for stale in folder.glob(f"{PREFIX}*.upload"):
        try:
            if stale.stat().st_mtime < cutoff:
                stale.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # another process swept it first
    return removed


def remember(session, token: str, entry: dict) -> None:
    entries = dict(session.get(SESSION_KEY, {}))
    entries[token] = {**entry, "stored_at": time.time()}
    while len(entries) > MAX_OPEN:
        oldest = min(entries, key=lambda key: entries[key]["stored_at"])
        forget(session, oldest, entries=entries)
    session[SESSION_KEY] = entries


def entry_of(session, token: str) -> dict | None:
    """The wizard's state for `token`, if this session uploaded it and it is still kept."""
    entry = session.get(SESSION_KEY, {}).get(token)
    if entry is None or not TOKEN.fullmatch(token):
        return None
    expired = time.time() - entry["stored_at"] > LIFETIME.total_seconds()
    if expired or not path_of(token).exists():
        forget(session, token)
        return None
    return entry


def update(session, token: str, **changes) -> None:
    entries = dict(session.get(SESSION_KEY, {}))
    if token in entries:
        entries[token] = {**entries[token], **changes}
        session[SESSION_KEY] = entries


def forget(session, token: str, *, entries: dict | None = None) -> None:
    """Drop the wizard's state and delete its file."""
    own = entries if entries is not None else dict(session.get(SESSION_KEY, {}))
    own.pop(token, None)
    if TOKEN.fullmatch(token):
        path_of(token).unlink(missing_ok=True)
    if entries is None:
        session[SESSION_KEY] = own


def token_for_dry_run(session, job_id: int) -> str | None:
    """The open wizard whose dry run is `job_id` (to import the same file for real)."""
    for token, entry in session.get(SESSION_KEY, {}).items():
        if entry.get("dry_run_job") == job_id and entry_of(session, token) is not None:
            return token
    return None
