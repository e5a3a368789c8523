"""Suggestions for one participant, and the candidate graph for a waiting list (issue 5).

    .venv/bin/python -m bench.suggestions --size S|M|L

Suggestions: peer tables of 20,000 and 200,000 synthetic peers (bench.matching_data),
participants drawn from the same generator, the general preset. For each table:
- `method=python_loop`: the baseline, a plain-Python loop that scores every peer one at
  a time with the same rules (written here independently of the engine), for a few
  participants; the script asserts that its top 5 are the engine's (`identical_top5`).
- `method=full_sort`: the engine's scores, then a full sort of every feasible peer
  instead of the engine's selection of the top 5.
- `method=engine`: `suggest(..., k=5)` with reasons, the figure the issue sets a target
  for (2 ms median among 20,000 peers, 10 ms among 200,000).
`ratio_to_baseline` is the method's median over python_loop's median. Queries: 100, 300
or 1,000 participants for S, M, L (python_loop: at most 10 and 3).

Candidate graph: `candidate_graph(top_k=10)` for the programme of the same size letter
(1,000 x 200, 10,000 x 2,000, 100,000 x 20,000), exact (with the bound) and blocked (the
nearest condition blocks with enough candidates), with the share of the exact graph's
total score the blocked one keeps (`score_kept`, over the seekers' top 10; S and M, where
the exact graph is affordable).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable

import numpy as np

from bench.imports import peak_mib
from bench.matching_data import (
    SEED,
    condition_tree,
    labels,
    make_peers,
    make_seekers,
    programme,
)
from peerbridge.matching.engine import (
    AGE_SCALE_YEARS,
    AVAILABILITY_FULL,
    CAPACITY_FULL,
    COMPONENTS,
    FACET_SHARE,
    SUBCONDITION_FALLBACK_SHIFT,
    PeerRecord,
    PeerTable,
    Policy,
    SeekerRecord,
    candidate_graph,
    great_circle_km,
    suggest,
)
from peerbridge.matching.presets import policy_for

SIZES = {"S": 100, "M": 300, "L": 1_000}
TABLES = (20_000, 200_000)
LOOP_QUERIES = {20_000: 10, 200_000: 3}
K = 5
CONDITION = {  # (levels shared, seeker's path ends there, peer's ends there) -> score
    (1, True, True): 1.0, (1, True, False): 0.5, (1, False, True): 0.5, (1, False, False): 0.3,
    (2, True, True): 1.0, (2, True, False): 0.85, (2, False, True): 0.85,
    (2, False, False): 0.75, (3, True, True): 1.0,
}  # fmt: skip


# --- The baseline: every peer scored in plain Python ------------------------------------


def shared_levels(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    level = 0
    while level < min(len(a), len(b), 3) and a[level] == b[level]:
        level += 1
    return level


def feasible(who: SeekerRecord, peer: PeerRecord, policy: Policy) -> bool:
    if not peer.eligible or peer.remaining <= 0 or peer.id in who.excluded:
        return False
    rules = policy.requirements
    if (
        "condition" in rules
        and who.condition_path
        and not shared_levels(who.condition_path, peer.condition_path)
    ):
        return False
    if (
        who.peer_gender
        and (who.gender_required or "gender" in rules)
        and peer.gender != who.peer_gender
    ):
        return False
    wanted = (who.language,) if who.language else who.languages
    if (
        wanted
        and (who.language_required or "language" in rules)
        and not set(wanted) & set(peer.languages)
    ):
        return False
    if "culture" in rules and who.cultures and not who.cultures & peer.cultures:
        return False
    if "modality" in rules and who.modalities and not who.modalities & peer.modalities:
        return False
    if "distance" in rules and in_person(who) and distance(who, peer) > max_km(who, policy):
        return False
    return True


def in_person(who: SeekerRecord) -> bool:
    return "in_person" in who.modalities and who.lat is not None and who.lon is not None


def distance(who: SeekerRecord, peer: PeerRecord) -> float:
    if peer.lat is None or peer.lon is None or who.lat is None or who.lon is None:
        return math.inf
    return great_circle_km((who.lat, who.lon), (peer.lat, peer.lon))


def max_km(who: SeekerRecord, policy: Policy) -> float:
    return min(who.max_distance_km or policy.max_distance_km, 3000.0)


def component(name: str, who: SeekerRecord, peer: PeerRecord, policy: Policy) -> float:
    if name == "condition":
        level = shared_levels(who.condition_path, peer.condition_path)
        tier = CONDITION.get(
            (level, len(who.condition_path[:3]) == level, len(peer.condition_path[:3]) == level),
            0.0,
        )
        if who.facets:
            tier = tier * (1 - FACET_SHARE) + FACET_SHARE * len(who.facets & peer.facets) / len(
                who.facets
            )
        return tier
    if name == "issues":
        shared = len(who.issues & peer.issues)
        return shared / math.sqrt(len(who.issues) * len(peer.issues)) if shared else 0.0
    if name == "age":
        return 1 / (
            1
            + ((who.age or 0) - (peer.age if peer.age is not None else 1e4)) ** 2
            / AGE_SCALE_YEARS**2
        )
    if name == "gender":
        return float(peer.gender == who.peer_gender)
    if name == "language":
        main = (who.language,) if who.language else who.languages
        if set(main) & set(peer.languages):
            return 1.0
        return 0.5 if set(who.languages) & set(peer.languages) else 0.0
    if name == "culture":
        return float(bool(who.cultures & peer.cultures))
    if name == "distance":
        return max(0.0, 1 - distance(who, peer) / max_km(who, policy))
    if name == "modality":
        return len(who.modalities & peer.modalities) / len(who.modalities)
    if name == "availability":
        shared = len(who.availability & peer.availability)
        return min(1.0, shared / min(len(who.availability), AVAILABILITY_FULL))
    if name == "capacity":
        return (
            min(max(peer.remaining, 0), CAPACITY_FULL)
            / CAPACITY_FULL
            * min(max(peer.wellbeing, 0), 1)
        )
    return float(peer.id in who.previous)


def weights(who: SeekerRecord, policy: Policy, best_level: int) -> dict[str, float]:
    applies = {
        "condition": bool(who.condition_path), "issues": bool(who.issues), "text": False,
        "age": who.age is not None, "gender": bool(who.peer_gender),
        "language": bool(who.languages or who.language), "culture": bool(who.cultures),
        "distance": in_person(who), "modality": bool(who.modalities),
        "availability": bool(who.availability), "capacity": True, "continuity": bool(who.previous),
    }  # fmt: skip
    w = {c: policy.weight(c) * applies[c] for c in COMPONENTS}
    w["culture"] *= 2 if who.same_culture else 1
    depth = len(who.condition_path[:3])
    shift = (
        1.0
        if depth and best_level == 0
        else SUBCONDITION_FALLBACK_SHIFT
        if depth >= 2 and best_level == 1
        else 0.0
    )
    moved = w["condition"] * shift
    if moved:
        to = {"issues": w["issues"], "text": w["text"]}
        if not sum(to.values()):
            to = {"issues": float(applies["issues"]), "text": 0.0}
        if sum(to.values()) or shift == 1.0:
            w["condition"] -= moved
        for name, share in to.items():
            if sum(to.values()):
                w[name] += moved * share / sum(to.values())
    norm = sum(w.values())
    return {c: 100 * v / norm for c, v in w.items() if v > 0} if norm else {}


def python_loop(
    who: SeekerRecord, peers: list[PeerRecord], policy: Policy, k: int
) -> list[tuple[float, int]]:
    """The top k (score, peer id) by scoring each peer in turn."""
    candidates = [p for p in peers if feasible(who, p, policy)]
    best_level = max(
        (min(2, shared_levels(who.condition_path, p.condition_path)) for p in candidates), default=0
    )
    points = weights(who, policy, best_level)
    scored = [
        (sum(w * component(name, who, peer, policy) for name, w in points.items()), -row, peer.id)
        for row, peer in enumerate(peers)
        if feasible(who, peer, policy)
    ]
    scored.sort(reverse=True)
    return [(score, peer_id) for score, _, peer_id in scored[:k]]


# --- Measuring --------------------------------------------------------------------------


Timings = tuple[np.ndarray, np.ndarray]  # type: ignore[type-arg]  # wall and CPU, in ms


def timed_each(
    run: Callable[[SeekerRecord], object], seekers: list[SeekerRecord]
) -> tuple[Timings, list[object]]:
    """Wall and this thread's CPU milliseconds of each call (CPU well below wall: a busy
    machine)."""
    wall, cpu, results = [], [], []
    for who in seekers:
        started, started_cpu = time.perf_counter(), time.thread_time()
        results.append(run(who))
        wall.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
    return (np.array(wall) * 1000, np.array(cpu) * 1000), results


def line(method: str, peers: int, ms: Timings, baseline_ms: float, **extra: object) -> str:
    wall, cpu = ms
    fields = {
        "method": method, "peers": peers, "queries": wall.size,
        "median_ms": f"{np.median(wall):.3f}", "p95_ms": f"{np.percentile(wall, 95):.3f}",
        "cpu_median_ms": f"{np.median(cpu):.3f}",
        "ratio_to_baseline": f"{np.median(wall) / baseline_ms:.5f}",
        "peak_mib": f"{peak_mib():.0f}", **extra,
    }  # fmt: skip
    return " ".join(f"{key}={value}" for key, value in fields.items())


def full_sort(table: PeerTable, policy: Policy, who: SeekerRecord) -> list[int]:
    from peerbridge.matching.engine import _scan

    scan = _scan(who, table, policy, None)
    rows = np.flatnonzero(scan.feasible)
    order = np.lexsort((rows, -scan.total[rows]))
    return table.ids[rows[order[:K]]].tolist()


def measure_table(n_peers: int, queries: int) -> tuple[float, float]:
    tree = condition_tree()
    pick = np.random.default_rng([SEED, n_peers])
    peers = make_peers(pick, tree, n_peers)
    seekers = make_seekers(pick, tree, queries, peers)
    policy, names = policy_for("general"), labels(tree)
    started = time.perf_counter()
    table = PeerTable.build(peers)
    seconds = time.perf_counter() - started
    print(f"method=table_build peers={n_peers} seconds={seconds:.2f} peak_mib={peak_mib():.0f}")

    sample = seekers[: LOOP_QUERIES[n_peers]]
    loop_ms, expected = timed_each(lambda who: python_loop(who, peers, policy, K), sample)
    baseline = float(np.median(loop_ms[0]))
    engine_ms, results = timed_each(
        lambda who: suggest(who, table, policy, labels=names, k=K), seekers
    )
    same = 0
    for want, got in zip(expected, results, strict=False):
        ids = [s.peer_id for s in got.suggestions]  # type: ignore[attr-defined]
        scores = [s.score for s in got.suggestions]  # type: ignore[attr-defined]
        assert np.allclose(scores, [round(score, 2) for score, _ in want], atol=0.02), (
            scores,
            want,
        )  # type: ignore[attr-defined]
        same += ids == [peer_id for _, peer_id in want]  # type: ignore[attr-defined]
    print(
        line("python_loop", n_peers, loop_ms, baseline, identical_top5=f"{same}/{len(sample)}"),
        flush=True,
    )
    sort_ms, _ = timed_each(lambda who: full_sort(table, policy, who), seekers)
    print(line("full_sort", n_peers, sort_ms, baseline), flush=True)
    print(line("engine", n_peers, engine_ms, baseline, k=K), flush=True)
    return float(np.median(engine_ms[0])), float(np.median(engine_ms[1]))


def measure_graph(size: str) -> str:
    seekers, peers, policy = programme(size)
    table = PeerTable.build(peers)
    found = {}
    for exact in (True, False) if size != "L" else (False,):
        started, cpu = time.perf_counter(), time.process_time()
        graph = candidate_graph(seekers, table, policy, top_k=10, exact=exact)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        found[exact] = graph
        kept = ""
        if not exact and True in found:
            kept = f" score_kept={graph.score.sum() / found[True].score.sum():.4f}"
        method = "graph_exact" if exact else "graph_blocked"
        print(
            f"method={method} seekers={len(seekers)} peers={len(peers)} top_k=10 "
            f"seconds={seconds:.2f} cpu_seconds={cpu_seconds:.2f} pairs={graph.seeker.size} "
            f"peak_mib={peak_mib():.0f}{kept}",
            flush=True,
        )
    return f"candidate_graph {len(seekers):,} x {len(peers):,} (blocked) in {seconds:.2f} s"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    size = parser.parse_args(argv).size
    figures = {n: measure_table(n, SIZES[size]) for n in TABLES}
    graph = measure_graph(size)
    shown = "; ".join(
        f"{n:,} peers median {m:.2f} ms ({c:.2f} ms CPU)" for n, (m, c) in figures.items()
    )
    print(f"headline: top {K} with reasons: {shown} (targets 2 ms and 10 ms median); {graph}")


if __name__ == "__main__":
    sys.exit(main())
