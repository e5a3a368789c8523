"""The resource directory in the Open Referral HSDS 3.0 tabular (CSV) format.

Export writes a ZIP of HSDS CSV files with the standard's column names. A PeerBridge
directory service is one HSDS service flattened: its provider is an organization, its
address a location (with an address and a service_at_location), its phone a phone, its
opening hours a schedule's description, its languages language rows, its area a
service_area, and its needs attributes linking the service to taxonomy terms of the
"peerbridge-needs" taxonomy. A service without a provider is exported as provided by
the PeerBridge organisation itself (and imported back without one).

Import reads the same ZIP, or a single services.csv, checks every row and commits
nothing if any row fails; a dry run stops after the checks. Services are matched by
their HSDS id within the organisation's directory: known ids are updated, new ones
created; services absent from the file are left as they are.
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from peerbridge.core.models import User
from peerbridge.organisations.models import Organisation
from peerbridge.people.models import language_name
from peerbridge.referrals.directory_services import service_create, service_update
from peerbridge.referrals.hsds_reading import (
    COLUMNS,
    Draft,
    Linker,
    RowError,
    read_upload,
)
from peerbridge.referrals.models import DirectoryService, ServiceCategory

# A fixed namespace, so the ids derived for rows (a service's phone, location, ...) are
# the same on every export, and a re-import updates rather than duplicates.
NAMESPACE = uuid.UUID("0b7c3a52-5d0e-4f51-9c1e-3f6a2f4e8d21")
TAXONOMY = "peerbridge-needs"


def _uid(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(part) for part in parts)))


def service_hsds_id(service: DirectoryService) -> str:
    """The service's HSDS id: its own, or (for rows listed before ids were kept) one
    derived from its primary key."""
    return service.hsds_id or _uid("service", service.organisation_id, service.pk)


# ---------------------------------------------------------------------------- export


Tables = dict[str, list[dict[str, str]]]


def _taxonomy_rows(tables: Tables) -> None:
    taxonomy_id = _uid("taxonomy", TAXONOMY)
    tables["taxonomies.csv"].append(
        {"id": taxonomy_id, "name": TAXONOMY, "description": "PeerBridge needs", "version": "1"}
    )
    with translation.override("en"):
        for category in ServiceCategory:
            tables["taxonomy_terms.csv"].append(
                {
                    "id": _uid("taxonomy_term", category.value),
                    "code": category.value,
                    "name": str(category.label),
                    "taxonomy": TAXONOMY,
                    "language": "en",
                    "taxonomy_id": taxonomy_id,
                }
            )


def _organization_id(service: DirectoryService, tables: Tables, seen: set[str]) -> str:
    name = service.provider or service.organisation.name
    organization_id = _uid("organization", service.organisation_id, name.casefold())
    if organization_id not in seen:
        seen.add(organization_id)
        tables["organizations.csv"].append({"id": organization_id, "name": name})
    return organization_id


def _location_rows(service: DirectoryService, sid: str, org_id: str, tables: Tables) -> None:
    location_id = _uid("location", sid)
    tables["locations.csv"].append(
        {
            "id": location_id,
            "location_type": "physical",
            "organization_id": org_id,
            "name": service.name,
        }
    )
    tables["addresses.csv"].append(
        {
            "id": _uid("address", sid),
            "location_id": location_id,
            "address_1": service.address,
            "address_type": "physical",
        }
    )
    tables["service_at_locations.csv"].append(
        {"id": _uid("service_at_location", sid), "service_id": sid, "location_id": location_id}
    )


def _detail_rows(service: DirectoryService, sid: str, tables: Tables) -> None:
    """The service's phone, schedule and area, each a row linked by service_id."""
    if service.phone:
        tables["phones.csv"].append(
            {"id": _uid("phone", sid), "service_id": sid, "number": service.phone, "type": "voice"}
        )
    if service.opening_hours:
        tables["schedules.csv"].append(
            {"id": _uid("schedule", sid), "service_id": sid, "description": service.opening_hours}
        )
    if service.area:
        tables["service_areas.csv"].append(
            {"id": _uid("service_area", sid), "service_id": sid, "name": service.area}
        )


