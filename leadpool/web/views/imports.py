"""The import wizard (导入): upload → preview and column matching → dry run → import →
the job's live progress → summary, error file and undo. And the list of imports.

Every step calls transfer/imports.py, as the API does (transfer/import_api.py). The
upload is kept between steps by web/uploads.py, reachable only from this session.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from leadpool.transfer import imports
from leadpool.transfer.api import file_response
from leadpool.transfer.exports import FORMATS
from leadpool.transfer.models import ImportJob, ImportRowReport
from leadpool.web import uploads
from leadpool.web.transfer_forms import ImportUploadForm, field_choices
from leadpool.web.views.common import login_required

JOBS_SHOWN = 100
ERROR_ROWS_SHOWN = 10
DELIMITERS = {
    ",": gettext_lazy("Comma"),
    ";": gettext_lazy("Semicolon"),
    "\t": gettext_lazy("Tab"),
    "|": gettext_lazy("Vertical bar"),
}


@login_required
def import_list(request):
    jobs = imports.visible_jobs(request.user)[:JOBS_SHOWN]
    return render(request, "web/imports/list.html", {"jobs": jobs})


@login_required
def import_upload(request):
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            token = _store_and_check(request, form)
            if token:
                return redirect("web:import_preview", token)
    else:
        form = ImportUploadForm(user=request.user, initial={"entity": request.GET.get("entity")})
    status = 400 if form.is_bound else 200
    return render(request, "web/imports/upload.html", {"form": form}, status=status)


def _store_and_check(request, form) -> str | None:
    """Keep the upload and read its head once, so a file we cannot read is refused here."""
    uploads.sweep()
    data = form.cleaned_data
    try:
        token = uploads.store(data["file"])
    except ValidationError as error:
        form.add_service_errors(error)
        return None
    try:
        imports.preview_import(
            by=request.user, source=uploads.path_of(token), entity=data["entity"]
        )
    except ValidationError as error:
        uploads.path_of(token).unlink(missing_ok=True)
        form.add_service_errors(error)
        return None
    uploads.remember(
        request.session,
        token,
        {
            "file_name": data["file"].name[:255],
            "entity": data["entity"],
            "pool": data["pool"],
            "owner": data["owner"],
            "dedupe": data["dedupe"],
            "match_on": data["match_on"],
        },
    )
    return token


def _entry(request, token: str) -> dict:
    entry = uploads.entry_of(request.session, token)
    if entry is None:
        raise Http404(_("This upload has expired or is not yours; upload the file again."))
    return entry


@login_required
def import_preview(request, token):
    """The file as read (encoding, delimiter, sheet, first rows) and its column matching;
    posting it starts the dry run or the import."""
    entry = _entry(request, token)
    source = request.POST if request.method == "POST" else request.GET
    sheet = source.get("sheet") or entry.get("sheet") or None
    # A saved mapping belongs to the sheet it was made on.
    saved = entry.get("mapping") if sheet == entry.get("sheet") else None
    errors: dict = {}
    try:
        preview = _preview(request, token, entry, sheet, saved)
    except ValidationError as error:
        # A sheet that is not in the file (or a mapping of another sheet): say so, and
        # show the first sheet as the suggestion reads it.
        errors = error.message_dict
        try:
            preview = _preview(request, token, entry, None, None)
        except ValidationError:
            raise Http404(" ".join(error.messages)) from None
    headers = list(preview["mapping"])  # each header once, in file order
    mapping = preview["mapping"]
    if request.method == "POST":
        action = request.POST.get("action")
        if request.POST.get("use_saved") and entry.get("mapping") is not None:
            mapping = entry["mapping"]
        else:
            mapping = {
                header: request.POST.get(f"column_{index}") or None
                for index, header in enumerate(headers)
            }
        try:
            job = _start(request, token, entry, mapping, preview["sheet"], action)
        except ValidationError as error:
            errors = error.message_dict
        else:
            return redirect("web:import_job", job.pk)
    columns = [
        {
            "index": index,
            "header": header,
            "field": mapping.get(header) or "",
            "samples": [
                row[position]
                for row in preview["rows"][:3]
                if position < len(row) and row[position]
            ],
        }
        for index, header in enumerate(headers)
        for position in [preview["headers"].index(header)]
    ]
    context = {
        "token": token,
        "entry": entry,
        "preview": preview,
        "columns": columns,
        "choices": field_choices(entry["entity"]),
        "errors": errors,
        "delimiter": DELIMITERS.get(preview["delimiter"], preview["delimiter"]),
    }
    return render(request, "web/imports/preview.html", context, status=400 if errors else 200)


def _preview(request, token: str, entry: dict, sheet, mapping) -> dict:
    return imports.preview_import(
        by=request.user,
        source=uploads.path_of(token),
        entity=entry["entity"],
        sheet=sheet,
        mapping=mapping,
    )


def _start(request, token: str, entry: dict, mapping: dict, sheet, action) -> ImportJob:
    if action not in ("dry_run", "import"):
        raise ValidationError({"action": [_("Choose a dry run or the import.")]})
    dry_run = action == "dry_run"
    job = imports.start_import(
        by=request.user,
        source=uploads.path_of(token),
        file_name=entry["file_name"],
        entity=entry["entity"],
        pool=entry["pool"],
        owner=entry["owner"],
        mapping=mapping,
        dedupe=entry["dedupe"],
        match_on=entry["match_on"],
        dry_run=dry_run,
        sheet=sheet,
    )
    if dry_run:
        uploads.update(request.session, token, mapping=mapping, sheet=sheet, dry_run_job=job.pk)
    else:
        # The job keeps its own copy until it ends; the wizard's is no longer needed.
        uploads.forget(request.session, token)
    return job


def _job(request, pk) -> ImportJob:
    return get_object_or_404(imports.visible_jobs(request.user), pk=pk)


@login_required
def import_job(request, pk):
    """The job's progress (polled every second while it runs), then its summary."""
    job = _job(request, pk)
    context = {
        "job": job,
        "percent": int(100 * job.processed / job.total) if job.total else 0,
        "error_rows": [],
        "wizard": None,
    }
    if job.is_finished:
        not_imported = (ImportRowReport.Outcome.FAILED, ImportRowReport.Outcome.SKIPPED)
        context["error_rows"] = rows = list(imports.reports(job, not_imported)[:ERROR_ROWS_SHOWN])
        labels = {**dict(field_choices(job.entity)), "duplicate": _("Duplicate")}
        for report in rows:
            report.reason_text = "; ".join(
                f"{labels.get(field, field)}: {message}"
                for field, problems in report.reasons.items()
                for message in problems
            )
        if job.dry_run and job.user_id == request.user.pk:
            context["wizard"] = uploads.token_for_dry_run(request.session, job.pk)
    if request.htmx:
        return render(request, "web/imports/_job.html", context)
    return render(request, "web/imports/job.html", context)


@login_required
def import_errors(request, pk):
    job = _job(request, pk)
    format = request.GET.get("format") or "csv"
    if format not in FORMATS:
        raise Http404(_("No such file format."))
    return file_response(imports.error_file(job, format))


@login_required
@require_POST
def import_undo(request, pk):
    job = _job(request, pk)
    try:
        job = imports.undo_import(job=job, by=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(
            request,
            ngettext(
                "Undone: %(removed)d record is in the recycle bin; %(kept)d changed since, kept.",
                "Undone: %(removed)d records are in the recycle bin; %(kept)d changed since, kept.",
                job.undone_count,
            )
            % {"removed": job.undone_count, "kept": job.undo_kept},
        )
    return redirect("web:import_job", job.pk)
