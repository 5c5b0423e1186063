"""`leadpool backup` / `leadpool restore`: a populated database round-trips whole."""

import io

import pytest
from django.core.management import CommandError, call_command

from leadpool.history.models import Event
from leadpool.leads.models import Lead
from leadpool.pools.services import claim_records


def snapshot():
    return (
        sorted(Lead.objects.values_list("pk", "name", "phone_normalized", "owner_id", "pool_id")),
        sorted(Event.objects.values_list("pk", "action", "lead_id", "actor_id")),
    )


# Transactional: pg_dump sees only committed data, and pg_restore replaces the tables.
@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_every_record_and_history_event(tmp_path, lead_pool, member, make_lead):
    leads = [make_lead(pool=lead_pool, name=f"客户{i}", phone=f"1380013800{i}") for i in range(5)]
    claim_records(model=Lead, ids=[leads[0].pk, leads[1].pk], by=member)
    before = snapshot()
    assert len(before[1]) >= 2
    target = tmp_path / "leadpool.backup"

    out = io.StringIO()
    call_command("backup", str(target), stdout=out)
    assert "Backed up" in out.getvalue() and target.stat().st_size > 0

    Lead.objects.filter(pk__in=[lead.pk for lead in leads[2:]]).delete()
    make_lead(pool=lead_pool, name="after the backup")
    assert snapshot() != before

    call_command("restore", str(target), "--yes", stdout=io.StringIO())
    assert snapshot() == before


def test_restore_refuses_without_confirmation_or_with_a_wrong_file(tmp_path):
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path / "x"))
    with pytest.raises(CommandError, match="no backup file"):
        call_command("restore", str(tmp_path / "missing"), "--yes")
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all" * 100)
    with pytest.raises(CommandError, match="not a"):
        call_command("restore", str(junk), "--yes")
