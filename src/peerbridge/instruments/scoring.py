"""Scores a set of answers against an instrument: reverse items, the manual's rule for
missing answers, sums or means, and bands. Raw answers stay the record; scores are
recomputed from them with this versioned code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from peerbridge.instruments.model import Band, Instrument


class IncompleteAnswers(ValueError):
    """An answer outside an item's options, or an item the instrument does not have."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {value}" for key, value in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class ScaleScore:
    code: str
    label: str
    value: float | None  # None: too few items answered to score it
    answered: int
    band: Band | None

    @property
    def complete(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Score:
    instrument: str
    version: str
    scales: dict[str, ScaleScore]
    safety_items: tuple[str, ...]  # items whose answer asks for a safety flag

    def value(self, scale: str) -> float | None:
        return self.scales[scale].value


def check_answers(instrument: Instrument, answers: Mapping[str, int | None]) -> None:
    problems: dict[str, str] = {}
    known = {item.id: item for item in instrument.items}
    for item_id, value in answers.items():
        item = known.get(item_id)
        if item is None:
            problems[item_id] = "not an item of this questionnaire"
        elif value is not None and value not in item.values:
            problems[item_id] = f"{value!r} is not one of the answers"
    if problems:
        raise IncompleteAnswers(problems)


def score(
    instrument: Instrument,
    answers: Mapping[str, int | None],
    *,
    scales: tuple[str, ...] | None = None,
) -> Score:
    """Score `answers` (item id -> option value, None or absent when skipped)."""
    check_answers(instrument, answers)
    results: dict[str, ScaleScore] = {}
    for scale in instrument.scales:
        if scales is not None and scale.code not in scales:
            continue
        given = [
            (item_id, answers[item_id])
            for item_id in scale.items
            if answers.get(item_id) is not None
        ]
        values = [
            instrument.reverse_value(v) if item_id in scale.reverse else v
            for item_id, v in given
            if v is not None
        ]
        value: float | None = None
        if len(values) >= scale.min_answered:
            total = float(sum(values))
            # A sum with missing items is prorated, as most manuals allow once the minimum
            # number of items is answered.
            value = (
                total / len(values)
                if scale.method == "mean"
                else round(total * len(scale.items) / len(values), 2)
            )
        results[scale.code] = ScaleScore(
            code=scale.code,
            label=scale.label,
            value=value,
            answered=len(values),
            band=None if value is None else scale.band_for(value),
        )
    safety = tuple(
        item.id
        for item in instrument.items
        if item.safety_values and answers.get(item.id) in item.safety_values
    )
    return Score(
        instrument=instrument.code,
        version=instrument.version,
        scales=results,
        safety_items=safety,
    )
