"""Bad input through every create (and update) endpoint: field errors and 4xx, never a 500,
and nothing half-saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerbridge.core.models import ApiToken
from peerbridge.organisations.models import Programme, RoleAssignment, Site
from tests.conftest import World, client_for, programme_payload

MALFORMED_VALUES: list[Any] = [
    None,
    "",
    "x" * 5000,
    -1,
    0,
    10**12,
    3.5,
    True,
    [],
    {},
    ["nested", ["list"]],
    "<script>alert(1)</script>",
    "\x00",
    "ünïcødé",
    "1; DROP TABLE core_user",
]


def _api_endpoints(world: World) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(persona allowed to write, method, url, a valid body) for every API write."""
    valid_programme = programme_payload(site_id=world.riverside.pk, code="valid-code")
    a = world.programme_a.pk
    ending = RoleAssignment.objects.filter(programme=world.programme_a).first()
    assert ending is not None
    return [
        ("admin", "post", "/api/v1/programmes", valid_programme),
        ("coordinator", "patch", f"/api/v1/programmes/{a}", {"contact_cadence_days": 9}),
        (
            "admin",
            "post",
            "/api/v1/sites",
            {"parent_id": world.riverside.pk, "name": "New", "code": "new", "level": "local"},
        ),
        ("admin", "patch", f"/api/v1/sites/{world.riverside.pk}", {"name": "Renamed"}),
        (
            "admin",
            "patch",
            f"/api/v1/organisations/{world.national.organisation_id}",
            {"name": "Renamed"},
        ),
        (
            "leader",
            "post",
            "/api/v1/memberships",
            {
                "email": "new@example.org",
                "role": "peer_supporter",
                "given_name": "N",
                "programme_id": a,
            },
        ),
        ("leader", "post", f"/api/v1/memberships/{ending.pk}/end", {"reason": "moved"}),
    ]


def _assert_error_shape(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])


def test_every_field_of_every_api_write_rejects_malformed_values(world: World) -> None:
    for persona, method, url, valid in _api_endpoints(world):
        client = client_for(persona)
        for field in valid:
            for value in MALFORMED_VALUES:
                counts = (Programme.objects.count(), Site.objects.count())
                body = {**valid, field: value}
                response = getattr(client, method)(
                    url, data=json.dumps(body), content_type="application/json"
                )
                if response.status_code < 400:
                    continue  # some values are legal for some fields (e.g. "" as a reason)
                _assert_error_shape(response)
                assert (Programme.objects.count(), Site.objects.count()) == counts


@pytest.mark.parametrize(
    "raw", ["{not json", "[]", "null", '"text"', "1", json.dumps({"unexpected": 1})]
)
def test_api_writes_reject_bodies_that_are_not_the_right_object(world: World, raw: str) -> None:
    for persona, method, url, _valid in _api_endpoints(world):
        if raw == json.dumps({"unexpected": 1}) and (method == "patch" or url.endswith("/end")):
            continue  # an empty patch or an end without reason is legal
        response = getattr(client_for(persona), method)(
            url, data=raw, content_type="application/json"
        )
        _assert_error_shape(response)


def test_validation_errors_name_the_field(world: World) -> None:
    response = client_for("coordinator").patch(
        f"/api/v1/programmes/{world.programme_a.pk}",
        data=json.dumps({"contact_cadence_days": 0, "modalities": ["fax"]}),
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"contact_cadence_days", "modalities"}


def test_a_duplicate_programme_code_is_a_field_error_not_a_crash(world: World) -> None:
    response = client_for("admin").post(
        "/api/v1/programmes",
        data=json.dumps(
            programme_payload(site_id=world.riverside.pk, code=world.programme_a.code, name="Dup")
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "code" in response.json()["error"]["fields"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.dictionaries(
        st.sampled_from(
            [
                "name",
                "code",
                "formats",
                "modalities",
                "duration_weeks",
                "contact_cadence_days",
                "status",
                "audience",
                "site_id",
            ]
        ),
        st.one_of(st.none(), st.integers(), st.text(max_size=30), st.lists(st.text(max_size=5))),
    )
)
def test_random_programme_payloads_never_cause_a_server_error(
    world: World, payload: dict[str, Any]
) -> None:
    client = client_for("admin")
    created = client.post(
        "/api/v1/programmes", data=json.dumps(payload), content_type="application/json"
    )
    updated = client.patch(
        f"/api/v1/programmes/{world.programme_a.pk}",
        data=json.dumps(payload),
        content_type="application/json",
    )
    assert created.status_code < 500 and updated.status_code < 500


WEB_FORMS = [
    (
        "admin",
        "/programmes/new/",
        {
            "name": "",
            "code": "bad code!",
            "formats": ["fax"],
            "contact_cadence_days": "-3",
            "duration_weeks": "x",
        },
    ),
    (
        "coordinator",
        "/programmes/{a}/edit/",
        {"name": "x" * 500, "contact_cadence_days": "abc", "modalities": []},
    ),
    ("admin", "/sites/{s}/new/", {"name": "", "code": "not a slug", "level": "planet"}),
    ("admin", "/sites/{s}/edit/", {"name": "", "code": "", "level": ""}),
    ("admin", "/organisations/{o}/edit/", {"name": "", "slug": "bad slug"}),
    ("leader", "/programmes/{a}/staff/add/", {"email": "not-an-email", "role": "org_admin"}),
    ("coordinator", "/accounts/tokens/", {"name": "", "access": "root", "days": "9999"}),
]


@pytest.mark.parametrize(("persona", "url", "data"), WEB_FORMS)
def test_web_forms_show_field_errors_and_save_nothing(
    world: World, persona: str, url: str, data: dict[str, Any]
) -> None:
    url = url.format(a=world.programme_a.pk, s=world.riverside.pk, o=world.national.organisation_id)
    counts = (
        Programme.objects.count(),
        Site.objects.count(),
        ApiToken.objects.count(),
        RoleAssignment.objects.count(),
    )
    response = client_for(persona).post(url, data)
    assert response.status_code == 422
    assert response.context["form"].errors
    assert b'aria-invalid="true"' in response.content
    assert (
        Programme.objects.count(),
        Site.objects.count(),
        ApiToken.objects.count(),
        RoleAssignment.objects.count(),
    ) == counts


def test_a_nul_character_is_a_field_error_on_every_api_write(world: World) -> None:
    """PostgreSQL text cannot hold NUL: the body parser refuses it and names the field,
    although ninja wraps parser errors in a bare 400."""
    response = client_for("coordinator").post(
        "/api/v1/referrals",
        data=json.dumps({"programme_id": world.programme_a.pk, "given_name": "A\x00B"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "given_name": ["Null characters are not allowed."]
    }
