"""Batch matching: PeerBridge's min-cost flow against how programmes match today (issue 5).

    .venv/bin/python -m bench.matching --size S|M|L   (1,000 x 200 / 10,000 x 2,000 /
                                                       100,000 x 20,000 participants x peers)

Generates a seeded synthetic programme (`bench.matching_data.programme`), builds the peer
table and the sparse candidate graph (feasible pairs only, top k per participant, scored
by `engine.candidate_graph`), then, in one process and on that same graph:
- peerbridge: end to end (peer table, candidates and scores, `batch.solve`, reasons for
  every matched pair from `engine.score_pairs`), each stage also timed on its own;
- peerbridge_waiting_priority: `batch.solve` again with the longest-waiting favoured
  (0 to 20 score points by waiting days);
- fcfs_greedy: first come, first served, as programmes match by hand: participants in
  waiting order (longest first) each take their best candidate peer with room left;
- global_greedy: every candidate pair by score, highest first, taken when both are free;
- scipy_lsa: scipy's exact assignment on the graph expanded by peer capacity slots (dense
  `linear_sum_assignment` when the matrix is small, else the sparse
  `min_weight_full_bipartite_matching`), in a child process stopped after --scipy-timeout
  seconds (its line then says skipped and why);
- at size M, peerbridge_full_graph: every feasible pair (top k = number of peers) solved
  too, to measure what pruning to the top k loses (pruning_loss).
Every line has seconds, peak_mib (peak resident memory the method added above what the
process held when it started: Linux's VmHWM, reset before each method), matched, total,
ratio_to_best (total score over the best total of the methods on the candidate graph),
the worst and 10th-percentile matched scores and the matched share per language group.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from bench.matching_data import condition_tree, labels, programme
from peerbridge.matching.batch import UNMATCHED, Assignment, solve, summarise
from peerbridge.matching.engine import (
    CandidateGraph,
    Labels,
    PeerRecord,
    PeerTable,
    Policy,
    SeekerRecord,
    candidate_graph,
    score_pairs,
)

SIZES = ("S", "M", "L")
TOP_K = 30  # the programmes' default (MatchSettings.candidates_per_participant)
PRIORITY_POINTS = 20.0
SCIPY_TIMEOUT = 60.0
DENSE_CELLS = 30_000_000
PRUNING_TOP_K = (10, 40)  # at size M, besides --top-k and the full graph
OTHER_GRAPHS = {"peerbridge_full_graph", *(f"pruning_top_{k}" for k in PRUNING_TOP_K)}
LANGUAGE_GROUPS = 4  # the most common primary languages; everyone else is "other"

# --- memory ----------------------------------------------------------------------------

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(key: str) -> float:
    for row in _STATUS.read_text().splitlines():
        if row.startswith(key + ":"):
            return float(row.split()[1])
    raise RuntimeError(f"{key} missing from {_STATUS}")


class PeakMemory:
    """Peak resident memory while a block runs, above the resident memory before it.

    Writing 5 to /proc/self/clear_refs resets the kernel's high-water mark (VmHWM) to
    the current resident size, so each method gets its own peak in one process.
    """

    def __enter__(self) -> PeakMemory:
        _CLEAR_REFS.write_text("5")
        self.before = _status_kib("VmRSS")
        self.mib = 0.0
        self.process_mib = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        peak = _status_kib("VmHWM")
        self.mib = (peak - self.before) / 1024
        self.process_mib = peak / 1024


# --- results ---------------------------------------------------------------------------


@dataclass
class Outcome:
    method: str
    seconds: float
    peak_mib: float
    process_peak_mib: float
    assignment: Assignment | None
    extra: dict[str, str] = field(default_factory=dict)
    skipped: str = ""
    cpu_seconds: float = float("nan")  # well below seconds means a busy machine


def measure(method: str, run: Callable[[], Assignment], **extra: str) -> Outcome:
    with PeakMemory() as memory:
        started, cpu = time.perf_counter(), time.process_time()
        assignment = run()
        seconds = time.perf_counter() - started
    outcome = Outcome(method, seconds, memory.mib, memory.process_mib, assignment, dict(extra))
    outcome.cpu_seconds = time.process_time() - cpu
    return outcome


def assignment_of(
    graph: CandidateGraph, peer_of_seeker: NDArray[np.int32], pair_of_seeker: NDArray[np.int64]
) -> Assignment:
    """An Assignment from each seeker's chosen pair index (-1 = waiting)."""
    matched = pair_of_seeker >= 0
    score = np.full(graph.n_seekers, np.nan)
    score[matched] = graph.score[pair_of_seeker[matched]]
    return Assignment(peer_of_seeker, score, int(matched.sum()), float(np.nansum(score)))


