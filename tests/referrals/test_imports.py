"""Bulk import of people and referrals: every bad row reported by its number and reason,
nothing committed when rows fail (unless only the valid rows are chosen), contact
details encrypted, audit rows written, and batches reached only by their importers."""

from __future__ import annotations

import csv
import datetime
import io
import random
import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from faker import Faker
from openpyxl import Workbook

from peerbridge.core.models import AuditEvent, User
from peerbridge.organisations import services as organisation_services
from peerbridge.organisations.models import Programme
from peerbridge.organisations.roles import Role
from peerbridge.people.models import Consent, Person
from peerbridge.referrals import imports, imports_reading
from peerbridge.referrals.imports import (
    batch_report,
    check_rows,
    import_commit,
    import_discard,
    import_preview,
)
from peerbridge.referrals.imports_reading import COLUMNS, read_rows
from peerbridge.referrals.models import Enrolment, EnrolmentStatusChange, ImportBatch
from peerbridge.referrals.services import ReferralDetails, referral_create
from tests.conftest import World, client_for

START = datetime.date(1950, 1, 1)


def person_rows(count: int, *, seed: int = 7) -> list[dict[str, str]]:
    """Seeded synthetic referrals, every one valid and a different person (own name and
    date of birth, own phone and email)."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    pick = random.Random(seed)
    return [
        {
            "given_name": fake.first_name(),
            "family_name": fake.last_name(),
            "date_of_birth": (START + datetime.timedelta(days=number)).isoformat(),
            "gender": pick.choice(["woman", "man", "non-binary", ""]),
            "languages": pick.choice(["en", "es;en", "pl en", "so"]),
            "area": fake.postcode(),
            "phone": f"+44 7700 {seed:02d}{number:05d}",
            "email": f"person.{seed}.{number}@example.org",
            "preferred_channels": "phone;email",
            "kind": pick.choice(["patient", "patient", "caregiver"]),
            "priority": pick.choice(["routine", "soon", "urgent", ""]),
            "referrer_organisation": "Riverside Hospital",
            "referral_reason": "Would like to talk with someone who has been there.",
            "consent_contact": "yes",
        }
        for number in range(count)
    ]


def as_csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or list(COLUMNS), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def preview(programme: Programme, user: User, data: bytes, name: str = "people.csv") -> ImportBatch:
    return import_preview(programme=programme, uploaded_by=user, filename=name, data=data)


def counts(programme: Programme) -> tuple[int, int, int, int]:
    return (
        Person.objects.count(),
        Enrolment.objects.filter(programme=programme).count(),
        EnrolmentStatusChange.objects.count(),
        Consent.objects.count(),
    )


# Planted problems: row number as the user sees it -> (column, changes, words in reason)
PLANTED: dict[int, tuple[str, dict[str, str], str]] = {
    101: ("date_of_birth", {"date_of_birth": "1984-13-45"}, "YYYY-MM-DD"),
    2002: ("languages", {"languages": "en;xx"}, "Unknown language code: xx"),
    3003: ("phone", {"phone": "", "email": ""}, "phone number or an email address"),
    4004: ("email", {"email": "not-an-email"}, "valid email"),
    5005: ("kind", {"kind": "doctor"}, "patient or caregiver"),
    10001: ("given_name", {"given_name": ""}, "first name"),
}


@pytest.fixture(scope="module")
def ten_thousand_rows() -> bytes:
    rows = person_rows(10_000)
    for row_number, (_column, changes, _words) in PLANTED.items():
        rows[row_number - 2].update(changes)
    return as_csv(rows)


def test_ten_thousand_rows_report_each_planted_error_and_commit_nothing_partial(
    world: World, coordinator: User, ten_thousand_rows: bytes
) -> None:
    started = time.perf_counter()
    batch = preview(world.programme_a, coordinator, ten_thousand_rows)
    report = batch_report(batch)
    assert (batch.row_count, batch.error_count, report.valid_count) == (10_000, 6, 9_994)
    assert {(p.row, p.column) for p in report.errors} == {
        (row, column) for row, (column, _changes, _words) in PLANTED.items()
    }
    for problem in report.errors:
        assert PLANTED[problem.row][2] in problem.reason, problem

    before = counts(world.programme_a)
    with pytest.raises(ValidationError) as refused:
        import_commit(batch=batch, committed_by=coordinator)
    listed = refused.value.message_dict["rows"]
    assert len(listed) == 6
    assert any(message.startswith("Row 101, date_of_birth:") for message in listed)
    assert counts(world.programme_a) == before
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED

    imported = import_commit(batch=batch, committed_by=coordinator, only_valid_rows=True)
    assert imported == 9_994
    assert counts(world.programme_a) == tuple(n + 9_994 for n in before)
    assert (
        Enrolment.objects.filter(
            programme=world.programme_a, source="import", status="referred"
        ).count()
        >= 9_994
    )
    batch.refresh_from_db()
    assert (batch.status, batch.imported_count, batch.error_count) == ("committed", 9_994, 6)
    # The committed batch keeps only the rows it did not import, with their problems.
    assert {p.row for p in batch_report(batch).errors} == set(PLANTED)
    assert time.perf_counter() - started < 60


def test_an_xlsx_workbook_round_trips_with_excel_dates_and_numbers(
    world: World, coordinator: User
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Given name", "Family name", "Date of birth", "Phone", "Email", "Kind"])
    sheet.append(["Ana", "Lopez", datetime.date(1979, 4, 2), 447700900123, None, "caregiver"])
    excel_date = datetime.datetime(1990, 1, 31)  # noqa: DTZ001  (Excel cells are naive)
    sheet.append(["Ben", "Okafor", excel_date, None, "BEN@Example.org", None])
    sheet.append(["Cy", "Ng", None, None, "not an email", None])
    buffer = io.BytesIO()
    workbook.save(buffer)

    batch = preview(world.programme_a, coordinator, buffer.getvalue(), name="people.xlsx")
    report = batch_report(batch)
    assert [(p.row, p.column) for p in report.errors] == [(4, "email")]
    assert import_commit(batch=batch, committed_by=coordinator, only_valid_rows=True) == 2
    ana = Person.objects.get(enrolments__source="import", given_name="Ana", family_name="Lopez")
    assert (ana.date_of_birth, ana.phone) == (datetime.date(1979, 4, 2), "447700900123")
    assert ana.enrolments.get().kind == "caregiver"
    ben = Person.objects.get(enrolments__source="import", given_name="Ben", family_name="Okafor")
    assert (ben.date_of_birth, ben.email) == (datetime.date(1990, 1, 31), "ben@example.org")


def test_imported_contact_details_and_reasons_are_not_plaintext_in_the_tables(
    world: World, coordinator: User
) -> None:
    rows = person_rows(3, seed=11)
    batch = preview(world.programme_a, coordinator, as_csv(rows))
    import_commit(batch=batch, committed_by=coordinator)
    ids = list(
        Enrolment.objects.filter(programme=world.programme_a, source="import").values_list(
            "person_id", flat=True
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Person._meta.db_table}")  # noqa: S608
        person_table = repr(cursor.fetchall())
        cursor.execute(f"SELECT * FROM {Enrolment._meta.db_table}")  # noqa: S608
        enrolment_table = repr(cursor.fetchall())
        cursor.execute(f"SELECT * FROM {ImportBatch._meta.db_table}")  # noqa: S608
        batch_table = repr(cursor.fetchall())
    for row in rows:
        for secret in (row["phone"], row["email"], "7700" + row["phone"][-7:].replace(" ", "")):
            assert secret not in person_table
            assert secret not in batch_table
    assert "has been there" not in enrolment_table
    decrypted = {(p.phone, p.email) for p in Person.objects.filter(pk__in=ids)}
    assert {(row["phone"], row["email"]) for row in rows} <= decrypted


def test_every_created_record_and_the_batch_are_audited_by_id(
    world: World, coordinator: User
) -> None:
    batch = preview(world.programme_a, coordinator, as_csv(person_rows(4, seed=12)))
    import_commit(batch=batch, committed_by=coordinator)
    enrolments = list(
        Enrolment.objects.filter(programme=world.programme_a, source="import").select_related(
            "person"
        )
    )
    consents = Consent.objects.filter(person__in=[e.person for e in enrolments])
    created = AuditEvent.objects.filter(actor=coordinator, action="create")
    for object_type, ids in (
        ("people.person", [e.person_id for e in enrolments]),
        ("referrals.enrolment", [e.pk for e in enrolments]),
        ("people.consent", list(consents.values_list("pk", flat=True))),
    ):
        audited = set(created.filter(object_type=object_type).values_list("object_id", flat=True))
        assert {str(pk) for pk in ids} <= audited
    batch_actions = AuditEvent.objects.filter(
        object_type="referrals.importbatch", object_id=str(batch.pk)
    ).values_list("action", flat=True)
    assert {"create", "update"} <= set(batch_actions)


def test_rows_repeating_each_other_in_the_file_are_reported(
    world: World, coordinator: User
) -> None:
    first, other, another, third = person_rows(4, seed=13)
    same_person = {**other, "given_name": first["given_name"].upper()}
    same_person.update(family_name=first["family_name"], date_of_birth=first["date_of_birth"])
    same_phone = {**another, "phone": first["phone"].replace(" ", "")}
    same_email = {**third, "email": first["email"].upper()}
    report = batch_report(
        preview(
            world.programme_a, coordinator, as_csv([first, same_person, same_phone, same_email])
        )
    )
    assert [(p.row, p.column) for p in report.errors] == [(3, "given_name")]
    assert "as row 2" in report.errors[0].reason
    assert [(p.row, p.column) for p in report.warnings] == [(4, "phone"), (5, "email")]
    assert all("row 2" in p.reason for p in report.warnings)
    assert report.valid_count == 3


@pytest.mark.parametrize("scan_people_per_row", [0, 10**9], ids=["by-value", "scan"])
def test_people_already_on_record_are_warnings_not_errors(
    world: World, coordinator: User, monkeypatch: pytest.MonkeyPatch, scan_people_per_row: int
) -> None:
    monkeypatch.setattr(imports, "SCAN_PEOPLE_PER_ROW", scan_people_per_row)
    known = referral_create(
        programme=world.programme_b,
        details=ReferralDetails(
            given_name="Dana",
            family_name="Known",
            date_of_birth=datetime.date(1970, 5, 6),
            phone="+44 7700 900555",
            email="dana.known@example.org",
        ),
        source="staff",
        referred_by=coordinator,
    )
    assert known.enrolment.pk
    rows = person_rows(3, seed=14)
    rows[0].update(phone="+447700900555")
    rows[1].update(email="Dana.Known@example.org")
    rows[2].update(given_name="dana", family_name="KNOWN", date_of_birth="1970-05-06")
    report = batch_report(preview(world.programme_a, coordinator, as_csv(rows)))
    assert report.errors == []
    assert [p.row for p in report.warnings] == [2, 3, 4]
    assert "same phone number" in report.warnings[0].reason
    assert "same email address" in report.warnings[1].reason
    assert "same name and date of birth" in report.warnings[2].reason
    assert all("Possible duplicate of an existing person" in p.reason for p in report.warnings)


def test_consent_to_contact_is_recorded_as_written_consent_for_the_preferred_channels(
    world: World, coordinator: User
) -> None:
    agreed, declined = person_rows(2, seed=15)
    agreed.update(preferred_channels="sms;email", consent_contact="Yes")
    declined.update(consent_contact="no")
    batch = preview(world.programme_a, coordinator, as_csv([agreed, declined]))
    assert import_commit(batch=batch, committed_by=coordinator) == 2
    people = {
        person.given_name: person
        for person in Person.objects.filter(
            enrolments__programme=world.programme_a,
            enrolments__source="import",
            given_name__in=[agreed["given_name"], declined["given_name"]],
        )
    }
    consent = Consent.objects.get(person=people[agreed["given_name"]])
    assert (consent.scopes, consent.method, consent.recorded_by) == (
        ["contact_email", "contact_sms"],
        "written",
        coordinator,
    )
    assert not Consent.objects.filter(person=people[declined["given_name"]]).exists()


def test_consent_without_channels_or_unclear_answers_are_row_errors(
    world: World, coordinator: User
) -> None:
    no_channels, unclear = person_rows(2, seed=16)
    no_channels.update(preferred_channels="", consent_contact="yes")
    unclear.update(consent_contact="maybe")
    report = check_rows(world.programme_a, read_rows("x.csv", as_csv([no_channels, unclear])))
    assert [(p.row, p.column) for p in report.errors] == [
        (2, "consent_contact"),
        (3, "consent_contact"),
    ]


def test_a_committed_or_discarded_batch_cannot_be_committed_again(
    world: World, coordinator: User
) -> None:
    committed = preview(world.programme_a, coordinator, as_csv(person_rows(1, seed=17)))
    import_commit(batch=committed, committed_by=coordinator)
    discarded = preview(world.programme_a, coordinator, as_csv(person_rows(1, seed=18)))
    import_discard(batch=discarded, discarded_by=coordinator)
    discarded.refresh_from_db()
    assert (discarded.status, discarded.content) == ("discarded", "")
    for batch in (committed, discarded):
        before = counts(world.programme_a)
        with pytest.raises(ValidationError) as refused:
            import_commit(batch=batch, committed_by=coordinator, only_valid_rows=True)
        assert "batch" in refused.value.message_dict
        assert counts(world.programme_a) == before
        with pytest.raises(ValidationError):
            import_discard(batch=batch, discarded_by=coordinator)


def test_a_closed_programme_takes_no_imports(world: World, coordinator: User) -> None:
    batch = preview(world.programme_a, coordinator, as_csv(person_rows(1, seed=19)))
    Programme.objects.filter(pk=world.programme_a.pk).update(status="closed")
    batch.programme.refresh_from_db()
    with pytest.raises(ValidationError):
        import_commit(batch=batch, committed_by=coordinator)
    with pytest.raises(ValidationError):
        preview(batch.programme, coordinator, as_csv(person_rows(1, seed=20)))


@pytest.mark.parametrize(
    ("filename", "data", "words"),
    [
        ("people.csv", b"", "empty"),
        ("people.txt", b"given_name,phone\nAna,1\n", ".csv or .xlsx"),
        ("people.xls", b"given_name,phone\nAna,1\n", ".csv or .xlsx"),
        ("people.csv", b"family_name,phone\nLopez,1\n", "given_name"),
        ("people.csv", b"given_name,phone,shoe_size\nAna,1,9\n", "Unknown columns: shoe_size"),
        ("people.csv", b"given_name,phone,phone\nAna,1,2\n", "more than once"),
        ("people.csv", b"given_name,area\nAna,N1\n", "phone or an email column"),
        ("people.csv", b"given_name,phone\n", "no rows"),
        ("people.csv", b"given_name,phone\nAna\x00,1\n", "NUL"),
        ("people.csv", "given_name,phone\nAñá,1\n".encode("latin-1"), "UTF-8"),
        ("people.csv", b'given_name,phone\n"Ana,1\n', "unclosed quote"),
        ("people.xlsx", b"given_name,phone\nAna,1\n", "valid Excel"),
        ("people.xlsx", b"PK\x03\x04not really a zip", "valid Excel"),
    ],
)
def test_files_that_cannot_be_imported_are_refused_with_a_reason(
    filename: str, data: bytes, words: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        read_rows(filename, data)
    assert words in " ".join(refused.value.message_dict["file"])


def test_too_many_rows_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports_reading, "MAX_ROWS", 2)
    with pytest.raises(ValidationError):
        read_rows("people.csv", b"given_name,phone\nA,1\nB,2\nC,3\n")


def test_semicolons_a_bom_and_spreadsheet_style_headers_are_read() -> None:
    data = "\ufeffGiven Name;Family-Name;EMAIL\r\nAna;López;ana@example.org\r\n".encode()
    rows = read_rows("people.csv", data)
    assert rows.columns == ["given_name", "family_name", "email"]
    assert rows.rows == [(2, ["Ana", "López", "ana@example.org"])]


def test_blank_rows_are_skipped_but_keep_their_numbers(world: World, coordinator: User) -> None:
    data = b"given_name,phone\nAna,+44 7700 900001\n,\n\nBen,\n"
    batch = preview(world.programme_a, coordinator, data)
    report = batch_report(batch)
    assert batch.row_count == 2
    assert [(p.row, p.column) for p in report.errors] == [(5, "phone")]
    # After importing the valid row, the stored rows still carry their numbers.
    import_commit(batch=batch, committed_by=coordinator, only_valid_rows=True)
    batch.refresh_from_db()
    assert [(p.row, p.column) for p in batch_report(batch).errors] == [(5, "phone")]


def test_a_committed_batch_keeps_only_the_rows_it_left_out(world: World, coordinator: User) -> None:
    first, repeat, bad = person_rows(3, seed=26)
    repeat.update(
        given_name=first["given_name"],
        family_name=first["family_name"],
        date_of_birth=first["date_of_birth"],
    )
    bad.update(email="not-an-email")
    batch = preview(world.programme_a, coordinator, as_csv([first, repeat, bad]))
    assert import_commit(batch=batch, committed_by=coordinator, only_valid_rows=True) == 1
    batch.refresh_from_db()
    assert first["phone"] not in batch.content and repeat["phone"] in batch.content
    left = batch_report(batch)
    assert [(p.row, p.column) for p in left.errors] == [(3, "given_name"), (4, "email")]
    assert left.valid == []


# --- Pages ------------------------------------------------------------------------------


def _upload(client: Client, programme: Programme, data: bytes, name: str = "people.csv") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/programmes/{programme.pk}/import/", {"file": SimpleUploadedFile(name, data)}
    )


def test_upload_preview_and_commit_through_the_pages(world: World) -> None:
    client = client_for("coordinator")
    page = client.get(f"/programmes/{world.programme_a.pk}/import/")
    assert page.status_code == 200
    assert b'accept=".csv,.xlsx"' in page.content
    template = client.get(f"/programmes/{world.programme_a.pk}/import/template.csv")
    assert template.content.decode().strip() == ",".join(COLUMNS)

    rows = person_rows(3, seed=21)
    uploaded = _upload(client, world.programme_a, as_csv(rows))
    assert uploaded.status_code == 302
    batch = ImportBatch.objects.get(pk=int(uploaded.url.rstrip("/").split("/")[-1]))
    detail = client.get(uploaded.url)
    assert detail.status_code == 200
    html = detail.content.decode()
    assert rows[0]["given_name"] in html and "Import all" in html
    for row in rows:  # contact details never appear in the preview
        assert row["phone"] not in html and row["email"] not in html

    before = counts(world.programme_a)
    committed = client.post(f"/imports/{batch.pk}/commit/")
    assert committed.status_code == 302
    assert counts(world.programme_a)[:2] == (before[0] + 3, before[1] + 3)
    assert "3 people imported" in client.get(committed.url).content.decode()


def test_a_file_with_errors_imports_only_when_the_valid_rows_are_chosen(world: World) -> None:
    client = client_for("coordinator")
    rows = person_rows(253, seed=22)
    for row in rows[3:]:
        row["date_of_birth"] = "yesterday"
    uploaded = _upload(client, world.programme_a, as_csv(rows))
    batch_id = int(uploaded.url.rstrip("/").split("/")[-1])
    html = client.get(uploaded.url).content.decode()
    assert "disabled" in html and "Import only the 3 valid rows" in html
    assert "Page 1 of 2" in html
    assert "Row" in client.get(f"{uploaded.url}?page=2").content.decode()
    problems = client.get(f"/imports/{batch_id}/errors.csv").content.decode().splitlines()
    assert problems[0] == "row,column,severity,reason"
    assert len(problems) == 251 and problems[1].startswith("5,date_of_birth,error,")

    before = counts(world.programme_a)
    client.post(f"/imports/{batch_id}/commit/")
    assert counts(world.programme_a) == before
    client.post(f"/imports/{batch_id}/commit/", {"only_valid_rows": "on"})
    assert counts(world.programme_a)[:2] == (before[0] + 3, before[1] + 3)


def test_discarding_a_file_keeps_nothing_of_it(world: World) -> None:
    client = client_for("coordinator")
    uploaded = _upload(client, world.programme_a, as_csv(person_rows(2, seed=23)))
    batch_id = int(uploaded.url.rstrip("/").split("/")[-1])
    response = client.post(f"/imports/{batch_id}/discard/")
    assert response.url == f"/programmes/{world.programme_a.pk}/import/"
    batch = ImportBatch.objects.get(pk=batch_id)
    assert (batch.status, batch.content) == ("discarded", "")


def test_an_upload_that_cannot_be_read_is_shown_on_the_form(world: World) -> None:
    response = _upload(client_for("coordinator"), world.programme_a, b"nothing,useful\n1,2\n")
    assert response.status_code == 422
    assert "Unknown columns" in response.content.decode()


@pytest.fixture
def other_coordinator(world: World) -> User:
    """A coordinator of programme B only."""
    user = User.objects.create_user(email="coordinator.b.import@example.org", password=None)
    organisation_services.role_grant(
        user=user, role=Role.COORDINATOR, granted_by=None, programme=world.programme_b
    )
    return user


def test_someone_elses_batch_is_not_found(
    world: World, coordinator: User, other_coordinator: User
) -> None:
    batch = preview(world.programme_a, coordinator, as_csv(person_rows(1, seed=24)))
    client = Client()
    client.force_login(other_coordinator)
    for url in (f"/imports/{batch.pk}/", f"/imports/{batch.pk}/errors.csv"):
        assert client.get(url).status_code == 404
    for url in (f"/imports/{batch.pk}/commit/", f"/imports/{batch.pk}/discard/"):
        assert client.post(url).status_code == 404
    assert client.get(f"/api/v1/imports/{batch.pk}").status_code == 404
    assert (
        client.post(
            f"/api/v1/imports/{batch.pk}/commit",
            data={"only_valid_rows": True},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert client.get(f"/programmes/{world.programme_a.pk}/import/").status_code == 404
    batch.refresh_from_db()
    assert batch.status == "previewed"


# --- API --------------------------------------------------------------------------------


def _api_upload(client: Client, programme: Programme, data: bytes, name: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/api/v1/programmes/{programme.pk}/imports", {"file": SimpleUploadedFile(name, data)}
    )


def test_the_api_checks_reads_and_commits_a_batch(world: World) -> None:
    client = client_for("coordinator")
    rows = person_rows(3, seed=25)
    rows[1]["email"], rows[1]["phone"] = "nope", ""
    created = _api_upload(client, world.programme_a, as_csv(rows), "people.csv")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["row_count"], body["valid_count"], body["error_row_count"]) == (3, 2, 1)
    assert body["errors"] == [
        {"row": 3, "column": "email", "reason": "Enter a valid email address."}
    ]
    assert body["status"] == "previewed" and not body["problems_truncated"]
    url = f"/api/v1/imports/{body['id']}"
    assert client.get(url).json()["errors"] == body["errors"]

    before = counts(world.programme_a)
    refused = client.post(
        f"{url}/commit", data={"only_valid_rows": False}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"]["rows"] == [
        "Row 3, email: Enter a valid email address."
    ]
    assert counts(world.programme_a) == before
    done = client.post(
        f"{url}/commit", data={"only_valid_rows": True}, content_type="application/json"
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["imported_count"]) == ("committed", 2)
    assert counts(world.programme_a)[:2] == (before[0] + 2, before[1] + 2)


def test_purge_imports_empties_files_past_retention(world: World) -> None:
    from io import StringIO

    import time_machine
    from django.core.management import call_command
    from django.utils import timezone

    coordinator = User.objects.get(email="coordinator.a@demo.peerbridge.test")
    batch = import_preview(
        programme=world.programme_a,
        uploaded_by=coordinator,
        filename="old.csv",
        data=b"given_name,phone\nOld,+44 7700 900446\n",
    )
    call_command("purge-imports", stdout=StringIO())
    batch.refresh_from_db()
    assert batch.content  # still inside the retention period
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15)):
        out = StringIO()
        call_command("purge-imports", stdout=out)
    batch.refresh_from_db()
    assert (batch.content, batch.status) == ("", ImportBatch.Status.DISCARDED)
    assert "Emptied 1" in out.getvalue()
