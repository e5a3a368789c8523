"""Bad input through every intake API write: 4xx with the one error shape, never a 500,
and nothing half-saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerbridge.people.models import Consent, Person
from peerbridge.referrals.models import ContactAttempt, Enrolment, EnrolmentStatusChange
from peerbridge.referrals.services import ReferralDetails, enrolment_transition, referral_create
from tests.conftest import World, client_for

API = "/api/v1"
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
    ["x" * 5000],
    "<script>alert(1)</script>",
    "\x00",
    ["\x00"],
    "ünïcødé",
    "1; DROP TABLE core_user",
    "2999-01-01",
]


def _referral(world: World, phone: str, *, closed: bool = False) -> Enrolment:
    enrolment = referral_create(
        programme=world.programme_a,
        details=ReferralDetails(given_name="Malformed", family_name="Input", phone=phone),
        source=Enrolment.Source.STAFF,
        referred_by=None,
        contact_scopes=["contact_phone", "contact_sms"],
    ).enrolment
    if closed:
        enrolment_transition(
            enrolment=enrolment, to_status="declined", changed_by=None, decline_reason="other"
        )
    return enrolment


def _api_writes(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, url, a valid body) for every intake API write, all as the coordinator."""
    a = world.programme_a.pk
    enrolment = _referral(world, "+447700900800")
    earlier = _referral(world, "+447700900800", closed=True)
    e, p = enrolment.pk, enrolment.person_id
    return [
        (
            "post",
            "/referrals",
            {
                "programme_id": a,
                "given_name": "Valid",
                "family_name": "Person",
                "date_of_birth": "1990-01-01",
                "age_band": "25_34",
                "gender": "woman",
                "languages": ["en"],
                "phone": "+447700900801",
                "email": "valid@example.org",
                "kind": "caregiver",
                "priority": "urgent",
                "contact_channels": ["phone", "email"],
                "share_with_referrer": False,
            },
        ),
        ("post", f"/enrolments/{e}/status", {"to_status": "contacted", "reason": "Called"}),
        (
            "post",
            f"/enrolments/{e}/attempts",
            {"channel": "phone", "outcome": "no_answer", "note": "Rang"},
        ),
        (
            "post",
            f"/enrolments/{e}/enrol",
            {
                "scopes": ["participation"],
                "method": "verbal",
                "given_by": "guardian",
                "guardian_name": "Pat",
                "add_to_waiting_list": False,
            },
        ),
        (
            "patch",
            f"/enrolments/{e}",
            {
                "priority": "soon",
                "next_action": "Call",
                "next_action_due": "2030-01-01",
                "kind": "patient",
            },
        ),
        (
            "patch",
            f"/people/{p}",
            {
                "given_name": "New",
                "date_of_birth": "1980-02-03",
                "age_band": "45_54",
                "languages": ["es", "en"],
                "latitude": 51.5,
                "longitude": -0.12,
                "email": "new@example.org",
                "preferred_channels": ["sms"],
                "notes": "A note",
            },
        ),
        ("post", f"/people/{p}/merge", {"duplicate_id": earlier.person_id}),
        (
            "post",
            f"/people/{p}/consents",
            {"programme_id": a, "scopes": ["participation"], "method": "written"},
        ),
        (
            "post",
            f"/people/{p}/consents/withdraw",
            {"programme_id": a, "scopes": ["contact_sms"], "reason": "Stop texts"},
        ),
    ]


def _assert_error_shape(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])


def _counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Person.objects.filter(merged_into__isnull=False).count(),
        Enrolment.objects.count(),
        EnrolmentStatusChange.objects.count(),
        ContactAttempt.objects.count(),
        Consent.objects.count(),
    )


def test_every_field_of_every_intake_write_rejects_malformed_values(world: World) -> None:
    client = client_for("coordinator")
    for method, url, valid in _api_writes(world):
        for field in valid:
            for value in MALFORMED_VALUES:
                before = _counts()
                response = getattr(client, method)(
                    API + url,
                    data=json.dumps({**valid, field: value}),
                    content_type="application/json",
                )
                if response.status_code < 400:
                    continue  # some values are legal for some fields ("" as a note)
                _assert_error_shape(response)
                assert _counts() == before, (url, field, value)


@pytest.mark.parametrize(
    "raw", ["{not json", "[]", "null", '"text"', "1", json.dumps({"unexpected": 1})]
)
def test_intake_writes_reject_bodies_that_are_not_the_right_object(world: World, raw: str) -> None:
    client = client_for("coordinator")
    for method, url, _valid in _api_writes(world):
        if method == "patch":
            continue  # an empty patch is legal (and ninja reads a non-object as empty)
        response = getattr(client, method)(API + url, data=raw, content_type="application/json")
        _assert_error_shape(response)


def test_bad_enum_values_name_their_fields(world: World) -> None:
    enrolment = _referral(world, "+447700900802")
    response = client_for("coordinator").post(
        f"{API}/enrolments/{enrolment.pk}/attempts",
        data=json.dumps({"channel": "pigeon", "outcome": "maybe"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"channel", "outcome"}
    response = client_for("coordinator").post(
        f"{API}/referrals",
        data=json.dumps(
            {
                "programme_id": world.programme_a.pk,
                "given_name": "X",
                "priority": "whenever",
                "contact_channels": ["fax"],
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert {"priority", "contact_channels"} <= set(response.json()["error"]["fields"])


@pytest.mark.parametrize("query", ["q=%00", "q=" + "x" * 500, "page=0", "page_size=100000"])
def test_list_queries_reject_malformed_parameters(world: World, query: str) -> None:
    response = client_for("coordinator").get(f"{API}/people?{query}")
    _assert_error_shape(response)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.dictionaries(
        st.sampled_from(
            [
                "programme_id",
                "given_name",
                "family_name",
                "date_of_birth",
                "phone",
                "email",
                "languages",
                "kind",
                "priority",
                "contact_channels",
                "share_with_referrer",
            ]
        ),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(max_size=30),
            st.lists(st.text(max_size=5), max_size=4),
        ),
    )
)
def test_random_referral_payloads_never_cause_a_server_error(
    world: World, payload: dict[str, Any]
) -> None:
    response = client_for("coordinator").post(
        f"{API}/referrals", data=json.dumps(payload), content_type="application/json"
    )
    assert response.status_code < 500, response.content[:300]
