"""The matching engine's scoring kernel: seekers as columns, hard rules and components.

Every function takes S seekers (`Queries`, (S, 1) columns) and a block of n peers
(`Columns`) and returns (S, n) arrays (or (n,) for what depends on the peer alone). They
avoid np.where and fancy indexing on pair arrays, which cost several times a plain
arithmetic pass. Pure NumPy, no Django.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from peerbridge.matching.engine_columns import (
    AGE_SCALE_YEARS,
    AVAILABILITY_FULL,
    COMPONENT_INDEX,
    COMPONENTS,
    CONDITION_STEPS,
    EARTH_RADIUS_KM,
    F32,
    FACET_SHARE,
    MAX_DISTANCE_KM,
    SUBCONDITION_FALLBACK_SHIFT,
    Columns,
    PathColumns,
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
    to meet one peer each or (n, 1) peer columns (`Columns.by_peer`)."""

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
    # One pass over the records, then one column per field (a batch holds 100,000).
    get = attrgetter(*_SEEKER_FIELDS)
    field = dict(zip(_SEEKER_FIELDS, zip(*map(get, seekers), strict=True), strict=True))
    if not s:
        field = {name: () for name in _SEEKER_FIELDS}

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


# --- The scoring kernel -----------------------------------------------------------------


def any_shared(words_a: NDArray[Any], words_b: NDArray[Any]) -> NDArray[np.bool_]:
    """Whether each pair's bit sets intersect."""
    found: NDArray[np.bool_] = (words_a[0] & words_b[0]) != 0
    for w in range(1, words_a.shape[0]):
        found |= (words_a[w] & words_b[w]) != 0
    return found


def count_shared(words_a: NDArray[Any], words_b: NDArray[Any]) -> NDArray[np.uint8]:
    """How many bits each pair's sets share."""
    total: NDArray[np.uint8] = np.bitwise_count(words_a[0] & words_b[0])
    for w in range(1, words_a.shape[0]):
        total += np.bitwise_count(words_a[w] & words_b[w])
    return total


def pair_km(q: Queries, cols: Columns) -> NDArray[np.float32]:
    """Great-circle (haversine) kilometres: sin(theta/2) is half the chord between the
    unit vectors. Unknown places are at the centre, UNKNOWN_PLACE_KM from everyone."""
    chord2: NDArray[np.float32] = np.square(cols.xyz[0] - q.xyz[0])
    chord2 += np.square(cols.xyz[1] - q.xyz[1])
    chord2 += np.square(cols.xyz[2] - q.xyz[2])
    np.sqrt(chord2, out=chord2)
    chord2 *= F32(0.5)
    np.minimum(chord2, F32(1), out=chord2)
    np.arcsin(chord2, out=chord2)
    chord2 *= F32(2 * EARTH_RADIUS_KM)
    return chord2


@dataclass
class Block:
    """What the kernel keeps between feasibility and scores for one block of pairs."""

    feasible: NDArray[np.bool_]
    km: NDArray[np.float32] | None = None

    def distance(self, q: Queries, cols: Columns) -> NDArray[np.float32]:
        if self.km is None:
            self.km = pair_km(q, cols)
        return self.km


def feasibility(q: Queries, cols: Columns) -> Block:
    """Hard rules: eligible with room, not excluded, every requirement met."""
    if cols.all_base:
        feasible = np.ones(pair_shape(q, cols), dtype=bool)
    elif cols.peer_first:
        feasible = np.repeat(cols.base, len(q), 1)
    else:
        feasible = np.repeat(cols.base[None], len(q), 0)
    block = Block(feasible)
    _require(q, cols, block)
    mark_rows(feasible, q.excluded, cols, False)
    return block


def pair_feasibility(q: Queries, cols: Columns) -> Block:
    """The hard rules for S pairs: `q` flat (Queries.flat) and `cols` the S peers."""
    block = Block(cols.base.copy())
    _require(q, cols, block)
    block.feasible &= ~_pair_marked(q.excluded, cols)
    return block