# --- baselines -------------------------------------------------------------------------


def greedy(
    graph: CandidateGraph, capacities: NDArray[np.int64], order: NDArray[np.intp]
) -> Assignment:
    """Walk the pairs in `order`; take a pair when its seeker is free and its peer has room."""
    room = capacities.tolist()
    peer_of_seeker = [UNMATCHED] * graph.n_seekers
    pair_of_seeker = [-1] * graph.n_seekers
    seekers = graph.seeker[order].tolist()
    peers = graph.peer[order].tolist()
    for index, s, p in zip(order.tolist(), seekers, peers, strict=True):
        if peer_of_seeker[s] == UNMATCHED and room[p] > 0:
            peer_of_seeker[s] = p
            pair_of_seeker[s] = index
            room[p] -= 1
    return assignment_of(
        graph, np.array(peer_of_seeker, dtype=np.int32), np.array(pair_of_seeker, dtype=np.int64)
    )


def fcfs_greedy(
    graph: CandidateGraph, capacities: NDArray[np.int64], waiting_days: NDArray[np.float64]
) -> Assignment:
    """Longest-waiting participant first, each taking its best candidate with room."""
    queue_position = np.empty(graph.n_seekers, dtype=np.int64)
    queue_position[np.argsort(-waiting_days, kind="stable")] = np.arange(graph.n_seekers)
    order = np.lexsort((-graph.score, queue_position[graph.seeker]))
    return greedy(graph, capacities, order)


def global_greedy(graph: CandidateGraph, capacities: NDArray[np.int64]) -> Assignment:
    """The best-scoring pair anywhere first, while both sides are free."""
    return greedy(graph, capacities, np.argsort(-graph.score, kind="stable"))


# --- scipy's exact assignment, on capacity slots ---------------------------------------


@dataclass(frozen=True)
class Slots:
    """The candidate graph with each peer repeated once per match it can take."""

    seeker: NDArray[np.int64]  # one entry per (pair, slot) edge
    slot: NDArray[np.int64]
    pair: NDArray[np.int64]  # the candidate pair each edge comes from
    peer_of_slot: NDArray[np.int64]


def slots_of(graph: CandidateGraph, capacities: NDArray[np.int64]) -> Slots:
    first_slot = np.concatenate([[0], np.cumsum(capacities)])
    repeats = capacities[graph.peer]
    pair = np.repeat(np.arange(graph.seeker.size), repeats)
    offset = np.arange(pair.size) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    slot = first_slot[graph.peer[pair]] + offset
    peer_of_slot = np.repeat(np.arange(graph.n_peers), capacities)
    return Slots(graph.seeker[pair].astype(np.int64), slot, pair, peer_of_slot)


def scipy_assignment(
    graph: CandidateGraph, capacities: NDArray[np.int64]
) -> tuple[Assignment, str]:
    """Most matched, then the highest total, as one assignment problem.

    An edge's weight is a large constant plus its gain (score in hundredths); the constant
    exceeds the gain any number of pairs can add, so one more match always wins, as in
    `batch.solve`.
    """
    slots = slots_of(graph, capacities)
    n_slots = int(capacities.sum())
    gain = np.rint(graph.score * 100)[slots.pair]
    top = float(gain.max()) + 1 if gain.size else 1.0
    big = top * (min(graph.n_seekers, n_slots) + 1)
    if graph.n_seekers * n_slots <= DENSE_CELLS:
        cost = np.zeros((graph.n_seekers, n_slots))  # no edge = stays waiting
        cost[slots.seeker, slots.slot] = -(big + gain)
        rows, cols = linear_sum_assignment(cost)
        keep = cost[rows, cols] < 0
        solver = "linear_sum_assignment"
    else:
        # Weights must be positive: column n_slots + s is seeker s's "stays waiting" at
        # big + top, a pair's slot costs top - gain, so each match saves big + gain.
        waiting = np.arange(graph.n_seekers)
        weights = np.concatenate([top - gain, np.full(graph.n_seekers, big + top)])
        matrix = csr_array(
            (
                weights,
                (
                    np.concatenate([slots.seeker, waiting]),
                    np.concatenate([slots.slot, n_slots + waiting]),
                ),
            ),
            shape=(graph.n_seekers, n_slots + graph.n_seekers),
        )
        rows, cols = min_weight_full_bipartite_matching(matrix)
        keep = cols < n_slots
        solver = "min_weight_full_bipartite_matching"
    rows, cols = rows[keep], cols[keep]
    peer_of_seeker = np.full(graph.n_seekers, UNMATCHED, dtype=np.int32)
    peer_of_seeker[rows] = slots.peer_of_slot[cols]
    pair_of_seeker = np.full(graph.n_seekers, -1, dtype=np.int64)
    pair_of_seeker[rows] = pair_index(graph, rows, slots.peer_of_slot[cols])
    return assignment_of(graph, peer_of_seeker, pair_of_seeker), solver


