"""Forms for participant choice: the coordinator's choice of peers to offer, and the
participant's answer on the public page (with the public-form protections)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from peerbridge.core.public_forms import PublicFormProtection
from peerbridge.matching.choice import COMMENT_MAX, MAX_PROFILES
from peerbridge.workforce.models import PeerProfile


class ChoiceSendForm(forms.Form):
    profiles = forms.TypedMultipleChoiceField(
        label=_("Peers to offer"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The participant sees each peer's alias and experience, never their name."),
    )

    def __init__(self, *args: Any, candidates: Sequence[PeerProfile] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {profile.pk: profile for profile in candidates}
        self.fields["profiles"].choices = [  # type: ignore[attr-defined]
            (profile.pk, f"{profile.alias or '-'} ({profile.person})") for profile in candidates
        ]

    def clean_profiles(self) -> list[int]:
        chosen: list[int] = self.cleaned_data["profiles"]
        if len(chosen) > MAX_PROFILES:
            raise forms.ValidationError(
                gettext("Offer at most %(max)d peers.") % {"max": MAX_PROFILES}
            )
        return chosen

    def selected(self) -> list[PeerProfile]:
        return [self.candidates[pk] for pk in self.cleaned_data["profiles"]]


class ChoiceAnswerForm(PublicFormProtection):
    """The participant's answer: one of the peers shown, or "show me others"."""

    stamp_salt = "peerbridge.matching.choice"

    ACTIONS = (("choose", _("Choose this peer")), ("more", _("Ask for other peers")))

    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    profile = forms.TypedChoiceField(
        label=_("Who would you like to talk to?"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you would like us to know (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, shown: Sequence[dict[str, Any]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = [  # type: ignore[attr-defined]
            (entry["profile"], entry["alias"]) for entry in shown
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("action") == "choose" and cleaned.get("profile") is None:
            self.add_error("profile", gettext("Choose one of the peers, or ask for others."))
        return cleaned
