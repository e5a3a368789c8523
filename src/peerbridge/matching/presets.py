"""Weightings taken from the seed programmes, keyed by matching.models.Preset values.

Weights are 0..100 per component (see engine.COMPONENTS); only their ratios matter, as
the engine takes the weighted mean of the components that apply to each participant.

- general: condition first, then shared issues, then the rest in balance.
- surgery_first (programme F, breast surgery): the same surgery first, then the same
  reconstruction (a facet of the surgery), then closeness in age.
- issues_first (programme E, transplant): shared issues first, across age and gender, so
  age and gender weigh little.
- rare_issues (programme D, rare conditions): shared issues and experiences in their own
  words, as few peers share the condition itself.
- language_culture (the HIV programme): language and cultural background first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from peerbridge.matching.engine import Policy


def _weights(**weights: float) -> Mapping[str, float]:
    return MappingProxyType(weights)


PRESETS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "general": _weights(
            condition=30, issues=20, text=10, age=8, gender=6, language=12, culture=5,
            distance=6, modality=5, availability=6, capacity=4, continuity=10,
        ),
        "surgery_first": _weights(
            condition=50, issues=8, text=5, age=15, gender=3, language=8, culture=2,
            distance=4, modality=3, availability=4, capacity=3, continuity=8,
        ),
        "issues_first": _weights(
            condition=15, issues=45, text=15, age=2, gender=1, language=10, culture=3,
            distance=3, modality=3, availability=5, capacity=3, continuity=8,
        ),
        "rare_issues": _weights(
            condition=20, issues=40, text=20, age=5, gender=2, language=10, culture=3,
            distance=3, modality=3, availability=5, capacity=3, continuity=8,
        ),
        "language_culture": _weights(
            condition=15, issues=12, text=5, age=5, gender=8, language=35, culture=25,
            distance=4, modality=4, availability=5, capacity=3, continuity=8,
        ),
    }
)  # fmt: skip


def policy_for(
    preset: str,
    weights: Mapping[str, float] | None = None,
    requirements: Iterable[str] = (),
    max_distance_km: float = 50.0,
) -> Policy:
    """A programme's policy: the preset's weights, overridden by `weights` for each
    component named; unknown presets, components or requirements raise ValueError."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset: {preset!r}")
    merged = {**PRESETS[preset], **(weights or {})}
    return Policy(merged, frozenset(requirements), float(max_distance_km))