def _require(q: Queries, cols: Columns, block: Block) -> None:
    """Apply the requirements the seekers have to `block.feasible`."""
    rules: list[tuple[str, Callable[[], NDArray[np.bool_]]]] = [
        ("condition", lambda: cols.path[0] == q.path[0]),
        ("gender", lambda: cols.gender == q.gender),
        ("language", lambda: any_shared(cols.languages, q.language_main)),
        ("culture", lambda: any_shared(cols.cultures, q.cultures)),
        ("modality", lambda: any_shared(cols.modalities, q.modalities)),
        ("distance", lambda: block.distance(q, cols) <= q.max_km),
    ]
    for name, met in rules:
        mask = q.need[name]
        if mask.any():
            block.feasible &= met() | ~mask if not mask.all() else met()


def _pair_marked(sets: RowSets, cols: Columns) -> NDArray[np.bool_]:
    """For S pairs: whether each pair's peer row is among its seeker's given rows."""
    marked = np.zeros(len(cols), dtype=bool)
    for s in sets.owners():
        marked[s] = cols.rows[s] in sets.rows[s]
    return marked


def pair_component_scores(
    name: str, q: Queries, cols: Columns, block: Block, text: NDArray[np.float64] | None
) -> NDArray[np.float32]:
    """One component's scores in [0, 1] for S pairs (`q` flat, `cols` the S peers)."""
    if name == "capacity":
        return cols.capacity
    if name == "continuity":
        return _pair_marked(q.previous, cols).astype(F32)
    if name == "text" and text is None:
        return np.zeros(len(q), dtype=F32)
    return component_scores(name, q, cols, block, text, None)


def pair_shape(q: Queries, cols: Columns) -> tuple[int, int]:
    """The shape of pair arrays: (S, n), or (n, S) for `by_peer` columns."""
    return (len(cols), len(q)) if cols.peer_first else (len(q), len(cols))


def mark_rows(target: NDArray[Any], sets: RowSets, cols: Columns, value: Any) -> None:
    """Set target[s, place of row] for the given PeerTable rows of each seeker."""
    owners = sets.owners()
    if not owners or not len(cols):
        return
    rows = [sets.rows[s] for s in owners]
    wanted = np.concatenate(rows)
    seeker = np.repeat(owners, [r.size for r in rows])
    at = np.minimum(np.searchsorted(cols.rows, wanted), len(cols) - 1)
    here = cols.rows[at] == wanted
    if cols.peer_first:
        target[at[here], seeker[here]] = value
    else:
        target[seeker[here], at[here]] = value


def condition_scores(
    q: Queries, cols: Columns | PathColumns, shared: int | None
) -> NDArray[np.float32]:
    """Condition scores; `shared` is the number of levels every pair here is known to
    share (the candidate graph's blocks), or None to compare paths."""
    a1, b1, a2, b2, a3 = q.steps
    score: NDArray[np.float32] = cols.ends_at[0] * b1
    score += a1
    if shared is None:
        score *= cols.path[0] == q.path[0]
    if (shared is None or shared >= 2) and (q.depth >= 2).any():
        step = cols.ends_at[1] * b2
        step += a2
        if shared is None:
            step *= cols.path[1] == q.path[1]
        score += step
    if (shared is None or shared >= 2) and (q.depth >= 3).any():
        score += (cols.path[2] == q.path[2]) * a3
    if shared == 0:
        score *= F32(0)
    if q.facet_weight.any() and isinstance(cols, Columns):
        score *= 1 - (q.facet_weight > 0) * F32(FACET_SHARE)
        score += count_shared(cols.facets, q.facets) * q.facet_weight
    return score


def _issues(q: Queries, cols: Columns) -> NDArray[np.float32]:
    """Shared issue tags over the geometric mean of both counts (their cosine)."""
    scale = cols.issues_inv_sqrt * q.issues_inv_sqrt
    scale *= count_shared(cols.issues, q.issues)
    return scale