def pair_index(
    graph: CandidateGraph, seekers: NDArray[np.int64], peers: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Index in the candidate graph of each given (seeker, peer) pair."""
    keys = graph.seeker.astype(np.int64) * graph.n_peers + graph.peer
    order = np.argsort(keys, kind="stable")
    found = np.searchsorted(keys[order], seekers.astype(np.int64) * graph.n_peers + peers)
    return order[found].astype(np.int64)


def scipy_outcome(graph: CandidateGraph, capacities: NDArray[np.int64], timeout: float) -> Outcome:
    """scipy's assignment in a forked child, given up (and the child stopped) past timeout."""

    def child_main(sender: Connection) -> None:
        try:
            with PeakMemory() as memory:
                started, cpu = time.perf_counter(), time.process_time()
                assignment, solver = scipy_assignment(graph, capacities)
                seconds = time.perf_counter() - started
            extra = {"solver": solver, "slots": str(int(capacities.sum()))}
            # A forked child's resident size is not the parent's: only its increase counts.
            outcome = Outcome("scipy_lsa", seconds, memory.mib, float("nan"), assignment, extra)
            outcome.cpu_seconds = time.process_time() - cpu
            sender.send(outcome)
        except Exception as error:  # reported on the method's line, not raised in the child
            sender.send(f"{type(error).__name__}: {error}")
        finally:
            sender.close()

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=child_main, args=(sender,), daemon=True)
    child.start()
    sender.close()
    answer: Outcome | str
    if receiver.poll(timeout):
        try:
            answer = receiver.recv()
        except EOFError:
            answer = f"the child process ended with exit code {child.exitcode}"
    else:
        answer = f"not finished after {timeout:.0f} s"
        child.terminate()
    child.join()
    if isinstance(answer, Outcome):
        return answer
    return Outcome("scipy_lsa", float("nan"), float("nan"), float("nan"), None, skipped=answer)


# --- the run ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    seekers: list[SeekerRecord]
    peers: list[PeerRecord]
    policy: Policy
    labels: Labels
    capacities: NDArray[np.int64]
    waiting_days: NDArray[np.float64]
    groups: dict[str, NDArray[np.bool_]]


def instance(size: str) -> Instance:
    seekers, peers, policy = programme(size)
    capacities = np.array([p.remaining if p.eligible else 0 for p in peers], dtype=np.int64)
    waiting = np.array([s.waiting_days for s in seekers], dtype=np.float64)
    return Instance(
        seekers,
        peers,
        policy,
        labels(condition_tree()),
        capacities,
        waiting,
        language_groups(seekers),
    )


def language_groups(seekers: Sequence[SeekerRecord]) -> dict[str, NDArray[np.bool_]]:
    """Masks of seekers by main language: the most common few, then everyone else."""
    main = np.array([s.languages[0] if s.languages else "" for s in seekers])
    names, counts = np.unique(main, return_counts=True)
    common = names[np.argsort(-counts, kind="stable")][:LANGUAGE_GROUPS].tolist()
    groups = {str(name): main == name for name in common}
    groups["other"] = ~np.isin(main, common)
    return groups


def waiting_priority(waiting_days: NDArray[np.float64]) -> NDArray[np.float64]:
    """0 to PRIORITY_POINTS score points, by waiting time relative to the longest wait."""
    longest = float(waiting_days.max()) if waiting_days.size else 0.0
    return waiting_days / longest * PRIORITY_POINTS if longest > 0 else np.zeros_like(waiting_days)


