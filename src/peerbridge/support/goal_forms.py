"""Forms for goals: a new goal in the participant's words, a 0-10 rating (eleven
buttons, one tap), and closing or reopening a goal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from peerbridge.support import goals
from peerbridge.support.models import Goal

RATING_CHOICES = [(n, str(n)) for n in range(goals.RATING_MIN, goals.RATING_MAX + 1)]


class GoalForm(forms.Form):
    text = forms.CharField(
        label=_("A goal, in the participant's words"),
        max_length=goals.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write the goal in the participant's words.")},
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How close is it now? (0 = nowhere near, 10 = reached)"),
        choices=RATING_CHOICES,
        coerce=int,
        error_messages={"required": _("Choose a rating from 0 to 10.")},
    )


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=Goal.Status.choices,
        error_messages={"required": _("Choose what happened to the goal.")},
    )
