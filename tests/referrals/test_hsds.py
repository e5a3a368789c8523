"""Open Referral HSDS import and export: the round trip keeps every service as it was;
every bad row is reported by file and row number, and a file with any bad row commits
nothing."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest

from peerbridge.core.models import AuditEvent
from peerbridge.organisations.models import Organisation
from peerbridge.referrals.hsds import hsds_export_zip, hsds_import, service_hsds_id
from peerbridge.referrals.hsds_reading import COLUMNS
from peerbridge.referrals.models import DirectoryService
from tests.conftest import client_for, persona_user
from tests.referrals.directory_world import bridges, make_service

pytestmark = pytest.mark.django_db

COMPARED = [
    "name",
    "provider",
    "description",
    "categories",
    "eligibility",
    "languages",
    "area",
    "address",
    "opening_hours",
    "phone",
    "email",
    "url",
    "is_active",
]


def _coordinator() -> Any:
    return persona_user("coordinator")


def _snapshot(services: Any) -> dict[str, dict[str, Any]]:
    return {service_hsds_id(s): {name: getattr(s, name) for name in COMPARED} for s in services}


@pytest.fixture
def source() -> Organisation:
    """An organisation with a varied directory, the export's source."""
    organisation = Organisation.objects.create(name="Source Network", slug="source-network")
    make_service(
        organisation=organisation,
        name="Casa Segura, housing advice",
        provider="Casa Segura Trust",
        description='Help with rent arrears, "section 21" notices\nand moving home.',
        categories=["housing", "legal"],
        eligibility="Adults living in Riverside",
        languages=["es", "en"],
        area="Riverside",
        address="12 Mill Lane, Riverside RV1 2AB",
        opening_hours="Mon-Fri 09:00-17:00; Sat 10:00-12:00",
        phone="+44 20 7946 0018",
        email="help@casa-segura.example",
        url="https://casa-segura.example/advice",
    )
    make_service(
        organisation=organisation,
        name="Our own peer café",
        categories=["social"],
        languages=[],
        area="",
    )
    retired = make_service(
        organisation=organisation, name="Closed pantry", provider="Casa Segura Trust"
    )
    retired.is_active = False
    retired.save()
    legacy = make_service(organisation=organisation, name="Listed before ids were kept")
    DirectoryService.objects.filter(pk=legacy.pk).update(hsds_id="")
    return organisation


def _tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))
            for name in archive.namelist()
        }


