from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from peerbridge.organisations.models import Programme, Site

_PROGRAMME_MODEL_FIELDS = [
    "name",
    "code",
    "summary",
    "condition_area",
    "condition_detail",
    "audience",
    "duration_weeks",
    "contact_cadence_days",
    "peer_pay",
    "max_contact_attempts",
    "self_referral_open",
    "status",
]


class ProgrammeForm(forms.Form):
    """The programme's model. Validation of the whole is the service's (same rules as
    the API); this form only turns the posted strings into values."""

    formats = forms.MultipleChoiceField(
        label=_("Formats"),
        choices=Programme.Format.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    modalities = forms.MultipleChoiceField(
        label=_("Ways of meeting"),
        choices=Programme.Modality.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    field_order = [
        "site",
        "name",
        "code",
        "summary",
        "condition_area",
        "condition_detail",
        "audience",
        "formats",
        "modalities",
        "duration_weeks",
        "contact_cadence_days",
        "peer_pay",
        "max_contact_attempts",
        "self_referral_open",
        "status",
    ]

    def __init__(self, *args: Any, sites: QuerySet[Site] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(Programme, fields=_PROGRAMME_MODEL_FIELDS))
        if sites is not None:
            self.fields["site"] = forms.ModelChoiceField(label=_("Site"), queryset=sites)
        self.order_fields(self.field_order)
        self.fields["summary"].widget.attrs["rows"] = 3

    @staticmethod
    def initial_for(programme: Programme) -> dict[str, Any]:
        initial = forms.model_to_dict(programme, fields=_PROGRAMME_MODEL_FIELDS)
        initial.update(formats=programme.formats, modalities=programme.modalities)
        return initial


class SiteForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.SlugField(label=_("Code"), max_length=60)
    level = forms.ChoiceField(label=_("Level"), choices=Site.Level.choices)


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(label=_("Short name"), max_length=60)
