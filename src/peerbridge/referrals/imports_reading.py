"""Reading an uploaded CSV or XLSX file into numbered rows under known columns.

Nothing here touches the database: `imports.py` checks the rows and commits them.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The columns a file may have (header names are case-insensitive; spaces and hyphens
# count as underscores). Shown on the upload page and in the template CSV.
COLUMNS: dict[str, Promise] = {
    "given_name": gettext_lazy("Required. The person's given (first) name."),
    "family_name": gettext_lazy("Family name."),
    "preferred_name": gettext_lazy("The name they like to be called."),
    "date_of_birth": gettext_lazy("YYYY-MM-DD, for example 1984-03-21 (or an Excel date)."),
    "age_band": gettext_lazy(
        "When the date of birth is not known: under_18, 18_24, 25_34, 35_44, 45_54, "
        "55_64, 65_74 or 75_plus."
    ),
    "gender": gettext_lazy("woman, man, non_binary, self_described or not_said."),
    "languages": gettext_lazy(
        "ISO 639 codes, the preferred first, separated by ; or spaces (for example es;en)."
    ),
    "area": gettext_lazy("Postcode or area."),
    "phone": gettext_lazy("Phone number. Each row needs a phone number or an email address."),
    "email": gettext_lazy("Email address."),
    "preferred_channels": gettext_lazy(
        "How they would like to be contacted: phone, sms, email, separated by ;."
    ),
    "kind": gettext_lazy("patient (the default) or caregiver."),
    "priority": gettext_lazy("routine (the default), soon or urgent."),
    "referrer_organisation": gettext_lazy("The service that referred them."),
    "referral_reason": gettext_lazy("Why they were referred (kept encrypted)."),
    "consent_contact": gettext_lazy(
        "yes when the person agreed to be contacted on their preferred channels "
        "(recorded as written consent); no or empty otherwise."
    ),
}
REQUIRED_COLUMNS = ("given_name",)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
# An .xlsx is a zip: refuse one that would unpack to far more than any real sheet.
MAX_XLSX_UNPACKED_BYTES = 400 * 1024 * 1024


@dataclass
class UploadedRows:
    """A file's header (normalised column names) and its data rows, numbered as the user
    sees them. Blank rows are skipped but keep their numbers."""

    columns: list[str]
    rows: list[tuple[int, list[str]]]


# --- Reading files -------------------------------------------------------------------


def read_rows(filename: str, data: bytes) -> UploadedRows:
    """The rows of an uploaded CSV (UTF-8, with or without BOM, comma or semicolon
    separated) or XLSX file (its first sheet). A file that cannot be read, or whose
    header lacks required columns or names unknown ones, is a ValidationError on "file"."""
    if not data:
        raise _file_error(_("The file is empty."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise _file_error(
            _("The file is larger than %(mb)s MB: split it into smaller files.")
            % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".csv":
        return _read_csv(data)
    if suffix == ".xlsx":
        return _read_xlsx(data)
    raise _file_error(_("Upload a .csv or .xlsx file."))


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": message})


def _read_csv(data: bytes) -> UploadedRows:
    if b"\x00" in data:
        raise _file_error(
            _("The file contains NUL characters, so it is not CSV text: save it as CSV UTF-8.")
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error(_("The file is not UTF-8 text: save it as CSV UTF-8.")) from None
    return parse_csv_text(text)


def parse_csv_text(text: str) -> UploadedRows:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    # strict: an unclosed quote is an error, not the rest of the file in one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        return _collect(reader)
    except csv.Error:
        raise _file_error(
            _("The file could not be read as CSV (check for an unclosed quote).")
        ) from None


def _read_xlsx(data: bytes) -> UploadedRows:
    # openpyxl is imported here: only uploads of workbooks pay for loading it.
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_XLSX_UNPACKED_BYTES:
            raise _file_error(_("The workbook is too large: split it into smaller files."))
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ValidationError:
        raise
    except Exception:  # any malformed workbook: the parser's many exception types
        raise _file_error(_("The file is not a valid Excel (.xlsx) workbook.")) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise _file_error(_("The workbook has no sheet."))
        rows = (
            [_cell_text(value) for value in values] for values in sheet.iter_rows(values_only=True)
        )
        return _collect(rows)
    except ValidationError:
        raise
    except Exception:  # a sheet that breaks the parser half way
        raise _file_error(_("The file is not a valid Excel (.xlsx) workbook.")) from None
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """Excel cells as the text a CSV would hold: dates as YYYY-MM-DD, whole numbers
    (phone numbers typed as numbers) without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _collect(records: Any) -> UploadedRows:
    iterator = iter(records)
    header = next(iterator, None)
    if header is not None and not any(cell.strip() for cell in header):
        raise _file_error(_("The first row must name the columns (given_name, phone, ...)."))
    if header is None:
        raise _file_error(_("The file is empty."))
    columns = [_normalise_header(cell) for cell in header]
    while columns and not columns[-1]:
        columns.pop()
    _check_header(columns)
    rows: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(iterator, start=2):
        if not any(cell.strip() for cell in cells):
            if number > 2 * MAX_ROWS:  # a sheet of endless empty rows
                raise _file_error(_("The file has too many empty rows."))
            continue
        if len(rows) >= MAX_ROWS:
            raise _file_error(
                _("The file has more than %(n)s rows: split it into smaller files.")
                % {"n": f"{MAX_ROWS:,}"}
            )
        if any("\x00" in cell for cell in cells):
            raise _file_error(_("The file contains NUL characters."))
        rows.append((number, cells))
    if not rows:
        raise _file_error(_("The file has a header but no rows to import."))
    return UploadedRows(columns=columns, rows=rows)


def _check_header(columns: list[str]) -> None:
    unknown = [(name[:40] or "(blank)") for name in columns if name not in COLUMNS][:10]
    if unknown:
        raise _file_error(
            _("Unknown columns: %(unknown)s. The columns are: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(COLUMNS)}
        )
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        raise _file_error(
            _("Columns named more than once: %(names)s.") % {"names": ", ".join(repeated)}
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise _file_error(
            _("The header lacks the required columns: %(names)s.") % {"names": ", ".join(missing)}
        )
    if "phone" not in columns and "email" not in columns:
        raise _file_error(_("The file needs a phone or an email column (or both)."))


def rows_as_csv(rows: UploadedRows, *, keep: set[int] | None = None) -> str:
    """CSV text of the rows (all, or those numbered in `keep`). Rows left out become
    blank lines, so every row keeps the number the user saw."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows.columns)
    line = 2
    for number, cells in rows.rows:
        out.write("\n" * (number - line))
        if keep is None or number in keep:
            writer.writerow(cells)
        else:
            out.write("\n")
        line = number + 1
    return out.getvalue()


def template_csv() -> str:
    return ",".join(COLUMNS) + "\n"