def _age(q: Queries, cols: Columns) -> NDArray[np.float32]:
    gap = cols.age - q.age
    np.square(gap, out=gap)
    gap *= F32(1 / AGE_SCALE_YEARS**2)
    gap += F32(1)
    np.reciprocal(gap, out=gap)
    return gap


def _language(q: Queries, cols: Columns) -> NDArray[np.float32]:
    """1 when the peer speaks the language named (or any of theirs when none is named),
    0.5 when they share another of the seeker's languages."""
    main = any_shared(cols.languages, q.language_main).astype(F32)
    if q.named_language.any():  # without a named language, "any" is "main": same score
        main += any_shared(cols.languages, q.language_any)
        main *= F32(0.5)
    return main


def _distance(q: Queries, cols: Columns, block: Block) -> NDArray[np.float32]:
    score = block.distance(q, cols) / q.max_km
    np.subtract(F32(1), score, out=score)
    np.maximum(score, F32(0), out=score)
    return score


def _availability(q: Queries, cols: Columns) -> NDArray[np.float32]:
    score = count_shared(cols.availability, q.availability) * q.availability_inv
    np.minimum(score, F32(1), out=score)
    return score


def _continuity(q: Queries, cols: Columns) -> NDArray[np.float32]:
    score = np.zeros(pair_shape(q, cols), dtype=F32)
    mark_rows(score, q.previous, cols, 1.0)
    return score


def component_scores(
    name: str,
    q: Queries,
    cols: Columns,
    block: Block,
    text: NDArray[np.float64] | None,
    shared: int | None,
) -> NDArray[np.float32]:
    """One component's scores in [0, 1]."""
    if name == "condition":
        return condition_scores(q, cols, shared)
    if name == "issues":
        return _issues(q, cols)
    if name == "text":
        if text is None:
            return np.zeros(pair_shape(q, cols), dtype=F32)
        return np.clip(text, 0, 1).astype(F32)
    if name == "age":
        return _age(q, cols)
    if name == "gender":
        return np.asarray(cols.gender == q.gender, dtype=F32)
    if name == "language":
        return _language(q, cols)
    if name == "culture":
        return any_shared(cols.cultures, q.cultures).astype(F32)
    if name == "distance":
        return _distance(q, cols, block)
    if name == "modality":
        return count_shared(cols.modalities, q.modalities) * q.modalities_inv
    if name == "availability":
        return _availability(q, cols)
    if name == "capacity":
        return cols.capacity
    return _continuity(q, cols)


def total_scores(
    q: Queries,
    points: NDArray[np.float32],
    cols: Columns,
    block: Block,
    text: NDArray[np.float64] | None,
    shared: int | None = None,
) -> NDArray[np.float32]:
    """The pairs' scores, 0..100 (infeasible pairs included: mask them after)."""
    total = np.zeros(pair_shape(q, cols), dtype=F32)
    for number, name in enumerate(COMPONENTS):
        weight = points[:, number] if cols.peer_first else points[:, number : number + 1]
        if not weight.any() or (name == "condition" and shared == 0 and not q.facet_weight.any()):
            continue
        if name == "capacity":  # the peer's own column: never scaled in place
            total += cols.capacity * weight
            continue
        met = _met(name, q, cols)
        if met is not None:  # a yes-or-no component adds its whole weight where it is met
            np.add(total, weight, out=total, where=met)
            continue
        score = component_scores(name, q, cols, block, text, shared)
        score *= weight
        total += score
    return total


def _met(name: str, q: Queries, cols: Columns) -> NDArray[np.bool_] | None:
    """For the components that score 0 or 1, where they score 1 (None for the others)."""
    if name == "gender":
        met: NDArray[np.bool_] = cols.gender == q.gender
        return met
    if name == "culture":
        return any_shared(cols.cultures, q.cultures)
    if name == "language" and not q.named_language.any():
        return any_shared(cols.languages, q.language_main)
    return None
