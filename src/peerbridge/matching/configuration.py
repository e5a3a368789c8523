"""How a programme matches (its match settings) and what a waiting participant wants
from a peer (their match preferences): reads that never write, and the two audited
services that change them.

Reads return an unsaved default when nothing was saved yet, so looking at a programme
or a participant never creates rows; only the `*_update` services write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.matching.models import REQUIRABLE, Component, MatchPreferences, MatchSettings
from peerbridge.matching.presets import PRESETS
from peerbridge.organisations.models import Programme
from peerbridge.people.models import is_language_code
from peerbridge.referrals.models import OPEN_STATUSES, Enrolment

SETTINGS_EDITABLE = frozenset(
    {
        "preset",
        "weights",
        "requirements",
        "suggestions",
        "candidates_per_participant",
        "favour_longest_waiting",
        "choice_profiles",
        "choice_link_days",
        "offer_response_days",
        "max_distance_km",
    }
)
PREFERENCES_EDITABLE = frozenset(
    {
        "peer_gender",
        "gender_required",
        "language",
        "language_required",
        "same_culture",
        "modalities",
        "availability",
        "max_distance_km",
    }
)


def match_settings(programme: Programme) -> MatchSettings:
    """The programme's match settings; the defaults (unsaved) when none were saved."""
    found = MatchSettings.objects.filter(programme_id=programme.pk).first()
    return found or MatchSettings(programme=programme)


def match_preferences(enrolment: Enrolment) -> MatchPreferences:
    """The participant's wishes; none (unsaved, empty) when nothing was said."""
    found = MatchPreferences.objects.filter(enrolment_id=enrolment.pk).first()
    return found or MatchPreferences(enrolment=enrolment)


def _refuse_unknown(data: Mapping[str, Any], editable: frozenset[str]) -> None:
    unknown = sorted(set(data) - editable)
    if unknown:
        raise ValidationError(
            {name: [_("This cannot be changed here.")] for name in unknown},
        )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _weights_errors(weights: object, preset: str) -> list[str]:
    """What the model's validator cannot say: keys must be text, and the score needs at
    least one part that counts once the preset and the overrides are merged."""
    if not isinstance(weights, dict):
        return [_("Give weights as an object of component: number.")]
    if not all(isinstance(name, str) for name in weights):
        return [_("Name each component by its code.")]
    if not all(_is_number(value) for value in weights.values()):
        return []  # the model's validator says so, once
    merged = {**PRESETS.get(preset, PRESETS["general"]), **weights}
    if not any(float(merged.get(c, 0) or 0) > 0 for c in Component.values):
        return [_("Give at least one part of the score a weight above 0.")]
    return []


def _requirements_errors(requirements: object) -> list[str]:
    if not isinstance(requirements, list) or not all(isinstance(r, str) for r in requirements):
        return [_("Give hard requirements as a list of component codes.")]
    allowed = {c.value for c in REQUIRABLE}
    refused = sorted(set(requirements) - allowed)
    if refused:
        return [_("These cannot be hard requirements: %(names)s.") % {"names": ", ".join(refused)}]
    return []


@transaction.atomic
def settings_update(
    *, programme: Programme, data: Mapping[str, Any], actor: User | None
) -> MatchSettings:
    """Change how the programme matches (leaders). Weights override the preset's, per
    component; hard requirements remove pairs instead of lowering their score."""
    _refuse_unknown(data, SETTINGS_EDITABLE)
    MatchSettings.objects.get_or_create(programme=programme)
    rules = MatchSettings.objects.select_for_update().get(programme=programme)
    for name, value in data.items():
        setattr(rules, name, value)
    errors: dict[str, list[str]] = {}
    if "weights" in data:
        errors["weights"] = _weights_errors(rules.weights, rules.preset)
    if "requirements" in data:
        errors["requirements"] = _requirements_errors(rules.requirements)
    errors = {name: found for name, found in errors.items() if found}
    if errors:
        raise ValidationError(errors)
    if isinstance(rules.weights, dict):
        rules.weights = {name: rules.weights[name] for name in sorted(rules.weights)}
    if isinstance(rules.requirements, list):
        rules.requirements = sorted(set(rules.requirements))
    rules.updated_at = timezone.now()
    rules.updated_by = actor
    rules.full_clean()
    rules.save()
    audit_instance(actor=actor, action=Action.UPDATE, instance=rules)
    return rules


def _preferences_errors(preferences: MatchPreferences, programme: Programme) -> dict[str, str]:
    errors: dict[str, str] = {}
    language = preferences.language
    if not isinstance(language, str) or (language and not is_language_code(language)):
        errors["language"] = _("Give the language as an ISO 639 code, for example es.")
    modalities = preferences.modalities
    if isinstance(modalities, list) and all(isinstance(m, str) for m in modalities):
        offered = set(programme.modalities or [])
        missing = [m for m in modalities if m not in offered and m in Programme.Modality.values]
        if missing:
            names = ", ".join(str(Programme.Modality(m).label) for m in missing)
            errors["modalities"] = _("This programme does not offer: %(names)s.") % {"names": names}
    elif modalities is not None:
        errors["modalities"] = _("Give ways of meeting as a list of codes.")
    return errors


@transaction.atomic
def preferences_update(
    *, enrolment: Enrolment, data: Mapping[str, Any], actor: User | None
) -> MatchPreferences:
    """Record what the participant wants from a peer. A wish adds to a peer's score; a
    requirement (gender, language) removes the peers who do not meet it."""
    _refuse_unknown(data, PREFERENCES_EDITABLE)
    # The status as it is now, under the row lock (the caller's copy may be stale).
    status = (
        Enrolment.objects.select_for_update()
        .filter(pk=enrolment.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status not in OPEN_STATUSES:
        raise ValidationError(_("This enrolment is closed: its wishes can no longer change."))
    preferences = MatchPreferences.objects.filter(enrolment=enrolment).first()
    created = preferences is None
    if preferences is None:
        preferences = MatchPreferences(enrolment=enrolment)
    for name, value in data.items():
        setattr(preferences, name, value)
    if isinstance(preferences.language, str):
        preferences.language = preferences.language.strip().lower()
    errors = _preferences_errors(preferences, enrolment.programme)
    if errors:
        raise ValidationError(errors)
    preferences.updated_at = timezone.now()
    preferences.full_clean()
    preferences.save()
    action = Action.CREATE if created else Action.UPDATE
    audit_instance(actor=actor, action=action, instance=preferences)
    return preferences
