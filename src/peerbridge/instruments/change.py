"""One person's change on a scale: the Jacobson-Truax reliable change index and the
recovered / improved / unchanged / deteriorated classes (domain file A.3).

A scale's published minimum change (e.g. a fall of 6 on the PHQ-9) is used when the
definition has one; otherwise the index is computed from the SD and reliability of a
reference sample, taken from the definition or, where it has none, from the caller (for
instance the programme's own baseline SD). Explicit arguments win, so a programme that
chooses the computed index applies it to every scale alike."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from peerbridge.instruments.model import Scale

# |RCI| above this is reliable at p < .05 (two-sided).
RELIABLE_Z = 1.96

ChangeCategory = Literal["recovered", "improved", "unchanged", "deteriorated"]


class NoChangeCriteria(ValueError):
    """The scale has no reliable-change constants and none were supplied."""


def standard_error_of_difference(*, sd: float, reliability: float) -> float:
    """S_diff = sqrt(2 * SE_m^2), SE_m = SD * sqrt(1 - r_xx)."""
    if sd <= 0 or not 0 <= reliability < 1:
        raise ValueError("sd must be positive and reliability in [0, 1)")
    standard_error = sd * math.sqrt(1 - reliability)
    return math.sqrt(2 * standard_error**2)


def reliable_change_index(*, before: float, after: float, sd: float, reliability: float) -> float:
    """Jacobson & Truax (1991): RCI = (x2 - x1) / S_diff."""
    return (after - before) / standard_error_of_difference(sd=sd, reliability=reliability)


def reliable_change_threshold(*, sd: float, reliability: float) -> float:
    """The change, in points, that the index counts as reliable when exceeded."""
    return RELIABLE_Z * standard_error_of_difference(sd=sd, reliability=reliability)


def jacobson_truax_cutoff(
    *, mean_clinical: float, sd_clinical: float, mean_functional: float, sd_functional: float
) -> float:
    """Cut-off c between a clinical and a functional population, for scales with no
    published caseness cut-off: (SD_dys * M_func + SD_func * M_dys) / (SD_dys + SD_func)."""
    return (sd_clinical * mean_functional + sd_functional * mean_clinical) / (
        sd_clinical + sd_functional
    )


@dataclass(frozen=True)
class IndividualChange:
    before: float
    after: float
    threshold: float  # the change, in points, that counts as reliable
    rci: float | None  # None when a published threshold was used
    reliable: bool
    crossed_cutoff: bool | None  # clinical before, not after; None: the scale has no cut-off
    category: ChangeCategory

    @property
    def change(self) -> float:
        """Follow-up minus baseline, in the scale's own direction."""
        return self.after - self.before


def _reliable(
    scale: Scale, *, change: float, sd: float | None, reliability: float | None
) -> tuple[bool, float, float | None]:
    criteria = scale.change
    explicit = sd is not None or reliability is not None
    if criteria.reliable_change is not None and not explicit:
        return abs(change) >= criteria.reliable_change, criteria.reliable_change, None
    sd = sd if sd is not None else criteria.sd
    reliability = reliability if reliability is not None else criteria.reliability
    if sd is None or reliability is None:
        raise NoChangeCriteria(
            f"{scale.code}: no reliable-change constants; supply the SD and reliability "
            "of a reference sample"
        )
    s_diff = standard_error_of_difference(sd=sd, reliability=reliability)
    rci = change / s_diff
    return abs(rci) > RELIABLE_Z, RELIABLE_Z * s_diff, rci


def classify_change(
    scale: Scale,
    *,
    before: float,
    after: float,
    sd: float | None = None,
    reliability: float | None = None,
) -> IndividualChange:
    """Classify the change from `before` to `after` on `scale`: recovered (reliable
    improvement that crossed the clinical cut-off from its clinical side), improved
    (reliable improvement only), deteriorated (reliable worsening) or unchanged."""
    change = after - before
    reliable, threshold, rci = _reliable(scale, change=change, sd=sd, reliability=reliability)
    was_clinical, is_clinical = scale.is_clinical(before), scale.is_clinical(after)
    crossed = None if was_clinical is None else bool(was_clinical and not is_clinical)
    better = change < 0 if scale.higher_is_worse else change > 0
    category: ChangeCategory
    if not reliable or change == 0:
        category = "unchanged"
    elif not better:
        category = "deteriorated"
    else:
        category = "recovered" if crossed else "improved"
    return IndividualChange(
        before=before,
        after=after,
        threshold=threshold,
        rci=rci,
        reliable=reliable,
        crossed_cutoff=crossed,
        category=category,
    )
