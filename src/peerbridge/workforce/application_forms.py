"""Forms for applying to be a peer supporter, screening an applicant and deciding.

Short on purpose: people apply from a phone. Few fields are required; the services check
the rules and say which field is wrong."""

from __future__ import annotations

from typing import Any, cast

import pycountry
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from peerbridge.core.public_forms import PublicFormProtection
from peerbridge.organisations.models import Programme
from peerbridge.people.models import (
    Condition,
    LivedExperience,
    is_language_code,
    language_choices,
)
from peerbridge.people.taxonomy import STORY_MAX
from peerbridge.workforce.applications import (
    MOTIVATION_MAX,
    NOTES_MAX,
    REASON_MAX,
    REFERENCES_MAX,
    Answers,
    Applicant,
    Decision,
    Experience,
    readiness_label,
)
from peerbridge.workforce.models import Characteristic, OtherRole, Screening

RATING_PREFIX = "rating_"


def _choices(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def language_code(written: str) -> str | None:
    """An ISO 639 code for a language written by code ("yo") or by name ("Yoruba")."""
    written = written.strip()
    if is_language_code(written.lower()):
        return written.lower()
    try:
        found = pycountry.languages.lookup(written)
    except LookupError:
        return None
    code = getattr(found, "alpha_2", None) or getattr(found, "alpha_3", None)
    return str(code) if code and is_language_code(str(code)) else None


class ApplicationForm(forms.Form):
    """What staff enter for an applicant; the public page adds its protections."""

    given_name = forms.CharField(label=_("First name"), max_length=120)
    family_name = forms.CharField(label=_("Last name"), max_length=120, required=False)
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("If you are accepted, this becomes your sign-in."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you speak"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_languages = forms.CharField(
        label=_("Other languages (optional)"),
        max_length=200,
        required=False,
        help_text=_("Separate them with commas, for example: Yoruba, Amharic."),
    )
    relationship = forms.ChoiceField(
        label=_("Whose experience"),
        choices=LivedExperience.Relationship.choices,
        initial=LivedExperience.Relationship.SELF,
        help_text=_("Your own, or as the carer of someone who lives with it."),
    )
    condition = forms.TypedChoiceField(
        label=_("What you have been through"), required=False, coerce=int, empty_value=None
    )
    since = forms.DateField(
        label=_("Since when (optional)"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    since_kind = forms.ChoiceField(
        label=_("Since what (optional)"),
        required=False,
        choices=[("", _("Not given")), *LivedExperience.SinceKind.choices],
    )
    story = forms.CharField(
        label=_("Your story, in your words (optional)"),
        max_length=STORY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Kept encrypted. Share only what you are comfortable sharing."),
    )
    motivation = forms.CharField(
        label=_("Why you want to be a peer supporter"),
        max_length=MOTIVATION_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    availability = forms.CharField(
        label=_("When you are available (optional)"),
        max_length=300,
        required=False,
        help_text=_("For example: weekday evenings, Saturday mornings."),
    )
    modalities = forms.MultipleChoiceField(
        label=_("Ways you can meet people"),
        choices=Programme.Modality.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    references = forms.CharField(
        label=_("References (optional)"),
        max_length=REFERENCES_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who can speak for you, and how to reach them."),
    )

    def __init__(self, *args: Any, conditions: list[Condition], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["family_name"].widget.attrs["autocomplete"] = "family-name"
        _choices(self, "languages").choices = language_choices()
        self.conditions = {condition.pk: condition for condition in conditions}
        if conditions:
            _choices(self, "condition").choices = [
                ("", _("Not given")),
                *((condition.pk, str(condition)) for condition in conditions),
            ]
        else:
            # The organisation keeps no condition taxonomy: the story says it all.
            del self.fields["condition"]

    def clean_condition(self) -> Condition | None:
        pk = self.cleaned_data.get("condition")
        return None if pk is None else self.conditions[pk]

    def clean_other_languages(self) -> list[str]:
        written = [part for part in self.cleaned_data["other_languages"].split(",") if part.strip()]
        codes, unknown = [], []
        for part in written:
            code = language_code(part)
            if code is None:
                unknown.append(part.strip())
            else:
                codes.append(code)
        if unknown:
            raise ValidationError(
                _("We do not know these languages: %(names)s.") % {"names": ", ".join(unknown)}
            )
        return codes

    def applicant(self) -> Applicant:
        data = self.cleaned_data
        languages = list(dict.fromkeys([*data["languages"], *data["other_languages"]]))
        return Applicant(
            given_name=data["given_name"],
            family_name=data["family_name"],
            email=data["email"],
            phone=data["phone"],
            languages=languages,
        )

    def experience(self) -> Experience:
        data = self.cleaned_data
        return Experience(
            relationship=data["relationship"],
            condition=data.get("condition"),
            since=data["since"],
            since_kind=data["since_kind"],
            story=data["story"],
        )

    def answers(self) -> Answers:
        data = self.cleaned_data
        return Answers(
            motivation=data["motivation"],
            availability=data["availability"],
            modalities=list(data["modalities"]),
            references=data["references"],
        )


class PublicApplicationForm(ApplicationForm, PublicFormProtection):
    stamp_salt = "peerbridge.peer-application"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["relationship"].label = _("Whose experience is it")


class ScreeningForm(forms.Form):
    """Ratings as one row of five per characteristic, readiness and the role-play."""

    readiness = forms.ChoiceField(
        label=_("Readiness"), choices=Screening.Readiness.choices, widget=forms.RadioSelect
    )
    readiness_notes = forms.CharField(
        label=_("Readiness notes (optional)"),
        max_length=NOTES_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    role_play = forms.ChoiceField(
        label=_("Role-play competency assessment"),
        choices=Screening.RolePlay.choices,
        initial=Screening.RolePlay.NOT_DONE,
        widget=forms.RadioSelect,
    )
    role_play_notes = forms.CharField(
        label=_("Role-play notes (optional)"),
        max_length=NOTES_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scale = [
            (1, _("1 concern")),
            (2, "2"),
            (3, "3"),
            (4, "4"),
            (5, _("5 strength")),
        ]
        ratings = {
            RATING_PREFIX + c.value: forms.TypedChoiceField(
                label=c.label, choices=scale, coerce=int, widget=forms.RadioSelect
            )
            for c in Characteristic
        }
        self.fields = {**ratings, **self.fields}
        self.fields["readiness"].label = readiness_label(programme)

    def rating_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(RATING_PREFIX)]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith(RATING_PREFIX)]

    def ratings(self) -> dict[str, int]:
        return {
            name.removeprefix(RATING_PREFIX): int(value)
            for name, value in self.cleaned_data.items()
            if name.startswith(RATING_PREFIX)
        }


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect
    )
    redirected_to = forms.ChoiceField(
        label=_("Role offered instead"),
        choices=[("", _("Only when offering another role")), *OtherRole.choices],
        required=False,
    )
    reason = forms.CharField(
        label=_("Reasons"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed to offer another role or to decline. Kept encrypted."),
    )
