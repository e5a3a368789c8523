"""Batch matching: the optimal assignment of a waiting list to peers (pure; NumPy + OR-Tools).

The problem is a maximum-weight bipartite b-matching, solved as a min-cost flow with
OR-Tools' `SimpleMinCostFlow`:

- every participant (seeker) node supplies one unit; a sink node takes up to all of them;
- one arc per candidate pair, seeker -> peer, capacity 1, cost minus the pair's gain (its
  score in hundredths, plus the seeker's priority); pairs not in the candidate graph
  (ineligible, or pruned by top k) are simply absent;
- one arc per peer, peer -> sink, whose capacity is the number of matches the peer can
  still take.

It is solved with `solve_max_flow_with_min_cost`, which first finds the maximum flow (the
most participants that can be matched at all) and then, among flows of that size, the
cheapest one (the highest total gain). A unit of supply that cannot be routed stays at its
seeker: that is the "stays waiting" outcome, the bypass arc of the usual formulation. This
is exactly lexicographic (matched first, score second) without the "large constant plus
score" costs, which would need a constant above n x 10,000 to be exact and slow the
cost-scaling solver down by a factor of 2 to 4 at 100,000 x 20,000.

Scores are floats in [0, 100]; the solver works on integers, so gains are the scores
times 100, rounded (ties closer than 0.005 may be broken either way). The reported
`total` is the sum of the original float scores of the matched pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from peerbridge.matching.engine import CandidateGraph

SCORE_SCALE = 100
"""Scores are multiplied by this and rounded to give the solver's integer gains."""

MAX_SCORE = 100.0
MAX_PRIORITY = 10_000.0
"""Priority is in score points; this bound keeps the integer costs far from overflow."""

UNMATCHED = -1


@dataclass(frozen=True)
class Assignment:
    """Who is matched with whom, indexed like the candidate graph's seekers."""

    peer_of_seeker: NDArray[np.int32]  # peer row, or UNMATCHED (-1) = stays waiting
    score_of_seeker: NDArray[np.float64]  # the pair's score; nan when unmatched
    matched: int
    total: float


class SolverFailed(RuntimeError):
    """OR-Tools did not report an optimal flow (it should not happen on valid input)."""


def solve(
    graph: CandidateGraph,
    capacities: NDArray[np.int64],
    *,
    priority: NDArray[np.float64] | None = None,
) -> Assignment:
    """Match as many seekers as possible, then maximise the total score.

    `capacities[p]` is how many more seekers peer row p may take. `priority` (score points
    per seeker, >= 0; e.g. waiting days scaled to 0..20, or a bonus for an under-served
    group) is added to the gain of every pair of that seeker: among the assignments that
    match the most seekers, it favours those seekers. Raises ValueError on inconsistent
    input.
    """
    seeker, peer, score, capacity, bonus = _checked(graph, capacities, priority)
    n_seekers, n_peers = graph.n_seekers, graph.n_peers
    peer_of_seeker = np.full(n_seekers, UNMATCHED, dtype=np.int32)
    score_of_seeker = np.full(n_seekers, np.nan, dtype=np.float64)

    usable = capacity[peer] > 0
    if not usable.all():
        seeker, peer, score = seeker[usable], peer[usable], score[usable]
    if seeker.size == 0:
        return Assignment(peer_of_seeker, score_of_seeker, 0, 0.0)

    chosen = _flow_pairs(seeker, peer, score, bonus, capacity, n_seekers, n_peers)
    peer_of_seeker[seeker[chosen]] = peer[chosen]
    score_of_seeker[seeker[chosen]] = score[chosen]
    matched = int(chosen.sum())
    total = float(score[chosen].sum())
    return Assignment(peer_of_seeker, score_of_seeker, matched, total)


def _flow_pairs(
    seeker: NDArray[np.int32],
    peer: NDArray[np.int32],
    score: NDArray[np.float64],
    bonus: NDArray[np.float64] | None,
    capacity: NDArray[np.int64],
    n_seekers: int,
    n_peers: int,
) -> NDArray[np.bool_]:
    """Solve the flow; return a mask over the pairs that carry one unit (the matches)."""
    sink = n_seekers + n_peers
    gain = score if bonus is None else score + bonus[seeker]
    pair_cost = -np.rint(gain * SCORE_SCALE).astype(np.int64)
    peer_nodes = np.arange(n_seekers, sink, dtype=np.int32)

    # Imported here: loading OR-Tools takes a quarter of a second, which every process
    # would otherwise pay at start-up through the batch pages' URLs.
    from ortools.graph.python import min_cost_flow

    flow = min_cost_flow.SimpleMinCostFlow()
    pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        seeker, peer + np.int32(n_seekers), np.ones(seeker.size, dtype=np.int64), pair_cost
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        peer_nodes,
        np.full(n_peers, sink, dtype=np.int32),
        capacity,
        np.zeros(n_peers, dtype=np.int64),
    )
    nodes = np.append(np.arange(n_seekers, dtype=np.int32), np.int32(sink))
    supplies = np.ones(n_seekers + 1, dtype=np.int64)
    supplies[-1] = -n_seekers
    flow.set_nodes_supplies(nodes, supplies)

    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise SolverFailed(f"min-cost flow ended with status {status.name}")
    chosen: NDArray[np.bool_] = flow.flows(pair_arcs) > 0
    return chosen


