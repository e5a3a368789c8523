"""API: bulk import of people and referrals (upload and check, read, commit)."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from peerbridge.core.access import acting_user, api_policy
from peerbridge.organisations.selectors import access_programme
from peerbridge.referrals import imports, imports_reading, policies
from peerbridge.referrals.models import ImportBatch

router = Router(tags=["imports"])


class ProblemOut(Schema):
    row: int
    column: str
    reason: str


class ImportBatchOut(Schema):
    id: int
    programme_id: int
    filename: str
    status: ImportBatch.Status
    row_count: int
    valid_count: int
    error_row_count: int
    imported_count: int
    created_at: datetime
    committed_at: datetime | None
    errors: list[ProblemOut]
    warnings: list[ProblemOut]
    problems_truncated: bool


class CommitIn(Schema):
    """Say which: importing is not undone, so the choice is never assumed."""

    only_valid_rows: bool


def _out(batch: ImportBatch) -> ImportBatchOut:
    """The batch with its problems (at most MAX_LISTED_PROBLEMS of each kind)."""
    report = imports.batch_report(batch)
    limit = imports.MAX_LISTED_PROBLEMS
    return ImportBatchOut(
        id=batch.pk,
        programme_id=batch.programme_id,
        filename=batch.filename,
        status=ImportBatch.Status(batch.status),
        row_count=batch.row_count,
        valid_count=report.valid_count,
        error_row_count=batch.error_count,
        imported_count=batch.imported_count,
        created_at=batch.created_at,
        committed_at=batch.committed_at,
        errors=[
            ProblemOut(row=p.row, column=p.column, reason=p.reason) for p in report.errors[:limit]
        ],
        warnings=[
            ProblemOut(row=p.row, column=p.column, reason=p.reason) for p in report.warnings[:limit]
        ],
        problems_truncated=len(report.errors) > limit or len(report.warnings) > limit,
    )


@router.post("/programmes/{programme_id}/imports", response={201: ImportBatchOut})
@api_policy(policies.IMPORT_MANAGE)
def upload_import(
    request: HttpRequest,
    programme_id: int,
    file: File[UploadedFile | None] = None,
) -> Status[ImportBatchOut]:
    """Upload a CSV or XLSX file (multipart field "file") and check every row. Nothing is
    imported yet: the answer lists every problem; commit the batch to import it."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.IMPORT_MANAGE
    )
    if file is None:
        raise ValidationError({"file": _("Attach a .csv or .xlsx file as the field 'file'.")})
    if (file.size or 0) > imports_reading.MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _("The file is larger than 20 MB.")})
    batch = imports.import_preview(
        programme=programme,
        uploaded_by=acting_user(request),
        filename=file.name or "",
        data=file.read(),
    )
    return Status(201, _out(batch))


@router.get("/imports/{batch_id}", response=ImportBatchOut)
@api_policy(policies.IMPORT_MANAGE)
def get_import(request: HttpRequest, batch_id: int) -> ImportBatchOut:
    return _out(imports.access_import_batch(user=request.user, batch_id=batch_id))


@router.post("/imports/{batch_id}/commit", response=ImportBatchOut)
@api_policy(policies.IMPORT_MANAGE)
def commit_import(request: HttpRequest, batch_id: int, payload: CommitIn) -> ImportBatchOut:
    """Import the batch: every row, or (with only_valid_rows) the valid ones. When a row
    fails and only_valid_rows is false, nothing is imported and the answer is 422 with
    every problem under fields.rows."""
    batch = imports.access_import_batch(user=request.user, batch_id=batch_id)
    imports.import_commit(
        batch=batch, committed_by=acting_user(request), only_valid_rows=payload.only_valid_rows
    )
    return _out(batch)
