"""The permission matrix (issue 10) over the web views: the same actors, records and
expectations as the API's (test_permission_matrix.py, whose tables this imports rather than
copies), asserted on the record page, its forms and the batch actions, exports and import
error files. Where the web and the API disagree, the web is wrong.

A page the actor may not open is 404 when the record is outside their scope and 403 when
they see it but may not act; a batch reports each refused record and leaves it unchanged;
anonymous and deactivated users are sent to the login page and change nothing.
"""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from leadpool.core.tests import test_permission_matrix as api
from leadpool.core.tests.test_permission_matrix import (
    ACTORS,
    APPLIES,
    EAST_OWNED,
    MAY,
    RECORDS,
    SEES,
    UNASSIGNED,
    WEST_OWNED,
    WEST_PRIVATE,
)
from leadpool.customers.models import Customer
from leadpool.history.models import Event
from leadpool.history.services import record_event
from leadpool.leads.models import Lead
from leadpool.pools import services
from leadpool.pools.models import Pool
from leadpool.transfer import imports
from leadpool.web import batch

# The API matrix's fixture: the same people and the same four records.
world = api.world

SIGNED_OUT = ("anonymous", "deactivated")
# The web's pages and forms for one record, and the API action whose row of MAY they obey.
PAGES = {
    "view": None,  # SEES: 200, else 404
    "edit_page": "edit",
    "edit": "edit",
    "follow_up": "follow_up",
    "call": "follow_up",
    "collaborators": "edit",
    "convert_page": "convert",
    "convert": "convert",
}
PAGE_APPLIES = {
    page: (RECORDS if action is None else APPLIES[action]) for page, action in PAGES.items()
}
# The batch actions of the lists (web/views/lists.py batch_action); restore works on the
# recycle bin, and whoever may delete a record may restore it (PRODUCT.md: pool admins and
# system admins; a record in no pool, its owner and their manager, as for delete).
BATCH = ("claim", "assign", "reclaim", "return", "delete", "restore")
BATCH_MAY = {**{action: MAY[action] for action in BATCH if action in MAY}}
BATCH_MAY["restore"] = MAY["delete"]
BATCH_APPLIES = {**{action: APPLIES[action] for action in BATCH if action in APPLIES}}
BATCH_APPLIES["restore"] = APPLIES["delete"]
# What a refusal says: outside the scope it says no more than the API's not_in_scope.
REFUSAL_MESSAGES = {
    "No such record.",
    "You may not do that with this record.",
    "You do not own this record.",
}
# A pool that masks phones until claimed (PRODUCT.md "Visibility"): admins, the owner,
# the owner's manager and collaborators see them; members see them masked until they claim.
MASKED_FOR = {"manager": {UNASSIGNED}, "rep_east": {UNASSIGNED}, "member": {UNASSIGNED}}
# Import jobs, and who may download their error files: one's own; a pool's, its admins;
# every one, system admins (the API's /imports/{id}/errors says the same).
EAST_JOB, WEST_JOB, POOL_JOB = "east_job", "west_job", "pool_job"
JOB_SEES = {
    "admin": {EAST_JOB, WEST_JOB, POOL_JOB},
    "rep_east": {EAST_JOB},
    "rep_west": {WEST_JOB},
    "pool_admin": {POOL_JOB},
}


def web_client(user) -> Client:
    """A browser session; a deactivated user's session counts for nothing (Django's
    authentication backend refuses inactive users on every request)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def state(record: Lead) -> tuple:
    """The API matrix's snapshot, and the calls and collaborators the web also changes."""
    return (
        *api.snapshot(record),
        record.calls.count(),
        sorted(record.collaborators.values_list("pk", flat=True)),
        Customer.objects.count(),
    )


def assert_sent_to_login(response) -> None:
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith(reverse("web:login")), response["Location"]


def open_page(client: Client, page: str, record: Lead, users: dict):
    url = reverse("web:record", args=["leads", record.pk])
    if page == "view":
        return client.get(url)
    if page == "edit_page":
        return client.get(url + "edit/")
    if page == "edit":
        return client.post(
            url + "edit/",
            {"name": record.name, "phone": record.phone, "status": record.status,
             "notes": "changed"},
        )  # fmt: skip
    if page == "follow_up":
        return client.post(url + "followups/", {"kind": "call", "content": "打了电话"})
    if page == "call":
        return client.post(
            url + "calls/",
            {"number": "13800138000", "direction": "outbound", "outcome": "answered",
             "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
             "duration_seconds": "60", "notes": ""},
        )  # fmt: skip
    if page == "collaborators":
        return client.post(url + "collaborators/", {"collaborators": [users["member"].pk]})
    convert = reverse("web:lead_convert", args=[record.pk])
    if page == "convert_page":
        return client.get(convert)
    return client.post(convert, {"customer_name": "新客户"})


