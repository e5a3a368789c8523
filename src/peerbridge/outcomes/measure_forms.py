"""The form for recording a measure on a phone: what was measured, the number (two for
blood pressure), the unit it was read in, the date and where it came from. The
service checks ranges, units and dates; its errors land on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.outcomes.measures import UNIT_CODES
from peerbridge.outcomes.models import MeasureKind, MeasureSource

NUMBER = {"inputmode": "decimal", "autocomplete": "off"}


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What was measured"),
        choices=[("", _("Choose…")), *MeasureKind.choices],
        error_messages={"required": _("Choose what was measured.")},
    )
    value = forms.DecimalField(
        label=_("Value (for blood pressure, the upper number)"),
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs=NUMBER),
        error_messages={"required": _("Give the value."), "invalid": _("Give a number.")},
    )
    value_2 = forms.DecimalField(
        label=_("Lower number (blood pressure only)"),
        required=False,
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs=NUMBER),
        error_messages={"invalid": _("Give a number.")},
    )
    unit = forms.ChoiceField(
        label=_("Unit"),
        required=False,
        choices=[("", _("The usual unit")), *((code, code) for code in UNIT_CODES)],
        help_text=_("HbA1c may be given in mmol/mol or in %; it is kept in mmol/mol."),
    )
    measured_on = forms.DateField(
        label=_("Date measured"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Give the date it was measured."),
            "invalid": _("Give a date."),
        },
    )
    source = forms.ChoiceField(
        label=_("Where it came from"),
        choices=[("", _("Choose…")), *MeasureSource.choices],
        error_messages={"required": _("Say where the measure came from.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measured_on"].initial = timezone.localdate
        today = timezone.localdate().isoformat()
        self.fields["measured_on"].widget.attrs["max"] = today
