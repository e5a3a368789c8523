"""Forms for the fidelity checklist and for recording an observation (phone-friendly:
one column of large radio choices, one per checklist item)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.evaluation.fidelity import ITEM_TEXT_MAX, NOTE_MAX
from peerbridge.evaluation.models import FidelityElement, FidelityItem, FidelityObservation

NOT_APPLICABLE = "na"
RATING_CHOICES = [
    ("2", _("Fully")),
    ("1", _("Partly")),
    ("0", _("Not seen")),
    (NOT_APPLICABLE, _("Not applicable")),
]


class ItemAddForm(forms.Form):
    text = forms.CharField(
        label=_("What the observer looks for"),
        max_length=ITEM_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Something an observer can see or hear, in plain words."),
    )
    element = forms.ChoiceField(
        label=_("Core element"),
        choices=FidelityElement.choices,
        initial=FidelityElement.PROGRAMME,
    )


class ItemEditForm(forms.Form):
    text = forms.CharField(
        label=_("What the observer looks for"),
        max_length=ITEM_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        max_value=999,
        help_text=_("Items are shown from the lowest position up."),
    )
    is_active = forms.BooleanField(
        label=_("In use"),
        required=False,
        help_text=_("Untick to retire the item: past observations keep it."),
    )

    def __init__(self, *args: Any, item: FidelityItem, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"text": item.text, "position": item.position, "is_active": item.is_active}
        )
        super().__init__(*args, **kwargs)


def item_field(item_id: int) -> str:
    return f"item_{item_id}"


class ObservationForm(forms.Form):
    observed_on = forms.DateField(
        label=_("Observed on"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    setting = forms.ChoiceField(
        label=_("What you observed"),
        choices=FidelityObservation.Setting.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note for the peer (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What went well and one thing to try. Kept encrypted; the peer reads it."),
    )

    def __init__(self, *args: Any, items: list[FidelityItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        note = self.fields.pop("note")
        for item in items:
            self.fields[item_field(item.pk)] = forms.ChoiceField(
                label=item.text,
                choices=RATING_CHOICES,
                widget=forms.RadioSelect,
                help_text=item.get_element_display(),
            )
        self.fields["note"] = note
        if not self.is_bound:
            self.initial.setdefault("observed_on", timezone.localdate())

    def rating_fields(self) -> list[forms.BoundField]:
        return [self[item_field(item.pk)] for item in self.items]

    def ratings(self) -> dict[int, int | None]:
        """The cleaned ratings, keyed by item id (None: not applicable)."""
        found: dict[int, int | None] = {}
        for item in self.items:
            value = self.cleaned_data[item_field(item.pk)]
            found[item.pk] = None if value == NOT_APPLICABLE else int(value)
        return found