def summarise(assignment: Assignment, groups: Mapping[str, NDArray[np.bool_]]) -> dict[str, float]:
    """Who the assignment serves: matched share overall and per group, worst matched scores.

    `groups` maps a group name (e.g. a language) to a boolean mask over the seekers. Keys:
    `matched_share`, `matched_share_<group>` (nan for an empty group), `score_min` and
    `score_p10` (the minimum and 10th percentile of the matched scores; nan when nobody
    is matched).
    """
    matched = assignment.peer_of_seeker != UNMATCHED
    n_seekers = matched.size
    summary = {"matched_share": _share(matched)}
    for name, mask in groups.items():
        mask = np.asarray(mask)
        if mask.shape != (n_seekers,) or mask.dtype != np.bool_:
            raise ValueError(f"group {name!r} must be a boolean mask of {n_seekers} seekers")
        summary[f"matched_share_{name}"] = _share(matched[mask])
    scores = assignment.score_of_seeker[matched]
    summary["score_min"] = float(scores.min()) if scores.size else float("nan")
    summary["score_p10"] = float(np.percentile(scores, 10)) if scores.size else float("nan")
    return summary


def _share(matched: NDArray[np.bool_]) -> float:
    return float(matched.mean()) if matched.size else float("nan")


def _checked(
    graph: CandidateGraph,
    capacities: NDArray[np.int64],
    priority: NDArray[np.float64] | None,
) -> tuple[
    NDArray[np.int32],
    NDArray[np.int32],
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.float64] | None,
]:
    """Validate the graph and the per-peer and per-seeker arrays; return solver dtypes."""
    n_seekers, n_peers = graph.n_seekers, graph.n_peers
    if not _is_count(n_seekers) or not _is_count(n_peers):
        raise ValueError("n_seekers and n_peers must be integers >= 0")
    seeker = _index_array("seeker", graph.seeker, n_seekers)
    peer = _index_array("peer", graph.peer, n_peers)
    score = np.asarray(graph.score)
    if not (seeker.shape == peer.shape == score.shape):
        raise ValueError(
            "seeker, peer and score must be 1-D arrays of the same length "
            f"(got {seeker.shape}, {peer.shape}, {score.shape})"
        )
    if not np.issubdtype(score.dtype, np.floating) and not np.issubdtype(score.dtype, np.integer):
        raise ValueError("score must be numeric")
    score = score.astype(np.float64, copy=False)
    if score.size and not (np.isfinite(score).all() and (score >= 0).all()):
        raise ValueError("every score must be a finite number >= 0")
    if score.size and score.max() > MAX_SCORE:
        raise ValueError(f"every score must be at most {MAX_SCORE:g}")
    if seeker.size and _has_duplicate_pairs(seeker, peer, n_peers):
        raise ValueError("the candidate graph lists a (seeker, peer) pair more than once")
    capacity = _capacities(capacities, n_peers)
    return seeker, peer, score, capacity, _priority(priority, n_seekers)


def _is_count(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and bool(value >= 0)


def _index_array(name: str, values: NDArray[np.integer], bound: int) -> NDArray[np.int32]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array")
    if array.size == 0:
        return np.zeros(0, dtype=np.int32)
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integer indexes")
    if array.min() < 0 or array.max() >= bound:
        raise ValueError(f"{name} indexes must lie in [0, {bound})")
    return array.astype(np.int32, copy=False)


def _has_duplicate_pairs(seeker: NDArray[np.int32], peer: NDArray[np.int32], n_peers: int) -> bool:
    keys = seeker.astype(np.int64) * n_peers + peer
    keys.sort()
    return bool((keys[1:] == keys[:-1]).any())


def _capacities(capacities: NDArray[np.int64], n_peers: int) -> NDArray[np.int64]:
    capacity = np.asarray(capacities)
    if capacity.shape != (n_peers,):
        raise ValueError(
            f"capacities must have one entry per peer ({n_peers}), got {capacity.shape}"
        )
    if capacity.size and not np.issubdtype(capacity.dtype, np.integer):
        raise ValueError("capacities must be integers")
    if capacity.size and capacity.min() < 0:
        raise ValueError("capacities must be >= 0")
    return capacity.astype(np.int64, copy=False)


def _priority(priority: NDArray[np.float64] | None, n_seekers: int) -> NDArray[np.float64] | None:
    if priority is None:
        return None
    bonus = np.asarray(priority)
    if bonus.shape != (n_seekers,):
        raise ValueError(
            f"priority must have one entry per seeker ({n_seekers}), got {bonus.shape}"
        )
    if bonus.size == 0:
        return bonus.astype(np.float64)
    if not (np.issubdtype(bonus.dtype, np.floating) or np.issubdtype(bonus.dtype, np.integer)):
        raise ValueError("priority must be numeric")
    bonus = bonus.astype(np.float64, copy=False)
    if not (np.isfinite(bonus).all() and (bonus >= 0).all() and bonus.max() <= MAX_PRIORITY):
        raise ValueError(f"every priority must be a finite number in [0, {MAX_PRIORITY:g}]")
    return bonus
