"""Known pairs scored and explained on their own, as `engine.suggest` would give them.

A batch run or a coordinator's choice already names the peer: scoring every other peer to
find its reasons would cost a full scan per pair. Here each pair meets only its own peer
(the kernel on flat seeker columns, `Queries.flat`), many pairs in one pass; the only other
peers looked at are those sharing the seeker's (sub-)condition, through the condition
index, and only when the pair itself does not settle whether the suggestions fall back.
Scores are added up in the order `engine._scan` adds them, so they agree to the last bit.
Pure NumPy, no Django.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from peerbridge.matching.engine_columns import (
    COMPONENT_INDEX,
    F32,
    Columns,
    PeerTable,
    Policy,
    SeekerRecord,
)
from peerbridge.matching.engine_kernel import feasibility, pair_feasibility, pair_points
from peerbridge.matching.engine_queries import Queries, final_weights, queries
from peerbridge.matching.engine_reasons import (
    Labels,
    Reason,
    fallback_reason,
    pair_reasons,
    refusals,
)

_CONDITION = COMPONENT_INDEX["condition"]
_PAIRS_PER_PASS = 8192  # bounds the memory of one pass


@dataclass(frozen=True, slots=True)
class PairScore:
    """One seeker and one peer, as `suggest` would score and explain them. For a feasible
    pair, `score`, `parts` and `reasons` are those of the peer's Suggestion and `fallback`
    the result's; otherwise `score` is None and `reasons` the rules the pair fails."""

    peer_id: int
    feasible: bool
    score: float | None
    parts: Mapping[str, float]
    reasons: tuple[Reason, ...]
    fallback: Reason | None


def score_pairs(
    seekers: Sequence[SeekerRecord],
    peers: PeerTable,
    policy: Policy,
    peer_ids: Sequence[int],
    *,
    labels: Labels,
    text_scores: Sequence[float] | NDArray[np.float64] | None = None,
) -> list[PairScore]:
    """Each seeker with the peer of the same position, scored and explained exactly as
    `suggest` would (text_scores: one per pair, or None when text is not used)."""
    if len(peer_ids) != len(seekers):
        raise ValueError("give one peer id per seeker")
    text = None if text_scores is None else np.asarray(text_scores, dtype=np.float64)
    if text is not None and text.shape != (len(seekers),):
        raise ValueError(f"text_scores must have shape ({len(seekers)},)")
    found: list[PairScore] = []
    for start in range(0, len(seekers), _PAIRS_PER_PASS):
        part = slice(start, start + _PAIRS_PER_PASS)
        found += _score_some(
            seekers[part],
            peers,
            policy,
            peer_ids[part],
            labels,
            None if text is None else text[part],
        )
    return found


def score_pair(
    seeker: SeekerRecord,
    peers: PeerTable,
    policy: Policy,
    peer_id: int,
    *,
    labels: Labels,
    text_score: float | None = None,
) -> PairScore:
    """One peer scored and explained as `suggest` would, without scoring the others."""
    text = None if text_score is None else [text_score]
    return score_pairs([seeker], peers, policy, [peer_id], labels=labels, text_scores=text)[0]


def explain_pair(
    seeker: SeekerRecord,
    peers: PeerTable,
    policy: Policy,
    peer_id: int,
    *,
    labels: Labels,
    text_score: float | None = None,
) -> tuple[Reason, ...]:
    """The reasons `suggest` gives for this peer (the rules the pair fails when it is not
    feasible), scoring only this peer: for explaining a pair already chosen, such as a
    batch run's proposal. A peer is named by its id (`peers.ids[row]` for a row)."""
    pair = score_pair(seeker, peers, policy, peer_id, labels=labels, text_score=text_score)
    return pair.reasons


