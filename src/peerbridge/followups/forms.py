"""Forms for the work queue, completing an item, the playbook page and the public
check-in answer."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from peerbridge.core.public_forms import PublicFormProtection
from peerbridge.followups.models import WorkItem
from peerbridge.followups.presets import preset_choices
from peerbridge.followups.services import NOTE_MAX, CheckInOutcome
from peerbridge.matching.check_ins import COMMENT_MAX
from peerbridge.matching.models import MatchCheckIn

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes(value: str) -> bool:
    return value == "yes"


def yes_no(label: Any, *, required: bool = True) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=_yes,
        empty_value=None,
        required=required,
        widget=forms.RadioSelect,
    )


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("To do and not sent")), *WorkItem.Status.choices],
    )
    programme = forms.TypedChoiceField(
        label=_("Programme"), required=False, coerce=int, empty_value=None
    )
    due_before = forms.DateField(
        label=_("Due before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, programmes: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["programme"]).choices = [
            ("", _("All my programmes")),
            *programmes,
        ]


CLOSE_CHOICES = [
    (WorkItem.Status.DONE, _("Done")),
    (WorkItem.Status.CANCELLED, _("No longer needed")),
]


class WorkItemCompleteForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=CLOSE_CHOICES,
        initial=WorkItem.Status.DONE,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept encrypted. Only what the programme needs to know."),
    )

    def check_in_outcome(self) -> CheckInOutcome | None:
        return None


class CheckInCompleteForm(WorkItemCompleteForm):
    """The coordinator's check-in call: did the first call happen, does it feel
    comfortable. "Not comfortable" ends the match once confirmed."""

    side = forms.ChoiceField(
        label=_("Who did you speak with?"),
        choices=MatchCheckIn.Side.choices,
        initial=MatchCheckIn.Side.PARTICIPANT,
        widget=forms.RadioSelect,
    )
    first_call = yes_no(_("Has the first call happened?"), required=False)
    comfortable = yes_no(_("Does the match feel comfortable?"), required=False)
    end_match = forms.BooleanField(
        label=_(
            "End this match as not a fit, and put the participant back on the waiting "
            "list to be matched with someone else"
        ),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == WorkItem.Status.DONE:
            if data.get("first_call") is None:
                self.add_error("first_call", _("Say whether the first call happened."))
            if data.get("comfortable") is None:
                self.add_error("comfortable", _("Say whether the match feels comfortable."))
        return data

    def check_in_outcome(self) -> CheckInOutcome | None:
        data = self.cleaned_data
        if data.get("status") != WorkItem.Status.DONE:
            return None
        return CheckInOutcome(
            side=data["side"],
            first_call=bool(data["first_call"]),
            comfortable=bool(data["comfortable"]),
            end_match=bool(data.get("end_match")),
        )


class CheckInLinkForm(forms.Form):
    side = forms.ChoiceField(choices=MatchCheckIn.Side.choices)
    how = forms.ChoiceField(
        choices=[("email", _("Email the link")), ("show", _("Show me a link to pass on"))]
    )


class PresetApplyForm(forms.Form):
    preset = forms.ChoiceField(label=_("Ready-made playbook"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["preset"]).choices = preset_choices()


class PlaybookActiveForm(forms.Form):
    active = yes_no(_("In use"))


class CheckInAnswerForm(PublicFormProtection):
    stamp_salt = "peerbridge.match-check-in"

    comfortable = yes_no(_("Does it feel comfortable so far?"))
    wants_change = yes_no(_("Would you like to be matched with someone else?"))
    comment = forms.CharField(
        label=_("Anything you would like us to know (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, side: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if side == MatchCheckIn.Side.PEER:
            self.fields["wants_change"].label = _("Would you rather support someone else?")
