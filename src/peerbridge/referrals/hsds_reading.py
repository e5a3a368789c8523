"""Reading Open Referral HSDS 3.0 tables (CSV) and joining them into PeerBridge's
flattened directory services, noting every bad row with its file and row number.

The column names are HSDS's own; see hsds.py for how a directory service maps onto
them."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from peerbridge.organisations.models import Organisation
from peerbridge.people.models import is_language_code
from peerbridge.referrals.models import DirectoryService, ServiceCategory

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 100_000


def _cols(names: str) -> tuple[str, ...]:
    return tuple(names.split(","))


COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations.csv": _cols(
        "id,name,alternate_name,description,email,website,tax_status,tax_id,"
        "year_incorporated,legal_status,logo,uri,parent_organization_id"
    ),
    "services.csv": _cols(
        "id,organization_id,program_id,name,alternate_name,description,url,email,status,"
        "interpretation_services,application_process,fees_description,wait_time,fees,"
        "accreditations,eligibility_description,minimum_age,maximum_age,assured_date,"
        "assurer_email,licenses,alert,last_modified"
    ),
    "locations.csv": _cols(
        "id,location_type,url,organization_id,name,alternate_name,description,"
        "transportation,latitude,longitude,external_identifier,external_identifier_type"
    ),
    "addresses.csv": _cols(
        "id,location_id,attention,address_1,address_2,city,region,state_province,"
        "postal_code,country,address_type"
    ),
    "service_at_locations.csv": ("id", "service_id", "location_id", "description"),
    "phones.csv": _cols(
        "id,location_id,service_id,organization_id,contact_id,service_at_location_id,"
        "number,extension,type,description"
    ),
    "schedules.csv": _cols(
        "id,service_id,location_id,service_at_location_id,valid_from,valid_to,dtstart,"
        "timezone,until,count,wkst,freq,interval,byday,byweekno,bymonthday,byyearday,"
        "description,opens_at,closes_at,schedule_link,attending_type,notes"
    ),
    "languages.csv": ("id", "service_id", "location_id", "phone_id", "name", "code", "note"),
    "service_areas.csv": _cols(
        "id,service_id,service_at_location_id,name,description,extent,extent_type,uri"
    ),
    "taxonomies.csv": ("id", "name", "description", "uri", "version"),
    "taxonomy_terms.csv": _cols(
        "id,code,name,description,parent_id,taxonomy,language,taxonomy_id,term_uri"
    ),
    "attributes.csv": _cols("id,link_id,taxonomy_term_id,link_type,link_entity,value,label"),
}
# Columns an imported file must have (the rest may be missing).
REQUIRED: dict[str, tuple[str, ...]] = {
    "organizations.csv": ("id", "name"),
    "services.csv": ("id", "name"),
    "locations.csv": ("id",),
    "addresses.csv": ("id", "location_id"),
    "service_at_locations.csv": ("id", "service_id", "location_id"),
    "phones.csv": ("id", "number"),
    "schedules.csv": ("id",),
    "languages.csv": ("id", "code"),
    "service_areas.csv": ("id",),
    "taxonomies.csv": ("id",),
    "taxonomy_terms.csv": ("id",),
    "attributes.csv": ("id", "link_id", "taxonomy_term_id"),
}
# Some HSDS publishers name the files in the singular.
ALIASES = {
    "organization.csv": "organizations.csv",
    "service.csv": "services.csv",
    "location.csv": "locations.csv",
    "address.csv": "addresses.csv",
    "service_at_location.csv": "service_at_locations.csv",
    "phone.csv": "phones.csv",
    "schedule.csv": "schedules.csv",
    "language.csv": "languages.csv",
    "service_area.csv": "service_areas.csv",
    "taxonomy.csv": "taxonomies.csv",
    "taxonomy_term.csv": "taxonomy_terms.csv",
    "attribute.csv": "attributes.csv",
}
ACTIVE_STATUSES = {"", "active"}
KNOWN_STATUSES = {"active", "inactive", "defunct", "temporarily closed"}


# ------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class RowError:
    """One bad row: row 1 is the header, row 2 the first data row; row 0 the whole file."""

    file: str
    row: int
    message: str

    @property
    def key(self) -> str:
        return f"{self.file}:{self.row}"


@dataclass(frozen=True)
class SourceRow:
    file: str
    row: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


SourceTables = dict[str, list[SourceRow]]


def _header_problem(name: str, header: list[str]) -> str | None:
    if not any(header):
        return _("The file has no header row.")
    duplicates = sorted({column for column in header if header.count(column) > 1})
    if duplicates:
        return _("Columns named twice: %(columns)s.") % {"columns": ", ".join(duplicates)}
    missing = [column for column in REQUIRED[name] if column not in header]
    if missing:
        return _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}
    return None


def _row_values(header: list[str], cells: list[str]) -> dict[str, str] | str:
    if len(cells) > len(header):
        return _("This row has more cells than the header has columns.")
    values = {column: cells[i].strip() if i < len(cells) else "" for i, column in enumerate(header)}
    if any("\x00" in value for value in values.values()):
        return _("This row contains a NUL character.")
    return values


def _records(
    label: str, header: list[str], reader: Iterator[list[str]]
) -> tuple[list[SourceRow], list[RowError]]:
    rows: list[SourceRow] = []
    errors: list[RowError] = []
    number = 1
    try:
        for number, cells in enumerate(reader, start=2):
            if number > MAX_ROWS + 1:
                errors.append(RowError(label, number, _("Too many rows in one file.")))
                break
            if not any(cell.strip() for cell in cells):
                continue
            values = _row_values(header, cells)
            if isinstance(values, str):
                errors.append(RowError(label, number, values))
            else:
                rows.append(SourceRow(label, number, values))
    except csv.Error as error:
        errors.append(RowError(label, number + 1, _("Not readable as CSV: %s") % error))
    return rows, errors


def read_table(name: str, label: str, raw: bytes) -> tuple[list[SourceRow], list[RowError]]:
    """Rows of one CSV file (`name` is its HSDS name, `label` what to call it)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowError(label, 0, _("The file is not UTF-8 text."))]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip().lower() for column in next(reader, [])]
    except csv.Error as error:
        return [], [RowError(label, 1, _("Not readable as CSV: %s") % error)]
    problem = _header_problem(name, header)
    if problem:
        return [], [RowError(label, 1, problem)]
    return _records(label, header, reader)


