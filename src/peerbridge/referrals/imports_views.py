"""Pages for bulk import: upload a file (the dry run), see every problem, then import
all rows, only the valid ones, or discard the file."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.organisations.selectors import access_programme
from peerbridge.people.models import Person
from peerbridge.referrals import imports, imports_reading, policies
from peerbridge.referrals.imports_forms import ImportCommitForm, ImportUploadForm
from peerbridge.referrals.models import Enrolment, ImportBatch

PROBLEMS_PER_PAGE = 200
SAMPLE_ROWS = 20


@view_policy(policies.IMPORT_MANAGE)
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.IMPORT_MANAGE
    )
    posted = request.method == "POST"
    form = ImportUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = imports.import_preview(
                programme=programme,
                uploaded_by=acting_user(request),
                filename=upload.name or "",
                data=upload.read(),
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            return redirect("imports:batch_detail", batch_id=batch.pk)
    recent = ImportBatch.objects.filter(programme=programme).select_related("uploaded_by")[:10]
    return render(
        request,
        "referrals/imports/upload.html",
        {
            "programme": programme,
            "form": form,
            "columns": [(name, help_text) for name, help_text in imports_reading.COLUMNS.items()],
            "recent": recent,
        },
        status=422 if posted else 200,
    )


@view_policy(policies.IMPORT_MANAGE)
@require_safe
def template(request: HttpRequest, programme_id: int) -> HttpResponse:
    access_programme(user=request.user, programme_id=programme_id, policy=policies.IMPORT_MANAGE)
    response = HttpResponse(imports_reading.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="peerbridge-import-template.csv"'
    return response


def _sample(row: imports.ImportRow) -> dict[str, object]:
    """What the preview shows of a valid row: never contact details or the reason."""
    person = row.person
    return {
        "row": row.row,
        "name": " ".join(filter(None, [person["given_name"], person["family_name"]])),
        "preferred_name": person["preferred_name"],
        "born": person["date_of_birth"].isoformat()
        if person["date_of_birth"]
        else (Person.AgeBand(person["age_band"]).label if person["age_band"] else ""),
        "languages": ", ".join(person["languages"]),
        "kind": Enrolment.Kind(row.kind).label,
        "priority": Enrolment.Priority(row.priority).label,
        "consent": bool(row.consent_scopes),
    }


@view_policy(policies.IMPORT_MANAGE)
@require_safe
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = imports.access_import_batch(user=request.user, batch_id=batch_id)
    report = imports.batch_report(batch)
    return render(
        request,
        "referrals/imports/detail.html",
        {
            "batch": batch,
            "report": report,
            "errors": Paginator(report.errors, PROBLEMS_PER_PAGE).get_page(request.GET.get("page")),
            "warnings": report.warnings[:PROBLEMS_PER_PAGE],
            "sample": [_sample(row) for row in report.valid[:SAMPLE_ROWS]],
            "is_open": batch.status == ImportBatch.Status.PREVIEWED,
        },
    )


@view_policy(policies.IMPORT_MANAGE)
@require_safe
def errors_csv(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = imports.access_import_batch(user=request.user, batch_id=batch_id)
    report = imports.batch_report(batch)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-problems.csv"'
    writer = csv.writer(response)
    writer.writerow(["row", "column", "severity", "reason"])
    problems = [(p, "error") for p in report.errors] + [(p, "warning") for p in report.warnings]
    for problem, severity in sorted(problems, key=lambda item: item[0].row):
        writer.writerow([problem.row, problem.column, severity, problem.reason])
    return response


@view_policy(policies.IMPORT_MANAGE)
@require_POST
def commit(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = imports.access_import_batch(user=request.user, batch_id=batch_id)
    form = ImportCommitForm(request.POST)
    only_valid_rows = form.is_valid() and bool(form.cleaned_data["only_valid_rows"])
    try:
        imported = imports.import_commit(
            batch=batch, committed_by=acting_user(request), only_valid_rows=only_valid_rows
        )
    except ValidationError as error:
        if "rows" in getattr(error, "error_dict", {}) and not only_valid_rows:
            messages.error(
                request,
                _(
                    "Nothing was imported: some rows have errors. Fix them and upload the "
                    "file again, or import only the valid rows."
                ),
            )
        else:
            messages.error(request, " ".join(error.messages[:3]))
    else:
        messages.success(
            request,
            ngettext("%(n)s person imported.", "%(n)s people imported.", imported)
            % {"n": imported},
        )
    return redirect("imports:batch_detail", batch_id=batch.pk)


@view_policy(policies.IMPORT_MANAGE)
@require_POST
def discard(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = imports.access_import_batch(user=request.user, batch_id=batch_id)
    try:
        imports.import_discard(batch=batch, discarded_by=acting_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("imports:batch_detail", batch_id=batch.pk)
    messages.success(request, _("The file was discarded; nothing from it was imported."))
    return redirect("imports:upload", programme_id=batch.programme_id)