PAGE_CASES = [
    (actor, page, record) for page, applies in PAGE_APPLIES.items() for actor in ACTORS
    for record in applies
]  # fmt: skip


@pytest.mark.parametrize(("actor", "page", "record_name"), PAGE_CASES)
def test_a_page_or_form_is_allowed_exactly_when_the_matrix_says(world, actor, page, record_name):
    users, records = world
    record = records[record_name]
    before = state(record)
    response = open_page(web_client(users[actor]), page, record, users)
    action = PAGES[page]
    visible = record_name in SEES[actor]
    allowed = visible if action is None else record_name in MAY[action].get(actor, set())
    if actor in SIGNED_OUT:
        assert_sent_to_login(response)
    elif allowed:
        expected = 200 if page in ("view", "edit_page", "convert_page") else 302
        assert response.status_code == expected, response.content[:2000]
    else:
        assert response.status_code == (403 if visible else 404), response.status_code
    if not allowed or page in ("view", "edit_page", "convert_page"):
        assert state(record) == before  # refused, or only looked: nothing changed
        return
    record.refresh_from_db()
    if page == "edit":
        assert record.notes == "changed"
    elif page == "follow_up":
        assert record.followups.count() == 1
    elif page == "call":
        assert record.calls.count() == 1
    elif page == "collaborators":
        assert list(record.collaborators.all()) == [users["member"]]
    elif page == "convert":
        assert record.status == Lead.Status.CONVERTED and record.customer_id is not None


BATCH_CASES = [
    (actor, action, record) for action in BATCH for actor in ACTORS
    for record in BATCH_APPLIES[action]
]  # fmt: skip


@pytest.mark.parametrize(("actor", "action", "record_name"), BATCH_CASES)
def test_a_batch_action_is_done_or_refused_exactly_when_the_matrix_says(
    world, admin, actor, action, record_name
):
    users, records = world
    record = records[record_name]
    if action == "restore":
        services.delete_records(model=Lead, ids=[record.pk], by=admin, reason="test")
    before = state(record)
    client = web_client(users[actor])
    data = {"action": action, "ids": [record.pk], "reason": "无意向"}
    if action == "assign":
        data["to_user"] = users["member"].pk
    response = client.post(reverse("web:batch", args=["leads"]), data)
    allowed = record_name in BATCH_MAY[action].get(actor, set())
    if actor in SIGNED_OUT:
        assert_sent_to_login(response)
        assert state(record) == before
        return
    assert response.status_code == 302
    summary = client.session[batch.SESSION_KEY]
    assert summary["errors"] == [], summary
    if allowed:
        assert (summary["done"], summary["refused"]) == (1, []), summary
        return
    assert summary["done"] == 0, summary
    [refused] = summary["refused"]
    assert refused["id"] == record.pk and refused["message"] in REFUSAL_MESSAGES, refused
    if refused["message"] == "No such record.":
        # nothing told about a record outside the scope, not even its name
        assert refused["label"] == f"#{record.pk}"
    assert state(record) == before  # refused: nothing changed


