"""The candidate graph for batch matching: each seeker's best feasible peers.

Pure NumPy, no Django.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from peerbridge.matching.engine_columns import (
    BEST_CONDITION_SHARING_ONE_LEVEL,
    COMPONENT_INDEX,
    COMPONENTS,
    F32,
    FACET_SHARE,
    GRAPH_MIN_SCORE,
    Columns,
    PeerTable,
    Policy,
    SeekerRecord,
)
from peerbridge.matching.engine_kernel import Block, feasibility, total_scores
from peerbridge.matching.engine_queries import Queries, final_weights, queries


@dataclass(frozen=True)
class CandidateGraph:
    """Feasible pairs only, the best `top_k` per seeker, sorted by seeker then score."""

    seeker: NDArray[np.int32]
    peer: NDArray[np.int32]
    score: NDArray[np.float64]
    n_seekers: int
    n_peers: int


# --- Many seekers: the candidate graph --------------------------------------------------

_PAIRS_PER_CHUNK = 1 << 16
_SEEKERS_PER_TASK = 2048
_BOUND_SLACK = 1e-3  # float32 sums: a later peer must beat the k-th by more than this
EXACT_PAIRS = 60_000_000  # above this many pairs, candidate_graph scans by condition


class _Tier:
    """A block of peers for a group of seekers with the same condition and
    sub-condition (made when first needed): the levels every peer here shares with
    them, and the best condition score (before facets) of a peer in any later block."""

    def __init__(self, make: Callable[[], Columns], shared: int, best_later: float) -> None:
        self.make, self.shared, self.best_later = make, shared, best_later
        self.made: Columns | None = None
        self.lock = threading.Lock()

    @property
    def cols(self) -> Columns:
        with self.lock:
            if self.made is None:
                self.made = self.make()
            return self.made


class _Tiers:
    """The blocks for each group, made once and shared by the worker threads."""

    def __init__(self, base: Columns) -> None:
        self.base = base
        self.made: dict[tuple[int, int], list[_Tier]] = {}
        self.lock = threading.Lock()

    def __call__(self, root: int, sub: int) -> list[_Tier]:
        with self.lock:
            if (root, sub) not in self.made:
                self.made[root, sub] = self._make(root, sub)
            return self.made[root, sub]

    def _make(self, root: int, sub: int) -> list[_Tier]:
        base = self.base
        if root < 0:
            return [_Tier(lambda: base, 0, 0.0)]
        in_root = base.path[0] == root

        def rows(mask: NDArray[np.bool_]) -> Callable[[], Columns]:
            return lambda: base.take(np.flatnonzero(mask))

        rest = _Tier(rows(~in_root), 0, 0.0)
        if sub < 0:
            return [_Tier(rows(in_root), 1, 0.0), rest]
        in_sub = base.path[1] == sub
        return [
            _Tier(rows(in_sub), 2, BEST_CONDITION_SHARING_ONE_LEVEL),
            _Tier(rows(in_root & ~in_sub), 1, 0.0),
            rest,
        ]


def candidate_graph(
    seekers: Sequence[SeekerRecord],
    peers: PeerTable,
    policy: Policy,
    *,
    top_k: int,
    text_scores: NDArray[np.float64] | None = None,
    exact: bool | None = None,
) -> CandidateGraph:
    """For each seeker, the best top_k feasible peers by the score `suggest` gives.

    Seekers are grouped by condition and sub-condition and meet the peers block by block:
    those sharing the sub-condition, then the condition, then the rest. With `exact`, a
    seeker goes on to the next block only while a peer there could still beat its k-th
    best (an upper bound on the scores outside the blocks seen), so the result is the true
    top k. Without it, a seeker goes on only while it has fewer than top_k feasible
    candidates: its candidates are the best top_k among the peers of the nearest block
    that has enough of them (the sub-condition, else the condition, else everyone). That
    is far faster at scale, at the cost of cross-condition candidates. None (the default)
    means exact up to EXACT_PAIRS seeker-peer pairs."""
    if top_k < 1:
        raise ValueError("top_k must be at least 1")
    n_seekers, n_peers = len(seekers), len(peers)
    text = None if text_scores is None else np.asarray(text_scores, dtype=np.float64)
    if text is not None and text.shape != (n_seekers, n_peers):
        raise ValueError(f"text_scores must have shape ({n_seekers}, {n_peers})")
    if not n_seekers or not n_peers:
        none = np.zeros(0, dtype=np.int32)
        return CandidateGraph(none, none, np.zeros(0), n_seekers, n_peers)
    if exact is None:
        exact = n_seekers * n_peers <= EXACT_PAIRS
    k = max(1, min(top_k, n_peers))
    every = top_k >= n_peers  # every feasible pair: no best k to keep, no ranking
    rows = 0 if every else n_seekers
    best_score = np.full((rows, k), -np.inf, dtype=F32)
    best_row = np.full((rows, k), -1, dtype=np.int32)
    q_all = queries(seekers, peers, policy, text is not None)
    text_max = np.zeros(n_seekers, F32) if text is None else text.max(axis=1).astype(F32)
    context = _GraphContext(
        q_all, _Tiers(peers.base_columns), text,
        text_max, peers.capacity_max, k, exact, best_score, best_row,
        [] if every else None,
    )  # fmt: skip
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        for done in pool.map(context.run, _tasks(q_all)):
            del done
    if context.every is not None:
        return _every_pair(context.every, n_seekers, n_peers)
    return _graph(best_score, best_row, n_seekers, n_peers)


def _by_seeker_then_score(
    seeker: NDArray[np.int32], score: NDArray[np.float64], peer: NDArray[np.int32]
) -> NDArray[np.intp]:
    """The order by seeker, then best score (to 1e-4), then peer row. One sort of packed
    64-bit keys; np.lexsort is many times slower on millions of pairs."""
    if seeker.size and (seeker.max() >= 1 << 24 or peer.max() >= 1 << 20):
        return np.lexsort((peer, -score, seeker))
    return np.argsort(_order_key(score, peer) | (seeker.astype(np.uint64) << np.uint64(40)))


def _order_key(score: NDArray[Any], peer: NDArray[Any]) -> NDArray[np.uint64]:
    """Best score first, then the lower peer row, as one unsigned key (score in 20
    bits at 1e-4 of a point, row in 20 bits)."""
    lost = np.round((100.0 - np.clip(score, 0.0, 100.0)) * 10_000).astype(np.uint64)
    key: NDArray[np.uint64] = (lost << np.uint64(20)) | peer.astype(np.uint64)
    return key


def _every_pair(
    found: list[tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]],
    n_seekers: int,
    n_peers: int,
) -> CandidateGraph:
    seeker = np.zeros(0, np.int32)
    peer = np.zeros(0, np.int32)
    score = np.zeros(0)
    if found:
        seekers, peers, scores = (np.concatenate(part) for part in zip(*found, strict=True))
        seeker, peer = seekers.astype(np.int32), peers.astype(np.int32)
        score = scores.astype(np.float64)
    order = _by_seeker_then_score(seeker, score, peer)
    return CandidateGraph(
        seeker=seeker[order],
        peer=peer[order],
        score=np.clip(score[order], GRAPH_MIN_SCORE, 100.0),
        n_seekers=n_seekers,
        n_peers=n_peers,
    )


def _tasks(q: Queries) -> list[tuple[int, int, NDArray[np.intp]]]:
    """Groups of seekers with the same condition and sub-condition, largest first, cut
    into tasks; within a group, seekers with the same components sit together so a
    chunk skips what none of its seekers needs."""
    root, sub = q.path[0, :, 0], q.path[1, :, 0]
    profile = (q.weights > 0) @ (1 << np.arange(len(COMPONENTS)))
    profile = profile + sum(
        mask[:, 0].astype(np.int64) << (len(COMPONENTS) + n)
        for n, mask in enumerate(q.need.values())
    )
    order = np.lexsort((profile, sub, root))
    keys = np.stack([root[order], sub[order]], axis=1)
    starts = np.flatnonzero(np.r_[True, np.any(keys[1:] != keys[:-1], axis=1)])
    groups = np.split(order, starts[1:])
    groups.sort(key=len, reverse=True)
    return [
        (int(root[group[0]]), int(sub[group[0]]), group[start : start + _SEEKERS_PER_TASK])
        for group in groups
        for start in range(0, group.size, _SEEKERS_PER_TASK)
    ]


@dataclass
class _GraphContext:
    q_all: Queries
    tiers: _Tiers
    text: NDArray[np.float64] | None
    text_max: NDArray[np.float32]
    capacity_max: float
    k: int
    exact: bool
    best_score: NDArray[np.float32]
    best_row: NDArray[np.int32]
    every: list[tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]] | None

    def run(self, task: tuple[int, int, NDArray[np.intp]]) -> int:
        """Score one task's seekers (all of one group) block by block."""
        root, sub, members = task
        tiers = self.tiers(root, sub)
        q = self.q_all.pick(members)
        todo = np.arange(len(members))
        if tiers[0].shared and len(tiers[0].cols):
            points = self._first_tier(q, members, tiers)
            start = 1
        else:
            points, _ = final_weights(q, self._best_levels(q, tiers))
            start = 0
        for number, tier in enumerate(tiers):
            if todo.size == 0:
                break
            if number >= start and len(tier.cols):
                for chunk in _chunks(todo, len(tier.cols)):
                    self._score(q.pick(chunk), points[chunk], members[chunk], tier)
            if number + 1 < len(tiers) and self.every is None:
                kth = self.best_score[members[todo]].min(axis=1)
                if self.exact:
                    bound = self._bound(q, points, todo, members, tier.best_later)
                    todo = todo[~(kth > bound + _BOUND_SLACK)]
                else:  # only seekers still short of top_k feasible candidates
                    todo = todo[~np.isfinite(kth)]
        return len(members)

    def _first_tier(
        self, q: Queries, members: NDArray[np.intp], tiers: list[_Tier]
    ) -> NDArray[np.float32]:
        """Score the first block, whose feasibility also settles the fallback of every
        seeker with a feasible peer there; the others' is looked up in the later blocks.
        Returns everyone's points."""
        first = tiers[0]
        points = np.zeros(q.weights.shape, dtype=F32)
        settled = np.zeros(len(q), dtype=bool)
        for chunk in _chunks(np.arange(len(q)), len(first.cols)):
            some_q = q.pick(chunk)
            block = feasibility(some_q, first.cols)
            some = block.feasible.any(axis=1)
            levels = np.where(some, first.shared, 0).astype(np.int8)
            points[chunk], _ = final_weights(some_q, levels)
            settled[chunk] = some
            self._score(some_q, points[chunk], members[chunk], first, block)
        rest = np.flatnonzero(~settled)
        if rest.size:
            some_q = q.pick(rest)
            points[rest], _ = final_weights(some_q, self._best_levels(some_q, tiers[1:]))
        return points

    def _best_levels(self, q: Queries, tiers: list[_Tier]) -> NDArray[np.int8]:
        """The deepest condition level each seeker shares with a feasible peer (0, 1, or
        2 for the sub-condition and deeper), looking no further than needed."""
        best = np.zeros(len(q), dtype=np.int8)
        open_ = np.arange(len(q))
        for tier in tiers:
            if not tier.shared or open_.size == 0:
                break
            found = np.zeros(open_.size, dtype=bool)
            if len(tier.cols):
                for start, chunk in _numbered_chunks(open_, len(tier.cols)):
                    feasible = feasibility(q.pick(chunk), tier.cols).feasible
                    found[start : start + chunk.size] = feasible.any(axis=1)
            best[open_[found]] = tier.shared
            open_ = open_[~found]
        return best

    def _bound(
        self,
        q: Queries,
        points: NDArray[np.float32],
        at: NDArray[np.intp],
        members: NDArray[np.intp],
        best_condition: float,
    ) -> NDArray[np.float32]:
        """The highest score a peer in a later block could reach: every component full,
        but the condition, capacity and text no better than the best possible there."""
        w = points[at].astype(np.float64)
        with_facets = q.facet_weight[at, 0] > 0
        condition = np.where(
            with_facets, best_condition * (1 - FACET_SHARE) + FACET_SHARE, best_condition
        )
        lost = w[:, COMPONENT_INDEX["condition"]] * (1 - condition)
        lost += w[:, COMPONENT_INDEX["capacity"]] * (1 - self.capacity_max)
        lost += w[:, COMPONENT_INDEX["text"]] * (1 - self.text_max[members[at]])
        bound: NDArray[np.float32] = (w.sum(axis=1) - lost).astype(F32)
        return bound

    def _score(
        self,
        q: Queries,
        points: NDArray[np.float32],
        at: NDArray[np.intp],
        tier: _Tier,
        block: Block | None = None,
    ) -> None:
        cols = tier.cols
        block = feasibility(q, cols) if block is None else block
        text = None if self.text is None else self.text[np.ix_(at, cols.rows)]
        total = total_scores(q, points, cols, block, text, tier.shared)
        if self.every is not None:
            seeker, place = np.nonzero(block.feasible)
            self.every.append((at[seeker], cols.rows[place], total[seeker, place]))
            return
        kth = self.best_score[at].min(axis=1)
        if np.isfinite(kth).all():  # cheaper than a partition: keep only what beats k-th
            better = total > kth[:, None]
            better &= block.feasible
            seeker, place = np.nonzero(better)
            if seeker.size:
                self._merge(at, seeker, total[seeker, place], cols.rows[place])
            return
        np.copyto(total, F32(-np.inf), where=~block.feasible)
        k = self.k
        total, places = _top_k(total, k)
        rows = cols.rows.astype(np.int32)[places]
        scores = np.concatenate([self.best_score[at], total], axis=1)
        found = np.concatenate([self.best_row[at], rows], axis=1)
        if scores.shape[1] > k:
            top = np.argpartition(scores, -k, axis=1)[:, -k:]
            scores = np.take_along_axis(scores, top, axis=1)
            found = np.take_along_axis(found, top, axis=1)
        self.best_score[at] = scores
        self.best_row[at] = found

    def _merge(
        self,
        at: NDArray[np.intp],
        seeker: NDArray[np.intp],
        score: NDArray[np.float32],
        row: NDArray[np.intp],
    ) -> None:
        """Merge a few new candidates (seeker = position in `at`) into the best k."""
        k, n = self.k, at.size
        seekers = np.concatenate([np.repeat(np.arange(n), k), seeker])
        scores = np.concatenate([self.best_score[at].ravel(), score])
        rows = np.concatenate([self.best_row[at].ravel(), row.astype(np.int32)])
        order = np.lexsort((rows, -scores, seekers))
        seekers, scores, rows = seekers[order], scores[order], rows[order]
        rank = np.arange(seekers.size) - np.searchsorted(seekers, seekers)
        keep = rank < k
        best_score = np.empty((n, k), dtype=F32)
        best_row = np.empty((n, k), dtype=np.int32)
        best_score[seekers[keep], rank[keep]] = scores[keep]
        best_row[seekers[keep], rank[keep]] = rows[keep]
        self.best_score[at] = best_score
        self.best_row[at] = best_row


