"""The batch solver (matching/batch.py): optimal against exact references, and its contract."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy.optimize import linprog

from peerbridge.matching.batch import UNMATCHED, Assignment, solve, summarise
from peerbridge.matching.engine import CandidateGraph

# --- building instances --------------------------------------------------------------


def graph_of(pairs: list[tuple[int, int, float]], n_seekers: int, n_peers: int) -> CandidateGraph:
    return CandidateGraph(
        seeker=np.array([s for s, _, _ in pairs], dtype=np.int32),
        peer=np.array([p for _, p, _ in pairs], dtype=np.int32),
        score=np.array([x for _, _, x in pairs], dtype=np.float64),
        n_seekers=n_seekers,
        n_peers=n_peers,
    )


def caps(*values: int) -> NDArray[np.int64]:
    return np.array(values, dtype=np.int64)


@dataclass(frozen=True)
class Instance:
    graph: CandidateGraph
    capacities: NDArray[np.int64]
    priority: NDArray[np.float64] | None


@st.composite
def instances(draw: st.DrawFn, *, with_priority: bool) -> Instance:
    n_seekers = draw(st.integers(0, 6))
    n_peers = draw(st.integers(0, 4))
    every_pair = [(s, p) for s in range(n_seekers) for p in range(n_peers)]
    chosen = draw(st.lists(st.sampled_from(every_pair), unique=True)) if every_pair else []
    # Scores in hundredths, so the solver's integer scaling is exact and totals compare.
    hundredths = draw(st.lists(st.integers(1, 10_000), min_size=len(chosen), max_size=len(chosen)))
    pairs = [(s, p, h / 100) for (s, p), h in zip(chosen, hundredths, strict=True)]
    capacities = draw(st.lists(st.integers(0, 3), min_size=n_peers, max_size=n_peers))
    priority = None
    if with_priority:
        points = draw(st.lists(st.integers(0, 3_000), min_size=n_seekers, max_size=n_seekers))
        priority = np.array(points, dtype=np.float64) / 100
    return Instance(graph_of(pairs, n_seekers, n_peers), caps(*capacities), priority)


# --- exact references ----------------------------------------------------------------


def gains(instance: Instance) -> NDArray[np.int64]:
    """Each pair's value in integer hundredths: score plus the seeker's priority."""
    graph = instance.graph
    value = graph.score.copy()
    if instance.priority is not None:
        value += instance.priority[graph.seeker]
    return np.rint(value * 100).astype(np.int64)


def brute_force(instance: Instance) -> tuple[int, int]:
    """Best (matched, total gain) over every assignment, by depth-first enumeration."""
    graph = instance.graph
    value = gains(instance)
    options: list[list[tuple[int, int]]] = [[] for _ in range(graph.n_seekers)]
    for index, (s, p) in enumerate(zip(graph.seeker.tolist(), graph.peer.tolist(), strict=True)):
        options[s].append((p, int(value[index])))
    room = instance.capacities.tolist()

    def best_from(s: int) -> tuple[int, int]:
        if s == graph.n_seekers:
            return (0, 0)
        best = best_from(s + 1)  # this seeker stays waiting
        for p, g in options[s]:
            if room[p] > 0:
                room[p] -= 1
                matched, total = best_from(s + 1)
                room[p] += 1
                best = max(best, (matched + 1, total + g))
        return best

    return best_from(0)


def linear_program(instance: Instance) -> tuple[int, int]:
    """Best (matched, total gain) from two HiGHS LPs: most matched, then best total.

    The constraint matrix is that of a bipartite b-matching (totally unimodular), so the
    LP optimum is integral and equals the integer optimum.
    """
    graph = instance.graph
    n_pairs = graph.seeker.size
    if n_pairs == 0:
        return (0, 0)
    rows = np.zeros((graph.n_seekers + graph.n_peers, n_pairs))
    rows[graph.seeker, np.arange(n_pairs)] = 1
    rows[graph.n_seekers + graph.peer, np.arange(n_pairs)] = 1
    bounds = np.concatenate([np.ones(graph.n_seekers), instance.capacities])
    first = linprog(-np.ones(n_pairs), A_ub=rows, b_ub=bounds, bounds=(0, 1), method="highs")
    matched = round(-first.fun)
    value = gains(instance).astype(np.float64)
    second = linprog(
        -value,
        A_ub=np.vstack([rows, -np.ones(n_pairs)]),
        b_ub=np.append(bounds, -matched),
        bounds=(0, 1),
        method="highs",
    )
    return (matched, round(-second.fun))


def achieved(instance: Instance, assignment: Assignment) -> tuple[int, int]:
    """(matched, total gain) of the solver's assignment, checked to be feasible."""
    check_feasible(instance.graph, instance.capacities, assignment)
    graph = instance.graph
    value = gains(instance)
    chosen = assignment.peer_of_seeker[graph.seeker] == graph.peer
    return (assignment.matched, int(value[chosen].sum()))


