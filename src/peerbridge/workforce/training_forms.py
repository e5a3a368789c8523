"""Forms for agreements and training. They turn posted strings into values; the services
hold the rules, so pages and the API refuse the same things."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from peerbridge.workforce.models import (
    AgreementKind,
    Competency,
    CompetencyCheck,
    TrainingModule,
    TrainingSession,
)


def _hours_field(label: Any, **options: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_value=Decimal("999.9"),
        max_digits=4,
        decimal_places=1,
        **options,
    )


class AgreementPublishForm(forms.Form):
    kind = forms.ChoiceField(label=_("Agreement"), choices=AgreementKind.choices)
    body = forms.CharField(
        label=_("Wording"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Plain words. Every peer will be asked to read and sign this version."),
    )
    version = forms.CharField(
        label=_("Version"),
        max_length=20,
        required=False,
        help_text=_("Leave empty to number it after the last version."),
    )


class SignForm(forms.Form):
    text = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    signed_name = forms.CharField(
        label=_("Type your name to sign"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class ModuleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    objectives = forms.CharField(
        label=_("Learning objectives"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    hours = _hours_field(_("Hours"), initial=Decimal("2"))
    required = forms.BooleanField(
        label=_("Required before supporting people"), required=False, initial=True
    )
    audience = forms.ChoiceField(
        label=_("For"), choices=TrainingModule.Audience.choices, initial="peers"
    )
    order = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=32767,
        required=False,
        help_text=_("Leave empty to put it last."),
    )


class ModuleEditForm(ModuleForm):
    is_active = forms.BooleanField(
        label=_("In use"),
        required=False,
        help_text=_("Untick to retire the module: its records stay, it is no longer required."),
    )

    @classmethod
    def initial_for(cls, module: TrainingModule) -> dict[str, Any]:
        return {name: getattr(module, name) for name in cls.base_fields}


class SessionForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    hours = _hours_field(
        _("Hours"), required=False, help_text=_("Leave empty to use the module's hours.")
    )
    trainer = forms.CharField(label=_("Trainer"), max_length=200)
    modality = forms.ChoiceField(label=_("How"), choices=TrainingSession.Modality.choices)
    location = forms.CharField(
        label=_("Where or link"),
        max_length=300,
        required=False,
    )


class AttendanceForm(forms.Form):
    present = forms.TypedMultipleChoiceField(
        label=_("Attended"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, people: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedMultipleChoiceField, self.fields["present"]).choices = list(people)


class CompetencyForm(forms.Form):
    name = forms.CharField(label=_("Competency"), max_length=200)
    description = forms.CharField(
        label=_("What good looks like"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    required = forms.BooleanField(
        label=_("Required before supporting people"), required=False, initial=True
    )


class CompetencyCheckForm(forms.Form):
    competency = forms.ModelChoiceField(label=_("Competency"), queryset=Competency.objects.none())
    result = forms.ChoiceField(
        label=_("Result"),
        choices=CompetencyCheck.Result.choices,
        widget=forms.RadioSelect,
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you observed: the role-play, the scenario, the work."),
    )

    def __init__(self, *args: Any, competencies: QuerySet[Competency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["competency"]).queryset = competencies  # type: ignore[type-arg]