def _score_some(
    seekers: Sequence[SeekerRecord],
    peers: PeerTable,
    policy: Policy,
    peer_ids: Sequence[int],
    labels: Labels,
    text: NDArray[np.float64] | None,
) -> list[PairScore]:
    known = [peers.row_of.get(int(peer_id)) for peer_id in peer_ids]
    found = [
        PairScore(int(peer_id), False, None, {}, (Reason("unknown_peer"),), None)
        for peer_id in peer_ids
    ]
    at = np.array([n for n, row in enumerate(known) if row is not None], dtype=np.intp)
    if not at.size:
        return found
    rows = np.array([known[n] for n in at], dtype=np.intp)
    q = queries([seekers[n] for n in at], peers, policy, text is not None)
    pairs, cols = q.flat(), peers.columns.take(rows)
    block = pair_feasibility(pairs, cols)
    points, fallback = final_weights(q, _best_levels(q, pairs, cols, block.feasible, peers))
    some_text = None if text is None else text[at]
    parts = pair_points(pairs, cols, block, points, some_text)
    total = _totals(q, pairs, cols, points, parts).tolist()
    # Plain Python values from here: one pair at a time, NumPy scalars cost too much.
    weighed = [
        (name, part.tolist(), (points[:, COMPONENT_INDEX[name]] > 0).tolist())
        for name, part in parts.items()
    ]
    falls_back = fallback.tolist()
    for place, (n, row, feasible) in enumerate(
        zip(at.tolist(), rows.tolist(), block.feasible.tolist(), strict=True)
    ):
        seeker, peer = seekers[n], peers.records[row]
        if not feasible:
            failed = refusals(seeker, peer, q.pick(np.array([place])), peers, labels)
            found[n] = PairScore(peer.id, False, None, {}, tuple(failed), None)
            continue
        points_of = {
            name: round(part[place], 2) for name, part, applies in weighed if applies[place]
        }
        found[n] = PairScore(
            peer_id=peer.id,
            feasible=True,
            score=round(total[place], 2),
            parts=points_of,
            reasons=pair_reasons(seeker, peer, points_of, labels),
            fallback=fallback_reason(seeker, falls_back[place], labels),
        )
    return found


def _best_levels(
    q: Queries,
    pairs: Queries,
    cols: Columns,
    feasible: NDArray[np.bool_],
    peers: PeerTable,
) -> NDArray[np.int8]:
    """The deepest condition level (0, 1, 2) each seeker shares with a feasible peer, as
    `_scan` finds it. A feasible pair settles it when its peer shares the level; the
    other seekers are checked against the peers sharing their node (the condition
    index), one pass per node."""
    best = np.zeros(len(q), dtype=np.int8)
    open_ = q.depth >= 1
    for level in (1, 0):
        nodes = pairs.path[level]
        settled = open_ & feasible & (cols.path[level] == nodes)
        best[settled] = level + 1
        open_ &= ~settled
        for node in np.unique(nodes[open_]).tolist():
            if node < 0:
                continue
            at = np.flatnonzero(open_ & (nodes == node))
            sharing = peers.columns_sharing(node)
            if not len(sharing):
                continue
            found = feasibility(q.pick(at), sharing).feasible & (sharing.path[level] == node)
            hit = at[found.any(axis=1)]
            best[hit] = level + 1
            open_[hit] = False
    return best


def _totals(
    q: Queries,
    pairs: Queries,
    cols: Columns,
    points: NDArray[np.float32],
    parts: dict[str, NDArray[np.float32]],
) -> NDArray[np.float32]:
    """The pairs' scores added up in `_scan`'s order: every component in turn, the
    condition last for seekers whose condition is found by the index (and only when the
    peer's path holds their condition)."""
    by_index = q.by_index()
    total = np.zeros(len(q), dtype=F32)
    for name, part in parts.items():
        if name == "condition":
            total += np.where(by_index, F32(0), part)
        else:
            total += part
    if "condition" in parts:
        root = pairs.path[0]
        holds = np.any(cols.path == root, axis=0)
        total += np.where(
            by_index & holds & (points[:, _CONDITION] > 0), parts["condition"], F32(0)
        )
    return total
