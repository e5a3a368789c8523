"""The matching engine: score participants (seekers) against a programme's peers.

Pure Python on NumPy, with no Django import, so it is tested and benchmarked directly.

A pair's score is the weighted mean of twelve components, each in [0, 1], scaled to
0..100. Only the components that apply to the seeker count in the mean (a seeker with no
wish about gender is not scored on gender), so scores of different seekers are
comparable in batch matching. Hard requirements and exclusions make a pair infeasible
rather than low. Peers are held as columns (`PeerTable`), so one seeker is scored against
every peer in a handful of vectorised operations; reasons are written only for the peers
shown.

The components (each 0..1): condition (identical paths 1; the same sub-condition 0.85 or
0.75; the same condition 0.5 or 0.3; a quarter from shared facets when the seeker names
facets), issues (shared tags over the geometric mean of both counts), text (scores given
by the caller, see matching.text), age (1 / (1 + (years apart / 10)^2)), gender (the
gender wished for), language (1 for the language named or any of theirs, 0.5 for another
shared one), culture (a shared background; a stated wish counts double), distance
(haversine, 1 - km / furthest; only for seekers who want to meet in person), modality and
availability (the share of the seeker's ways and of up to four weekly hours the peer
shares), capacity (places left, full at four, times wellbeing) and continuity (their
previous peer). When no feasible peer shares the seeker's condition, its weight moves to
issues and text (half of it when only the sub-condition is unshared), and the result
says so.

Conventions a caller relies on:
- condition paths hold ids of one tree (condition > sub-condition > facet), root first;
  ids are unique nodes, so sharing a node means sharing its ancestors;
- availability slots are hours of the week, Monday 00:00 = 0 .. Sunday 23:00 = 167;
- ties rank the peer given first (lower PeerTable row) first.

This module is the engine's public face (import from here); its parts live beside it:
`engine_columns` (the records, PeerTable), `engine_queries` (seekers as columns, the
weights with their fallback), `engine_kernel` (hard rules and components),
`engine_reasons` (reasons in plain words), `engine_pairs` (a known pair, scored and
explained without scoring the other peers) and `engine_graph` (the candidate graph).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from peerbridge.matching.engine_columns import (
    AGE_SCALE_YEARS,
    AVAILABILITY_FULL,
    CAPACITY_FULL,
    COMPONENT_INDEX,
    COMPONENTS,
    EARTH_RADIUS_KM,
    F32,
    FACET_SHARE,
    GRAPH_MIN_SCORE,
    MAX_DISTANCE_KM,
    REQUIRABLE,
    SUBCONDITION_FALLBACK_SHIFT,
    UNKNOWN_PLACE_KM,
    PeerRecord,
    PeerTable,
    Policy,
    SeekerRecord,
    great_circle_km,
)
from peerbridge.matching.engine_graph import EXACT_PAIRS, CandidateGraph, candidate_graph
from peerbridge.matching.engine_kernel import (
    Block,
    condition_scores,
    feasibility,
    pair_points,
    total_scores,
)
from peerbridge.matching.engine_pairs import PairScore, explain_pair, score_pair, score_pairs
from peerbridge.matching.engine_queries import Queries, final_weights, queries
from peerbridge.matching.engine_reasons import (
    TEMPLATES,
    Labels,
    Reason,
    fallback_reason,
    pair_reasons,
    path_label,
    refusals,
    shared_levels,
)

__all__ = [
    "AGE_SCALE_YEARS",
    "AVAILABILITY_FULL",
    "CAPACITY_FULL",
    "COMPONENTS",
    "EARTH_RADIUS_KM",
    "EXACT_PAIRS",
    "FACET_SHARE",
    "GRAPH_MIN_SCORE",
    "MAX_DISTANCE_KM",
    "REQUIRABLE",
    "SUBCONDITION_FALLBACK_SHIFT",
    "TEMPLATES",
    "UNKNOWN_PLACE_KM",
    "CandidateGraph",
    "Labels",
    "PairScore",
    "PeerRecord",
    "PeerTable",
    "Policy",
    "Reason",
    "SeekerRecord",
    "Suggestion",
    "SuggestionResult",
    "candidate_graph",
    "explain_pair",
    "great_circle_km",
    "score_pair",
    "score_pairs",
    "suggest",
    "why_not",
]


@dataclass(frozen=True)
class Suggestion:
    """`parts` holds the points each applicable component adds; they sum to `score`."""

    peer_id: int
    rank: int
    score: float
    reasons: tuple[Reason, ...]
    parts: Mapping[str, float]


@dataclass(frozen=True)
class SuggestionResult:
    suggestions: tuple[Suggestion, ...]
    fallback: Reason | None
    considered: int
    eligible: int


# --- One seeker -------------------------------------------------------------------------

_ROWS_PER_SLICE = 1 << 15  # a seeker meets the peers in slices that stay in the CPU cache
_CONDITION = COMPONENT_INDEX["condition"]


@dataclass
class _Scan:
    """One seeker scored against every peer."""

    q: Queries
    table: PeerTable
    feasible: NDArray[np.bool_]
    total: NDArray[np.float32]
    points: NDArray[np.float32]  # (1, C): weights as points out of 100
    fallback: int
    text: NDArray[np.float64] | None

    def parts(self, rows: NDArray[np.intp]) -> dict[str, NDArray[np.float32]]:
        """Points each applicable component adds, for a few peer rows (in that order):
        the seeker meets each of them as a pair, as `score_pairs` scores pairs."""
        pairs = self.q.pick(np.zeros(rows.size, dtype=np.intp)).flat()
        cols = self.table.columns.take(rows)
        text = None if self.text is None else self.text[rows]
        return pair_points(pairs, cols, Block(np.ones(rows.size, bool)), self.points, text)


def _text_of(
    peers: PeerTable, text_scores: NDArray[np.float64] | None
) -> NDArray[np.float64] | None:
    text = None if text_scores is None else np.asarray(text_scores, dtype=np.float64)
    if text is not None and text.shape != (len(peers),):
        raise ValueError(f"text_scores must have shape ({len(peers)},)")
    return text


def _scan(
    seeker: SeekerRecord,
    peers: PeerTable,
    policy: Policy,
    text_scores: NDArray[np.float64] | None,
    q: Queries | None = None,
) -> _Scan:
    """One seeker against every peer (`q`: the seeker from `queries`, when known)."""
    n = len(peers)
    text = _text_of(peers, text_scores)
    if q is None:
        q = queries([seeker], peers, policy, text is not None)
    slices = [
        slice(start, min(n, start + _ROWS_PER_SLICE)) for start in range(0, n, _ROWS_PER_SLICE)
    ]
    columns = [peers.columns.take(part) for part in slices]
    blocks = [feasibility(q, cols) for cols in columns]
    feasible = np.concatenate([b.feasible[0] for b in blocks]) if n else np.zeros(0, bool)
    best = 0
    if q.depth[0] >= 1:
        for level in (1, 0):
            node = q.path[level, 0, 0]
            if any(
                np.any((cols.path[level] == node) & block.feasible[0])
                for cols, block in zip(columns, blocks, strict=True)
            ):
                best = level + 1
                break
    points, fallback = final_weights(q, np.array([best], dtype=np.int8))
    by_index = bool(q.by_index()[0])
    elsewhere = points.copy()
    if by_index:
        elsewhere[:, _CONDITION] = 0
    totals = []
    for cols, block, part in zip(columns, blocks, slices, strict=True):
        some_text = None if text is None else text[None, part]
        totals.append(total_scores(q, elsewhere, cols, block, some_text)[0])
    total = np.concatenate(totals) if totals else np.zeros(0, F32)
    if by_index and points[0, _CONDITION] > 0:
        sharing = peers.columns_sharing(int(q.path[0, 0, 0]))
        condition = condition_scores(q, sharing, 1 if q.depth[0] == 1 else None)[0]
        total[sharing.rows] += condition * points[0, _CONDITION]
    return _Scan(q, peers, feasible, total, points, int(fallback[0]), text)


def _ranked(scan: _Scan, k: int) -> NDArray[np.intp]:
    """Rows of the best k feasible peers, best first; ties go to the lower row."""
    scores = np.where(scan.feasible, scan.total, F32(-np.inf))
    if k <= 16:  # k passes of argmax (the first maximum: the lower row on ties)
        found = []
        for _ in range(min(k, int(scan.feasible.sum()))):
            best = int(scores.argmax())
            found.append(best)
            scores[best] = -np.inf
        return np.array(found, dtype=np.intp)
    rows = np.flatnonzero(scan.feasible)
    if rows.size > k:
        cut = np.partition(scores[rows], rows.size - k)[rows.size - k]
        rows = rows[scores[rows] >= cut]
    return rows[np.lexsort((rows, -scores[rows]))[:k]]


def suggest(
    seeker: SeekerRecord,
    peers: PeerTable,
    policy: Policy,
    *,
    labels: Labels,
    k: int = 5,
    text_scores: NDArray[np.float64] | None = None,
) -> SuggestionResult:
    """The best k feasible peers for one seeker, each with its reasons in plain words."""
    if k < 1:
        raise ValueError("k must be at least 1")
    scan = _scan(seeker, peers, policy, text_scores)
    top = _ranked(scan, k)
    parts = scan.parts(top)
    suggestions = []
    for rank, row in enumerate(top, start=1):
        points = {name: round(float(values[rank - 1]), 2) for name, values in parts.items()}
        peer = peers.records[row]
        suggestions.append(
            Suggestion(
                peer_id=peer.id,
                rank=rank,
                score=round(float(scan.total[row]), 2),
                reasons=pair_reasons(seeker, peer, points, labels),
                parts=points,
            )
        )
    return SuggestionResult(
        suggestions=tuple(suggestions),
        fallback=fallback_reason(seeker, scan.fallback, labels),
        considered=len(peers),
        eligible=int(scan.feasible.sum()),
    )


# --- Why not ----------------------------------------------------------------------------


def why_not(
    seeker: SeekerRecord,
    peers: PeerTable,
    policy: Policy,
    peer_id: int,
    *,
    labels: Labels,
    text_scores: NDArray[np.float64] | None = None,
    k: int = 5,
) -> tuple[Reason, ...]:
    """Why a peer is not among the k suggested: every rule they fail, or their rank and
    the component where the suggested peers do better (or that they are suggested)."""
    row = peers.row_of.get(peer_id)
    if row is None:
        return (Reason("unknown_peer"),)
    peer = peers.records[row]
    q = queries([seeker], peers, policy, _text_of(peers, text_scores) is not None)
    failed = refusals(seeker, peer, q, peers, labels)
    if failed:
        return tuple(failed)
    scan = _scan(seeker, peers, policy, text_scores, q)
    rows = np.flatnonzero(scan.feasible)
    scores, mine = scan.total[rows], scan.total[row]
    rank = int((scores > mine).sum() + ((scores == mine) & (rows < row)).sum()) + 1
    params: dict[str, str | int] = {"rank": rank, "total": int(rows.size)}
    if rank <= k:
        return (Reason("suggested", params),)
    top = _ranked(scan, k)
    parts = scan.parts(np.append(top, row))
    gaps = {name: float(values[:-1].mean() - values[-1]) for name, values in parts.items()}
    worst = max(gaps, key=gaps.__getitem__, default="")
    if not worst or gaps[worst] <= 0:
        return (Reason("ranked_lower", params),)
    if worst == "condition":
        levels = [
            shared_levels(seeker.condition_path, peers.records[r].condition_path) for r in top
        ]
        level = max(set(levels), key=levels.count)
        if level == 0:
            return (Reason("ranked_lower", params),)
        params["condition"] = path_label(labels, seeker.condition_path[:level])
    return (Reason(f"ranked_lower_{worst}", params),)
