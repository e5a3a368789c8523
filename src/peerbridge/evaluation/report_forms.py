"""Forms of the analytics, funder report, research export and quote pages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.evaluation.analytics import Period
from peerbridge.evaluation.models import Quote
from peerbridge.evaluation.research_export import TABLES
from peerbridge.organisations.models import Site
from peerbridge.people.models import Person

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def check_period(start: date | None, end: date | None) -> dict[str, str]:
    """Field errors for a period: inside 2000-2100, the start not after the end."""
    errors: dict[str, str] = {}
    for name, value in (("start", start), ("end", end)):
        if value is not None and not EARLIEST <= value <= LATEST:
            errors[name] = str(_("Give a date between 2000 and 2100."))
    if not errors and start is not None and end is not None and start > end:
        errors["end"] = str(_("The end of the period cannot be before its start."))
    return errors


def default_period() -> Period:
    """The last twelve months, to today."""
    today = timezone.localdate()
    return Period(today - timedelta(days=365), today)


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("All sites")
    )

    def __init__(self, *args: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, message in check_period(data.get("start"), data.get("end")).items():
            self.add_error(name, message)
        return data

    def period(self) -> Period:
        return Period(self.cleaned_data.get("start"), self.cleaned_data.get("end"))


class FunderReportForm(PeriodForm):
    quotes = forms.BooleanField(label=_("Include quotes people agreed to share"), required=False)
    file_format = forms.ChoiceField(
        label=_("Show as"),
        required=False,
        choices=[
            ("", _("This page")),
            ("pdf", _("PDF")),
            ("csv", _("CSV (spreadsheet text)")),
            ("xlsx", _("Excel workbook (XLSX)")),
        ],
    )

    def period(self) -> Period:
        """No dates given: the last twelve months, as on first opening and in the API."""
        chosen = super().period()
        return chosen if chosen.start or chosen.end else default_period()


class ExportForm(forms.Form):
    table = forms.ChoiceField(
        label=_("What"),
        choices=[
            (TABLES[0], _("Questionnaire responses")),
            (TABLES[1], _("Measures")),
            (TABLES[2], _("Summary: people per questionnaire and timepoint")),
        ],
    )
    file_format = forms.ChoiceField(
        label=_("File"), choices=[("csv", _("CSV")), ("parquet", _("Parquet"))]
    )


class QuoteForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Who said it"), queryset=Person.objects.none())
    speaker = forms.ChoiceField(label=_("Speaking as"), choices=Quote.Speaker.choices)
    text = forms.CharField(label=_("Their words"), widget=forms.Textarea, max_length=1000)
    consent_recorded_on = forms.DateField(
        label=_("They agreed to share it on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("Any site")
    )

    def __init__(self, *args: Any, people: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]

    def apply_errors(self, error: ValidationError) -> None:
        for name, messages in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)
