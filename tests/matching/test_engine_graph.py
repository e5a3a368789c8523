"""The candidate graph for batch matching, and properties of the engine on random
instances (hypothesis)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerbridge.matching.engine import (
    COMPONENTS,
    PeerRecord,
    PeerTable,
    Policy,
    SeekerRecord,
    candidate_graph,
    suggest,
)
from peerbridge.matching.presets import PRESETS, policy_for
from tests.matching.test_engine import LABELS, peer, seeker

# --- Random instances -----------------------------------------------------------------

PATHS = [(), (1,), (1, 10), (1, 10, 100), (1, 10, 101), (1, 11), (2,), (2, 20), (2, 20, 200)]
LANGUAGES = ["en", "es", "so"]
WAYS = ["telephone", "video", "in_person", "text"]


@st.composite
def peers_and_seekers(draw: st.DrawFn) -> tuple[list[PeerRecord], list[SeekerRecord]]:
    n_peers = draw(st.integers(0, 12))
    n_seekers = draw(st.integers(1, 5))
    small = st.frozensets(st.integers(1, 5), max_size=3)
    place = st.one_of(st.none(), st.tuples(st.floats(51.0, 51.6), st.floats(-0.5, 0.2)))

    def person() -> dict[str, Any]:
        where = draw(place)
        return {
            "condition_path": draw(st.sampled_from(PATHS)),
            "facets": draw(st.frozensets(st.sampled_from([500, 501]), max_size=1)),
            "issues": draw(small),
            "age": draw(st.one_of(st.none(), st.integers(18, 90).map(float))),
            "gender": draw(st.sampled_from(["", "woman", "man"])),
            "languages": tuple(draw(st.lists(st.sampled_from(LANGUAGES), max_size=2, unique=True))),
            "cultures": draw(st.frozensets(st.sampled_from(["A", "B"]), max_size=1)),
            "lat": None if where is None else where[0],
            "lon": None if where is None else where[1],
            "modalities": draw(st.frozensets(st.sampled_from(WAYS), max_size=2)),
            "availability": draw(st.frozensets(st.integers(0, 167), max_size=4)),
        }

    peers = [
        PeerRecord(
            id=100 + n,
            remaining=draw(st.integers(0, 3)),
            eligible=draw(st.booleans()),
            blockers=(),
            wellbeing=draw(st.floats(0, 1)),
            **person(),
        )
        for n in range(n_peers)
    ]
    ids = [p.id for p in peers]
    some_peers = st.frozensets(st.sampled_from(ids), max_size=2) if ids else st.just(frozenset())
    seekers = [
        SeekerRecord(
            id=n + 1,
            peer_gender=draw(st.sampled_from(["", "woman"])),
            gender_required=draw(st.booleans()),
            language=draw(st.sampled_from(["", "es"])),
            language_required=draw(st.booleans()),
            same_culture=draw(st.booleans()),
            max_distance_km=draw(st.sampled_from([None, 20.0])),
            previous=draw(some_peers),
            excluded=draw(some_peers),
            **person(),
        )
        for n in range(n_seekers)
    ]
    return peers, seekers


POLICIES = [
    policy_for(name, requirements=requirements)
    for name in PRESETS
    for requirements in (
        (),
        ("language", "distance"),
        ("condition", "gender", "modality", "culture"),
    )
]


def feasible(who: SeekerRecord, candidate: PeerRecord, policy: Policy) -> bool:
    """The hard rules, written out plainly as a reference."""
    if not candidate.eligible or candidate.remaining <= 0 or candidate.id in who.excluded:
        return False
    rules = policy.requirements
    if "condition" in rules and who.condition_path:
        if candidate.condition_path[:1] != who.condition_path[:1]:
            return False
    if who.peer_gender and (who.gender_required or "gender" in rules):
        if candidate.gender != who.peer_gender:
            return False
    wanted = (who.language,) if who.language else who.languages
    if wanted and (who.language_required or "language" in rules):
        if not set(wanted) & set(candidate.languages):
            return False
    if "culture" in rules and who.cultures and not who.cultures & candidate.cultures:
        return False
    if "modality" in rules and who.modalities and not who.modalities & candidate.modalities:
        return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(peers_and_seekers(), st.sampled_from(POLICIES), st.integers(1, 6))
def test_suggestions_are_feasible_in_range_and_in_order(
    instance: tuple[list[PeerRecord], list[SeekerRecord]], policy: Policy, k: int
) -> None:
    peers, seekers = instance
    table = PeerTable.build(peers)
    by_id = {p.id: p for p in peers}
    for who in seekers:
        result = suggest(who, table, policy, labels=LABELS, k=k)
        assert len(result.suggestions) <= k
        assert result.eligible <= result.considered == len(peers)
        ids = [s.peer_id for s in result.suggestions]
        assert len(set(ids)) == len(ids)
        for s in result.suggestions:
            assert 0.0 <= s.score <= 100.0
            assert feasible(who, by_id[s.peer_id], policy)
            assert s.score == pytest.approx(sum(s.parts.values()), abs=0.06)
        assert [s.score for s in result.suggestions] == sorted(
            (s.score for s in result.suggestions), reverse=True
        )
        assert suggest(who, table, policy, labels=LABELS, k=k) == result
        if "distance" not in policy.requirements:
            expected = sum(feasible(who, p, policy) for p in peers)
            assert result.eligible == expected


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(peers_and_seekers(), st.sampled_from(POLICIES), st.integers(1, 4))
def test_exact_candidate_graph_holds_each_seekers_top_suggestions(
    instance: tuple[list[PeerRecord], list[SeekerRecord]], policy: Policy, top_k: int
) -> None:
    peers, seekers = instance
    table = PeerTable.build(peers)
    graph = candidate_graph(seekers, table, policy, top_k=top_k, exact=True)
    assert (graph.n_seekers, graph.n_peers) == (len(seekers), len(peers))
    assert np.all((graph.score > 0) & (graph.score <= 100))
    for number, who in enumerate(seekers):
        mine = graph.seeker == number
        expected = suggest(who, table, policy, labels=LABELS, k=top_k).suggestions
        assert np.round(graph.score[mine], 2) == pytest.approx(
            [max(s.score, 0.01) for s in expected], abs=0.02
        )
        assert set(table.ids[graph.peer[mine]]) <= {p.id for p in peers if feasible(who, p, policy)}


# --- Examples -------------------------------------------------------------------------


def test_graph_pairs_are_sorted_by_seeker_then_score() -> None:
    peers = [peer(n, remaining=n % 3 + 1, age=float(20 + 5 * n)) for n in range(1, 9)]
    seekers = [seeker(age=30.0), seeker(age=60.0), seeker(age=45.0)]
    graph = candidate_graph(seekers, PeerTable.build(peers), Policy({"age": 1}), top_k=3)
    assert graph.seeker.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert graph.seeker.dtype == np.int32 and graph.peer.dtype == np.int32
    assert graph.score.dtype == np.float64
    for number in range(3):
        scores = graph.score[graph.seeker == number]
        assert list(scores) == sorted(scores, reverse=True)
    assert graph.peer[:3].tolist() == [1, 0, 2]  # ages 30, then 25 and 35 (a tie: lower row)


def test_graph_leaves_out_infeasible_pairs_and_keeps_zero_scores_positive() -> None:
    peers = [peer(1, remaining=0), peer(2, eligible=False), peer(3), peer(4)]
    seekers = [seeker(excluded=frozenset({3})), seeker()]
    graph = candidate_graph(seekers, PeerTable.build(peers), Policy({"issues": 10}), top_k=5)
    pairs = set(zip(graph.seeker.tolist(), graph.peer.tolist(), strict=True))
    assert pairs == {(0, 3), (1, 2), (1, 3)}
    assert np.all(graph.score == 0.01)


def test_graph_with_top_k_above_the_peers_keeps_every_feasible_pair() -> None:
    peers = [peer(n) for n in range(1, 5)]
    graph = candidate_graph([seeker(), seeker()], PeerTable.build(peers), Policy({}), top_k=50)
    assert graph.seeker.size == 8


def test_graph_checks_its_arguments() -> None:
    table = PeerTable.build([peer(1)])
    with pytest.raises(ValueError):
        candidate_graph([seeker()], table, Policy({}), top_k=0)
    with pytest.raises(ValueError, match="shape"):
        candidate_graph([seeker()], table, Policy({"text": 1}), top_k=1, text_scores=np.ones(1))
    empty = candidate_graph([], table, Policy({}), top_k=3)
    assert (empty.seeker.size, empty.n_seekers, empty.n_peers) == (0, 0, 1)
    no_peers = candidate_graph([seeker()], PeerTable.build([]), Policy({}), top_k=3)
    assert (no_peers.seeker.size, no_peers.n_seekers, no_peers.n_peers) == (0, 1, 0)


def test_graph_uses_text_scores_per_pair() -> None:
    table = PeerTable.build([peer(1), peer(2)])
    text = np.array([[0.1, 0.8], [0.9, 0.2]])
    graph = candidate_graph(
        [seeker(), seeker()], table, Policy({"text": 1}), top_k=1, text_scores=text
    )
    assert graph.peer.tolist() == [1, 0]
    assert graph.score.tolist() == pytest.approx([80.0, 90.0])


def test_blocked_graph_keeps_to_the_condition_when_it_has_enough_peers() -> None:
    same = [peer(n, condition_path=(1, 10), issues=frozenset()) for n in range(1, 4)]
    other = [peer(n, condition_path=(2, 20), issues=frozenset({7, 8})) for n in range(4, 7)]
    who = seeker(condition_path=(1, 10), issues=frozenset({7, 8}))
    table = PeerTable.build(same + other)
    policy = Policy({"condition": 20, "issues": 80})
    exact = candidate_graph([who], table, policy, top_k=3, exact=True)
    blocked = candidate_graph([who], table, policy, top_k=3, exact=False)
    assert set(table.ids[exact.peer]) == {4, 5, 6}  # issues outweigh the condition
    assert set(table.ids[blocked.peer]) == {1, 2, 3}  # enough peers share the sub-condition
    short = candidate_graph([who], table, policy, top_k=5, exact=False)
    assert short.peer.size == 5  # too few there: it looks further


def test_graph_falls_back_like_suggest_for_a_rare_condition() -> None:
    peers = [
        peer(1, condition_path=(1, 10), issues=frozenset({3})),
        peer(2, condition_path=(1, 11), issues=frozenset()),
    ]
    who = seeker(condition_path=(2, 20), issues=frozenset({3}))
    policy = Policy({c: 10.0 for c in COMPONENTS})
    table = PeerTable.build(peers)
    graph = candidate_graph([who], table, policy, top_k=2, exact=False)
    expected = suggest(who, table, policy, labels=LABELS, k=2)
    assert expected.fallback is not None
    assert graph.score.tolist() == pytest.approx([s.score for s in expected.suggestions], abs=0.01)
