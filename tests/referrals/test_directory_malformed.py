"""Bad input through every directory and navigation write: 4xx with the one error
shape (never a 500), field errors on the pages, and nothing half-saved."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from peerbridge.referrals.models import DirectoryService, NavigationReferral
from tests.api.test_malformed_input import MALFORMED_VALUES
from tests.conftest import World, client_for, persona_user
from tests.referrals.directory_world import full_consent, make_enrolment, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def targets(world: World) -> dict[str, Any]:
    service = make_service(name="Malformed input café", categories=["social", "food"])
    enrolment = make_enrolment(
        world.programme_a, scopes=full_consent(world.programme_a), status="enrolled"
    )
    from peerbridge.referrals.directory_services import navigation_referral_make

    coordinator = persona_user("coordinator")
    assert coordinator is not None
    referral = navigation_referral_make(
        enrolment=enrolment, service=service, need="food", made_by=coordinator
    )
    return {"service": service, "enrolment": enrolment, "referral": referral}


def _endpoints(targets: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, url, a valid body) for every directory API write, as a coordinator."""
    service, enrolment, referral = targets["service"], targets["enrolment"], targets["referral"]
    return [
        (
            "post",
            "/api/v1/directory/services",
            {"name": "Valid", "categories": ["food"], "languages": ["en"], "url": ""},
        ),
        ("patch", f"/api/v1/directory/services/{service.pk}", {"name": "Renamed", "area": "X"}),
        (
            "post",
            f"/api/v1/enrolments/{enrolment.pk}/navigation-referrals",
            {"service_id": service.pk, "need": "social", "note": "ok"},
        ),
        (
            "post",
            f"/api/v1/navigation-referrals/{referral.pk}/status",
            {"status": "connected", "note": "ok"},
        ),
    ]


def _assert_error_shape(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])


def _counts() -> tuple[int, int]:
    return DirectoryService.objects.count(), NavigationReferral.objects.count()


def test_every_field_of_every_directory_write_rejects_malformed_values(
    targets: dict[str, Any],
) -> None:
    client = client_for("coordinator")
    for method, url, valid in _endpoints(targets):
        for field in valid:
            for value in MALFORMED_VALUES:
                counts = _counts()
                response = getattr(client, method)(
                    url, data=json.dumps({**valid, field: value}), content_type="application/json"
                )
                if response.status_code < 400:
                    continue  # some values are legal for some fields ("" as a note)
                _assert_error_shape(response)
                assert _counts() == counts, (url, field, value)


@pytest.mark.parametrize(
    "raw", ["{not json", "[]", "null", '"text"', "1", json.dumps({"unexpected": 1})]
)
def test_directory_writes_reject_bodies_that_are_not_the_right_object(
    targets: dict[str, Any], raw: str
) -> None:
    client = client_for("coordinator")
    for method, url, _valid in _endpoints(targets):
        if method == "patch":
            continue  # an empty patch is legal
        response = getattr(client, method)(url, data=raw, content_type="application/json")
        _assert_error_shape(response)


def test_oversized_strings_are_field_errors_and_nul_is_refused(targets: dict[str, Any]) -> None:
    client = client_for("coordinator")
    for value, field in (("x" * 201, "name"), ("y" * 4001, "description"), ("z" * 41, "phone")):
        response = client.post(
            "/api/v1/directory/services",
            data=json.dumps({"name": "Valid", "categories": ["food"], field: value}),
            content_type="application/json",
        )
        assert response.status_code == 422
        assert field in response.json()["error"]["fields"]
    counts = _counts()
    for method, url, valid in _endpoints(targets):
        body = {
            key: "caf\x00e" if isinstance(value, str) else value for key, value in valid.items()
        }
        response = getattr(client, method)(
            url, data=json.dumps(body), content_type="application/json"
        )
        _assert_error_shape(response)
    assert _counts() == counts


@pytest.mark.parametrize(
    ("payload", "filename"),
    [
        (b"garbage", "directory.zip"),
        (b"PK\x03\x04 truncated", "directory.zip"),
        (b"\x00\x01\x02", "services.csv"),
        (b"id,name\n" + b"x," * 10 + b"\n", "services.csv"),
        ("id,name\n1,\u202enasty\n".encode("utf-16"), "services.csv"),
    ],
)
def test_the_import_endpoint_answers_bad_files_with_a_422(payload: bytes, filename: str) -> None:
    upload = io.BytesIO(payload)
    upload.name = filename
    counts = _counts()
    response = client_for("coordinator").post("/api/v1/directory/import", {"file": upload})
    assert response.status_code == 422
    _assert_error_shape(response)
    assert response.json()["error"]["fields"]
    assert _counts() == counts


def test_the_import_endpoint_needs_a_file() -> None:
    response = client_for("coordinator").post("/api/v1/directory/import", {"dry_run": "true"})
    assert response.status_code == 422
    assert "file" in response.json()["error"]["fields"]


def _web_forms(targets: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    service, enrolment, referral = targets["service"], targets["enrolment"], targets["referral"]
    return [
        ("/directory/new/", {"name": "", "categories": ["astrology"], "url": "not a url"}),
        (
            f"/directory/{service.pk}/edit/",
            {"name": "x" * 500, "categories": [], "languages": "en, 12", "email": "nope"},
        ),
        (
            f"/enrolments/{enrolment.pk}/navigation/new/",
            {"service": "999999999", "need": "astrology", "note": "n" * 5000},
        ),
        (f"/navigation/{referral.pk}/update/", {"status": "outcome", "outcome": "fabulous"}),
        ("/directory/import/", {"file": ""}),
    ]


def test_web_forms_show_field_errors_and_save_nothing(targets: dict[str, Any]) -> None:
    client = client_for("coordinator")
    for url, data in _web_forms(targets):
        counts = _counts()
        response = client.post(url, data)
        assert response.status_code == 422, url
        assert response.context["form"].errors, url
        assert b'aria-invalid="true"' in response.content, url
        assert _counts() == counts


def test_search_parameters_that_make_no_sense_are_ignored_safely() -> None:
    client = client_for("peer")
    for params in (
        {"page": "-1"},
        {"page": "abc"},
        {"q": "x" * 5000},
        {"need": ["housing", "food"]},
        {"language": "\x00"},
        {"area": "%_%"},
    ):
        assert client.get("/directory/", params).status_code == 200
    api = client.get("/api/v1/directory/services", {"q": "x" * 500})
    _assert_error_shape(api)
