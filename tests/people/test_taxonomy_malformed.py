"""Bad input to the taxonomy, issue-tag and lived-experience endpoints and pages: field
errors in the one error shape, never a 500, and nothing half-saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerbridge.organisations.models import Organisation
from peerbridge.people import taxonomy_seed
from peerbridge.people.models import Condition, IssueTag, LivedExperience, Person
from peerbridge.referrals.models import Enrolment
from tests.conftest import World, client_for

MALFORMED_VALUES: list[Any] = [
    None,
    "",
    "x" * 5000,
    "x" * 20_000,
    -1,
    0,
    10**12,
    2**70,
    3.5,
    True,
    [],
    {},
    ["nested", ["list"]],
    [0, -5],
    "<script>alert(1)</script>",
    "\x00",
    "name with a \x00 inside",
    "ünïcødé",
    "1; DROP TABLE core_user",
    "2020-13-45",
]


@pytest.fixture
def setting(world: World) -> dict[str, Any]:
    organisation = Organisation.objects.get(slug="bridges")
    conditions = taxonomy_seed.seed_taxonomy(organisation)
    issues = taxonomy_seed.seed_issue_tags(world.programme_a)
    person = Person.objects.create(given_name="Malformed", family_name="Input")
    Enrolment.objects.create(
        person=person, programme=world.programme_a, source=Enrolment.Source.STAFF
    )
    return {
        "organisation": organisation,
        "conditions": conditions,
        "issues": issues,
        "person": person,
    }


def _counts() -> tuple[int, int, int]:
    return (Condition.objects.count(), IssueTag.objects.count(), LivedExperience.objects.count())


def _endpoints(world: World, setting: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(persona allowed to write, method, url, a valid body) for every write."""
    conditions = setting["conditions"]
    hiv = conditions["HIV"].pk
    tag = setting["issues"]["Housing"].pk
    return [
        (
            "admin",
            "post",
            f"/api/v1/organisations/{setting['organisation'].pk}/conditions",
            {"name": "Valid", "parent_id": hiv},
        ),
        (
            "admin",
            "patch",
            f"/api/v1/conditions/{conditions['Diabetes > Type 1'].pk}",
            {"name": "Type one", "parent_id": conditions["Diabetes"].pk, "is_active": True},
        ),
        (
            "coordinator",
            "post",
            f"/api/v1/programmes/{world.programme_a.pk}/issues",
            {"name": "Ok"},
        ),
        ("coordinator", "patch", f"/api/v1/issues/{tag}", {"name": "Homes", "is_active": True}),
        (
            "coordinator",
            "put",
            f"/api/v1/people/{setting['person'].pk}/experiences",
            {
                "programme_id": world.programme_a.pk,
                "perspective": "facing",
                "relationship": "self",
                "condition_id": conditions["Substance use"].pk,
                "facet_ids": [conditions["Substance use > Alcohol"].pk],
                "issue_ids": [tag],
                "since": "2021-06-01",
                "since_kind": "discharge",
                "story": "A few words.",
            },
        ),
    ]


def _assert_error_shape(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])


def test_every_field_of_every_write_rejects_malformed_values(
    world: World, setting: dict[str, Any]
) -> None:
    for persona, method, url, valid in _endpoints(world, setting):
        client = client_for(persona)
        for field in valid:
            for value in MALFORMED_VALUES:
                counts = _counts()
                response = getattr(client, method)(
                    url, data=json.dumps({**valid, field: value}), content_type="application/json"
                )
                if response.status_code < 400:
                    continue  # some values are legal for some fields (null parent, 0 is false)
                _assert_error_shape(response)
                assert _counts() == counts, (url, field, value)


def test_oversized_and_nul_values_are_refused(world: World, setting: dict[str, Any]) -> None:
    for persona, method, url, valid in _endpoints(world, setting):
        client = client_for(persona)
        text_field = "story" if "story" in valid else "name"
        counts = _counts()
        oversized = getattr(client, method)(
            url,
            data=json.dumps({**valid, text_field: "x" * 20_000}),
            content_type="application/json",
        )
        assert oversized.status_code == 422, (url, oversized.content[:200])
        _assert_error_shape(oversized)
        assert text_field in oversized.json()["error"]["fields"]
        # The API's parser refuses NUL anywhere in a body, before any handler runs.
        nul = getattr(client, method)(
            url, data=json.dumps({**valid, text_field: "a\x00b"}), content_type="application/json"
        )
        _assert_error_shape(nul)
        assert _counts() == counts


@pytest.mark.parametrize(
    "raw", ["{not json", "[]", "null", '"text"', "1", json.dumps({"unexpected": 1})]
)
def test_writes_reject_bodies_that_are_not_the_right_object(
    world: World, setting: dict[str, Any], raw: str
) -> None:
    for persona, method, url, _valid in _endpoints(world, setting):
        if method == "patch":
            continue  # every field of a patch is optional: ninja reads any body as "no change"
        response = getattr(client_for(persona), method)(
            url, data=raw, content_type="application/json"
        )
        _assert_error_shape(response)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.dictionaries(
        st.sampled_from(
            [
                "programme_id",
                "perspective",
                "relationship",
                "condition_id",
                "facet_ids",
                "issue_ids",
                "since",
                "since_kind",
                "story",
            ]
        ),
        st.one_of(
            st.none(),
            st.integers(),
            st.text(max_size=30),
            st.lists(st.integers(min_value=-3, max_value=10**6), max_size=4),
        ),
    )
)
def test_random_experience_payloads_never_cause_a_server_error(
    world: World, setting: dict[str, Any], payload: dict[str, Any]
) -> None:
    response = client_for("coordinator").put(
        f"/api/v1/people/{setting['person'].pk}/experiences",
        data=json.dumps(payload),
        content_type="application/json",
    )
    assert response.status_code < 500


def test_web_forms_show_field_errors_and_save_nothing(
    world: World, setting: dict[str, Any]
) -> None:
    conditions = setting["conditions"]
    forms = [
        (
            "admin",
            f"/organisations/{setting['organisation'].pk}/conditions/",
            {"name": "", "parent": "not-a-condition"},
        ),
        (
            "admin",
            f"/conditions/{conditions['HIV'].pk}/edit/",
            {"name": "x" * 500, "parent": "999999999"},
        ),
        ("coordinator", f"/programmes/{world.programme_a.pk}/issues/", {"name": "x" * 500}),
        (
            "coordinator",
            f"/issues/{setting['issues']['Housing'].pk}/edit/",
            {"name": "", "is_active": "on"},
        ),
        (
            "coordinator",
            f"/people/{setting['person'].pk}/experience/{world.programme_a.pk}/facing/",
            {
                "relationship": "alien",
                "condition": "nonsense",
                "facets": ["x"],
                "issues": ["999999999"],
                "since": "not-a-date",
                "since_kind": "forever",
                "story": "x" * 20_000,
            },
        ),
    ]
    for persona, url, data in forms:
        counts = _counts()
        response = client_for(persona).post(url, data)
        assert response.status_code == 422, url
        assert response.context["form"].errors
        assert b'aria-invalid="true"' in response.content
        assert _counts() == counts
