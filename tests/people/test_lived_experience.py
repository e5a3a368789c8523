"""Lived experience: what a peer has been through, what a participant is facing."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from faker import Faker

from peerbridge.core.models import AuditEvent, User
from peerbridge.organisations.models import Organisation, Programme
from peerbridge.people import taxonomy, taxonomy_seed
from peerbridge.people.models import Condition, IssueTag, LivedExperience, Person
from peerbridge.referrals.models import Enrolment
from tests.conftest import World, client_for, persona_user

FACING = LivedExperience.Perspective.FACING
BEEN_THROUGH = LivedExperience.Perspective.BEEN_THROUGH
SELF = LivedExperience.Relationship.SELF
faker = Faker()


@pytest.fixture
def conditions(db: None) -> dict[str, Condition]:
    return taxonomy_seed.seed_taxonomy(Organisation.objects.get(slug="bridges"))


@pytest.fixture
def issues(world: World) -> dict[str, IssueTag]:
    return {
        **taxonomy_seed.seed_issue_tags(world.programme_a),
        **{f"B: {k}": v for k, v in taxonomy_seed.seed_issue_tags(world.programme_b).items()},
    }


def _enrolled(*programmes: Programme) -> Person:
    person = Person.objects.create(given_name=faker.first_name(), family_name=faker.last_name())
    for programme in programmes:
        Enrolment.objects.create(person=person, programme=programme, source=Enrolment.Source.STAFF)
    return person


@pytest.fixture
def person(world: World) -> Person:
    return _enrolled(world.programme_a)


def _user(persona: str) -> User:
    user = persona_user(persona)
    assert user is not None
    return user


def _save(person: Person, programme: Programme, **values: Any) -> LivedExperience:
    fields: dict[str, Any] = {
        "perspective": FACING,
        "relationship": SELF,
        "condition": None,
        "facets": [],
        "issues": [],
        "since": None,
        "since_kind": "",
        "story": "",
        "saved_by": None,
        **values,
    }
    return taxonomy.lived_experience_save(person=person, programme=programme, **fields)


def test_saving_again_updates_the_one_record_per_programme_and_perspective(
    world: World, person: Person, conditions: dict[str, Condition], issues: dict[str, IssueTag]
) -> None:
    coordinator = _user("coordinator")
    first = _save(
        person,
        world.programme_a,
        condition=conditions["Substance use > Opioids"],
        issues=[issues["Relapse prevention"]],
        since=datetime.date(2024, 3, 1),
        since_kind=LivedExperience.SinceKind.DISCHARGE,
        saved_by=coordinator,
    )
    second = _save(
        person,
        world.programme_a,
        condition=conditions["Substance use > Alcohol"],
        issues=[issues["Housing"], issues["Money worries"]],
        saved_by=coordinator,
    )
    assert first.pk == second.pk
    assert LivedExperience.objects.filter(person=person).count() == 1
    second.refresh_from_db()
    assert str(second.condition) == "Substance use > Alcohol"
    assert {i.name for i in second.issues.all()} == {"Housing", "Money worries"}
    assert second.since is None
    # The other perspective is a record of its own.
    _save(person, world.programme_a, perspective=BEEN_THROUGH)
    assert LivedExperience.objects.filter(person=person).count() == 2
    actions = AuditEvent.objects.filter(
        object_type="people.livedexperience", object_id=str(first.pk), actor=coordinator
    ).values_list("action", flat=True)
    assert sorted(actions) == sorted([AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE])


def test_facets_must_sit_under_the_chosen_condition(
    world: World, person: Person, conditions: dict[str, Condition]
) -> None:
    mastectomy = conditions["Breast cancer > Mastectomy"]
    reconstruction = conditions["Breast cancer > Mastectomy > With reconstruction"]
    saved = _save(person, world.programme_a, condition=mastectomy, facets=[reconstruction])
    assert list(saved.facets.all()) == [reconstruction]
    # Breast cancer > Mastectomy as a detail of Breast cancer is fine too.
    _save(
        person,
        world.programme_a,
        condition=conditions["Breast cancer"],
        facets=[mastectomy, reconstruction],
    )
    for condition, facets in [
        (mastectomy, [conditions["Transplant > Heart"]]),
        (mastectomy, [mastectomy]),
        (reconstruction, [mastectomy]),
        (None, [reconstruction]),
    ]:
        with pytest.raises(ValidationError) as caught:
            _save(person, world.programme_a, condition=condition, facets=facets)
        assert set(caught.value.message_dict) == {"facets"}


def test_issues_of_another_programme_are_refused(
    world: World, person: Person, issues: dict[str, IssueTag]
) -> None:
    with pytest.raises(ValidationError) as caught:
        _save(person, world.programme_a, issues=[issues["Relapse prevention"], issues["B: Stigma"]])
    assert set(caught.value.message_dict) == {"issues"}
    assert not LivedExperience.objects.filter(person=person).exists()


def test_a_condition_of_another_organisation_is_refused(world: World, person: Person) -> None:
    elsewhere = Organisation.objects.create(name="Another network", slug="another-network")
    foreign = Condition.objects.create(organisation=elsewhere, name="HIV")
    with pytest.raises(ValidationError) as caught:
        _save(person, world.programme_a, condition=foreign)
    assert set(caught.value.message_dict) == {"condition"}


def test_caregivers_record_the_care_recipients_condition(
    world: World, conditions: dict[str, Condition]
) -> None:
    support_parents = Programme.objects.get(code="support-parents")
    parent = _enrolled(support_parents)
    with pytest.raises(ValidationError) as caught:
        _save(parent, support_parents, relationship=LivedExperience.Relationship.PARENT)
    assert set(caught.value.message_dict) == {"condition"}
    saved = _save(
        parent,
        support_parents,
        relationship=LivedExperience.Relationship.PARENT,
        condition=conditions["Child disability > G-tube"],
    )
    assert saved.is_caregiver
    assert saved.condition == conditions["Child disability > G-tube"]
    # People speaking for themselves may leave the condition unsaid.
    assert _save(_enrolled(support_parents), support_parents).condition is None


def test_retired_choices_stay_on_a_record_but_cannot_be_newly_chosen(
    world: World, person: Person, conditions: dict[str, Condition], issues: dict[str, IssueTag]
) -> None:
    opioids = conditions["Substance use > Opioids"]
    housing = issues["Housing"]
    _save(person, world.programme_a, condition=opioids, issues=[housing])
    taxonomy.condition_retire(condition=opioids, retired_by=None)
    taxonomy.issue_tag_retire(issue_tag=housing, retired_by=None)
    opioids.refresh_from_db()
    housing.refresh_from_db()
    kept = _save(person, world.programme_a, condition=opioids, issues=[housing], story="Still")
    assert kept.condition == opioids
    newcomer = _enrolled(world.programme_a)
    with pytest.raises(ValidationError) as caught:
        _save(newcomer, world.programme_a, condition=opioids, issues=[housing])
    assert set(caught.value.message_dict) == {"condition", "issues"}


def test_dates_are_checked(world: World, person: Person) -> None:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        _save(person, world.programme_a, since=tomorrow, since_kind="diagnosis")
    assert "since" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        _save(person, world.programme_a, since_kind="diagnosis")
    assert "since" in caught.value.message_dict


def test_the_story_is_encrypted_in_the_table(world: World, person: Person) -> None:
    story = "After the second detox I slept in my car behind the depot for a month."
    saved = _save(person, world.programme_a, story=story)
    with connection.cursor() as cursor:
        cursor.execute("SELECT story FROM people_livedexperience WHERE id = %s", [saved.pk])
        (raw,) = cursor.fetchone()
    assert raw and story not in raw and "detox" not in raw
    assert LivedExperience.objects.get(pk=saved.pk).story == story


# Pages


def _page(person: Person, programme: Programme, perspective: str = FACING) -> str:
    return f"/people/{person.pk}/experience/{programme.pk}/{perspective}/"


def test_a_coordinator_records_what_a_participant_is_facing(
    world: World, person: Person, conditions: dict[str, Condition], issues: dict[str, IssueTag]
) -> None:
    client = client_for("coordinator")
    url = _page(person, world.programme_a)
    page = client.get(url)
    assert page.status_code == 200
    # The picker shows each condition with its lineage, indented.
    assert "Breast cancer &gt; Mastectomy &gt; With reconstruction" in page.content.decode()
    assert b'type="date"' in page.content
    response = client.post(
        url,
        {
            "relationship": "self",
            "condition": conditions["Substance use"].pk,
            "facets": [conditions["Substance use > Alcohol"].pk],
            "issues": [issues["Relapse prevention"].pk],
            "since": "2023-05-01",
            "since_kind": "discharge",
            "story": "Two years sober, then a slip.",
        },
    )
    assert response.status_code == 302
    saved = LivedExperience.objects.get(person=person, programme=world.programme_a)
    assert saved.story == "Two years sober, then a slip."
    assert [f.name for f in saved.facets.all()] == ["Alcohol"]
    assert b"Two years sober" in client.get(url).content


def test_a_facet_outside_the_condition_is_a_form_error(
    world: World, person: Person, conditions: dict[str, Condition]
) -> None:
    response = client_for("coordinator").post(
        _page(person, world.programme_a),
        {
            "relationship": "self",
            "condition": conditions["Substance use"].pk,
            "facets": [conditions["Transplant > Heart"].pk],
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors["facets"]
    assert not LivedExperience.objects.filter(person=person).exists()


def test_the_experience_page_is_for_those_who_run_intake(
    world: World, person: Person, conditions: dict[str, Condition]
) -> None:
    url = _page(person, world.programme_a)
    assert client_for("supervisor").get(url).status_code == 403
    assert client_for("peer").get(url).status_code == 403
    coordinator = client_for("coordinator")
    assert coordinator.get(_page(person, world.programme_a, "nonsense")).status_code == 404
    # Not enrolled in B, and the coordinator of A does not run B.
    assert coordinator.get(_page(person, world.programme_b)).status_code in {403, 404}
    admin = client_for("admin")
    assert admin.get(_page(person, world.programme_b)).status_code == 404
    stranger = _enrolled(Programme.objects.get(code="hiv-peer-navigation"))
    assert coordinator.get(_page(stranger, world.programme_a)).status_code == 404


# API


def _put(client: Any, person: Person, body: dict[str, Any]) -> Any:
    return client.put(
        f"/api/v1/people/{person.pk}/experiences",
        data=json.dumps(body),
        content_type="application/json",
    )


def test_the_api_saves_and_lists_experiences(
    world: World, person: Person, conditions: dict[str, Condition], issues: dict[str, IssueTag]
) -> None:
    client = client_for("leader")
    body = {
        "programme_id": world.programme_a.pk,
        "perspective": "facing",
        "condition_id": conditions["Substance use"].pk,
        "facet_ids": [conditions["Substance use > Stimulants"].pk],
        "issue_ids": [issues["Sleep"].pk],
        "since": "2022-01-10",
        "since_kind": "diagnosis",
        "story": "Nights are the hardest.",
    }
    saved = _put(client, person, body)
    assert saved.status_code == 200, saved.content
    row = saved.json()
    assert row["condition"] == "Substance use"
    assert row["facet_ids"] == [conditions["Substance use > Stimulants"].pk]
    again = _put(client, person, {**body, "story": "Better now."})
    assert again.json()["id"] == row["id"]
    listed = client.get(f"/api/v1/people/{person.pk}/experiences")
    assert listed.status_code == 200
    assert [(r["id"], r["story"]) for r in listed.json()] == [(row["id"], "Better now.")]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.READ, object_type="people.person", object_id=str(person.pk)
    ).exists()


def test_the_api_names_the_bad_ids(
    world: World, person: Person, conditions: dict[str, Condition], issues: dict[str, IssueTag]
) -> None:
    response = _put(
        client_for("coordinator"),
        person,
        {
            "programme_id": world.programme_a.pk,
            "perspective": "been_through",
            "condition_id": conditions["Breast cancer"].pk,
            "facet_ids": [conditions["Transplant > Lung"].pk],
            "issue_ids": [issues["B: Disclosure"].pk],
        },
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"facet_ids", "issue_ids"}


def test_staff_see_experiences_only_in_programmes_they_run(
    world: World, conditions: dict[str, Condition]
) -> None:
    both = _enrolled(world.programme_a, world.programme_b)
    _save(both, world.programme_a, story="in A")
    _save(both, world.programme_b, story="in B")
    mine = client_for("coordinator").get(f"/api/v1/people/{both.pk}/experiences").json()
    assert [row["story"] for row in mine] == ["in A"]
    everything = client_for("admin").get(f"/api/v1/people/{both.pk}/experiences").json()
    assert sorted(row["story"] for row in everything) == ["in A", "in B"]
    assert client_for("peer").get(f"/api/v1/people/{both.pk}/experiences").status_code == 404
    assert client_for("evaluator").get(f"/api/v1/people/{both.pk}/experiences").status_code == 404
    refused = _put(
        client_for("supervisor"),
        both,
        {"programme_id": world.programme_a.pk, "perspective": "facing"},
    )
    assert refused.status_code == 403
