"""Forms for the suggestions pages: a participant's wishes, "why not this peer?", an
offer from the suggestions, and the programme's match settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peerbridge.matching.models import (
    REQUIRABLE,
    Component,
    MatchPreferences,
    MatchSettings,
    Preset,
)
from peerbridge.matching.presets import PRESETS
from peerbridge.organisations.models import Programme
from peerbridge.people.models import Person, language_choices, language_name
from peerbridge.workforce.models import PeerProfile
from peerbridge.workforce.wellbeing_forms import WindowFormSet, windows_from

SETTINGS_NUMBERS = (
    "suggestions",
    "candidates_per_participant",
    "favour_longest_waiting",
    "choice_profiles",
    "choice_link_days",
    "offer_response_days",
    "max_distance_km",
)


class PreferencesForm(forms.Form):
    """What the participant wants from a peer; every answer is optional."""

    peer_gender = forms.ChoiceField(
        label=_("Peer's gender"),
        choices=[("", _("No preference")), *Person.Gender.choices],
        required=False,
    )
    gender_required = forms.BooleanField(label=_("Only a peer of this gender"), required=False)
    language = forms.ChoiceField(label=_("Language to be supported in"), required=False)
    language_required = forms.BooleanField(label=_("Needs this language"), required=False)
    same_culture = forms.BooleanField(
        label=_("Would like a peer from the same background"), required=False
    )
    modalities = forms.MultipleChoiceField(
        label=_("Ways of meeting"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked when any way suits them."),
    )
    max_distance_km = forms.IntegerField(
        label=_("Furthest they can travel (km)"),
        required=False,
        min_value=1,
        max_value=2000,
        help_text=_("For meeting in person."),
    )

    def __init__(self, *args: Any, programme: Programme, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes = dict(language_choices())
        for code in person.languages or []:
            if isinstance(code, str):
                codes.setdefault(code, language_name(code))
        current = (self.initial or {}).get("language")
        if isinstance(current, str) and current:
            codes.setdefault(current, language_name(current))
        spoken = [c for c in person.languages or [] if c in codes]
        ordered = spoken + sorted((c for c in codes if c not in spoken), key=codes.__getitem__)
        language = self.fields["language"]
        if isinstance(language, forms.ChoiceField):
            language.choices = [("", _("Any of their languages"))] + [
                (code, codes[code]) for code in ordered
            ]
        modalities = self.fields["modalities"]
        if isinstance(modalities, forms.MultipleChoiceField):
            offered = programme.modalities or Programme.Modality.values
            modalities.choices = [(m, Programme.Modality(m).label) for m in offered]

    @staticmethod
    def initial_from(preferences: MatchPreferences) -> dict[str, Any]:
        return {
            "peer_gender": preferences.peer_gender,
            "gender_required": preferences.gender_required,
            "language": preferences.language,
            "language_required": preferences.language_required,
            "same_culture": preferences.same_culture,
            "modalities": list(preferences.modalities or []),
            "max_distance_km": preferences.max_distance_km,
        }

    def service_data(self, windows: Any) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["availability"] = windows_from(windows)
        return data


def availability_formset(data: Any, preferences: MatchPreferences) -> Any:
    initial = [
        {"day": w["day"], "start": w["start"], "end": w["end"]}
        for w in preferences.availability or []
        if isinstance(w, dict)
    ]
    return WindowFormSet(data, initial=initial, prefix="window")


class WhyNotForm(forms.Form):
    """Checks the peer asked about; the page builds the picker's options itself
    (suggestions.peer_options), so the field never renders its queryset."""

    peer = forms.ModelChoiceField(
        label=_("Why not this peer?"), queryset=PeerProfile.objects.none(), empty_label="—"
    )

    def __init__(self, *args: Any, peers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["peer"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = peers


class OfferForm(forms.Form):
    profile = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)


class MatchSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    """The starting point, a weight per component (empty: the starting point's), the
    hard requirements and the numbers around suggestions, offers and choice."""

    requirements = forms.MultipleChoiceField(
        label=_("Hard requirements"),
        choices=[(c.value, c.label) for c in REQUIRABLE],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "A peer who does not meet a hard requirement is never suggested. The condition "
            "requirement still lets rare conditions fall back to shared issues."
        ),
    )

    class Meta:
        model = MatchSettings
        fields = ["preset", "requirements", *SETTINGS_NUMBERS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        weights = self.instance.weights if isinstance(self.instance.weights, dict) else {}
        for component in Component:
            self.fields[self.weight_field(component.value)] = forms.IntegerField(
                label=component.label,
                required=False,
                min_value=0,
                max_value=100,
                initial=weights.get(component.value),
                help_text=_("Empty: the starting point's weight."),
            )

    @staticmethod
    def weight_field(component: str) -> str:
        return f"weight_{component}"

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[self.weight_field(c.value)] for c in Component]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("preset", "requirements", *SETTINGS_NUMBERS)]

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["requirements"] = list(data["requirements"] or [])
        data["weights"] = {
            c.value: self.cleaned_data[self.weight_field(c.value)]
            for c in Component
            if self.cleaned_data.get(self.weight_field(c.value)) is not None
        }
        return data


def preset_table() -> list[tuple[str, list[int]]]:
    """Each component's weight under each starting point, for the settings page."""
    return [
        (
            str(component.label),
            [int(PRESETS.get(p.value, {}).get(component.value, 0)) for p in Preset],
        )
        for component in Component
    ]
