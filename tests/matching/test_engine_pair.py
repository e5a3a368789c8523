"""One known pair scored and explained on its own (`score_pair`, `explain_pair`): the same
score, parts, reasons and fallback as `suggest` gives for that peer (pure: no database)."""

from __future__ import annotations

from random import Random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerbridge.matching.engine import (
    PeerRecord,
    PeerTable,
    Policy,
    Reason,
    SeekerRecord,
    explain_pair,
    score_pair,
    score_pairs,
    suggest,
    why_not,
)
from tests.matching.test_engine import (
    BREAST,
    KIDNEY,
    LABELS,
    LUMPECTOMY,
    MASTECTOMY,
    REJECTION,
    TRANSPLANT,
    WITH_RECON,
    WORK,
    peer,
    seeker,
)
from tests.matching.test_engine_graph import POLICIES, peers_and_seekers


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(peers_and_seekers(), st.sampled_from(POLICIES), st.booleans(), st.randoms())
def test_a_pair_scores_and_explains_as_suggest_does(
    instance: tuple[list[PeerRecord], list[SeekerRecord]],
    policy: Policy,
    with_text: bool,
    random: Random,
) -> None:
    peers, seekers = instance
    table = PeerTable.build(peers)
    for who in seekers:
        text = np.array([random.random() for _ in peers]) if with_text else None
        k = max(1, len(peers))
        result = suggest(who, table, policy, labels=LABELS, k=k, text_scores=text)
        suggested = {s.peer_id: s for s in result.suggestions}
        for row, candidate in enumerate(peers):
            text_score = None if text is None else float(text[row])
            pair = score_pair(
                who, table, policy, candidate.id, labels=LABELS, text_score=text_score
            )
            reasons = explain_pair(
                who, table, policy, candidate.id, labels=LABELS, text_score=text_score
            )
            assert reasons == pair.reasons
            if candidate.id in suggested:
                expected = suggested[candidate.id]
                assert pair.feasible
                assert pair.score == expected.score
                assert pair.parts == expected.parts
                assert pair.reasons == expected.reasons
                assert pair.fallback == result.fallback
            else:  # not feasible: the rules it fails, as why_not says them
                assert not pair.feasible and pair.score is None
                assert pair.reasons
                assert pair.reasons == why_not(
                    who, table, policy, candidate.id, labels=LABELS, text_scores=text
                )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(peers_and_seekers(), st.sampled_from(POLICIES), st.booleans(), st.randoms())
def test_many_pairs_at_once_score_as_each_alone(
    instance: tuple[list[PeerRecord], list[SeekerRecord]],
    policy: Policy,
    with_text: bool,
    random: Random,
) -> None:
    """Seekers of every kind in one pass (each with every peer, and unknown peers)."""
    peers, seekers = instance
    table = PeerTable.build(peers)
    pairs = [(who, candidate.id) for who in seekers for candidate in peers]
    pairs += [(who, 999) for who in seekers]
    random.shuffle(pairs)
    text = [random.random() for _ in pairs] if with_text else None
    together = score_pairs(
        [who for who, _ in pairs],
        table,
        policy,
        [peer_id for _, peer_id in pairs],
        labels=LABELS,
        text_scores=text,
    )
    for number, (who, peer_id) in enumerate(pairs):
        alone = score_pair(
            who,
            table,
            policy,
            peer_id,
            labels=LABELS,
            text_score=None if text is None else text[number],
        )
        assert together[number] == alone
        assert alone.peer_id == peer_id


def test_score_pairs_checks_its_arguments() -> None:
    table = PeerTable.build([peer(1)])
    with pytest.raises(ValueError, match="one peer id per seeker"):
        score_pairs([seeker()], table, Policy({}), [1, 1], labels=LABELS)
    with pytest.raises(ValueError, match="shape"):
        score_pairs([seeker()], table, Policy({"text": 1}), [1], labels=LABELS, text_scores=[1, 2])
    assert score_pairs([], table, Policy({}), [], labels=LABELS) == []


def test_explain_pair_gives_the_reasons_of_a_peer_ranked_far_down() -> None:
    who = seeker(
        condition_path=(BREAST, MASTECTOMY, WITH_RECON),
        issues=frozenset({REJECTION, WORK}),
        age=50.0,
    )
    peers = [peer(n, condition_path=(BREAST, MASTECTOMY, WITH_RECON), age=50.0) for n in range(20)]
    far = peer(99, condition_path=(BREAST, LUMPECTOMY), issues=frozenset({WORK}), age=41.0)
    table = PeerTable.build([*peers, far])
    policy = Policy({"condition": 50, "issues": 20, "age": 10})
    reasons = explain_pair(who, table, policy, 99, labels=LABELS)
    every = suggest(who, table, policy, labels=LABELS, k=len(table)).suggestions
    assert reasons == next(s.reasons for s in every if s.peer_id == 99)
    assert [r.text() for r in reasons] == [
        "related experience: both had breast cancer",
        "shares 1 issue: returning to work",
        "9 years apart in age",
    ]


def test_a_pair_that_falls_back_carries_the_fallback_reason() -> None:
    who = seeker(condition_path=(KIDNEY, TRANSPLANT), issues=frozenset({REJECTION}))
    peers = [peer(1, condition_path=(BREAST,), issues=frozenset({REJECTION}))]
    policy = Policy({"condition": 50, "issues": 50})
    pair = score_pair(who, PeerTable.build(peers), policy, 1, labels=LABELS)
    assert pair.feasible and pair.score == 100.0
    assert pair.fallback == Reason("fallback_condition", {"condition": "kidney disease"})


def test_an_unknown_or_infeasible_pair_says_why() -> None:
    table = PeerTable.build([peer(1, eligible=False, blockers=("paused",)), peer(2)])
    policy = Policy({"issues": 10})
    assert explain_pair(seeker(), table, policy, 7, labels=LABELS) == (Reason("unknown_peer"),)
    pair = score_pair(seeker(), table, policy, 1, labels=LABELS)
    assert (pair.feasible, pair.score) == (False, None)
    assert [r.text() for r in pair.reasons] == ["Not available for matching: paused."]


@pytest.mark.parametrize("path", [(BREAST,), (BREAST, MASTECTOMY), ()])
def test_a_pair_sharing_less_than_another_feasible_peer_keeps_the_full_weights(
    path: tuple[int, ...],
) -> None:
    """The fallback is decided by every feasible peer, not by the pair alone."""
    who = seeker(condition_path=(BREAST, MASTECTOMY), issues=frozenset({REJECTION}))
    peers = [
        peer(1, condition_path=(BREAST, MASTECTOMY), remaining=1),
        peer(2, condition_path=path, issues=frozenset({REJECTION})),
    ]
    table = PeerTable.build(peers)
    policy = Policy({"condition": 50, "issues": 50})
    expected = suggest(who, table, policy, labels=LABELS, k=2)
    pair = score_pair(who, table, policy, 2, labels=LABELS)
    assert expected.fallback is None and pair.fallback is None
    assert pair.score == next(s.score for s in expected.suggestions if s.peer_id == 2)
