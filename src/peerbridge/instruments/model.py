"""The shape of an instrument, read from its data file and checked on load."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Method = Literal["sum", "mean"]
# free: ship and use by default (attribution only). licence_required: free but
# conditional, or owner permission needed; a deployment enables it only after recording
# its licence. proprietary: fee-based, only through a customer's own licence (domain
# file A.1: green / amber / red).
LicenceStatus = Literal["free", "licence_required", "proprietary"]
LICENCE_STATUSES: tuple[LicenceStatus, ...] = ("free", "licence_required", "proprietary")


class DefinitionError(ValueError):
    """A data file that does not describe a usable instrument."""


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    options: tuple[Option, ...]
    # Items whose answer raises a safety flag (e.g. PHQ-9 item 9 above 0): the answer
    # values that trigger it.
    safety_values: frozenset[int] = frozenset()
    loinc: str = ""  # the LOINC question code, where one exists

    @property
    def values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)


@dataclass(frozen=True)
class Band:
    """A named range of a scale's score: `low <= score < high` (high None = no upper
    bound)."""

    code: str
    label: str
    low: float
    high: float | None = None

    def holds(self, value: float) -> bool:
        return value >= self.low and (self.high is None or value < self.high)


@dataclass(frozen=True)
class ChangeCriteria:
    """What counts as one person's reliable and clinically significant change on a scale
    (Jacobson & Truax 1991; domain file A.3). All optional: a scale with none of them
    needs the caller to supply the SD and reliability of a reference sample.

    `reliable_change`: a published minimum change, in points, counted as reliable
    (e.g. NHS Talking Therapies: 6 on the PHQ-9). `reliability` and `sd`: the r_xx and
    baseline SD from which the Jacobson-Truax index is computed instead.
    `clinical_cutoff`: the first score on the clinical side (PHQ-9: 10, so "recovered"
    is moving below 10); on a higher-is-better scale the clinical side is below it."""

    reliable_change: float | None = None
    reliability: float | None = None
    sd: float | None = None
    clinical_cutoff: float | None = None


@dataclass(frozen=True)
class Scale:
    code: str
    label: str
    items: tuple[str, ...]
    method: Method
    reverse: frozenset[str] = frozenset()
    # The fewest answered items for which the scale is scored (the manual's missing rule).
    min_answered: int = 0
    higher_is_worse: bool = True
    bands: tuple[Band, ...] = ()
    change: ChangeCriteria = ChangeCriteria()
    loinc: str = ""  # the LOINC code of the score, where one exists

    def band_for(self, value: float) -> Band | None:
        return next((band for band in self.bands if band.holds(value)), None)

    def is_clinical(self, value: float) -> bool | None:
        """Whether `value` lies on the clinical side of the cut-off (None: no cut-off)."""
        cutoff = self.change.clinical_cutoff
        if cutoff is None:
            return None
        return value >= cutoff if self.higher_is_worse else value < cutoff


@dataclass(frozen=True)
class Instrument:
    code: str
    version: str
    title: str
    description: str
    licence: str
    source: str
    min_value: int
    max_value: int
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    # "panel": the LOINC panel (FHIR Questionnaire.code); "answer_list": the LOINC
    # answer list of the response options.
    loinc: dict[str, str] = field(default_factory=dict)
    licence_status: LicenceStatus = "free"
    # False when the item wording in the data file is a neutral placeholder: the text is
    # under licence (or not yet verified) and must come from the owner before use.
    wording_included: bool = True

    @property
    def needs_licence(self) -> bool:
        """A deployment may enable this instrument only after recording its licence."""
        return self.licence_status != "free"

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def scale(self, code: str) -> Scale:
        for scale in self.scales:
            if scale.code == code:
                return scale
        raise KeyError(code)

    def items_of(self, scale_codes: tuple[str, ...] | list[str]) -> list[Item]:
        wanted = {item_id for code in scale_codes for item_id in self.scale(code).items}
        return [item for item in self.items if item.id in wanted]

    def reverse_value(self, value: int) -> int:
        return self.max_value + self.min_value - value

    def score_range(self, scale: Scale) -> tuple[float, float]:
        """The lowest and highest score the scale can take."""
        items = [self.item(item_id) for item_id in scale.items]
        lows = [min(item.values) for item in items]
        highs = [max(item.values) for item in items]
        if scale.method == "mean":
            return float(min(lows)), float(max(highs))
        return float(sum(lows)), float(sum(highs))
