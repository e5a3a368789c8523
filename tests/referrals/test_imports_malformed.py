"""Bad input through the import API: not a file, an empty file, the wrong type, NUL
bytes, an oversized file or value, malformed commit bodies. Always 4xx with the one
error shape (never a 500), and nothing stored or imported."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from peerbridge.people.models import Person
from peerbridge.referrals import imports, imports_reading
from peerbridge.referrals.models import Enrolment, ImportBatch
from tests.api.test_malformed_input import MALFORMED_VALUES
from tests.conftest import World, client_for, persona_user

pytestmark = pytest.mark.django_db

VALID = b"given_name,phone\nAna,+44 7700 900001\n"


def _assert_error_shape(response: Any) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])
    return dict(body["error"])


def _counts() -> tuple[int, int, int]:
    return ImportBatch.objects.count(), Person.objects.count(), Enrolment.objects.count()


def _upload(client: Client, world: World, **data: Any) -> Any:
    return client.post(f"/api/v1/programmes/{world.programme_a.pk}/imports", data)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("people.csv", b""),
        ("people.exe", b"MZ\x90\x00\x03"),
        ("people.png", b"\x89PNG\r\n\x1a\n"),
        ("people.csv", b"\x89PNG\r\n\x1a\n\x00\x00"),
        ("people.csv", b"given_name,phone\nAna\x00,1\n"),
        ("people.csv", "given_name,phone\nJosé,1\n".encode("utf-16")),
        ("people.xlsx", VALID),
        ("people", VALID),
        ("../../etc/passwd", VALID),
        ("people.csv", b"<script>alert(1)</script>\n1\n"),
    ],
)
def test_uploads_that_are_not_importable_files_are_refused(
    world: World, name: str, content: bytes
) -> None:
    before = _counts()
    response = _upload(client_for("coordinator"), world, file=SimpleUploadedFile(name, content))
    error = _assert_error_shape(response)
    assert response.status_code == 422 and "file" in error["fields"]
    assert _counts() == before


def test_a_form_field_instead_of_a_file_is_refused(world: World) -> None:
    client = client_for("coordinator")
    for value in ("given_name,phone\nAna,1\n", "", "\x00"):
        error = _assert_error_shape(_upload(client, world, file=value))
        assert "file" in error["fields"]
    for raw in ("{not json", json.dumps({"file": "people.csv"}), "null"):
        response = client.post(
            f"/api/v1/programmes/{world.programme_a.pk}/imports",
            data=raw,
            content_type="application/json",
        )
        _assert_error_shape(response)


def test_an_oversized_file_is_refused_before_it_is_read(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports_reading, "MAX_UPLOAD_BYTES", 1_000)
    big = VALID + b"Ben,+44 7700 900002\n" * 100
    before = _counts()
    error = _assert_error_shape(
        _upload(client_for("coordinator"), world, file=SimpleUploadedFile("big.csv", big))
    )
    assert "20 MB" in " ".join(error["fields"]["file"]) or error["fields"]["file"]
    assert _counts() == before


def test_oversized_and_hostile_values_become_row_errors_not_crashes(world: World) -> None:
    rows = [
        "x" * 5000 + ",+44 7700 900003,",
        "Ana,+44 7700 900004," + "y" * 5000,
        '=HYPERLINK("http://example.org"),+44 7700 900005,',
        "Ben,+44 7700 900006,1984-02-30",
        "Cy,+44 7700 900007,0000-01-01",
        "Di,+44 7700 900008,3000-01-01",
    ]
    data = ("given_name,phone,date_of_birth\n" + "\n".join(rows) + "\n").encode()
    response = _upload(client_for("coordinator"), world, file=SimpleUploadedFile("h.csv", data))
    assert response.status_code == 201, response.content
    problems = {(p["row"], p["column"]) for p in response.json()["errors"]}
    assert problems == {
        (2, "given_name"),
        (3, "date_of_birth"),
        (5, "date_of_birth"),
        (6, "date_of_birth"),
        (7, "date_of_birth"),
    }


@pytest.fixture
def batch(world: World) -> ImportBatch:
    coordinator = persona_user("coordinator")
    assert coordinator is not None
    return imports.import_preview(
        programme=world.programme_a, uploaded_by=coordinator, filename="ok.csv", data=VALID
    )


def test_malformed_commit_bodies_are_refused_and_import_nothing(batch: ImportBatch) -> None:
    client = client_for("coordinator")
    url = f"/api/v1/imports/{batch.pk}/commit"
    for value in MALFORMED_VALUES:
        if isinstance(value, bool) or value in (0, "", None):
            continue  # legal (or coerced) answers to a yes/no question
        before = _counts()
        response = client.post(
            url, data=json.dumps({"only_valid_rows": value}), content_type="application/json"
        )
        error = _assert_error_shape(response)
        if value != "\x00":  # NUL is refused before the body is read as fields
            assert "only_valid_rows" in error["fields"], (value, error)
        assert _counts() == before
    for raw in ("{not json", "[]", '"text"', "1", "{}", "null"):
        _assert_error_shape(client.post(url, data=raw, content_type="application/json"))
    batch.refresh_from_db()
    assert batch.status == "previewed"


@pytest.mark.parametrize("batch_id", ["0", "999999999", "-1", "abc", "1e3"])
def test_unknown_or_malformed_batch_ids_are_not_found(batch_id: str) -> None:
    response = client_for("coordinator").get(f"/api/v1/imports/{batch_id}")
    assert response.status_code in (404, 422)
    _assert_error_shape(response)