@pytest.mark.parametrize("actor", ACTORS)
def test_the_record_page_shows_history_and_contacts_as_the_api_does(world, actor, lead_pool):
    # given: a pool that masks phones and e-mails until claimed, and history on each record
    users, records = world
    Pool.objects.filter(pk=lead_pool.pk).update(contact_visibility=Pool.ContactVisibility.MASKED)
    Lead.objects.filter(pk=records[UNASSIGNED].pk).update(email="secret@example.com")
    for name, record in records.items():
        record_event(record, action=Event.Action.EDIT, reason=f"历史-{name}")
    client = web_client(users[actor])
    token_client = APIClient()
    if users[actor] is not None:
        token_client.force_authenticate(users[actor])
    for name, record in records.items():
        record.refresh_from_db()
        # when
        response = client.get(reverse("web:record", args=["leads", record.pk]))
        # then
        if actor in SIGNED_OUT:
            assert_sent_to_login(response)
            continue
        if name not in SEES[actor]:
            assert response.status_code == 404
            assert f"历史-{name}" not in response.content.decode()
            continue
        page = response.content.decode()
        assert response.status_code == 200
        assert f"历史-{name}" in page  # the history is on the page
        masked = name in MASKED_FOR.get(actor, set())
        assert (record.phone in page) is not masked, (name, "phone")
        if record.email:
            assert (record.email in page) is not masked, (name, "email")
        if masked:
            assert record.phone[:3] + "****" + record.phone[-4:] in page
        # and exactly what the API shows this actor
        shown = token_client.get(f"/api/v1/leads/{record.pk}").json()
        assert shown["phone"] in page and shown["contact_visibility"] == (
            "masked" if masked else "visible"
        )


@pytest.mark.parametrize("actor", ACTORS)
def test_exporting_ticked_records_exports_only_those_in_scope(world, actor):
    users, records = world
    client = web_client(users[actor])
    response = client.post(
        reverse("web:export", args=["leads"]),
        {"ids": [record.pk for record in records.values()], "export_fields": ["name"],
         "export_scope": "selected", "export_format": "csv"},
    )  # fmt: skip
    if actor in SIGNED_OUT:
        assert_sent_to_login(response)
        return
    assert response.status_code == 302, response.content
    download = client.get(response["Location"])
    assert download.status_code == 200
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    names = {row[0] for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert names == {records[name].name for name in SEES[actor]}


@pytest.fixture
def jobs(world, lead_pool):
    """Three finished imports, each with a row in its error file."""
    users, _records = world
    text = "姓名,手机\r\n新线索,13911112222\r\n坏行,12345\r\n"

    def run(by, **options):
        job = imports.start_import(
            by=by, source=io.BytesIO(text.encode()), file_name="leads.csv", entity="lead",
            enqueue=False, dedupe="create", **options,
        )  # fmt: skip
        imports.run_import(job.pk)
        return job

    return {
        EAST_JOB: run(users["rep_east"]),
        WEST_JOB: run(users["rep_west"]),
        POOL_JOB: run(users["pool_admin"], pool=lead_pool.pk),
    }


@pytest.mark.parametrize("actor", ACTORS)
def test_an_import_error_file_is_downloaded_exactly_by_whom_the_api_allows(world, jobs, actor):
    users, _records = world
    client = web_client(users[actor])
    token_client = APIClient()
    if users[actor] is not None:
        token_client.force_authenticate(users[actor])
    for name, job in jobs.items():
        response = client.get(reverse("web:import_errors", args=[job.pk]))
        if actor in SIGNED_OUT:
            assert_sent_to_login(response)
            continue
        allowed = name in JOB_SEES.get(actor, set())
        assert response.status_code == (200 if allowed else 404), (name, response.status_code)
        if allowed:
            assert "12345" in b"".join(response.streaming_content).decode("utf-8-sig")
        api_status = token_client.get(f"/api/v1/imports/{job.pk}/errors").status_code
        assert api_status == response.status_code, (name, api_status)


def test_a_deactivated_user_cannot_sign_in(world):
    users, _records = world
    client = Client()
    response = client.post(reverse("web:login"), {"username": "deactivated", "password": "pw"})
    assert response.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session
    assert_sent_to_login(client.get(reverse("web:records", args=["leads"])))


WEB_CASES = (
    len(PAGE_CASES)
    + len(BATCH_CASES)
    + len(ACTORS) * len(RECORDS)  # record page: history and contacts
    + len(ACTORS)  # export of ticked records
    + len(ACTORS) * len(JOB_SEES["admin"])  # import error files
    + 1  # signing in deactivated
)


def test_the_web_matrix_covers_every_role_page_and_relationship(capsys):
    assert set(PAGE_CASES) >= {(actor, "view", record) for actor in ACTORS for record in RECORDS}
    assert {action for _actor, action, _record in BATCH_CASES} == set(BATCH)
    assert {EAST_OWNED, WEST_OWNED, WEST_PRIVATE} <= {r for _a, _p, r in PAGE_CASES}
    with capsys.disabled():
        print(f"\nweb permission matrix: {WEB_CASES} cases")
    assert WEB_CASES >= 500