def _zip(tables: dict[str, list[dict[str, str]]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in tables.items():
            out = io.StringIO()
            columns = list(rows[0]) if rows else list(COLUMNS[name])
            writer = csv.DictWriter(out, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
            archive.writestr(name, out.getvalue())
    return buffer.getvalue()


def _export(organisation: Organisation) -> bytes:
    services = DirectoryService.objects.filter(organisation=organisation).select_related(
        "organisation"
    )
    return hsds_export_zip(services)


def test_export_writes_the_hsds_tables_with_their_column_names(source: Organisation) -> None:
    tables = _tables(_export(source))
    assert set(tables) == set(COLUMNS)
    with zipfile.ZipFile(io.BytesIO(_export(source))) as archive:
        header = archive.read("services.csv").decode().splitlines()[0]
    assert header.startswith("id,organization_id,program_id,name,alternate_name,description")
    assert len(tables["services.csv"]) == 4
    assert {row["status"] for row in tables["services.csv"]} == {"active", "inactive"}
    organizations = {row["name"] for row in tables["organizations.csv"]}
    assert organizations == {"Casa Segura Trust", "Source Network"}
    casa = next(r for r in tables["services.csv"] if r["name"].startswith("Casa"))
    assert {r["code"] for r in tables["languages.csv"] if r["service_id"] == casa["id"]} == {
        "es",
        "en",
    }
    schedule = next(r for r in tables["schedules.csv"] if r["service_id"] == casa["id"])
    assert schedule["description"] == "Mon-Fri 09:00-17:00; Sat 10:00-12:00"
    assert len(tables["taxonomy_terms.csv"]) == 14


def test_round_trip_export_then_import_gives_the_same_services(source: Organisation) -> None:
    expected = _snapshot(DirectoryService.objects.filter(organisation=source))
    exported = _export(source)
    DirectoryService.objects.filter(organisation=source).delete()
    report = hsds_import(
        organisation=source,
        data=exported,
        filename="directory.zip",
        imported_by=_coordinator(),
        dry_run=False,
    )
    assert report.errors == [] and report.committed
    assert report.created == 4
    assert _snapshot(DirectoryService.objects.filter(organisation=source)) == expected


def test_into_another_organisation_the_source_becomes_the_provider(source: Organisation) -> None:
    target = Organisation.objects.create(name="Target Network", slug="target-network")
    report = hsds_import(
        organisation=target,
        data=_export(source),
        filename="directory.zip",
        imported_by=_coordinator(),
        dry_run=False,
    )
    assert report.errors == [] and report.created == 4
    expected = _snapshot(DirectoryService.objects.filter(organisation=source))
    for fields in expected.values():
        fields["provider"] = fields["provider"] or "Source Network"
    assert _snapshot(DirectoryService.objects.filter(organisation=target)) == expected


def test_re_importing_an_export_changes_nothing(source: Organisation) -> None:
    before = _snapshot(DirectoryService.objects.filter(organisation=source))
    count = DirectoryService.objects.count()
    report = hsds_import(
        organisation=source,
        data=_export(source),
        filename="directory.zip",
        imported_by=_coordinator(),
        dry_run=False,
    )
    assert report.errors == [] and (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert DirectoryService.objects.count() == count
    assert _snapshot(DirectoryService.objects.filter(organisation=source)) == before


def test_import_updates_services_by_their_hsds_id(source: Organisation) -> None:
    tables = _tables(_export(source))
    casa = next(r for r in tables["services.csv"] if r["name"].startswith("Casa"))
    casa["name"] = "Casa Segura (renamed)"
    report = hsds_import(
        organisation=source,
        data=_zip(tables),
        filename="directory.zip",
        imported_by=_coordinator(),
        dry_run=False,
    )
    assert (report.created, report.updated) == (0, 1)
    service = DirectoryService.objects.get(organisation=source, hsds_id=casa["id"])
    assert service.name == "Casa Segura (renamed)"
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE,
        object_type="referrals.directoryservice",
        object_id=str(service.pk),
    ).exists()


def test_a_dry_run_reports_the_plan_and_commits_nothing(source: Organisation) -> None:
    target = Organisation.objects.create(name="Dry Network", slug="dry-network")
    report = hsds_import(
        organisation=target,
        data=_export(source),
        filename="directory.zip",
        imported_by=_coordinator(),
        dry_run=True,
    )
    assert report.errors == [] and not report.committed
    assert [p.action for p in report.planned] == ["create"] * 4
    assert not DirectoryService.objects.filter(organisation=target).exists()


def _plant_bad_rows(tables: dict[str, list[dict[str, str]]]) -> None:
    services = tables["services.csv"]
    services[1]["name"] = ""  # row 3
    services[2]["status"] = "sometimes"  # row 4
    services[3]["email"] = "not an email"  # row 5
    services.append({**services[0], "id": services[0]["id"]})  # row 6: id twice
    tables["phones.csv"].append(
        {"id": "p-unknown", "service_id": "no-such-service", "number": "0800 000"}
    )
    tables["languages.csv"][0]["code"] = "klingon"  # row 2
    tables["attributes.csv"].append(
        {"id": "a-bad", "link_id": services[0]["id"], "taxonomy_term_id": "no-such-term"}
    )


def test_planted_bad_rows_are_each_reported_and_nothing_is_committed(
    source: Organisation,
) -> None:
    tables = _tables(_export(source))
    _plant_bad_rows(tables)
    target = Organisation.objects.create(name="Strict Network", slug="strict-network")
    count = DirectoryService.objects.count()
    report = hsds_import(
        organisation=target,
        data=_zip(tables),
        filename="directory.zip",
        imported_by=_coordinator(),
        dry_run=False,
    )
    found = {(error.file, error.row) for error in report.errors}
    phones_row = len(tables["phones.csv"]) + 1
    attributes_row = len(tables["attributes.csv"]) + 1
    assert found == {
        ("services.csv", 3),
        ("services.csv", 4),
        ("services.csv", 5),
        ("services.csv", 6),
        ("phones.csv", phones_row),
        ("languages.csv", 2),
        ("attributes.csv", attributes_row),
    }
    messages = {(e.file, e.row): e.message for e in report.errors}
    assert messages[("services.csv", 3)].startswith("name:")
    assert messages[("services.csv", 5)].startswith("email:")
    assert "also on row 2" in messages[("services.csv", 6)]
    assert not report.committed
    assert DirectoryService.objects.count() == count


def test_a_large_file_with_planted_bad_rows_reports_every_one() -> None:
    header = "id,name,status,description\n"
    lines = [f"svc-{n},Service {n},active,Row {n}\n" for n in range(2000)]
    planted = {150: "svc-150,,active,no name\n", 1201: "svc-1201,X,open,bad status\n"}
    for index, line in planted.items():
        lines[index] = line
    data = (header + "".join(lines)).encode()
    count = DirectoryService.objects.count()
    report = hsds_import(
        organisation=bridges(),
        data=data,
        filename="services.csv",
        imported_by=_coordinator(),
        dry_run=False,
    )
    assert [(e.file, e.row) for e in report.errors] == [
        ("services.csv", 152),
        ("services.csv", 1203),
    ]
    assert DirectoryService.objects.count() == count


def test_a_single_services_csv_imports_with_a_default_need() -> None:
    data = (
        b"id,name,description,url,email,status,eligibility_description\n"
        b"ext-1,Debt advice line,Free debt advice,https://debt.example,,active,Anyone\n"
        b"ext-2,Old drop-in,,,,defunct,\n"
    )
    report = hsds_import(
        organisation=bridges(),
        data=data,
        filename="services.csv",
        imported_by=_coordinator(),
        dry_run=False,
    )
    assert report.errors == [] and report.created == 2
    debt = DirectoryService.objects.get(organisation=bridges(), hsds_id="ext-1")
    assert debt.categories == ["other"] and debt.eligibility == "Anyone" and debt.is_active
    assert not DirectoryService.objects.get(organisation=bridges(), hsds_id="ext-2").is_active


def test_singular_file_names_and_a_folder_in_the_zip_are_read(source: Organisation) -> None:
    tables = _tables(_export(source))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in tables:
            singular = {"services.csv": "service.csv", "phones.csv": "phone.csv"}.get(name, name)
            archive.writestr(f"export/{singular}", _zip_member(tables[name], name))
    target = Organisation.objects.create(name="Singular", slug="singular")
    report = hsds_import(
        organisation=target,
        data=buffer.getvalue(),
        filename="x.zip",
        imported_by=_coordinator(),
        dry_run=False,
    )
    assert report.errors == [] and report.created == 4
    assert DirectoryService.objects.filter(organisation=target, phone="+44 20 7946 0018").exists()


def _zip_member(rows: list[dict[str, str]], name: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else list(COLUMNS[name]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"not a zip at all", "directory.zip", ("directory.zip", 0)),
        (b"\xff\xfe\x00bad", "services.csv", ("services.csv", 0)),
        (b"name,description\nX,Y\n", "services.csv", ("services.csv", 1)),
        (b"", "services.csv", ("services.csv", 1)),
        (b"id,name,id\n1,X,2\n", "services.csv", ("services.csv", 1)),
        (b"id,name\n1,X,extra\n", "services.csv", ("services.csv", 2)),
        (b"id,name\n1,A\x00B\n", "services.csv", ("services.csv", 2)),
    ],
)
def test_unreadable_files_are_reported_not_crashed_on(
    data: bytes, filename: str, expected: tuple[str, int]
) -> None:
    report = hsds_import(
        organisation=bridges(),
        data=data,
        filename=filename,
        imported_by=_coordinator(),
        dry_run=False,
    )
    assert (report.errors[0].file, report.errors[0].row) == expected
    assert not report.committed


def test_a_zip_without_services_is_refused() -> None:
    data = _zip({"organizations.csv": [{"id": "o1", "name": "Org"}]})
    report = hsds_import(
        organisation=bridges(),
        data=data,
        filename="x.zip",
        imported_by=_coordinator(),
        dry_run=False,
    )
    assert [e.message for e in report.errors] == ["The ZIP has no services.csv."]


# ------------------------------------------------------------------- API and pages


def test_api_export_then_import_dry_run(source: Organisation) -> None:
    client = client_for("coordinator")
    own = make_service(name="Exported through the API")
    exported = client.get("/api/v1/directory/export")
    assert exported.status_code == 200
    assert exported["Content-Type"] == "application/zip"
    rows = _tables(exported.content)["services.csv"]
    assert own.hsds_id in {row["id"] for row in rows}
    assert "Casa Segura, housing advice" not in {row["name"] for row in rows}
    upload = io.BytesIO(_export(source))
    upload.name = "directory.zip"
    response = client.post("/api/v1/directory/import", {"file": upload, "dry_run": "true"})
    assert response.status_code == 200, response.content
    assert response.json()["dry_run"] is True and response.json()["created"] == 4
    assert not DirectoryService.objects.filter(name="Our own peer café", organisation=bridges())


def test_api_import_lists_every_bad_row_in_a_422(source: Organisation) -> None:
    tables = _tables(_export(source))
    _plant_bad_rows(tables)
    upload = io.BytesIO(_zip(tables))
    upload.name = "directory.zip"
    count = DirectoryService.objects.count()
    response = client_for("admin").post("/api/v1/directory/import", {"file": upload})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert {"services.csv:3", "services.csv:4", "languages.csv:2"} <= set(fields)
    assert len(fields) == 7
    assert DirectoryService.objects.count() == count


def test_api_import_commits_a_good_file(source: Organisation) -> None:
    upload = io.BytesIO(_export(source))
    upload.name = "directory.zip"
    response = client_for("leader").post("/api/v1/directory/import", {"file": upload})
    assert response.status_code == 200
    assert response.json()["committed"] is True
    assert DirectoryService.objects.filter(organisation=bridges(), name="Our own peer café")


def test_the_import_page_previews_then_imports(source: Organisation) -> None:
    client = client_for("coordinator")
    upload = io.BytesIO(_export(source))
    upload.name = "directory.zip"
    preview = client.post("/directory/import/", {"file": upload, "dry_run": "on"})
    assert preview.status_code == 200
    assert b"The file is ready to import" in preview.content
    assert not DirectoryService.objects.filter(organisation=bridges(), name="Closed pantry")
    upload.seek(0)
    imported = client.post("/directory/import/", {"file": upload})
    assert imported.status_code == 302
    assert DirectoryService.objects.filter(organisation=bridges(), name="Closed pantry")


def test_the_import_page_lists_bad_rows(source: Organisation) -> None:
    tables = _tables(_export(source))
    _plant_bad_rows(tables)
    upload = io.BytesIO(_zip(tables))
    upload.name = "directory.zip"
    response = client_for("coordinator").post("/directory/import/", {"file": upload})
    assert response.status_code == 422
    assert b"Nothing was imported" in response.content
    assert len(response.context["report"].errors) == 7


def test_the_export_page_downloads_a_zip(source: Organisation) -> None:
    make_service(name="Exported from the page")
    response = client_for("admin").get("/directory/export/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    names = {row["name"] for row in _tables(response.content)["services.csv"]}
    assert "Exported from the page" in names
    assert "Casa Segura, housing advice" not in names  # another organisation's directory


def test_a_zip_that_unpacks_to_too_much_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from peerbridge.referrals import hsds_reading

    monkeypatch.setattr(hsds_reading, "MAX_UNPACKED_BYTES", 10_000)
    rows = [{"id": f"s{n}", "name": "x" * 50} for n in range(1000)]
    data = _zip({"services.csv": rows})
    assert len(data) < 10_000  # compresses well, unpacks to about 60 kB
    report = hsds_import(
        organisation=bridges(),
        data=data,
        filename="x.zip",
        imported_by=_coordinator(),
        dry_run=True,
    )
    assert [e.message for e in report.errors] == ["The ZIP unpacks to too much data."]
