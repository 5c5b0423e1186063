from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One import (导入) of a file into leads or customers, run as a background job.

    The uploaded file is kept under `LEADPOOL_IMPORT_DIR` (never a served folder) until the
    job is done. Rows go in batch by batch, each batch in one transaction with its history
    and its job counters, so `resume_after_row` always names the last row whose batch is
    on file: a worker killed mid-job leaves no half-written batch, and a rerun carries on
    from there. The records a job created are found through their history events
    (`Event.import_job`), which is also how undo finds them.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        UNDONE = "undone", _("Undone")

    class Dedupe(models.TextChoices):
        SKIP = "skip", _("Skip duplicates")
        UPDATE = "update", _("Update the record on file")
        CREATE = "create", _("Create anyway")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    entity = models.CharField(_("record type"), max_length=16)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    pool = models.ForeignKey(
        "pools.Pool",
        verbose_name=_("pool"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dedupe = models.CharField(
        _("duplicates"), max_length=8, choices=Dedupe.choices, default=Dedupe.SKIP
    )
    # Which normalised values make two records duplicates: "phone", "email" or both.
    match_on = models.JSONField(_("duplicates by"), default=list, blank=True)
    # The file's column headers in order (repeats included), for the error file.
    headers = models.JSONField(_("columns"), default=list, blank=True)
    # {column header: field key or null}, as applied (the suggestion with the user's changes).
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    file_name = models.CharField(_("file"), max_length=255)
    # Where the upload is kept, relative to LEADPOOL_IMPORT_DIR; emptied when the job ends.
    stored_file = models.CharField(max_length=255, blank=True, editable=False)
    sheet = models.CharField(_("sheet"), max_length=255, blank=True)
    format = models.CharField(_("format"), max_length=8, blank=True)
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)

    total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    failed_rows = models.PositiveIntegerField(_("failed rows"), default=0)
    resume_after_row = models.PositiveIntegerField(default=0, editable=False)
    # Why a failed job failed, in the user's words (a file that cannot be read …).
    error = models.TextField(_("error"), blank=True)
    undone_count = models.PositiveIntegerField(_("removed by undo"), default=0)
    undo_kept = models.PositiveIntegerField(_("kept by undo (changed since)"), default=0)

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    # Moved by every batch: a running job whose heartbeat stopped has lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="importjob_user")]

    def __str__(self) -> str:
        return f"{self.entity} import {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.UNDONE)


class ImportRowReport(models.Model):
    """What happened to one row that did not simply go in: why it failed, which record
    on file it duplicated, or which record it updated. The error file is made from these."""

    class Outcome(models.TextChoices):
        FAILED = "failed", _("Not imported: invalid")
        SKIPPED = "skipped", _("Not imported: duplicate")
        UPDATED = "updated", _("Updated the record on file")
        DUPLICATE_CREATED = "duplicate_created", _("Created despite a duplicate")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="reports")
    row = models.PositiveIntegerField(_("row"))
    outcome = models.CharField(_("result"), max_length=24, choices=Outcome.choices)
    # {field key: [messages]} for failed rows; {"phone": ["Same phone as lead #12."]} …
    reasons = models.JSONField(_("reasons"), default=dict)
    # The row as read, for the error file (kept for rows that did not go in).
    cells = models.JSONField(default=list, blank=True)
    record_id = models.BigIntegerField(_("record"), null=True, blank=True)

    class Meta:
        verbose_name = _("import row report")
        verbose_name_plural = _("import row reports")
        ordering = ["job", "row"]
        indexes = [models.Index(fields=["job", "outcome", "row"], name="importreport_job")]

    def __str__(self) -> str:
        return f"row {self.row}: {self.outcome}"
