"""Forms for a programme's safety settings and its on-call rota."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from peerbridge.core.models import User
from peerbridge.safety.configuration import SETTINGS_FIELDS
from peerbridge.safety.forms import UserChoiceField
from peerbridge.safety.models import SafetySettings

TIME = forms.TimeInput(format="%H:%M", attrs={"type": "time"})
MOMENT = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})
WEEKDAYS = [
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (7, _("Sunday")),
]


class SettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    working_weekdays = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Medium and low flags count working time on these days only."),
    )
    on_call = UserChoiceField(
        label=_("On call when no one is on the rota"),
        queryset=User.objects.none(),
        required=False,
        help_text=_(
            "When empty and no one is on the rota, a flag goes to the peer's supervisor, "
            "else to the programme's leaders."
        ),
    )

    class Meta:
        model = SafetySettings
        fields = list(SETTINGS_FIELDS)
        widgets = {
            "working_day_starts": TIME,
            "working_day_ends": TIME,
            "crisis_resources": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args: Any, handlers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Any]", self.fields["on_call"]).queryset = handlers

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ShiftForm(forms.Form):
    user = UserChoiceField(label=_("Who is on call"), queryset=User.objects.none())
    starts_at = forms.DateTimeField(label=_("From"), widget=MOMENT)
    ends_at = forms.DateTimeField(label=_("Until"), widget=MOMENT)

    def __init__(self, *args: Any, handlers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Any]", self.fields["user"]).queryset = handlers