def _list_rows(service: DirectoryService, sid: str, tables: Tables) -> None:
    """A language row per language, an attribute row (to a needs term) per need."""
    for code in service.languages:
        tables["languages.csv"].append(
            {
                "id": _uid("language", sid, code),
                "service_id": sid,
                "name": language_name(code),
                "code": code,
            }
        )
    for category in service.categories:
        tables["attributes.csv"].append(
            {
                "id": _uid("attribute", sid, category),
                "link_id": sid,
                "taxonomy_term_id": _uid("taxonomy_term", category),
                "link_type": "service",
                "link_entity": "service",
            }
        )


def _service_rows(service: DirectoryService, tables: Tables, seen: set[str]) -> None:
    sid = service_hsds_id(service)
    org_id = _organization_id(service, tables, seen)
    tables["services.csv"].append(
        {
            "id": sid,
            "organization_id": org_id,
            "name": service.name,
            "description": service.description,
            "url": service.url,
            "email": service.email,
            "status": "active" if service.is_active else "inactive",
            "eligibility_description": service.eligibility,
            "last_modified": service.updated_at.isoformat(),
        }
    )
    if service.address:
        _location_rows(service, sid, org_id, tables)
    _detail_rows(service, sid, tables)
    _list_rows(service, sid, tables)


def _csv_bytes(columns: Iterable[str], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="raise")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def hsds_export_zip(services: Iterable[DirectoryService]) -> bytes:
    """The services (with their organisation pre-joined) as an HSDS ZIP."""
    tables: Tables = {name: [] for name in COLUMNS}
    _taxonomy_rows(tables)
    seen: set[str] = set()
    for service in services:
        _service_rows(service, tables, seen)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, columns in COLUMNS.items():
            archive.writestr(name, _csv_bytes(columns, tables[name]))
    return buffer.getvalue()


# ------------------------------------------------------------------------ importing


@dataclass(frozen=True)
class PlannedService:
    row: int
    hsds_id: str
    name: str
    action: str  # "create", "update" or "unchanged"
    fields: dict[str, Any] = field(compare=False)
    existing: DirectoryService | None = field(compare=False, default=None)


@dataclass
class HsdsImportReport:
    dry_run: bool
    errors: list[RowError]
    planned: list[PlannedService]
    committed: bool = False

    def count(self, action: str) -> int:
        return sum(1 for item in self.planned if item.action == action)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")


def _action(existing: DirectoryService | None, fields: dict[str, Any]) -> str:
    if existing is None:
        return "create"
    changed = any(getattr(existing, name) != value for name, value in fields.items())
    return "update" if changed else "unchanged"


def _plan(organisation: Organisation, linker: Linker, drafts: list[Draft]) -> list[PlannedService]:
    existing = {
        service_hsds_id(service): service
        for service in DirectoryService.objects.filter(organisation=organisation).order_by("-pk")
    }
    planned = []
    for draft in drafts:
        fields = linker.validate(draft)
        found = existing.get(draft.hsds_id)
        planned.append(
            PlannedService(
                draft.source.row,
                draft.hsds_id,
                fields["name"],
                _action(found, fields),
                fields,
                found,
            )
        )
    return planned


class _Rejected(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("import rejected")
        self.errors = errors


@transaction.atomic
def _commit(organisation: Organisation, planned: list[PlannedService], user: User) -> None:
    for item in planned:
        try:
            if item.existing is None:
                service_create(
                    organisation=organisation, created_by=user, hsds_id=item.hsds_id, **item.fields
                )
            elif item.action == "update":
                service_update(service=item.existing, updated_by=user, **item.fields)
        except ValidationError as error:
            raise _Rejected(
                [RowError("services.csv", item.row, m) for m in error.messages]
            ) from None


def _error_order(error: RowError) -> tuple[int, int]:
    names = list(COLUMNS)
    return (names.index(error.file) if error.file in names else -1, error.row)


def hsds_import(
    *, organisation: Organisation, data: bytes, filename: str, imported_by: User, dry_run: bool
) -> HsdsImportReport:
    """Check an HSDS upload row by row; commit it whole, or not at all."""
    tables, errors = read_upload(data, filename)
    linker = Linker(tables, organisation)
    planned = _plan(organisation, linker, linker.run())
    # One bad organization row may spoil several services: report it once.
    errors = sorted(dict.fromkeys([*errors, *linker.errors]), key=_error_order)
    report = HsdsImportReport(dry_run=dry_run, errors=errors, planned=planned)
    if errors or dry_run:
        return report
    try:
        _commit(organisation, planned, imported_by)
    except _Rejected as rejected:
        report.errors = rejected.errors
        return report
    report.committed = True
    return report
