"""Exports are recorded in the audit log (history.AuditEntry) from now on; the export log's
rows move there first, so no audit record is lost."""

from django.db import migrations


def move_export_logs(apps, schema_editor):
    ExportLog = apps.get_model("transfer", "ExportLog")
    AuditEntry = apps.get_model("history", "AuditEntry")
    AuditEntry.objects.bulk_create(
        (
            AuditEntry(
                action="export",
                actor_id=log.user_id,
                target=f"{log.entity} export",
                details={
                    "entity": log.entity,
                    "format": log.format,
                    "count": log.count,
                    **(log.filters or {}),
                },
                address=log.address,
                at=log.at,
            )
            for log in ExportLog.objects.iterator(chunk_size=2000)
        ),
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("transfer", "0002_import_jobs"),
        ("history", "0003_audit_log"),
    ]

    operations = [
        migrations.RunPython(move_export_logs, migrations.RunPython.noop),
        migrations.DeleteModel(name="ExportLog"),
    ]
