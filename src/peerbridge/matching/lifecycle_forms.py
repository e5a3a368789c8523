"""Forms for the match lifecycle pages: declining an offer, confirming first contact,
completing, ending early and cancelling, and the programme list's filter."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.matching.lifecycle import NOTE_MAX
from peerbridge.matching.models import DeclineReason, EndReason, MatchStatus

LIVE = "live"


PRIVATE_NOTE = _("Private note")


def _note_field(label: Any = PRIVATE_NOTE, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Seen by the programme's staff only."),
    )


class ActionForm(forms.Form):
    """A form whose cleaned values are the keyword arguments of a lifecycle service."""

    def arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class NoteForm(ActionForm):
    """Completing or cancelling: an optional note for the record."""

    note = _note_field()


class DeclineForm(ActionForm):
    reason = forms.ChoiceField(
        label=_("Why are you declining?"),
        choices=DeclineReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose why the offer is declined.")},
    )
    note = _note_field(_("Anything the coordinator should know"))


class EndForm(ActionForm):
    reason = forms.ChoiceField(
        label=_("Why is the match ending?"),
        choices=EndReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose why the match ended.")},
    )
    note = _note_field()
    rematch = forms.BooleanField(
        label=_("Put the participant back on the waiting list for another peer"),
        required=False,
        initial=True,
    )


class FirstContactForm(ActionForm):
    on = forms.DateField(
        label=_("When did you first speak?"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for today."),
    )

    def clean_on(self) -> Any:
        day = self.cleaned_data.get("on")
        if day is not None and day > timezone.localdate():
            raise ValidationError(_("First contact cannot be in the future."))
        return day

    def moment(self) -> datetime | None:
        """The day given, as a time the service can compare (midday; now for today)."""
        day = self.cleaned_data.get("on")
        if day is None or day == timezone.localdate():
            return None
        return timezone.make_aware(datetime.combine(day, time(12, 0)))

    def arguments(self) -> dict[str, Any]:
        return {"on": self.moment()}


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Every status")), (LIVE, _("Under way")), *MatchStatus.choices],
    )

    def chosen(self) -> str:
        return str(self.cleaned_data.get("status") or "") if self.is_valid() else ""
