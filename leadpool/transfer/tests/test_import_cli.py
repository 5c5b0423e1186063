"""`leadpool import FILE --entity … [--pool] [--owner] [--as] [--dry-run] [--errors]`."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from leadpool.leads.models import Lead
from leadpool.transfer.models import ImportJob

ROWS = "姓名,手机,公司名称\r\n张伟,13800138000,华东机械\r\n李娜,123,\r\n王芳,13800138000,\r\n"


@pytest.fixture
def leads_csv(tmp_path):
    path = tmp_path / "线索.csv"
    path.write_bytes(ROWS.encode("gb18030"))
    return path


def run(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_imports_into_a_pool_by_name_with_progress_and_error_file(
    pool_admin, lead_pool, leads_csv, tmp_path
):
    errors = tmp_path / "errors.csv"
    out, err = run(
        str(leads_csv), "--entity", "lead", "--pool", lead_pool.name, "--as", "pool_admin",
        "--errors", str(errors),
    )  # fmt: skip
    assert "Imported 3 rows: 1 created, 0 updated, 1 skipped as duplicates, 1 invalid." in out
    assert "100%" in err and "3/3 rows" in err
    lead = Lead.objects.get()
    assert (lead.name, lead.pool) == ("张伟", lead_pool)
    rows = list(csv.reader(io.StringIO(errors.read_text(encoding="utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["3", "4"]


def test_dry_run_writes_nothing(admin, leads_csv):
    out, _err = run(str(leads_csv), "--entity", "lead", "--dry-run")
    assert out.startswith("Would import 3 rows: 1 created")
    assert not Lead.objects.exists()
    assert ImportJob.objects.get().user == admin  # no --as: the first system admin


def test_refusals_are_command_errors(pool_admin, member, lead_pool, leads_csv, tmp_path):
    with pytest.raises(CommandError, match="no file"):
        run(str(tmp_path / "missing.csv"), "--entity", "lead", "--as", "pool_admin")
    with pytest.raises(CommandError, match="pool: Only the pool's admins"):
        run(
            str(leads_csv), "--entity", "lead", "--pool", str(lead_pool.pk), "--as", member.username
        )
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="file: The file is empty"):
        run(str(empty), "--entity", "lead", "--as", "pool_admin")
    with pytest.raises(CommandError, match="not valid JSON"):
        run(str(leads_csv), "--entity", "lead", "--as", "pool_admin", "--mapping", "{")
