"""Fidelity services: the checklist (five core elements on first read, the programme's
own items, retiring rather than rewording a used item), observations (validation, the
score, audit) and who may observe or see whom. Builders here serve the other fidelity
test modules too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.evaluation import fidelity
from peerbridge.evaluation.models import (
    FidelityElement,
    FidelityItem,
    FidelityObservation,
    FidelityRating,
)
from peerbridge.organisations.models import Programme
from peerbridge.workforce.models import PeerProfile
from tests.conftest import World, persona_user
from tests.matrix.workforce import matrix_peer_profile
from tests.workforce.world import make_profile

pytestmark = pytest.mark.django_db


def user(persona: str) -> User:
    found = persona_user(persona)
    assert found is not None
    return found


def ratings_all(programme: Programme, value: int | None = 2) -> dict[str, int | None]:
    return {str(item.pk): value for item in fidelity.checklist(programme, active_only=True)}


def observe(
    profile: PeerProfile,
    *,
    by: str = "supervisor",
    value: int | None = 2,
    days_ago: int = 0,
    setting: str = FidelityObservation.Setting.CONTACT,
    ratings: dict[str, Any] | None = None,
    note: str = "",
) -> FidelityObservation:
    return fidelity.observation_record(
        profile=profile,
        observed_by=user(by),
        observed_on=timezone.localdate() - timedelta(days=days_ago),
        setting=setting,
        ratings=ratings if ratings is not None else ratings_all(profile.programme, value),
        note=note,
    )


def unsupervised_peer(world: World) -> PeerProfile:
    """A peer of programme A whom persona "supervisor" does not supervise."""
    profile = make_profile(world.programme_a, ready=True, status=PeerProfile.Status.ACTIVE)
    profile.started_on = timezone.localdate() - timedelta(days=400)
    profile.save(update_fields=["started_on"])
    assert profile.supervisor_id is None
    return profile


def persona_peer(world: World) -> PeerProfile:
    profile = matrix_peer_profile(world)
    assert profile.supervisor_id == user("supervisor").pk
    return profile


# ---------------------------------------------------------------------------------------
# The checklist


def test_checklist_starts_with_the_five_core_elements_once(world: World) -> None:
    programme = world.programme_b
    # Start programme B from no checklist (the demo's observations use its items).
    FidelityRating.objects.filter(item__programme=programme).delete()
    FidelityObservation.objects.filter(profile__programme=programme).delete()
    FidelityItem.objects.filter(programme=programme).delete()
    first = fidelity.checklist(programme)
    again = fidelity.checklist(programme)
    assert [item.element for item in first] == [
        FidelityElement.TRAINING,
        FidelityElement.CONNECTION,
        FidelityElement.SAFE_ENVIRONMENT,
        FidelityElement.ENGAGEMENT,
        FidelityElement.PEER_QUALITIES,
    ]
    assert all(item.is_core and item.is_active for item in first)
    assert [item.pk for item in again] == [item.pk for item in first]
    assert FidelityItem.objects.filter(programme=programme).count() == 5


def test_leader_adds_a_programme_item_at_the_end_audited(world: World) -> None:
    programme = world.programme_a
    fidelity.checklist(programme)
    item = fidelity.item_add(
        programme=programme,
        actor=user("leader"),
        text="  Offers   a referral to  housing support when it is needed. ",
    )
    assert item.text == "Offers a referral to housing support when it is needed."
    assert item.element == FidelityElement.PROGRAMME
    assert fidelity.checklist(programme)[-1] == item
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_type="evaluation.fidelityitem", object_id=item.pk
    ).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 301}, "text"),
        ({"text": "bad\x00text"}, "text"),
        ({"position": -1}, "position"),
        ({"position": True}, "position"),
        ({"is_active": "no"}, "is_active"),
        ({"programme": 3}, "programme"),
    ],
)
def test_item_update_refuses_bad_values(world: World, changes: dict[str, Any], field: str) -> None:
    item = fidelity.checklist(world.programme_a)[0]
    with pytest.raises(ValidationError) as refused:
        fidelity.item_update(item=item, actor=user("leader"), **changes)
    assert field in refused.value.message_dict


def test_an_item_used_in_an_observation_is_retired_not_reworded(world: World) -> None:
    profile = persona_peer(world)
    observe(profile)
    item = fidelity.checklist(world.programme_a)[0]
    with pytest.raises(ValidationError) as refused:
        fidelity.item_update(item=item, actor=user("leader"), text="Something else entirely.")
    assert "text" in refused.value.message_dict
    retired = fidelity.item_update(item=item, actor=user("leader"), is_active=False, position=50)
    assert not retired.is_active
    assert item not in fidelity.checklist(world.programme_a, active_only=True)
    assert FidelityRating.objects.filter(item=item).exists()


def test_the_last_item_in_use_cannot_be_retired(world: World) -> None:
    items = fidelity.checklist(world.programme_b)
    for item in items[1:]:
        fidelity.item_update(item=item, actor=user("admin"), is_active=False)
    with pytest.raises(ValidationError):
        fidelity.item_update(item=items[0], actor=user("admin"), is_active=False)


def test_duplicate_item_text_is_refused(world: World) -> None:
    first = fidelity.checklist(world.programme_a)[0]
    with pytest.raises(ValidationError) as refused:
        fidelity.item_add(programme=world.programme_a, actor=None, text=first.text.upper())
    assert "text" in refused.value.message_dict


# ---------------------------------------------------------------------------------------
# Observations


def test_score_is_the_share_of_points_on_applicable_items() -> None:
    assert fidelity.score_of({1: 2, 2: 1, 3: 0, 4: None}) == pytest.approx(50.0)
    assert fidelity.score_of({1: 2, 2: None}) == 100.0
    assert fidelity.score_of({1: None}) is None


def test_observation_is_scored_stored_and_audited(world: World) -> None:
    profile = persona_peer(world)
    items = fidelity.checklist(world.programme_a, active_only=True)
    ratings: dict[str, int | None] = {str(item.pk): 2 for item in items}
    ratings[str(items[0].pk)] = 0
    ratings[str(items[1].pk)] = None
    observation = observe(profile, ratings=ratings, note="Lovely open questions.")
    applicable = len(items) - 1
    assert observation.score == pytest.approx(100 * (2 * (applicable - 1)) / (2 * applicable))
    assert observation.site == world.riverside
    assert observation.ratings.count() == len(items)
    assert FidelityObservation.objects.get(pk=observation.pk).note == "Lovely open questions."
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE,
        object_type="evaluation.fidelityobservation",
        object_id=observation.pk,
    ).exists()


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("missing_item", None),
        ("unknown_item", "ratings"),
        ("bad_value", None),
        ("bool_value", None),
        ("nothing_applies", "ratings"),
        ("future", "observed_on"),
        ("ancient", "observed_on"),
        ("setting", "setting"),
        ("long_note", "note"),
    ],
)
def test_observation_refuses_malformed_input(world: World, kind: str, field: str | None) -> None:
    profile = persona_peer(world)
    items = fidelity.checklist(world.programme_a, active_only=True)
    first = str(items[0].pk)
    ratings: dict[str, Any] = {str(item.pk): 1 for item in items}
    day = timezone.localdate()
    setting = FidelityObservation.Setting.CONTACT
    note = ""
    if kind == "missing_item":
        del ratings[first]
    elif kind == "unknown_item":
        ratings["999999"] = 1
    elif kind == "bad_value":
        ratings[first] = 3
    elif kind == "bool_value":
        ratings[first] = True
    elif kind == "nothing_applies":
        ratings = dict.fromkeys(ratings)
    elif kind == "future":
        day += timedelta(days=1)
    elif kind == "ancient":
        day -= timedelta(days=3 * 365)
    elif kind == "setting":
        setting = "party"  # type: ignore[assignment]
    elif kind == "long_note":
        note = "x" * (fidelity.NOTE_MAX + 1)
    before = FidelityObservation.objects.filter(profile=profile).count()  # the demo's
    with pytest.raises(ValidationError) as refused:
        fidelity.observation_record(
            profile=profile,
            observed_by=user("supervisor"),
            observed_on=day,
            setting=setting,
            ratings=ratings,
            note=note,
        )
    assert (field or f"item_{first}") in refused.value.message_dict
    assert FidelityObservation.objects.filter(profile=profile).count() == before


def test_a_peer_who_has_left_is_not_observed(world: World) -> None:
    profile = unsupervised_peer(world)
    profile.status = PeerProfile.Status.LEFT
    profile.save(update_fields=["status"])
    with pytest.raises(ValidationError):
        observe(profile, by="leader")


# ---------------------------------------------------------------------------------------
# Who may observe and see whom


def test_supervisor_observes_only_their_supervisees(world: World) -> None:
    mine, other = persona_peer(world), unsupervised_peer(world)
    assert fidelity.access_peer(user=user("supervisor"), profile_id=mine.pk, observing=True)
    with pytest.raises(PermissionDenied):
        fidelity.access_peer(user=user("supervisor"), profile_id=other.pk, observing=True)
    with pytest.raises(PermissionDenied):
        fidelity.access_peer(user=user("supervisor"), profile_id=other.pk)
    assert fidelity.access_peer(user=user("leader"), profile_id=other.pk, observing=True)


def test_peer_sees_only_their_own_observations(world: World) -> None:
    own, other = persona_peer(world), unsupervised_peer(world)
    assert fidelity.access_peer(user=user("peer"), profile_id=own.pk) == own
    with pytest.raises(PermissionDenied):
        fidelity.access_peer(user=user("peer"), profile_id=own.pk, observing=True)
    with pytest.raises(Http404):
        fidelity.access_peer(user=user("peer"), profile_id=other.pk)
    with pytest.raises(Http404):
        fidelity.access_peer(user=user("peer_other"), profile_id=own.pk)


@pytest.mark.parametrize("bad", ["abc", "", None, "1.5", 10**12])
def test_access_peer_with_a_bad_id_is_404(world: World, bad: object) -> None:
    with pytest.raises(Http404):
        fidelity.access_peer(user=user("leader"), profile_id=bad)


def test_evaluator_reaches_no_peer(world: World) -> None:
    with pytest.raises(Http404):
        fidelity.access_peer(user=user("evaluator"), profile_id=persona_peer(world).pk)
    assert not fidelity.sees_names(user("evaluator"), world.programme_a)
    assert fidelity.sees_names(user("coordinator"), world.programme_a)


def test_reading_a_peer_is_audited(world: World) -> None:
    profile = persona_peer(world)
    before = AuditEvent.objects.filter(
        action=AuditEvent.Action.READ, object_type="people.person", object_id=profile.person_id
    ).count()
    fidelity.access_peer(user=user("supervisor"), profile_id=profile.pk)
    after = AuditEvent.objects.filter(
        action=AuditEvent.Action.READ, object_type="people.person", object_id=profile.person_id
    ).count()
    assert after == before + 1


def test_checklist_item_access(world: World) -> None:
    item = fidelity.checklist(world.programme_a)[0]
    assert fidelity.access_item(user=user("leader"), item_id=item.pk) == item
    with pytest.raises(PermissionDenied):
        fidelity.access_item(user=user("supervisor"), item_id=item.pk)
    with pytest.raises(Http404):
        fidelity.access_item(user=user("peer_other"), item_id=item.pk)
    with pytest.raises(Http404):
        fidelity.access_item(user=user("leader"), item_id="x")
