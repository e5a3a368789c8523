"""A programme's match settings and a participant's wishes: reading never writes,
updates validate the whole object with field errors and are audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from peerbridge.core.models import AuditEvent
from peerbridge.matching.configuration import (
    match_preferences,
    match_settings,
    preferences_update,
    settings_update,
)
from peerbridge.matching.loading import programme_policy
from peerbridge.matching.models import MatchPreferences, MatchSettings, Preset
from peerbridge.matching.presets import PRESETS
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from tests.conftest import persona_user
from tests.matching.world_suggestions import fresh_programme, participant

pytestmark = pytest.mark.django_db


def _errors(call: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def test_reading_settings_never_creates_a_row() -> None:
    programme = fresh_programme()
    rules = match_settings(programme)
    assert rules.pk is None and rules.preset == Preset.GENERAL and rules.suggestions == 5
    policy = programme_policy(programme)
    assert policy.weights == PRESETS["general"] and policy.max_distance_km == 50
    assert not MatchSettings.objects.filter(programme=programme).exists()


def test_leaders_change_the_settings_and_it_is_audited() -> None:
    programme = fresh_programme()
    leader = persona_user("leader")
    rules = settings_update(
        programme=programme,
        data={
            "preset": Preset.SURGERY_FIRST,
            "weights": {"language": 40, "age": 0},
            "requirements": ["language", "gender", "language"],
            "suggestions": 8,
        },
        actor=leader,
    )
    assert rules.pk and rules.updated_by == leader
    assert rules.requirements == ["gender", "language"]
    policy = programme_policy(programme)
    assert policy.weights["language"] == 40 and policy.weights["age"] == 0
    assert policy.weights["condition"] == PRESETS["surgery_first"]["condition"]
    assert policy.requirements == frozenset({"gender", "language"})
    assert AuditEvent.objects.filter(
        action="update", object_type="matching.matchsettings", object_id=str(rules.pk)
    ).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"weights": {"nonsense": 3}}, "weights"),
        ({"weights": {"age": 101}}, "weights"),
        ({"weights": {"age": -1}}, "weights"),
        ({"weights": {"age": "ten"}}, "weights"),
        ({"weights": {"age": True}}, "weights"),
        ({"weights": [1, 2]}, "weights"),
        ({"weights": dict.fromkeys(PRESETS["general"], 0)}, "weights"),
        ({"requirements": ["age"]}, "requirements"),
        ({"requirements": "language"}, "requirements"),
        ({"requirements": [["nested"]]}, "requirements"),
        ({"preset": "nonsense"}, "preset"),
        ({"suggestions": 0}, "suggestions"),
        ({"suggestions": 21}, "suggestions"),
        ({"max_distance_km": 0}, "max_distance_km"),
        ({"offer_response_days": 31}, "offer_response_days"),
        ({"programme": 3}, "programme"),
    ],
)
def test_settings_refuse_bad_values_with_the_field_named(data: dict[str, Any], field: str) -> None:
    programme = fresh_programme()
    errors = _errors(lambda: settings_update(programme=programme, data=data, actor=None))
    assert field in errors
    assert match_settings(programme).preset == Preset.GENERAL


def test_reading_preferences_never_creates_a_row() -> None:
    enrolment = participant(fresh_programme())
    wishes = match_preferences(enrolment)
    assert wishes.pk is None and wishes.language == "" and wishes.modalities == []
    assert not MatchPreferences.objects.filter(enrolment=enrolment).exists()


def test_a_participants_wishes_are_saved_and_audited() -> None:
    enrolment = participant(fresh_programme())
    coordinator = persona_user("coordinator")
    data = {
        "peer_gender": "woman",
        "gender_required": True,
        "language": " ES ",
        "language_required": True,
        "modalities": ["telephone"],
        "availability": [{"day": 0, "start": "09:00", "end": "12:00"}],
        "max_distance_km": 30,
    }
    wishes = preferences_update(enrolment=enrolment, data=data, actor=coordinator)
    assert wishes.language == "es" and wishes.gender_required
    again = preferences_update(
        enrolment=enrolment, data={"gender_required": False}, actor=coordinator
    )
    assert again.pk == wishes.pk and not again.gender_required and again.language == "es"
    actions = list(
        AuditEvent.objects.filter(
            object_type="matching.matchpreferences", object_id=str(wishes.pk)
        ).values_list("action", flat=True)
    )
    assert sorted(actions) == ["create", "update"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"gender_required": True}, "peer_gender"),
        ({"language_required": True}, "language"),
        ({"language": "xx"}, "language"),
        ({"language": "english"}, "language"),
        ({"peer_gender": "robot"}, "peer_gender"),
        ({"modalities": ["video"]}, "modalities"),
        ({"modalities": ["carrier pigeon"]}, "modalities"),
        ({"modalities": "telephone"}, "modalities"),
        ({"availability": [{"day": 9, "start": "09:00", "end": "10:00"}]}, "availability"),
        ({"availability": [{"day": 1, "start": "11:00", "end": "10:00"}]}, "availability"),
        ({"max_distance_km": 0}, "max_distance_km"),
        ({"enrolment": 1}, "enrolment"),
    ],
)
def test_wishes_refuse_bad_values_with_the_field_named(data: dict[str, Any], field: str) -> None:
    enrolment = participant(fresh_programme(modalities=("telephone", "in_person")))
    errors = _errors(lambda: preferences_update(enrolment=enrolment, data=data, actor=None))
    assert field in errors
    assert not MatchPreferences.objects.filter(enrolment=enrolment).exists()


def test_the_wishes_of_a_closed_enrolment_do_not_change() -> None:
    enrolment = participant(fresh_programme())
    enrolment.status = EnrolmentStatus.COMPLETED
    enrolment.save(update_fields=["status"])
    with pytest.raises(ValidationError):
        preferences_update(enrolment=enrolment, data={"same_culture": True}, actor=None)


def test_the_wishes_of_an_enrolment_closed_since_it_was_read_do_not_change() -> None:
    enrolment = participant(fresh_programme())
    Enrolment.objects.filter(pk=enrolment.pk).update(status=EnrolmentStatus.COMPLETED)
    with pytest.raises(ValidationError):  # the caller's copy still says waiting
        preferences_update(enrolment=enrolment, data={"same_culture": True}, actor=None)
    assert not MatchPreferences.objects.filter(enrolment=enrolment).exists()
