"""Forms for the incident log: logging an incident and closing it with its outcome."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.safety.forms import text_area
from peerbridge.safety.incidents import CATEGORIES, TEXT_MAX, IncidentChoices
from peerbridge.safety.models import Incident, Severity
from peerbridge.support.models import Group, GroupSession

MOMENT = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.person)


class SessionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        starts = timezone.localtime(obj.starts_at)
        return f"{obj.group.name} · {obj.number} · {starts:%Y-%m-%d %H:%M}"


def _category_choices() -> list[tuple[Any, Any]]:
    """The categories grouped under each kind of incident."""
    labels = dict(Incident.Category.choices)
    kinds = dict(Incident.Kind.choices)
    return [("", _("Choose"))] + [
        (kinds[kind], [(code, labels[code]) for code in codes])
        for kind, codes in CATEGORIES.items()
    ]


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What kind of incident?"), choices=Incident.Kind.choices, widget=forms.RadioSelect
    )
    category = forms.ChoiceField(label=_("What happened?"), choices=())
    severity = forms.ChoiceField(
        label=_("How serious is it?"), choices=Severity.choices, widget=forms.RadioSelect
    )
    occurred_at = forms.DateTimeField(label=_("When did it happen?"), widget=MOMENT)
    profile = PersonChoiceField(
        label=_("Peer supporter involved"), queryset=Incident.objects.none(), required=False
    )
    enrolment = PersonChoiceField(
        label=_("Participant involved"), queryset=Incident.objects.none(), required=False
    )
    group = forms.ModelChoiceField(
        label=_("Group"),
        queryset=Group.objects.none(),
        required=False,
        help_text=_("Required for an incident in an online group."),
    )
    group_session = SessionChoiceField(
        label=_("Session (optional)"), queryset=GroupSession.objects.none(), required=False
    )
    description = text_area(_("Describe what happened"), limit=TEXT_MAX, required=True)
    immediate_action = text_area(_("What was done at once"), limit=TEXT_MAX)

    def __init__(self, *args: Any, choices: IncidentChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = _category_choices()
        querysets = {
            "profile": choices.profiles,
            "enrolment": choices.enrolments,
            "group": choices.groups,
            "group_session": choices.sessions,
        }
        for name, queryset in querysets.items():
            cast("forms.ModelChoiceField[Any]", self.fields[name]).queryset = queryset


class CloseForm(forms.Form):
    outcome = text_area(
        _("Outcome"),
        limit=TEXT_MAX,
        required=True,
        help_text=_("What was decided and done; who was told."),
    )
