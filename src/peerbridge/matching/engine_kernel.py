"""The matching engine's scoring kernel: hard rules and components.

Every function takes S seekers (`Queries`, (S, 1) columns) and a block of n peers
(`Columns`) and returns (S, n) arrays (or (n,) for what depends on the peer alone); the
`pair_*` functions take S flat seekers (`Queries.flat`) and S peers and score S pairs.
They avoid np.where and fancy indexing on pair arrays, which cost several times a plain
arithmetic pass. Pure NumPy, no Django.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from peerbridge.matching.engine_columns import (
    AGE_SCALE_YEARS,
    COMPONENTS,
    EARTH_RADIUS_KM,
    F32,
    FACET_SHARE,
    Columns,
)
from peerbridge.matching.engine_queries import Queries, RowSets

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
    shape = (len(q), len(cols))
    feasible = (
        np.ones(shape, dtype=bool) if cols.all_base else np.repeat(cols.base[None], len(q), 0)
    )
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


def pair_points(
    q: Queries,
    cols: Columns,
    block: Block,
    points: NDArray[np.float32],
    text: NDArray[np.float64] | None,
) -> dict[str, NDArray[np.float32]]:
    """The points each component adds for S pairs (`q` flat, `cols` the S peers,
    `points` (S, C) or (1, C) for one seeker), for the components that weigh for some
    pair: the parts of a suggestion's score, and what its reasons explain."""
    return {
        name: pair_component_scores(name, q, cols, block, text) * points[:, number]
        for number, name in enumerate(COMPONENTS)
        if points[:, number].any()
    }


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
    target[seeker[here], at[here]] = value


def condition_scores(q: Queries, cols: Columns, shared: int | None) -> NDArray[np.float32]:
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
    if q.facet_weight.any():
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
    score = np.zeros((len(q), len(cols)), dtype=F32)
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
            return np.zeros((len(q), len(cols)), dtype=F32)
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
    total = np.zeros((len(q), len(cols)), dtype=F32)
    for number, name in enumerate(COMPONENTS):
        weight = points[:, number : number + 1]
        if not weight.any() or (name == "condition" and shared == 0 and not q.facet_weight.any()):
            continue
        if name == "capacity":  # the peer's own column: never scaled in place
            total += cols.capacity * weight
            continue
        met = _met(name, q, cols)
        if met is not None:  # a yes-or-no component: its whole weight, or nothing
            total += met * weight
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
