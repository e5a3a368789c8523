"""The matching engine's seekers as columns (`Queries`), and the weights each seeker's
score uses (with the fallback for rare conditions).

Pure NumPy, no Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from peerbridge.matching.engine_columns import (
    AVAILABILITY_FULL,
    COMPONENT_INDEX,
    COMPONENTS,
    CONDITION_STEPS,
    EARTH_RADIUS_KM,
    F32,
    FACET_SHARE,
    MAX_DISTANCE_KM,
    SUBCONDITION_FALLBACK_SHIFT,
    PeerTable,
    Policy,
    SeekerRecord,
    unit_vectors,
)

# --- The seekers, as columns -----------------------------------------------------------


@dataclass(frozen=True)
class RowSets:
    """Some PeerTable rows per seeker (the peers excluded, those who supported them
    before): mostly empty, so only the seekers who have some are visited."""

    rows: NDArray[np.object_]  # (S,) ascending row arrays
    some: NDArray[np.bool_]  # (S,)

    @classmethod
    def of(cls, per_seeker: Sequence[NDArray[np.intp]]) -> RowSets:
        rows = np.empty(len(per_seeker), dtype=object)
        rows[:] = list(per_seeker)
        return cls(rows, np.array([r.size > 0 for r in per_seeker], dtype=bool))

    def pick(self, at: NDArray[np.intp] | slice) -> RowSets:
        return RowSets(self.rows[at], self.some[at])

    def owners(self) -> list[int]:
        """The seekers (positions) who have some rows."""
        found: list[int] = np.flatnonzero(self.some).tolist()
        return found


@dataclass
class Queries:
    """S seekers as (S, 1) columns that broadcast against (n,) peer columns; bit sets and
    paths carry a leading axis of words or levels. Flat (`flat`), they are (S,) columns,
    each to meet one peer (the kernel's `pair_*` functions)."""

    LEADING: ClassVar[frozenset[str]] = frozenset(
        {
            "path",
            "steps",
            "facets",
            "issues",
            "language_main",
            "language_any",
            "cultures",
            "xyz",
            "modalities",
            "availability",
        }
    )

    path: NDArray[np.int32]  # (3, S, 1), -2 past the seeker's depth (never a peer's value)
    depth: NDArray[np.int8]  # (S,)
    steps: NDArray[np.float32]  # (5, S, 1): the condition increments for the seeker's depth
    facets: NDArray[Any]
    facet_weight: NDArray[np.float32]  # FACET_SHARE / number of facets, or 0 without any
    issues: NDArray[Any]
    issues_inv_sqrt: NDArray[np.float32]
    age: NDArray[np.float32]
    gender: NDArray[np.int16]  # wished gender's code; -2 when none or no peer has it
    language_main: NDArray[Any]  # the language named, or all of theirs
    language_any: NDArray[Any]
    named_language: NDArray[np.bool_]  # (S,)
    cultures: NDArray[Any]
    xyz: NDArray[np.float32]
    km_scale: NDArray[np.float32]  # 2R / their furthest distance
    max_km: NDArray[np.float32]
    modalities: NDArray[Any]
    modalities_inv: NDArray[np.float32]
    availability: NDArray[Any]
    availability_inv: NDArray[np.float32]
    need: dict[str, NDArray[np.bool_]]  # hard requirements, (S, 1) each
    applies: NDArray[np.bool_]  # (S, C)
    weights: NDArray[np.float32]  # (S, C), policy weights where the component applies
    excluded: RowSets
    previous: RowSets

    def __len__(self) -> int:
        return int(self.depth.shape[0])

    def by_index(self) -> NDArray[np.bool_]:
        """(S,): whether the condition adds only for the peers sharing the seeker's
        condition (found through PeerTable's index), rather than for anyone (facets
        named beside the path)."""
        found: NDArray[np.bool_] = (self.depth >= 1) & ~(self.facet_weight[:, 0] > 0)
        return found

    def pick(self, at: NDArray[np.intp]) -> Queries:
        """The seekers at positions `at` (views when they are consecutive)."""
        if at.size and at[-1] - at[0] + 1 == at.size and np.all(np.diff(at) == 1):
            return self._pick(slice(int(at[0]), int(at[-1]) + 1))
        return self._pick(at)

    def flat(self) -> Queries:
        """The same seekers as (S,) columns, each to meet one peer: against peer columns
        of length S the kernel then scores S pairs, not every seeker with every peer."""
        fields: dict[str, Any] = {}
        for name, value in vars(self).items():
            if isinstance(value, dict):
                fields[name] = {key: mask[:, 0] for key, mask in value.items()}
            elif isinstance(value, RowSets) or name in ("applies", "weights") or value.ndim == 1:
                fields[name] = value
            else:
                fields[name] = value[..., 0]
        return Queries(**fields)

    def _pick(self, at: NDArray[np.intp] | slice) -> Queries:
        fields: dict[str, Any] = {}
        for name, value in vars(self).items():
            if isinstance(value, dict):
                fields[name] = {key: mask[at] for key, mask in value.items()}
            elif isinstance(value, RowSets):
                fields[name] = value.pick(at)
            elif name in self.LEADING:
                fields[name] = value[:, at]
            else:
                fields[name] = value[at]
        return Queries(**fields)


def _column(values: Sequence[float], dtype: Any = F32) -> NDArray[Any]:
    return np.array(values, dtype=dtype)[:, None]


def _inverse(counts: Sequence[int]) -> NDArray[np.float32]:
    array = np.array(counts, dtype=np.float64)
    return (np.where(array > 0, 1 / np.maximum(array, 1), 0)).astype(F32)[:, None]


_SEEKER_FIELDS = (
    "condition_path",
    "facets",
    "issues",
    "age",
    "peer_gender",
    "languages",
    "language",
    "cultures",
    "lat",
    "lon",
    "modalities",
    "availability",
    "max_distance_km",
    "same_culture",
    "gender_required",
    "language_required",
    "previous",
    "excluded",
)
_STEPS = np.array([CONDITION_STEPS[depth] for depth in range(4)], dtype=F32)


def queries(
    seekers: Sequence[SeekerRecord], table: PeerTable, policy: Policy, with_text: bool
) -> Queries:
    s = len(seekers)
    vocab = table.vocab
    # One column per field, read without making a tuple per seeker: a batch holds
    # 100,000 of them, and short-lived containers make the garbage collector sweep
    # every object of the process.
    field = {name: list(map(attrgetter(name), seekers)) for name in _SEEKER_FIELDS}

    def flags(values: Sequence[Any]) -> NDArray[np.bool_]:
        return np.fromiter(map(bool, values), dtype=bool, count=s)

    def sizes(values: Sequence[Any]) -> list[int]:
        return list(map(len, values))

    paths = field["condition_path"]
    path = np.full((3, s, 1), -2, dtype=np.int32)
    for level in range(3):
        path[level, :, 0] = [p[level] if len(p) > level else -2 for p in paths]
    depth = np.minimum(np.array(sizes(paths), dtype=np.int64), 3).astype(np.int8)
    steps = _STEPS[depth].T[:, :, None]
    lat, lon, modalities = field["lat"], field["lon"], field["modalities"]
    located = np.array([a is not None and b is not None for a, b in zip(lat, lon, strict=True)])
    distance = located & np.fromiter(("in_person" in m for m in modalities), dtype=bool, count=s)
    xyz, _ = unit_vectors(lat, lon)
    fallback_km = policy.max_distance_km
    max_km = np.minimum([m or fallback_km for m in field["max_distance_km"]], MAX_DISTANCE_KM)
    ages = field["age"]
    language, spoken = field["language"], field["languages"]
    has = {
        "condition": depth > 0,
        "issues": flags(field["issues"]),
        "text": np.full(s, with_text),
        "age": np.array([a is not None for a in ages], dtype=bool),
        "gender": flags(field["peer_gender"]),
        "language": flags(spoken) | flags(language),
        "culture": flags(field["cultures"]),
        "distance": distance,
        "modality": flags(modalities),
        "availability": flags(field["availability"]),
        "capacity": np.ones(s, dtype=bool),
        "continuity": flags(field["previous"]),
    }
    applies = np.stack([has[name] for name in COMPONENTS], axis=1)
    weights = applies * np.array([policy.weight(c) for c in COMPONENTS], dtype=F32)
    # A stated wish for a peer of the same background counts double.
    weights[:, COMPONENT_INDEX["culture"]] *= 1 + flags(field["same_culture"]).astype(F32)
    requires = policy.requirements
    need = {
        "condition": has["condition"] & ("condition" in requires),
        "gender": has["gender"] & (flags(field["gender_required"]) | ("gender" in requires)),
        "language": has["language"]
        & (flags(field["language_required"]) | ("language" in requires)),
        "culture": has["culture"] & ("culture" in requires),
        "distance": distance & ("distance" in requires),
        "modality": has["modality"] & ("modality" in requires),
    }
    row_of = table.row_of
    none = np.empty(0, dtype=np.intp)

    def rows(ids: frozenset[int]) -> NDArray[np.intp]:
        if not ids:
            return none
        return np.array(sorted(row_of[i] for i in ids if i in row_of), dtype=np.intp)

    words = {name: vocab[name] for name in ("facets", "issues", "cultures", "modalities")}
    languages = vocab["languages"]
    genders = vocab["gender"]
    availability = field["availability"]
    return Queries(
        path=path,
        depth=depth,
        steps=steps,
        facets=words["facets"].encode(field["facets"])[:, :, None],
        facet_weight=_inverse(sizes(field["facets"])) * F32(FACET_SHARE),
        issues=words["issues"].encode(field["issues"])[:, :, None],
        issues_inv_sqrt=np.sqrt(_inverse(sizes(field["issues"]))),
        age=_column([a if a is not None else 0.0 for a in ages]),
        gender=_column([genders.get(g or None, -2) for g in field["peer_gender"]], np.int16),
        language_main=languages.encode(
            [(one,) if one else some for one, some in zip(language, spoken, strict=True)]
        )[:, :, None],
        language_any=languages.encode(
            [(one, *some) if one else some for one, some in zip(language, spoken, strict=True)]
        )[:, :, None],
        named_language=flags(language),
        cultures=words["cultures"].encode(field["cultures"])[:, :, None],
        xyz=xyz[:, :, None],
        km_scale=(2 * EARTH_RADIUS_KM / max_km).astype(F32)[:, None],
        max_km=max_km.astype(F32)[:, None],
        modalities=words["modalities"].encode(modalities)[:, :, None],
        modalities_inv=_inverse(sizes(modalities)),
        availability=vocab["availability"].encode(availability)[:, :, None],
        availability_inv=_inverse([min(n, AVAILABILITY_FULL) for n in sizes(availability)]),
        need={name: mask[:, None] for name, mask in need.items()},
        applies=applies,
        weights=weights.astype(F32),
        excluded=RowSets.of([rows(ids) for ids in field["excluded"]]),
        previous=RowSets.of([rows(ids) for ids in field["previous"]]),
    )


def final_weights(
    q: Queries, best_level: NDArray[np.int8]
) -> tuple[NDArray[np.float32], NDArray[np.int8]]:
    """Per seeker: the weights as points out of 100, and which fallback applied (0 none,
    1 sub-condition, 2 condition). When no feasible peer shares the seeker's condition,
    its whole weight moves to issues and text (half of it when only the sub-condition is
    unshared), in proportion to their weights, or evenly between those that apply when
    both weigh nothing."""
    w = q.weights.astype(np.float64)
    fallback = np.where(
        (q.depth >= 1) & (best_level == 0), 2, np.where((q.depth >= 2) & (best_level == 1), 1, 0)
    ).astype(np.int8)
    shift = np.select([fallback == 2, fallback == 1], [1.0, SUBCONDITION_FALLBACK_SHIFT], 0.0)
    moved = w[:, COMPONENT_INDEX["condition"]] * shift
    if moved.any():
        into = [COMPONENT_INDEX["issues"], COMPONENT_INDEX["text"]]
        share = w[:, into]
        share = np.where(share.sum(axis=1, keepdims=True) > 0, share, q.applies[:, into])
        total = share.sum(axis=1, keepdims=True)
        gone = (total[:, 0] > 0) | (fallback == 2)  # with nowhere to go, half stays
        w[:, COMPONENT_INDEX["condition"]] -= np.where(gone, moved, 0.0)
        w[:, into] += share / np.maximum(total, 1e-12) * moved[:, None]
    norm = w.sum(axis=1, keepdims=True)
    return (100 * w / np.maximum(norm, 1e-12)).astype(F32), fallback
