"""The realist (context-mechanism-outcome) report page: outcome change by mechanism
strength within each context, for one programme and an optional period. Aggregates only,
with small counts suppressed and the "exploratory" wording on the page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from peerbridge.core.access import view_policy
from peerbridge.core.disclosure import SMALL_CELL
from peerbridge.core.forms import show_service_errors
from peerbridge.evaluation import policies, realist
from peerbridge.instruments import get_instrument
from peerbridge.organisations.selectors import access_programme


def outcome_choices() -> list[tuple[str, str]]:
    return [(code, get_instrument(code).title) for code in realist.outcome_codes()]


class RealistFilterForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome questionnaire"))
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = outcome_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                realist.check_period(start=data.get("start"), end=data.get("end"))
            except ValidationError as error:
                show_service_errors(self, error)
        return data


@view_policy(policies.REPORT_VIEW)
@require_safe
def realist_report(request: HttpRequest, programme_id: int) -> HttpResponse:
    """The programme's context-mechanism-outcome report, for the first questionnaire of
    the programme's default schedule unless another outcome is chosen."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.REPORT_VIEW
    )
    query = request.GET.copy()
    query.setdefault("outcome", realist.default_outcome(programme))
    form = RealistFilterForm(query)
    report = None
    if form.is_valid():
        report = realist.realist_report(
            programme=programme,
            outcome=form.cleaned_data["outcome"],
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
        )
    return render(
        request,
        "evaluation/realist.html",
        {"programme": programme, "form": form, "report": report, "threshold": SMALL_CELL},
        status=200 if report is not None else 400,
    )