def _zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, room: int) -> bytes | None:
    """The member's bytes, or None when they pass the room left (read with a cap,
    since a ZIP's stated sizes may lie)."""
    with archive.open(info) as handle:
        raw = handle.read(room + 1)
    return None if len(raw) > room else raw


def _read_zip(data: bytes, label: str) -> tuple[SourceTables, list[RowError]]:
    tables: SourceTables = {}
    errors: list[RowError] = []
    room = MAX_UNPACKED_BYTES
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        for info in archive.infolist():
            base = info.filename.rsplit("/", 1)[-1].lower()
            name = ALIASES.get(base, base)
            if info.is_dir() or name not in COLUMNS:
                continue  # other files (datapackage.json, unused tables) are not read
            if name in tables:
                errors.append(RowError(name, 0, _("The ZIP holds this table twice.")))
                continue
            raw = _zip_member(archive, info, room)
            if raw is None:
                return {}, [RowError(name, 0, _("The ZIP unpacks to too much data."))]
            room -= len(raw)
            tables[name], found = read_table(name, name, raw)
            errors.extend(found)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, ValueError, OSError):
        return {}, [RowError(label, 0, _("The ZIP file cannot be read."))]
    if "services.csv" not in tables:
        errors.append(RowError(label, 0, _("The ZIP has no services.csv.")))
    return tables, errors


def read_upload(data: bytes, filename: str) -> tuple[SourceTables, list[RowError]]:
    """An HSDS ZIP, or a single CSV file read as services.csv."""
    label = filename.rsplit("/", 1)[-1] or "services.csv"
    if len(data) > MAX_UPLOAD_BYTES:
        return {}, [RowError(label, 0, _("The file is too large."))]
    if data.startswith(b"PK\x03\x04") or label.lower().endswith(".zip"):
        return _read_zip(data, label)
    rows, errors = read_table("services.csv", label, data)
    return {"services.csv": rows}, errors


# ------------------------------------------------------------------------ linking

# The HSDS column each service field is read from, to name it in error reports.
FIELD_COLUMNS = {
    "hsds_id": "id",
    "eligibility": "eligibility_description",
    "is_active": "status",
    "address": "address_1",
    "phone": "number",
    "opening_hours": "description",
    "languages": "code",
    "area": "name",
    "categories": "taxonomy_term_id",
}
ADDRESS_COLUMNS = (
    "address_1",
    "address_2",
    "city",
    "region",
    "state_province",
    "postal_code",
    "country",
)
LIST_FIELDS = ("categories", "languages", "opening_hours", "area")


