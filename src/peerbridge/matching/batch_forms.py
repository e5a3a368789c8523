"""Forms for batch runs: starting a run, and changing or dropping one of its lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from peerbridge.matching.batch_runs import MAX_CANDIDATES, PeerRoom
from peerbridge.matching.models import MatchSettings


class BatchRunForm(forms.Form):
    candidates_per_participant = forms.IntegerField(
        label=_("Candidates kept per participant"),
        min_value=1,
        max_value=MAX_CANDIDATES,
        help_text=_(
            "The best peers kept for each participant before the assignment is solved. "
            "More is slower and rarely better; 20 keeps almost all of the best result."
        ),
    )
    favour_longest_waiting = forms.BooleanField(
        label=_("Give those waiting longest priority"), required=False
    )

    @classmethod
    def for_settings(cls, rules: MatchSettings, data: Any = None) -> BatchRunForm:
        return cls(
            data,
            initial={
                "candidates_per_participant": rules.candidates_per_participant,
                "favour_longest_waiting": rules.favour_longest_waiting,
            },
        )


def _peer_label(room: PeerRoom, score: float | None) -> str:
    name = f"{room.profile.alias} ({room.profile.person})" if room.profile.alias else ""
    name = name or str(room.profile.person)
    parts = [name, gettext("room for %(n)d more") % {"n": room.room}]
    if score is not None:
        parts.append(gettext("score %(score).0f") % {"score": score})
    return " · ".join(parts)


class ProposalForm(forms.Form):
    """A line's peer (empty: the participant stays waiting this time) and whether the
    line is published. Peers are those who may take a match now; the service checks
    their room in the run again on saving."""

    profile = forms.TypedChoiceField(
        label=_("Peer supporter"), coerce=int, required=False, empty_value=None
    )
    included = forms.BooleanField(label=_("Publish this line"), required=False)

    def __init__(
        self,
        *args: Any,
        rooms: Sequence[PeerRoom] = (),
        scores: dict[int, float] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        scores = scores or {}
        choices: list[tuple[Any, str]] = [("", gettext("Nobody: stays waiting"))]
        choices += [(r.profile.pk, _peer_label(r, scores.get(r.profile.pk))) for r in rooms]
        self.fields["profile"].choices = choices  # type: ignore[attr-defined]


class ToggleForm(forms.Form):
    """The one-tap drop / include on the review page."""

    included = forms.BooleanField(required=False)
