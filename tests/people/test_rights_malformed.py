"""Bad input to erasure (API and page): field errors and 4xx in the one error shape,
never a 500, and never an erasure that was not asked for properly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerbridge.people.models import Person
from peerbridge.referrals.models import Enrolment
from tests.conftest import World, client_for

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
VALID = {"reason": "The person asked in writing.", "confirm": "ERASE"}


@pytest.fixture
def person(world: World) -> Person:
    person = Person.objects.create(given_name="Malformed", family_name="Input", phone="+4470000")
    Enrolment.objects.create(
        person=person, programme=world.programme_a, source=Enrolment.Source.STAFF
    )
    return person


def _post(person_id: object, body: Any, *, raw: bool = False) -> Any:
    return client_for("leader").post(
        f"/api/v1/people/{person_id}/erase",
        data=body if raw else json.dumps(body),
        content_type="application/json",
    )


def _assert_error_shape(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])


def _erased(person: Person) -> bool:
    return Person.objects.get(pk=person.pk).is_erased


def test_every_field_rejects_malformed_values(person: Person) -> None:
    for field in VALID:
        for value in MALFORMED_VALUES:
            with transaction.atomic():
                response = _post(person.pk, {**VALID, field: value})
                if response.status_code < 400:
                    # Some values are legal reasons ("ünïcødé"); the erasure is undone here.
                    assert field == "reason" and response.status_code == 200
                else:
                    _assert_error_shape(response)
                    assert not _erased(person), (field, value)
                transaction.set_rollback(True)


@pytest.mark.parametrize(
    "raw", ["{not json", "[]", "null", '"text"', "1", json.dumps({"unexpected": 1}), ""]
)
def test_bodies_that_are_not_the_right_object_are_refused(person: Person, raw: str) -> None:
    response = _post(person.pk, raw, raw=True)
    _assert_error_shape(response)
    assert not _erased(person)


@pytest.mark.parametrize("confirm", ["erase", "Erase", " ERASE", "ERASE ", "ERASED", "yes", ""])
def test_only_the_exact_word_confirms(person: Person, confirm: str) -> None:
    response = _post(person.pk, {**VALID, "confirm": confirm})
    assert response.status_code == 422
    assert "confirm" in response.json()["error"]["fields"]
    assert not _erased(person)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "   \n "}, "reason"),
        ({"reason": "x" * 501}, "reason"),
        ({"reason": None}, "reason"),
        ({"confirm": None}, "confirm"),
    ],
)
def test_the_reason_is_required_short_and_clean(
    person: Person, body: dict[str, Any], field: str
) -> None:
    response = _post(person.pk, {**VALID, **body})
    _assert_error_shape(response)
    assert field in response.json()["error"]["fields"]
    assert not _erased(person)


def test_nul_characters_are_refused(person: Person) -> None:
    _assert_error_shape(_post(person.pk, {**VALID, "reason": "asked\x00"}))
    _assert_error_shape(_post(person.pk, {**VALID, "confirm": "ERASE\x00"}))
    assert not _erased(person)


def test_missing_fields_are_named(person: Person) -> None:
    response = _post(person.pk, {})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"reason", "confirm"}


@pytest.mark.parametrize("person_id", [10**9, 0, -1])
def test_an_unknown_person_is_not_found(world: World, person_id: int) -> None:
    _assert_error_shape(_post(person_id, VALID))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.dictionaries(
        st.sampled_from(["reason", "confirm", "person_id", "extra"]),
        st.one_of(
            st.none(),
            st.integers(),
            st.booleans(),
            st.sampled_from(["ERASE", "erase"]),
            st.text(max_size=40),
            st.lists(st.text(max_size=5)),
        ),
    )
)
def test_random_payloads_never_cause_a_server_error(
    person: Person, payload: dict[str, Any]
) -> None:
    response = _post(person.pk, payload)
    assert response.status_code < 500
    if response.status_code >= 400:
        _assert_error_shape(response)


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "", "confirm": ""},
        {"reason": "asked", "confirm": "erase"},
        {"reason": "asked\x00", "confirm": "ERASE"},
        {"reason": "x" * 501, "confirm": "ERASE"},
        {"reason": "   ", "confirm": "ERASE"},
    ],
)
def test_the_erasure_page_shows_field_errors_and_erases_nothing(
    person: Person, data: dict[str, str]
) -> None:
    response = client_for("leader").post(f"/people/{person.pk}/erase/", data)
    assert response.status_code == 422
    assert response.context["form"].errors
    assert b'aria-invalid="true"' in response.content
    assert not _erased(person)