def check_feasible(
    graph: CandidateGraph, capacities: NDArray[np.int64], assignment: Assignment
) -> None:
    candidates = {
        (s, p): x
        for s, p, x in zip(
            graph.seeker.tolist(), graph.peer.tolist(), graph.score.tolist(), strict=True
        )
    }
    assert assignment.peer_of_seeker.shape == (graph.n_seekers,)
    taken = np.zeros(graph.n_peers, dtype=np.int64)
    for s, p in enumerate(assignment.peer_of_seeker.tolist()):
        if p == UNMATCHED:
            assert np.isnan(assignment.score_of_seeker[s])
            continue
        assert (s, p) in candidates
        assert assignment.score_of_seeker[s] == candidates[(s, p)]
        taken[p] += 1
    assert (taken <= capacities).all()
    assert assignment.matched == int((assignment.peer_of_seeker != UNMATCHED).sum())
    assert assignment.total == pytest.approx(float(np.nansum(assignment.score_of_seeker)))


# --- optimality ----------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(instances(with_priority=False))
def test_solve_equals_brute_force_and_linear_program(instance: Instance) -> None:
    assignment = solve(instance.graph, instance.capacities)
    expected = brute_force(instance)
    assert achieved(instance, assignment) == expected
    assert linear_program(instance) == expected
    assert assignment.total == pytest.approx(expected[1] / 100)


@settings(max_examples=200, deadline=None)
@given(instances(with_priority=True))
def test_solve_with_priority_equals_brute_force_and_linear_program(instance: Instance) -> None:
    assignment = solve(instance.graph, instance.capacities, priority=instance.priority)
    expected = brute_force(instance)
    assert achieved(instance, assignment) == expected
    assert linear_program(instance) == expected