@dataclass
class PeerbridgeRun:
    outcome: Outcome
    graph: CandidateGraph
    table: PeerTable


def peerbridge(data: Instance, top_k: int) -> PeerbridgeRun:
    """End to end: peer table, candidate graph, solve, then reasons for every matched pair.

    Reasons come from `engine.score_pairs` (each matched peer alone, scored and explained
    as `suggest` would), so every pair is explained and timed (`explain_seconds`).
    """
    stages: dict[str, float] = {}

    def stage(name: str, run: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = run()
        stages[name] = time.perf_counter() - started
        return result

    with PeakMemory() as memory:
        started, cpu = time.perf_counter(), time.process_time()
        table = stage("load_seconds", lambda: PeerTable.build(data.peers))
        graph = stage(
            "candidates_seconds",
            lambda: candidate_graph(data.seekers, table, data.policy, top_k=top_k),
        )
        assignment = stage("solve_seconds", lambda: solve(graph, data.capacities))
        explained, missing = stage(
            "explain_seconds", lambda: explain(data, table, graph, assignment)
        )
        seconds = time.perf_counter() - started
    per_pair = stages["explain_seconds"] / explained if explained else 0.0
    extra = {
        "top_k": str(top_k),
        "pairs": str(graph.seeker.size),
        **{name: f"{value:.3f}" for name, value in stages.items()},
        "explained": str(explained),
        "reasons_missing": str(missing),
        "explain_ms_per_pair": f"{per_pair * 1000:.3f}",
    }
    outcome = Outcome("peerbridge", seconds, memory.mib, memory.process_mib, assignment, extra)
    outcome.cpu_seconds = time.process_time() - cpu
    return PeerbridgeRun(outcome, graph, table)


def explain(
    data: Instance, table: PeerTable, graph: CandidateGraph, assignment: Assignment
) -> tuple[int, int]:
    """Reasons for every matched pair.

    Returns how many pairs were explained, and how many of them `score_pairs` did not
    find feasible with reasons and the candidate graph's score (to 0.02): the graph and
    the suggestions should agree, so this counts disagreements between them.
    """
    matched = np.flatnonzero(assignment.peer_of_seeker != UNMATCHED)
    peer_ids = table.ids[assignment.peer_of_seeker[matched]].tolist()
    pairs = score_pairs(
        [data.seekers[s] for s in matched], table, data.policy, peer_ids, labels=data.labels
    )
    missing = 0
    for pair, score in zip(pairs, assignment.score_of_seeker[matched].tolist(), strict=True):
        if not pair.reasons or pair.score is None or abs(max(pair.score, 0.01) - score) > 0.02:
            missing += 1
    return int(matched.size), missing


def pruned(data: Instance, table: PeerTable, top_k: int, method: str) -> Outcome:
    """Candidates and solve for another top k, on the same programme."""

    def build_and_solve() -> Assignment:
        graph = candidate_graph(data.seekers, table, data.policy, top_k=top_k)
        pairs[0] = graph.seeker.size
        return solve(graph, data.capacities)

    pairs = [0]
    outcome = measure(method, build_and_solve, top_k=str(top_k))
    outcome.extra["pairs"] = str(pairs[0])
    return outcome


def pruning(data: Instance, table: PeerTable, ours: Outcome) -> list[Outcome]:
    """Every feasible pair (top k = all peers) against the top k used, and a few other k:
    `pruning_loss` is 1 - (top-k optimum / full-graph optimum)."""
    full = pruned(data, table, len(data.peers), "peerbridge_full_graph")
    others = [pruned(data, table, k, f"pruning_top_{k}") for k in PRUNING_TOP_K]
    assert full.assignment is not None
    for outcome in [ours, full, *others]:
        assert outcome.assignment is not None
        loss = 1 - outcome.assignment.total / full.assignment.total if full.assignment.total else 0
        outcome.extra["pruning_loss"] = f"{loss:.6f}"
        outcome.extra["matched_lost"] = str(full.assignment.matched - outcome.assignment.matched)
    return [full, *others]


def render(outcome: Outcome, best: float, groups: Mapping[str, NDArray[np.bool_]]) -> str:
    fields: dict[str, str] = {"method": outcome.method}
    if outcome.assignment is None:
        fields["skipped"] = "yes"
        fields["reason"] = outcome.skipped
        return " ".join(f"{key}={quoted(value)}" for key, value in fields.items())
    assignment = outcome.assignment
    fields |= {
        "seconds": f"{outcome.seconds:.3f}",
        "cpu_seconds": f"{outcome.cpu_seconds:.3f}",
        "peak_mib": f"{outcome.peak_mib:.0f}",
        "matched": str(assignment.matched),
        "total": f"{assignment.total:.1f}",
    }
    if not np.isnan(outcome.process_peak_mib):
        fields["process_peak_mib"] = f"{outcome.process_peak_mib:.0f}"
    if outcome.method not in OTHER_GRAPHS:
        fields["ratio_to_best"] = f"{assignment.total / best:.4f}" if best else "nan"
    fields |= outcome.extra
    fields |= {key: f"{value:.4f}" for key, value in summarise(assignment, groups).items()}
    return " ".join(f"{key}={quoted(value)}" for key, value in fields.items())


def quoted(value: str) -> str:
    return f'"{value}"' if " " in value else value


def run(size: str, top_k: int, scipy_timeout: float) -> None:
    started = time.perf_counter()
    data = instance(size)
    n_seekers, n_peers = len(data.seekers), len(data.peers)
    print(
        f"programme: size={size} seekers={n_seekers} peers={n_peers} "
        f"places={int(data.capacities.sum())} generate_seconds={time.perf_counter() - started:.2f}",
        flush=True,
    )
    ours = peerbridge(data, top_k)
    graph = ours.graph
    outcomes = [
        ours.outcome,
        measure(
            "peerbridge_waiting_priority",
            lambda: solve(graph, data.capacities, priority=waiting_priority(data.waiting_days)),
            priority_points=f"0-{PRIORITY_POINTS:g}",
        ),
        measure("fcfs_greedy", lambda: fcfs_greedy(graph, data.capacities, data.waiting_days)),
        measure("global_greedy", lambda: global_greedy(graph, data.capacities)),
        scipy_outcome(graph, data.capacities, scipy_timeout),
    ]
    if size == "M":
        outcomes += pruning(data, ours.table, ours.outcome)
    best = max(
        o.assignment.total
        for o in outcomes
        if o.assignment is not None and o.method not in OTHER_GRAPHS
    )
    for outcome in outcomes:
        print(render(outcome, best, data.groups), flush=True)
    print(headline(size, n_seekers, n_peers, outcomes), flush=True)


def headline(size: str, n_seekers: int, n_peers: int, outcomes: list[Outcome]) -> str:
    by = {o.method: o for o in outcomes}
    ours, fcfs = by["peerbridge"], by["fcfs_greedy"]
    assert ours.assignment is not None and fcfs.assignment is not None
    extra = ours.extra
    text = (
        f"headline: size {size} ({n_seekers:,} x {n_peers:,}, top {extra['top_k']}, "
        f"{int(extra['pairs']):,} pairs): peerbridge matched {ours.assignment.matched:,} "
        f"({ours.assignment.matched - fcfs.assignment.matched:+,} against first-come greedy, "
        f"whose total is {fcfs.assignment.total / ours.assignment.total:.1%} of ours) in "
        f"{ours.seconds:.2f} s wall, {ours.cpu_seconds:.2f} s CPU (candidates "
        f"{extra['candidates_seconds']} s, solve {extra['solve_seconds']} s, reasons for "
        f"every match {extra['explain_seconds']} s), peak "
        f"{ours.process_peak_mib:.0f} MiB resident (+{ours.peak_mib:.0f} MiB)"
    )
    full = by.get("peerbridge_full_graph")
    if full is not None:
        text += (
            f"; pruning to top {extra['top_k']} loses {float(extra['pruning_loss']):.3%} of the "
            f"full-graph optimum ({int(full.extra['pairs']):,} pairs)"
        )
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--size", choices=SIZES, default="S")
    parser.add_argument("--top-k", type=int, default=TOP_K)
    parser.add_argument("--scipy-timeout", type=float, default=SCIPY_TIMEOUT)
    arguments = parser.parse_args(argv)
    run(arguments.size, arguments.top_k, arguments.scipy_timeout)


if __name__ == "__main__":
    main()