def _top_k(total: NDArray[np.float32], k: int) -> tuple[NDArray[np.float32], NDArray[np.intp]]:
    """The k best of each row and their places (total is overwritten). For small k,
    k passes of argmax beat argpartition, which pays for each row separately (up to k = 32)."""
    n_rows, n = total.shape
    if n <= k:
        return total, np.broadcast_to(np.arange(n), total.shape)
    if k > 32:
        places = np.argpartition(total, -k, axis=1)[:, -k:]
        return np.take_along_axis(total, places, axis=1), places
    every = np.arange(n_rows)
    scores = np.empty((n_rows, k), dtype=F32)
    found = np.empty((n_rows, k), dtype=np.intp)
    for j in range(k):
        best = total.argmax(axis=1)
        found[:, j] = best
        scores[:, j] = total[every, best]
        total[every, best] = -np.inf
    return scores, found


def _chunks(todo: NDArray[np.intp], peers: int) -> list[NDArray[np.intp]]:
    return [chunk for _, chunk in _numbered_chunks(todo, peers)]


def _numbered_chunks(todo: NDArray[np.intp], peers: int) -> list[tuple[int, NDArray[np.intp]]]:
    size = max(1, _PAIRS_PER_CHUNK // max(1, peers))
    return [(start, todo[start : start + size]) for start in range(0, todo.size, size)]


def _graph(
    best_score: NDArray[np.float32], best_row: NDArray[np.int32], n_seekers: int, n_peers: int
) -> CandidateGraph:
    """The feasible pairs, by seeker, best first (ties to the lower peer row): only each
    seeker's own k pairs need sorting."""
    found = np.isfinite(best_score) & (best_row >= 0)
    if n_peers < 1 << 20:
        key = _order_key(best_score.astype(np.float64), np.maximum(best_row, 0))
        key[~found] = np.iinfo(np.uint64).max
        order = np.argsort(key, axis=1)
    else:
        order = np.lexsort((best_row, -best_score), axis=1)
    best_score = np.take_along_axis(best_score, order, axis=1)
    best_row = np.take_along_axis(best_row, order, axis=1)
    found = np.take_along_axis(found, order, axis=1)
    seeker = np.broadcast_to(np.arange(n_seekers, dtype=np.int32)[:, None], found.shape)[found]
    return CandidateGraph(
        seeker=np.ascontiguousarray(seeker),
        peer=np.ascontiguousarray(best_row[found]),
        score=np.clip(best_score[found].astype(np.float64), GRAPH_MIN_SCORE, 100.0),
        n_seekers=n_seekers,
        n_peers=n_peers,
    )
