"""The shape of an instrument, read from its data file and checked on load."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Method = Literal["sum", "mean"]


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

    def band_for(self, value: float) -> Band | None:
        return next((band for band in self.bands if band.holds(value)), None)


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
    loinc: dict[str, str] = field(default_factory=dict)

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
