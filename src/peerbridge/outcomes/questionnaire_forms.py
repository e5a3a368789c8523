"""Forms for answering a questionnaire: one radio group per question (answers may be
left and resumed; completion asks only for what the scoring needs)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from peerbridge.core.public_forms import PublicFormProtection
from peerbridge.instruments.model import Instrument
from peerbridge.outcomes.models import Mode

FINISH = "finish"
SAVE = "save"


def item_text(instrument: Instrument, position: int, text: str) -> str:
    """The question as shown: the library's wording, or its number when the wording
    comes from the licensed paper form."""
    if instrument.wording_included:
        return text
    return str(_("Question %(number)s (as on the paper form)") % {"number": position})


class AnswersForm(forms.Form):
    """One field per item, named by the item id; initial values are the answers so far."""

    def __init__(
        self, *args: Any, instrument: Instrument, answers: dict[str, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for position, item in enumerate(instrument.items, start=1):
            self.fields[item.id] = forms.TypedChoiceField(
                label=item_text(instrument, position, item.text),
                choices=[(str(option.value), option.label) for option in item.options],
                coerce=int,
                required=False,
                empty_value=None,
                widget=forms.RadioSelect,
            )
            if item.id in answers:
                self.initial[item.id] = str(answers[item.id])

    def answers(self) -> dict[str, object]:
        return {item.id: self.cleaned_data.get(item.id) for item in self.instrument.items}

    @property
    def finishing(self) -> bool:
        return self.data.get("action") == FINISH


class LinkAnswersForm(PublicFormProtection, AnswersForm):
    stamp_salt = "peerbridge.outcomes.answer"


class EntryAnswersForm(AnswersForm):
    """Answers given in an interview or on paper, entered by a peer or staff member."""

    mode = forms.ChoiceField(
        label=_("How were the answers given?"),
        choices=[
            (Mode.INTERVIEW.value, Mode.INTERVIEW.label),
            (Mode.PAPER.value, Mode.PAPER.label),
        ],
        initial=Mode.INTERVIEW.value,
        widget=forms.RadioSelect,
    )


class AssessmentNewForm(forms.Form):
    instruments = forms.MultipleChoiceField(
        label=_("Questionnaires"), widget=forms.CheckboxSelectMultiple
    )
    due_on = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["instruments"]).choices = choices


class TimepointForm(forms.Form):
    label = forms.CharField(label=_("Name"), max_length=100)
    instruments = forms.MultipleChoiceField(
        label=_("Questionnaires"), widget=forms.CheckboxSelectMultiple
    )
    window_days = forms.IntegerField(label=_("Days it stays open"), min_value=1, max_value=180)
    is_active = forms.BooleanField(label=_("In use"), required=False)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["instruments"]).choices = choices


class LicenceForm(forms.Form):
    instrument = forms.ChoiceField(label=_("Questionnaire"))
    holder = forms.CharField(label=_("Licence holder"), max_length=200)
    reference = forms.CharField(label=_("Licence reference or agreement"), max_length=200)
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["instrument"]).choices = choices
