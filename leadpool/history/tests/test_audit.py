"""The audit log: who signed in (or failed to), exported, imported, deleted, was refused,
or changed a pool's rules, from where; readable by system admins only; unchangeable."""

import io

import pytest
from django.test import Client
from rest_framework.test import APIClient

from leadpool.history.models import AuditEntry, HistoryIsImmutable
from leadpool.leads.models import Lead
from leadpool.pools.configuration import update_pool
from leadpool.pools.services import delete_records, purge_records
from leadpool.transfer import imports

DENIED = AuditEntry.Action.PERMISSION_DENIED


def entries(action):
    return list(AuditEntry.objects.filter(action=action))


def api(user=None) -> APIClient:
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    if user is not None:
        client.force_authenticate(user)
    return client


def test_api_sign_ins_and_failed_ones_are_recorded_with_the_address(rep_east):
    assert (
        api()
        .post("/api/v1/auth/token", {"username": "rep_east", "password": "wrong"}, format="json")
        .status_code
        == 400
    )
    assert (
        api()
        .post(
            "/api/v1/auth/token", {"username": "rep_east", "password": "pw-rep_east"}, format="json"
        )
        .status_code
        == 200
    )
    [failed] = entries(AuditEntry.Action.LOGIN_FAILED)
    assert (failed.username, failed.actor, failed.address) == ("rep_east", None, "203.0.113.9")
    [signed_in] = entries(AuditEntry.Action.LOGIN)
    assert (signed_in.actor, signed_in.address) == (rep_east, "203.0.113.9")
    rep_east.refresh_from_db()
    assert rep_east.last_login is not None


def test_web_sign_in_and_out_are_recorded(rep_east):
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert client.login(username="rep_east", password="pw-rep_east")
    client.logout()
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["login", "logout"]


def test_exports_record_their_row_count_and_address(rep_east, make_lead):
    make_lead(owner=rep_east)
    response = api(rep_east).get("/api/v1/leads/export", {"format": "csv"})
    b"".join(response.streaming_content)
    [export] = entries(AuditEntry.Action.EXPORT)
    assert (export.actor, export.details["count"], export.address) == (rep_east, 1, "203.0.113.9")


def test_imports_and_their_undo_are_recorded(rep_east):
    source = io.BytesIO("姓名,手机\r\n张伟,13800138000\r\n".encode())
    job = imports.start_import(
        by=rep_east, source=source, file_name="a.csv", entity="lead", enqueue=False
    )
    imports.run_import(job.pk)
    imports.undo_import(job=job, by=rep_east)
    assert entries(AuditEntry.Action.IMPORT)[0].details["file"] == "a.csv"
    assert entries(AuditEntry.Action.IMPORT_UNDO)[0].details == {
        "job": job.pk,
        "removed": 1,
        "kept": 0,
    }


def test_deletions_purges_and_refusals_for_want_of_rights(pool_admin, member, lead_pool, make_lead):
    lead = make_lead(pool=lead_pool)
    delete_records(model=Lead, ids=[lead.pk], by=member)  # members may not delete
    assert entries(DENIED)[0].details == {"ids": [lead.pk]}
    delete_records(model=Lead, ids=[lead.pk], by=pool_admin)
    purge_records(model=Lead, ids=[lead.pk], by=pool_admin)
    assert entries(AuditEntry.Action.DELETE)[0].details == {"ids": [lead.pk]}
    assert entries(AuditEntry.Action.PURGE)[0].actor == pool_admin


def test_a_403_over_the_api_is_recorded(rep_east):
    assert api(rep_east).post("/api/v1/rules/run", {}, format="json").status_code == 403
    [denied] = entries(DENIED)
    assert (denied.actor, denied.target) == (rep_east, "POST /api/v1/rules/run")


def test_pool_rule_changes_are_recorded(pool_admin, lead_pool):
    update_pool(pool=lead_pool, by=pool_admin, changes={"claim_limit_per_day": 5})
    [changed] = entries(AuditEntry.Action.POOL_CHANGED)
    assert changed.details["fields"] == ["claim_limit_per_day"]


def test_only_system_admins_read_the_log(admin, manager, rep_east):
    api().post("/api/v1/auth/token", {"username": "rep_east", "password": "x"}, format="json")
    assert api(manager).get("/api/v1/audit/").status_code == 403
    response = api(admin).get("/api/v1/audit/", {"action": "login_failed"})
    assert response.status_code == 200
    assert [entry["username"] for entry in response.json()["results"]] == ["rep_east"]
    assert api(admin).get("/api/v1/audit/", {"action": "nonsense"}).status_code == 400


def test_the_log_cannot_be_changed(rep_east):
    api().post("/api/v1/auth/token", {"username": "rep_east", "password": "x"}, format="json")
    entry = AuditEntry.objects.get()
    with pytest.raises(HistoryIsImmutable):
        AuditEntry.objects.all().delete()
    with pytest.raises(HistoryIsImmutable):
        AuditEntry.objects.update(username="someone")
    entry.username = "someone"
    with pytest.raises(HistoryIsImmutable):
        entry.save()
