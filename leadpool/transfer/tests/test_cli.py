"""leadpool export …"""

import csv

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from leadpool.history.models import AuditEntry


def test_the_command_writes_the_csv(rep_east, make_lead, tmp_path):
    # given
    make_lead(owner=rep_east, name="张三", phone="13800138000")
    target = tmp_path / "leads.csv"
    # when
    call_command(
        "export",
        "--entity",
        "lead",
        "--as",
        "rep_east",
        "--fields",
        "name,phone",
        "--output",
        str(target),
    )
    # then
    with target.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [["Name", "Phone"], ["张三", "13800138000"]]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).get().actor == rep_east


def test_the_command_writes_xlsx_of_one_pool(pool_admin, lead_pool, make_lead, tmp_path):
    # given
    make_lead(pool=lead_pool, name="In the pool")
    target = tmp_path / "pool.xlsx"
    # when
    call_command(
        "export",
        "--entity",
        "lead",
        "--as",
        "pool_admin",
        "--format",
        "xlsx",
        "--pool",
        "Lead pool",
        "--fields",
        "name",
        "--output",
        str(target),
    )
    # then
    sheet = load_workbook(target).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["Name"], ["In the pool"]]


def test_the_command_refuses_past_the_cap_and_writes_nothing(
    rep_east, make_lead, tmp_path, settings
):
    # given
    settings.LEADPOOL_EXPORT_CAP = 1
    make_lead(owner=rep_east)
    make_lead(owner=rep_east)
    target = tmp_path / "leads.csv"
    # when
    with pytest.raises(CommandError, match="at most 1"):
        call_command("export", "--entity", "lead", "--as", "rep_east", "--output", str(target))
    # then
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
