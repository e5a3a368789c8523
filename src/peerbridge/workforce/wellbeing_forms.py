"""Forms for the wellbeing and engagement pages: the burnout check-in (built from the
instrument definition), pausing, capacity and availability, reviews and alerts,
announcements and team events."""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from peerbridge.organisations.models import Programme
from peerbridge.workforce.models import PeerProfile, TeamEvent, WellbeingCheckIn
from peerbridge.workforce.wellbeing import NOTE_MAX, checkin_parts

DAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
EMPTY_WINDOW_ROWS = 3


class CheckInForm(forms.Form):
    """One radio group per question of the check-in's parts, in the instrument's order;
    a question may be skipped (the service refuses a part with too few answers)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parts: list[tuple[str, str, list[str]]] = []
        for scale, items in checkin_parts():
            for item in items:
                self.fields[item.id] = forms.TypedChoiceField(
                    label=gettext(item.text),
                    choices=[(o.value, gettext(o.label)) for o in item.options],
                    coerce=int,
                    required=False,
                    widget=forms.RadioSelect,
                )
            self.parts.append((scale.code, gettext(scale.label), [item.id for item in items]))

    def part_fields(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [(code, label, [self[name] for name in names]) for code, label, names in self.parts]

    def answers(self) -> dict[str, object]:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value is not None and value != ""
        }


class PulseForm(forms.Form):
    value = forms.TypedChoiceField(choices=WellbeingCheckIn.Pulse.choices, coerce=int)


class HoldReleaseForm(forms.Form):
    note = forms.CharField(
        label=_("What was agreed"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A short note, e.g. 'Talked it through; back to two people for now.'"),
    )


class AlertResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("What was done"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class PauseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why"), widget=forms.RadioSelect)
    paused_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty to pause from today."),
    )
    paused_until = forms.DateField(
        label=_("Back on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty if you are not sure yet."),
    )

    def __init__(self, *args: Any, by_staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = PeerProfile.PauseReason.choices
        if not by_staff:
            choices = [c for c in choices if c[0] != PeerProfile.PauseReason.REVIEW]
        field = self.fields["reason"]
        if isinstance(field, forms.ChoiceField):
            field.choices = choices


class LimitsForm(forms.Form):
    max_matches = forms.IntegerField(
        label=_("People supported at once"), min_value=0, max_value=100
    )
    max_groups = forms.IntegerField(
        label=_("Groups facilitated at once"), min_value=0, max_value=20
    )


class WindowForm(forms.Form):
    day = forms.TypedChoiceField(
        label=_("Day"), choices=[("", "—"), *DAYS], coerce=int, required=False
    )
    start = forms.TimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label=_("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, start, end = data.get("day"), data.get("start"), data.get("end")
        given = [v for v in (day, start, end) if v not in (None, "")]
        if given and len(given) < 3:
            raise ValidationError(gettext("Give the day, the start and the end."))
        if isinstance(start, time) and isinstance(end, time) and end <= start:
            raise ValidationError(gettext("A window ends after it starts."))
        return data

    def window(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data or data.get("DELETE") or data.get("day") in (None, ""):
            return None
        return {
            "day": data["day"],
            "start": data["start"].strftime("%H:%M"),
            "end": data["end"].strftime("%H:%M"),
        }


class BaseWindowFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")


WindowFormSet = forms.formset_factory(
    WindowForm,
    formset=BaseWindowFormSet,
    extra=EMPTY_WINDOW_ROWS,
    can_delete=True,
    max_num=50,
    validate_max=True,
)


def window_formset(data: Any, profile: PeerProfile) -> Any:
    initial = [
        {"day": w["day"], "start": w["start"], "end": w["end"]} for w in profile.availability
    ]
    return WindowFormSet(data, initial=initial, prefix="window")


def windows_from(formset: Any) -> list[dict[str, Any]]:
    found = [form.window() for form in formset.forms]
    return sorted((w for w in found if w), key=lambda w: (w["day"], w["start"]))


class ModalitiesForm(forms.Form):
    modalities = forms.MultipleChoiceField(
        label=_("Ways I can meet people"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = programme.modalities or Programme.Modality.values
        field = self.fields["modalities"]
        if isinstance(field, forms.MultipleChoiceField):
            field.choices = [(m, Programme.Modality(m).label) for m in offered]


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Message"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )


class TeamEventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TeamEvent.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    location = forms.CharField(label=_("Where or link"), max_length=300, required=False)
    description = forms.CharField(
        label=_("Details"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PeerChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.person)


class AttendanceForm(forms.Form):
    attendees = PeerChoiceField(
        label=_("Who came"),
        queryset=PeerProfile.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, profiles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["attendees"]
        if isinstance(field, forms.ModelMultipleChoiceField):
            field.queryset = profiles
