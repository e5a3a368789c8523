"""Forms for risk flags: raising one, acknowledging, a note, reassigning, resolving.
Few required fields: the services check the rules and say which field is wrong."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from peerbridge.core.models import User
from peerbridge.safety.deadlines import DeadlineRules
from peerbridge.safety.models import Severity
from peerbridge.safety.selectors import PersonChoice
from peerbridge.safety.services import ACTION_CHOICES, NOTE_MAX, SUMMARY_MAX


def text_area(label: Any, *, limit: int = NOTE_MAX, required: bool = False, **extra: Any) -> Any:
    return forms.CharField(
        label=label,
        max_length=limit,
        required=required,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        **extra,
    )


def severity_help(rules: DeadlineRules) -> dict[str, str]:
    """What each severity sets in motion, in the programme's own numbers."""
    return {
        Severity.HIGH: str(
            _(
                "The person on call is alerted at once, day or night, and must respond "
                "within %(minutes)s minutes. You will see the crisis numbers straight away."
            )
            % {"minutes": rules.high_within_minutes}
        ),
        Severity.MEDIUM: str(
            _("The person on call must respond within %(days)s working day(s).")
            % {"days": rules.medium_within_working_days}
        ),
        Severity.LOW: str(
            _("The person on call must respond within %(days)s working day(s).")
            % {"days": rules.low_within_working_days}
        ),
    }


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class FlagRaiseForm(forms.Form):
    """Severity as three large choices with what each sets in motion, and what
    happened; `people` adds the choice of whom the flag is about."""

    person = forms.ChoiceField(label=_("Who is this about?"), choices=())
    severity = forms.ChoiceField(
        label=_("How serious is it?"), choices=Severity.choices, widget=forms.RadioSelect
    )
    summary = text_area(
        _("What happened?"),
        limit=SUMMARY_MAX,
        required=True,
        help_text=_("The facts in a few lines: what was said or seen, and when."),
    )

    def __init__(self, *args: Any, people: list[PersonChoice] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {choice.key: choice for choice in people or []}
        if people is None:
            del self.fields["person"]
        else:
            field = cast(forms.ChoiceField, self.fields["person"])
            field.choices = [("", _("Choose a person")), *((c.key, c.label) for c in people)]

    def chosen(self) -> PersonChoice | None:
        key = self.cleaned_data.get("person")
        return self.people.get(key) if key else None


class AcknowledgeForm(forms.Form):
    note = text_area(_("Note (optional)"), help_text=_("For example: calling them now."))


class NoteForm(forms.Form):
    note = text_area(_("Add a note"), required=True)


class ResolveForm(forms.Form):
    actions = forms.MultipleChoiceField(
        label=_("What was done?"),
        choices=ACTION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    resolution = text_area(
        _("How it was resolved"),
        required=True,
        help_text=_("What was done and decided; kept encrypted."),
    )


class ReassignForm(forms.Form):
    to = UserChoiceField(label=_("Hand it to"), queryset=User.objects.none())
    note = text_area(_("Why (optional)"))

    def __init__(self, *args: Any, handlers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Any]", self.fields["to"]).queryset = handlers