@dataclass
class Draft:
    """One service as the files describe it, with the row each field came from."""

    source: SourceRow
    hsds_id: str
    fields: dict[str, Any]
    origins: dict[str, SourceRow] = field(default_factory=dict)

    def first(self, name: str, value: str, row: SourceRow) -> None:
        """Keep the first value the files give (one phone, one address)."""
        if value and not self.fields[name]:
            self.fields[name] = value
            self.origins[name] = row

    def add(self, name: str, value: str, row: SourceRow) -> None:
        if value and value not in self.fields[name]:
            self.fields[name].append(value)
            self.origins.setdefault(name, row)

    def finished(self) -> dict[str, Any]:
        fields = dict(self.fields)
        fields["categories"] = fields["categories"] or [ServiceCategory.OTHER.value]
        fields["opening_hours"] = "; ".join(fields["opening_hours"])
        fields["area"] = ", ".join(fields["area"])
        return fields


class Linker:
    """Joins the HSDS tables into flattened services, noting every bad row."""

    def __init__(self, tables: SourceTables, organisation: Organisation) -> None:
        self.tables = tables
        self.organisation = organisation
        self.errors: list[RowError] = []
        self.drafts: dict[str, Draft] = {}
        self.locations: set[str] = set()
        self.location_services: dict[str, list[str]] = {}
        self.at_location: dict[str, str] = {}
        self.terms: dict[str, str | None] = {}

    def fail(self, row: SourceRow, message: str) -> None:
        self.errors.append(RowError(row.file, row.row, message))

    def unique(self, name: str) -> list[SourceRow]:
        """The table's rows with an id, each id once."""
        seen: dict[str, int] = {}
        kept = []
        for row in self.tables.get(name, []):
            row_id = row.get("id")
            if not row_id:
                self.fail(row, _("id: every row needs an id."))
            elif row_id in seen:
                self.fail(
                    row,
                    _("id: %(id)s is also on row %(row)s.") % {"id": row_id, "row": seen[row_id]},
                )
            else:
                seen[row_id] = row.row
                kept.append(row)
        return kept

    def run(self) -> list[Draft]:
        self._services(self._organizations())
        self._locations()
        self._addresses()
        self._terms()
        self._attributes()
        self._phones()
        self._schedules()
        self._languages()
        self._areas()
        return list(self.drafts.values())

    def _organizations(self) -> dict[str, SourceRow]:
        providers = {}
        for row in self.unique("organizations.csv"):
            if not row.get("name"):
                self.fail(row, _("name: every organization needs a name."))
            providers[row.get("id")] = row
        return providers

    def _provider(self, row: SourceRow, providers: dict[str, SourceRow]) -> str:
        organization_id = row.get("organization_id")
        if organization_id in providers:
            name = providers[organization_id].get("name")
            return "" if name == self.organisation.name else name
        if organization_id and "organizations.csv" in self.tables:
            self.fail(
                row,
                _("organization_id: %(id)s is not in organizations.csv.") % {"id": organization_id},
            )
        return ""

    def _services(self, providers: dict[str, SourceRow]) -> None:
        for row in self.unique("services.csv"):
            status = row.get("status").lower()
            if status and status not in KNOWN_STATUSES:
                self.fail(row, _("status: use active, inactive, defunct or temporarily closed."))
            draft = Draft(
                row,
                row.get("id"),
                {
                    "name": row.get("name"),
                    "description": row.get("description"),
                    "url": row.get("url"),
                    "email": row.get("email"),
                    "eligibility": row.get("eligibility_description"),
                    "is_active": status in ACTIVE_STATUSES,
                    "provider": self._provider(row, providers),
                    "address": "",
                    "phone": "",
                    **{name: [] for name in LIST_FIELDS},
                },
            )
            if row.get("organization_id") in providers:
                draft.origins["provider"] = providers[row.get("organization_id")]
            self.drafts[draft.hsds_id] = draft

    def _known_service(self, row: SourceRow, service_id: str, column: str = "service_id") -> bool:
        if service_id in self.drafts:
            return True
        self.fail(
            row,
            _("%(column)s: %(id)s is not in services.csv.") % {"column": column, "id": service_id},
        )
        return False

    def _locations(self) -> None:
        self.locations = {row.get("id") for row in self.unique("locations.csv")}
        for row in self.unique("service_at_locations.csv"):
            service_id, location_id = row.get("service_id"), row.get("location_id")
            if not self._known_service(row, service_id):
                continue
            if location_id not in self.locations:
                self.fail(
                    row, _("location_id: %(id)s is not in locations.csv.") % {"id": location_id}
                )
                continue
            self.at_location[row.get("id")] = service_id
            self.location_services.setdefault(location_id, []).append(service_id)

    def _addresses(self) -> None:
        for row in self.unique("addresses.csv"):
            location_id = row.get("location_id")
            if location_id not in self.locations:
                self.fail(
                    row, _("location_id: %(id)s is not in locations.csv.") % {"id": location_id}
                )
                continue
            address = ", ".join(row.get(column) for column in ADDRESS_COLUMNS if row.get(column))
            for service_id in self.location_services.get(location_id, []):
                self.drafts[service_id].first("address", address, row)

    def _targets(self, row: SourceRow) -> list[str]:
        """The services a phone, schedule, language or area row belongs to."""
        if row.get("service_id"):
            return (
                [row.get("service_id")] if self._known_service(row, row.get("service_id")) else []
            )
        at_location = row.get("service_at_location_id")
        if at_location:
            if at_location not in self.at_location:
                self.fail(
                    row,
                    _("service_at_location_id: %(id)s is not in service_at_locations.csv.")
                    % {"id": at_location},
                )
                return []
            return [self.at_location[at_location]]
        return self.location_services.get(row.get("location_id"), [])

    def _terms(self) -> None:
        with translation.override("en"):
            labels = {str(c.label).casefold(): c.value for c in ServiceCategory}
        for row in self.unique("taxonomy_terms.csv"):
            code = row.get("code").lower()
            found = (
                code if code in ServiceCategory.values else labels.get(row.get("name").casefold())
            )
            self.terms[row.get("id")] = found

    def _attributes(self) -> None:
        for row in self.unique("attributes.csv"):
            if (row.get("link_entity") or "service") != "service":
                continue
            term_id = row.get("taxonomy_term_id")
            if term_id not in self.terms:
                self.fail(
                    row,
                    _("taxonomy_term_id: %(id)s is not in taxonomy_terms.csv.") % {"id": term_id},
                )
            elif self._known_service(row, row.get("link_id"), "link_id") and self.terms[term_id]:
                self.drafts[row.get("link_id")].add("categories", self.terms[term_id] or "", row)

    def _phones(self) -> None:
        for row in self.unique("phones.csv"):
            number = row.get("number")
            if row.get("extension"):
                number = f"{number} ext. {row.get('extension')}"
            if not row.get("number"):
                self.fail(row, _("number: every phone needs a number."))
                continue
            for service_id in self._targets(row):
                self.drafts[service_id].first("phone", number, row)

    def _schedules(self) -> None:
        for row in self.unique("schedules.csv"):
            hours = row.get("description")
            if not hours and row.get("opens_at"):
                hours = " ".join(
                    part
                    for part in (row.get("byday"), row.get("opens_at"), "-", row.get("closes_at"))
                    if part
                )
            for service_id in self._targets(row):
                self.drafts[service_id].add("opening_hours", hours, row)

    def _languages(self) -> None:
        for row in self.unique("languages.csv"):
            code = row.get("code").lower()
            if not is_language_code(code):
                self.fail(
                    row,
                    _("code: %(code)s is not an ISO 639 language code.")
                    % {"code": row.get("code")},
                )
                continue
            for service_id in self._targets(row):
                self.drafts[service_id].add("languages", code, row)

    def _areas(self) -> None:
        for row in self.unique("service_areas.csv"):
            area = row.get("name") or row.get("description")
            for service_id in self._targets(row):
                self.drafts[service_id].add("area", area, row)

    def validate(self, draft: Draft) -> dict[str, Any]:
        """The service's fields, checked by the model's own rules."""
        fields = draft.finished()
        candidate = DirectoryService(
            organisation=self.organisation, hsds_id=draft.hsds_id, **fields
        )
        try:
            candidate.full_clean()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                row = draft.origins.get(name, draft.source)
                column = FIELD_COLUMNS.get(name, name)
                for message in messages:
                    self.fail(row, f"{column}: {message}")
        return fields
