"""The closure form: the coordinator's summary, the exit questionnaire's fate, thanks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peerbridge.support.closure import SUMMARY_MAX
from peerbridge.support.models import Closure


class ClosureForm(forms.Form):
    summary = forms.CharField(
        label=_("Summary"),
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "What the participant's time amounted to: the draft counts contacts, hours and "
            "goals. Kept encrypted, for the programme's staff."
        ),
        error_messages={"required": _("Write a short summary of the participant's time.")},
    )
    exit_questionnaire = forms.ChoiceField(
        label=_("Exit questionnaire"),
        choices=Closure.ExitQuestionnaire.choices,
        initial=Closure.ExitQuestionnaire.NOT_USED,
        widget=forms.RadioSelect,
        help_text=_("Recorded for now; questionnaires will be sent once outcomes are measured."),
        error_messages={"required": _("Say what happened with the exit questionnaire.")},
    )
    send_thanks = forms.BooleanField(
        label=_("Send the participant a thank-you"),
        required=False,
        initial=True,
        help_text=_(
            "By email or text message if they agreed to it, and in PeerBridge. It says only "
            "thank you and gives a link."
        ),
    )

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "summary": data["summary"],
            "exit_questionnaire": data["exit_questionnaire"],
            "send_thanks": bool(data.get("send_thanks")),
        }
