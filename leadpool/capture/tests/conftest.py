"""A web form on the personas' lead pool, and a way to submit it as a browser or script would."""

import json
import time

import pytest
from django.test import Client

from leadpool.capture import protection
from leadpool.capture.models import LeadForm

ORIGIN = "https://www.example.com"


@pytest.fixture
def lead_form(lead_pool, pool_admin):
    return LeadForm.objects.create(
        pool=lead_pool,
        name="Website contact",
        fields=[
            {"key": "name", "required": True},
            {"key": "company", "required": False},
            {"key": "phone", "required": False},
            {"key": "email", "required": False},
            {"key": "notes", "required": False},
        ],
        allowed_origins=[ORIGIN],
        created_by=pool_admin,
    )


def old_stamp(form: LeadForm, seconds: float = 30) -> str:
    """A stamp of a page served `seconds` ago (past the minimum fill time)."""
    return protection.issue_stamp(form.token, at=time.time() - seconds)


@pytest.fixture
def submit(client: Client):
    """POST a submission: JSON by default (a script), `as_form=True` for a browser's form."""

    def post(form, fields: dict, *, stamp=None, as_form=False, headers=None, **extra):
        body = {**fields}
        body.setdefault(protection.STAMP_FIELD, stamp if stamp is not None else old_stamp(form))
        url = f"/forms/{form.token}"
        if as_form:
            return client.post(url, body, headers=headers or {}, **extra)
        return client.post(
            url, json.dumps(body), content_type="application/json", headers=headers or {}, **extra
        )

    return post