def test_solve_equals_linear_program_on_a_larger_random_instance() -> None:
    rng = np.random.default_rng(5)
    n_seekers, n_peers = 120, 30
    every = rng.permutation(n_seekers * n_peers)[:900]
    graph = CandidateGraph(
        seeker=(every // n_peers).astype(np.int32),
        peer=(every % n_peers).astype(np.int32),
        score=rng.integers(1, 10_001, every.size) / 100,
        n_seekers=n_seekers,
        n_peers=n_peers,
    )
    instance = Instance(graph, rng.integers(0, 4, n_peers).astype(np.int64), None)
    assignment = solve(graph, instance.capacities)
    assert achieved(instance, assignment) == linear_program(instance)


# --- behaviour -----------------------------------------------------------------------


def test_matching_more_people_comes_before_a_higher_total() -> None:
    # Seeker 0 alone with peer 0 scores 100; matching both seekers scores only 2.
    graph = graph_of([(0, 0, 100.0), (0, 1, 1.0), (1, 0, 1.0)], n_seekers=2, n_peers=2)
    assignment = solve(graph, caps(1, 1))
    assert assignment.peer_of_seeker.tolist() == [1, 0]
    assert (assignment.matched, assignment.total) == (2, 2.0)


def test_capacities_are_respected_and_used() -> None:
    pairs = [(s, p, 50.0 + s + p) for s in range(10) for p in range(3)]
    graph = graph_of(pairs, n_seekers=10, n_peers=3)
    assignment = solve(graph, caps(2, 0, 3))
    check_feasible(graph, caps(2, 0, 3), assignment)
    taken = np.bincount(assignment.peer_of_seeker[assignment.peer_of_seeker >= 0], minlength=3)
    assert taken.tolist() == [2, 0, 3]
    assert assignment.matched == 5


def test_every_matched_pair_is_a_candidate_pair_with_its_score() -> None:
    rng = np.random.default_rng(11)
    keys = rng.permutation(40 * 8)[:60]
    graph = CandidateGraph(
        seeker=(keys // 8).astype(np.int32),
        peer=(keys % 8).astype(np.int32),
        score=rng.uniform(0.5, 100.0, keys.size),
        n_seekers=40,
        n_peers=8,
    )
    capacities = rng.integers(1, 4, 8).astype(np.int64)
    check_feasible(graph, capacities, solve(graph, capacities))


def test_seeker_without_candidates_stays_waiting() -> None:
    graph = graph_of([(0, 0, 70.0), (2, 0, 40.0)], n_seekers=3, n_peers=1)
    assignment = solve(graph, caps(5))
    assert assignment.peer_of_seeker.tolist() == [0, UNMATCHED, 0]
    assert np.isnan(assignment.score_of_seeker[1])
    assert (assignment.matched, assignment.total) == (2, 110.0)


def test_priority_decides_who_is_matched_when_capacity_is_short() -> None:
    graph = graph_of([(0, 0, 80.0), (1, 0, 60.0)], n_seekers=2, n_peers=1)
    assert solve(graph, caps(1)).peer_of_seeker.tolist() == [0, UNMATCHED]
    longest_waiting = np.array([0.0, 30.0])
    assignment = solve(graph, caps(1), priority=longest_waiting)
    assert assignment.peer_of_seeker.tolist() == [UNMATCHED, 0]
    # The total reports the pair's own score, not the priority bonus.
    assert (assignment.matched, assignment.total) == (1, 60.0)


def test_priority_never_costs_a_match() -> None:
    # Seeker 1 waits longest, but giving it peer 0 would leave seeker 0 unmatched.
    graph = graph_of([(0, 0, 90.0), (1, 0, 90.0), (1, 1, 10.0)], n_seekers=2, n_peers=2)
    assignment = solve(graph, caps(1, 1), priority=np.array([0.0, 500.0]))
    assert assignment.peer_of_seeker.tolist() == [0, 1]


def test_peer_without_capacity_takes_nobody() -> None:
    graph = graph_of([(0, 0, 99.0), (0, 1, 10.0)], n_seekers=1, n_peers=2)
    assignment = solve(graph, caps(0, 1))
    assert assignment.peer_of_seeker.tolist() == [1]


@pytest.mark.parametrize(
    ("n_seekers", "n_peers", "capacities"),
    [(0, 0, caps()), (0, 3, caps(1, 2, 3)), (4, 0, caps()), (3, 2, caps(1, 1)), (3, 2, caps(0, 0))],
)
def test_empty_and_degenerate_inputs_leave_everyone_waiting(
    n_seekers: int, n_peers: int, capacities: NDArray[np.int64]
) -> None:
    pairs = [(0, 0, 50.0)] if n_seekers and n_peers and capacities.sum() == 0 else []
    assignment = solve(graph_of(pairs, n_seekers, n_peers), capacities)
    assert assignment.peer_of_seeker.tolist() == [UNMATCHED] * n_seekers
    assert assignment.peer_of_seeker.dtype == np.int32
    assert np.isnan(assignment.score_of_seeker).all()
    assert (assignment.matched, assignment.total) == (0, 0.0)


def test_score_of_zero_is_still_a_match() -> None:
    assignment = solve(graph_of([(0, 0, 0.0)], 1, 1), caps(1))
    assert (assignment.matched, assignment.total) == (1, 0.0)


# --- inconsistent input --------------------------------------------------------------


def raw_graph(
    seeker: object = (0, 1),
    peer: object = (0, 0),
    score: object = (50.0, 60.0),
    n_seekers: object = 2,
    n_peers: object = 1,
) -> CandidateGraph:
    return CandidateGraph(
        seeker=np.asarray(seeker),
        peer=np.asarray(peer),
        score=np.asarray(score),
        n_seekers=n_seekers,  # type: ignore[arg-type]
        n_peers=n_peers,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("graph", "message"),
    [
        (raw_graph(seeker=(0,)), "same length"),
        (raw_graph(score=(50.0,)), "same length"),
        (raw_graph(seeker=((0, 1),)), "1-D"),
        (raw_graph(seeker=(0, 2)), r"seeker indexes must lie in \[0, 2\)"),
        (raw_graph(peer=(0, -1)), r"peer indexes must lie in \[0, 1\)"),
        (raw_graph(seeker=(0.0, 1.0)), "integer indexes"),
        (raw_graph(score=(50.0, float("nan"))), "finite"),
        (raw_graph(score=(50.0, -1.0)), ">= 0"),
        (raw_graph(score=(50.0, 100.5)), "at most 100"),
        (raw_graph(score=("a", "b")), "numeric"),
        (raw_graph(seeker=(0, 0)), "more than once"),
        (raw_graph(n_seekers=-1), "n_seekers and n_peers"),
        (raw_graph(n_peers=1.0), "n_seekers and n_peers"),
    ],
)
def test_inconsistent_graph_is_a_value_error(graph: CandidateGraph, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        solve(graph, caps(1))


@pytest.mark.parametrize(
    ("capacities", "message"),
    [
        (caps(1, 1), "one entry per peer"),
        (caps(), "one entry per peer"),
        (caps(-1), ">= 0"),
        (np.array([1.5]), "integers"),
    ],
)
def test_inconsistent_capacities_are_a_value_error(
    capacities: NDArray[np.int64], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        solve(raw_graph(), capacities)


@pytest.mark.parametrize(
    ("priority", "message"),
    [
        (np.array([1.0]), "one entry per seeker"),
        (np.array([1.0, -0.5]), "finite number"),
        (np.array([1.0, float("inf")]), "finite number"),
        (np.array([1.0, 1e9]), "finite number"),
        (np.array(["x", "y"]), "numeric"),
    ],
)
def test_inconsistent_priority_is_a_value_error(
    priority: NDArray[np.float64], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        solve(raw_graph(), caps(1), priority=priority)


# --- summary -------------------------------------------------------------------------


def test_summarise_reports_group_shares_and_worst_scores() -> None:
    assignment = Assignment(
        peer_of_seeker=np.array([0, -1, 1, 0, -1], dtype=np.int32),
        score_of_seeker=np.array([40.0, np.nan, 90.0, 70.0, np.nan]),
        matched=3,
        total=200.0,
    )
    english = np.array([True, True, True, False, False])
    summary = summarise(assignment, {"en": english, "es": ~english, "none": english & False})
    assert summary["matched_share"] == pytest.approx(0.6)
    assert summary["matched_share_en"] == pytest.approx(2 / 3)
    assert summary["matched_share_es"] == pytest.approx(0.5)
    assert np.isnan(summary["matched_share_none"])
    assert summary["score_min"] == 40.0
    assert summary["score_p10"] == pytest.approx(np.percentile([40.0, 70.0, 90.0], 10))


def test_summarise_with_nobody_matched_has_no_scores() -> None:
    assignment = solve(graph_of([], 2, 0), caps())
    summary = summarise(assignment, {})
    assert summary["matched_share"] == 0.0
    assert np.isnan(summary["score_min"]) and np.isnan(summary["score_p10"])


@pytest.mark.parametrize("mask", [np.array([True]), np.array([1, 0])])
def test_summarise_rejects_a_mask_of_the_wrong_shape_or_type(mask: NDArray[np.bool_]) -> None:
    assignment = solve(graph_of([], 2, 0), caps())
    with pytest.raises(ValueError, match="boolean mask of 2 seekers"):
        summarise(assignment, {"en": mask})
