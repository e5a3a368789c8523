"""The matching engine, one component and one rule at a time (pure: no database)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from peerbridge.matching.engine import (
    COMPONENTS,
    TEMPLATES,
    Labels,
    PeerRecord,
    PeerTable,
    Policy,
    Reason,
    SeekerRecord,
    SuggestionResult,
    great_circle_km,
    suggest,
    why_not,
)

# A small condition tree: breast cancer > mastectomy > with / without reconstruction,
# breast cancer > lumpectomy; kidney disease > transplant.
BREAST, MASTECTOMY, WITH_RECON, WITHOUT_RECON, LUMPECTOMY = 1, 10, 100, 101, 11
KIDNEY, TRANSPLANT = 2, 20
REJECTION, WORK, FATIGUE, BODY_IMAGE = 1, 2, 3, 4
LABELS = Labels(
    conditions={
        BREAST: "breast cancer",
        MASTECTOMY: "mastectomy",
        WITH_RECON: "with reconstruction",
        WITHOUT_RECON: "without reconstruction",
        LUMPECTOMY: "lumpectomy",
        KIDNEY: "kidney disease",
        TRANSPLANT: "transplant",
        500: "scar care",
    },
    issues={REJECTION: "rejection", WORK: "returning to work", FATIGUE: "fatigue"},
    languages={"en": "English", "es": "Spanish", "so": "Somali"},
)
MONDAY_EVENING = frozenset({18, 19})  # Monday 18:00 and 19:00


def peer(id: int = 1, **changes: Any) -> PeerRecord:
    """A peer who is as neutral as possible: eligible with room, nothing in common."""
    values: dict[str, Any] = {
        "id": id,
        "condition_path": (),
        "facets": frozenset(),
        "issues": frozenset(),
        "age": None,
        "gender": "",
        "languages": (),
        "cultures": frozenset(),
        "lat": None,
        "lon": None,
        "modalities": frozenset(),
        "availability": frozenset(),
        "remaining": 4,
        "eligible": True,
        "blockers": (),
    }
    values.update(changes)
    return PeerRecord(**values)


def seeker(**changes: Any) -> SeekerRecord:
    values: dict[str, Any] = {
        "id": 1,
        "condition_path": (),
        "facets": frozenset(),
        "issues": frozenset(),
        "age": None,
        "gender": "",
        "languages": (),
        "cultures": frozenset(),
        "lat": None,
        "lon": None,
        "modalities": frozenset(),
        "availability": frozenset(),
    }
    values.update(changes)
    return SeekerRecord(**values)


def only(component: str, **policy: Any) -> Policy:
    """A policy that weighs one component (capacity at 0, so it cannot blur scores)."""
    return Policy({component: 100.0}, **policy)


def run(
    who: SeekerRecord, peers: list[PeerRecord], policy: Policy, **kwargs: Any
) -> SuggestionResult:
    return suggest(who, PeerTable.build(peers), policy, labels=LABELS, **kwargs)


def scores(result: SuggestionResult) -> dict[int, float]:
    return {s.peer_id: s.score for s in result.suggestions}


def texts(reasons: tuple[Reason, ...]) -> list[str]:
    return [reason.text() for reason in reasons]


# --- Components ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("theirs", "expected"),
    [
        ((BREAST, MASTECTOMY, WITH_RECON), 100.0),  # the same facet
        ((BREAST, MASTECTOMY), 85.0),  # the same sub-condition, no facet known
        ((BREAST, MASTECTOMY, WITHOUT_RECON), 75.0),  # the same sub-condition, other facet
        ((BREAST,), 50.0),  # only the condition known
        ((BREAST, LUMPECTOMY), 30.0),  # related: the same condition, other sub-condition
    ],
)
def test_condition_score_falls_with_each_level_not_shared(
    theirs: tuple[int, ...], expected: float
) -> None:
    who = seeker(condition_path=(BREAST, MASTECTOMY, WITH_RECON))
    result = run(who, [peer(condition_path=theirs)], only("condition"))
    assert scores(result) == {1: expected}


def test_condition_score_for_a_seeker_who_knows_only_the_sub_condition() -> None:
    who = seeker(condition_path=(BREAST, MASTECTOMY))
    peers = [
        peer(1, condition_path=(BREAST, MASTECTOMY)),
        peer(2, condition_path=(BREAST, MASTECTOMY, WITH_RECON)),
        peer(3, condition_path=(BREAST,)),
        peer(4, condition_path=(BREAST, LUMPECTOMY)),
        peer(5, condition_path=(KIDNEY, TRANSPLANT)),
    ]
    result = run(who, peers, only("condition"), k=5)
    assert scores(result) == {1: 100.0, 2: 85.0, 3: 50.0, 4: 30.0, 5: 0.0}


def test_shared_facets_named_beside_the_path_count() -> None:
    who = seeker(condition_path=(BREAST, MASTECTOMY), facets=frozenset({500}))
    peers = [
        peer(1, condition_path=(BREAST, MASTECTOMY), facets=frozenset({500})),
        peer(2, condition_path=(BREAST, MASTECTOMY)),
    ]
    result = run(who, peers, only("condition"), k=2)
    assert scores(result) == {1: 100.0, 2: 75.0}
    assert "also share scar care" in texts(result.suggestions[0].reasons)


def test_issues_score_is_the_cosine_of_the_issue_sets() -> None:
    who = seeker(issues=frozenset({REJECTION, WORK}))
    peers = [
        peer(1, issues=frozenset({REJECTION, WORK})),
        peer(2, issues=frozenset({REJECTION})),
        peer(3, issues=frozenset({FATIGUE})),
    ]
    result = run(who, peers, only("issues"), k=3)
    assert scores(result) == {1: 100.0, 2: pytest.approx(70.71, abs=0.01), 3: 0.0}


def test_text_scores_from_outside_are_used_and_checked() -> None:
    peers = [peer(1), peer(2)]
    result = run(seeker(), peers, only("text"), text_scores=np.array([0.2, 0.9]))
    assert scores(result) == {2: 90.0, 1: 20.0}
    with pytest.raises(ValueError, match="shape"):
        run(seeker(), peers, only("text"), text_scores=np.array([0.2]))


def test_without_text_scores_text_does_not_count() -> None:
    result = run(seeker(), [peer(1)], Policy({"text": 50, "capacity": 50}))
    assert "text" not in result.suggestions[0].parts
    assert result.suggestions[0].score == 100.0  # capacity alone, full (4 places left)


@pytest.mark.parametrize(("their_age", "expected"), [(45, 100.0), (55, 50.0), (65, 20.0)])
def test_age_score_halves_at_ten_years_apart(their_age: float, expected: float) -> None:
    result = run(seeker(age=45.0), [peer(age=their_age)], only("age"))
    assert scores(result) == {1: pytest.approx(expected, abs=0.01)}


def test_gender_is_a_wish_unless_required() -> None:
    peers = [peer(1, gender="man"), peer(2, gender="woman")]
    wish = run(seeker(peer_gender="woman"), peers, only("gender"), k=2)
    assert scores(wish) == {2: 100.0, 1: 0.0}
    needed = run(seeker(peer_gender="woman", gender_required=True), peers, only("gender"), k=2)
    assert scores(needed) == {2: 100.0}
    by_policy = run(
        seeker(peer_gender="woman"), peers, only("gender", requirements=frozenset({"gender"})), k=2
    )
    assert scores(by_policy) == {2: 100.0}


def test_gender_does_not_count_without_a_wish() -> None:
    result = run(seeker(), [peer(1, gender="man")], Policy({"gender": 50, "capacity": 50}))
    assert "gender" not in result.suggestions[0].parts


def test_language_named_scores_full_another_shared_half() -> None:
    who = seeker(languages=("es", "en"), language="es")
    peers = [peer(1, languages=("es",)), peer(2, languages=("en",)), peer(3, languages=("so",))]
    result = run(who, peers, only("language"), k=3)
    assert scores(result) == {1: 100.0, 2: 50.0, 3: 0.0}


def test_language_without_one_named_is_any_of_theirs() -> None:
    who = seeker(languages=("es", "en"))
    peers = [peer(1, languages=("en", "fr")), peer(2, languages=("so",))]
    assert scores(run(who, peers, only("language"), k=2)) == {1: 100.0, 2: 0.0}


def test_language_required_removes_peers_without_it() -> None:
    who = seeker(languages=("so", "en"), language="so", language_required=True)
    peers = [peer(1, languages=("en",)), peer(2, languages=("so",))]
    assert scores(run(who, peers, only("language"), k=2)) == {2: 100.0}


def test_culture_shared_and_the_same_culture_wish_counts_double() -> None:
    peers = [peer(1, cultures=frozenset({"Somali"})), peer(2)]
    policy = Policy({"culture": 50, "capacity": 50})
    plain = run(seeker(cultures=frozenset({"Somali"})), peers, policy, k=2)
    assert scores(plain) == {1: 100.0, 2: 50.0}
    wished = run(seeker(cultures=frozenset({"Somali"}), same_culture=True), peers, policy, k=2)
    assert scores(wished) == {1: 100.0, 2: pytest.approx(33.33, abs=0.01)}
    required = run(
        seeker(cultures=frozenset({"Somali"})),
        peers,
        only("culture", requirements=frozenset({"culture"})),
        k=2,
    )
    assert scores(required) == {1: 100.0}


LONDON = (51.5074, -0.1278)
NEAR = (51.5074, -0.0700)  # about 4 km east
READING = (51.4543, -0.9781)  # about 59 km west


def test_distance_counts_only_when_meeting_in_person_is_wanted() -> None:
    peers = [peer(1, lat=NEAR[0], lon=NEAR[1]), peer(2, lat=READING[0], lon=READING[1]), peer(3)]
    who = seeker(lat=LONDON[0], lon=LONDON[1], modalities=frozenset({"in_person"}))
    result = run(who, peers, only("distance"), k=3)
    km = great_circle_km(LONDON, NEAR)
    assert 3.5 < km < 4.5
    assert scores(result) == {1: pytest.approx(100 * (1 - km / 50), abs=0.05), 2: 0.0, 3: 0.0}
    by_phone = dataclasses.replace(who, modalities=frozenset({"telephone"}))
    assert (
        "distance"
        not in run(by_phone, peers, Policy({"distance": 50, "capacity": 50})).suggestions[0].parts
    )


def test_distance_required_removes_far_and_unknown_peers() -> None:
    peers = [peer(1, lat=NEAR[0], lon=NEAR[1]), peer(2, lat=READING[0], lon=READING[1]), peer(3)]
    who = seeker(lat=LONDON[0], lon=LONDON[1], modalities=frozenset({"in_person"}))
    required = only("distance", requirements=frozenset({"distance"}))
    assert set(scores(run(who, peers, required, k=3))) == {1}
    further = dataclasses.replace(who, max_distance_km=80.0)
    assert set(scores(run(further, peers, required, k=3))) == {1, 2}


def test_the_engine_distance_agrees_with_haversine() -> None:
    who = seeker(lat=LONDON[0], lon=LONDON[1], modalities=frozenset({"in_person"}))
    reading = peer(1, lat=READING[0], lon=READING[1])
    result = run(who, [reading], only("distance", max_distance_km=100.0))
    assert result.suggestions[0].score == pytest.approx(
        100 * (1 - great_circle_km(LONDON, READING) / 100), abs=0.05
    )


def test_modality_score_is_the_share_of_their_ways_of_meeting() -> None:
    who = seeker(modalities=frozenset({"video", "telephone"}))
    peers = [
        peer(1, modalities=frozenset({"video", "telephone", "text"})),
        peer(2, modalities=frozenset({"video"})),
        peer(3, modalities=frozenset({"in_person"})),
    ]
    assert scores(run(who, peers, only("modality"), k=3)) == {1: 100.0, 2: 50.0, 3: 0.0}
    required = only("modality", requirements=frozenset({"modality"}))
    assert set(scores(run(who, peers, required, k=3))) == {1, 2}


def test_availability_is_full_at_four_shared_hours() -> None:
    who = seeker(availability=frozenset(range(18, 24)))  # Monday 18:00 to 23:00
    peers = [
        peer(1, availability=frozenset(range(18, 22))),
        peer(2, availability=MONDAY_EVENING),
        peer(3, availability=frozenset({100})),
    ]
    assert scores(run(who, peers, only("availability"), k=3)) == {1: 100.0, 2: 50.0, 3: 0.0}


def test_availability_of_a_seeker_free_for_fewer_hours() -> None:
    who = seeker(availability=MONDAY_EVENING)
    assert scores(run(who, [peer(availability=MONDAY_EVENING)], only("availability"))) == {1: 100.0}


@pytest.mark.parametrize(
    ("remaining", "wellbeing", "expected"),
    [(8, 1.0, 100.0), (4, 1.0, 100.0), (2, 1.0, 50.0), (1, 1.0, 25.0), (4, 0.5, 50.0)],
)
def test_capacity_scales_with_room_and_wellbeing(
    remaining: int, wellbeing: float, expected: float
) -> None:
    result = run(seeker(), [peer(remaining=remaining, wellbeing=wellbeing)], only("capacity"))
    assert scores(result) == {1: expected}


def test_continuity_favours_their_previous_peer() -> None:
    who = seeker(previous=frozenset({2}))
    result = run(who, [peer(1), peer(2)], only("continuity"), k=2)
    assert scores(result) == {2: 100.0, 1: 0.0}
    assert texts(result.suggestions[0].reasons) == ["supported them before"]


def test_score_is_the_weighted_mean_of_the_components_that_apply() -> None:
    who = seeker(issues=frozenset({REJECTION}), age=40.0)
    partner = peer(1, issues=frozenset({REJECTION}), age=50.0, remaining=2)
    result = run(who, [partner], Policy({"issues": 50, "age": 30, "capacity": 20, "gender": 40}))
    (only_one,) = result.suggestions
    assert only_one.parts == {"issues": 50.0, "age": 15.0, "capacity": 10.0}
    assert only_one.score == 75.0


# --- Who is never suggested -------------------------------------------------------------


def test_infeasible_peers_are_never_suggested() -> None:
    peers = [
        peer(1, eligible=False, blockers=("training not complete",)),
        peer(2, remaining=0),
        peer(3),
        peer(4),
    ]
    result = run(seeker(excluded=frozenset({3})), peers, only("capacity"), k=5)
    assert [s.peer_id for s in result.suggestions] == [4]
    assert (result.considered, result.eligible) == (4, 1)


def test_no_feasible_peer_gives_no_suggestion() -> None:
    result = run(seeker(), [peer(1, remaining=0)], only("capacity"))
    assert result.suggestions == ()
    assert result.eligible == 0


def test_k_must_be_positive() -> None:
    with pytest.raises(ValueError):
        run(seeker(), [peer()], only("capacity"), k=0)


def test_ties_rank_the_peer_given_first_first() -> None:
    result = run(seeker(), [peer(7), peer(3), peer(5)], only("capacity"), k=3)
    assert [s.peer_id for s in result.suggestions] == [7, 3, 5]
    assert [s.rank for s in result.suggestions] == [1, 2, 3]


# --- Rare conditions --------------------------------------------------------------------


def test_no_peer_with_the_condition_falls_back_to_issues_and_says_so() -> None:
    who = seeker(condition_path=(KIDNEY, TRANSPLANT), issues=frozenset({REJECTION}))
    peers = [
        peer(1, condition_path=(BREAST, MASTECTOMY), issues=frozenset({REJECTION})),
        peer(2, condition_path=(BREAST, LUMPECTOMY)),
        peer(3, condition_path=(KIDNEY,), remaining=0),  # shares it, but is full
    ]
    result = run(who, peers, Policy({"condition": 60, "issues": 20, "capacity": 20}), k=2)
    assert result.fallback is not None
    assert result.fallback.text() == (
        "No available peer shares kidney disease; these suggestions are based on shared "
        "issues and experiences."
    )
    first = result.suggestions[0]
    assert first.peer_id == 1
    assert first.parts["issues"] == 80.0  # the condition's weight moved to issues
    assert "condition" not in first.parts or first.parts["condition"] == 0


def test_no_peer_with_the_sub_condition_moves_half_its_weight() -> None:
    who = seeker(condition_path=(BREAST, MASTECTOMY), issues=frozenset({WORK}))
    peers = [peer(1, condition_path=(BREAST, LUMPECTOMY), issues=frozenset({WORK}))]
    result = run(who, peers, Policy({"condition": 60, "issues": 40}))
    assert result.fallback is not None
    assert result.fallback.text() == (
        "No available peer shares mastectomy; these suggestions share breast cancer and are "
        "otherwise based on shared issues and experiences."
    )
    assert result.suggestions[0].parts == {"condition": 9.0, "issues": 70.0}


def test_no_fallback_when_a_feasible_peer_shares_the_sub_condition() -> None:
    who = seeker(condition_path=(BREAST, MASTECTOMY, WITH_RECON))
    peers = [peer(1, condition_path=(BREAST, MASTECTOMY, WITHOUT_RECON))]
    assert run(who, peers, only("condition")).fallback is None


def test_fallback_with_nothing_to_move_to_keeps_the_ranking_sound() -> None:
    who = seeker(condition_path=(KIDNEY,))
    result = run(
        who, [peer(1, condition_path=(BREAST,))], Policy({"condition": 50, "capacity": 50})
    )
    assert result.fallback is not None and result.fallback.code == "fallback_condition"
    assert result.suggestions[0].score == 100.0


# --- Reasons ----------------------------------------------------------------------------


def test_reasons_read_as_plain_words() -> None:
    who = seeker(
        condition_path=(BREAST, MASTECTOMY, WITH_RECON),
        since_year=2019,
        issues=frozenset({REJECTION, WORK}),
        languages=("es", "en"),
        language="es",
        lat=LONDON[0],
        lon=LONDON[1],
        modalities=frozenset({"in_person"}),
        availability=MONDAY_EVENING,
        age=52.0,
    )
    partner = peer(
        condition_path=(BREAST, MASTECTOMY, WITH_RECON),
        since_year=2015,
        issues=frozenset({REJECTION, WORK, FATIGUE}),
        languages=("es",),
        lat=NEAR[0],
        lon=NEAR[1],
        modalities=frozenset({"in_person", "video"}),
        availability=MONDAY_EVENING | {40},
        age=56.0,
    )
    (suggestion,) = run(who, [partner], Policy({c: 10.0 for c in COMPONENTS})).suggestions
    said = texts(suggestion.reasons)
    for expected in (
        "both had mastectomy with reconstruction",
        "4 years apart",
        "both speak Spanish",
        "shares 2 issues: rejection, returning to work",
        "4 km apart",
        "both free on weekday evenings",
        "4 years apart in age",
        "both can meet in person",
        "has room for 4 more matches",
    ):
        assert expected in said
    assert said.index("both had mastectomy with reconstruction") < said.index("4 years apart")


def test_reasons_follow_the_points_each_component_adds() -> None:
    who = seeker(condition_path=(BREAST, MASTECTOMY), issues=frozenset({REJECTION}))
    partner = peer(condition_path=(BREAST, MASTECTOMY), issues=frozenset({REJECTION}))
    (first,) = run(who, [partner], Policy({"condition": 10, "issues": 90})).suggestions
    assert [r.code for r in first.reasons] == ["issues_one", "condition_same"]


def test_related_and_same_sub_condition_reasons() -> None:
    who = seeker(condition_path=(BREAST, MASTECTOMY, WITH_RECON))
    peers = [
        peer(1, condition_path=(BREAST, MASTECTOMY, WITHOUT_RECON)),
        peer(2, condition_path=(BREAST, LUMPECTOMY)),
    ]
    first, second = run(who, peers, only("condition"), k=2).suggestions
    assert texts(first.reasons) == ["both had mastectomy, in different forms"]
    assert texts(second.reasons) == ["related experience: both had breast cancer"]


def test_a_far_peer_is_not_said_to_meet_in_person() -> None:
    who = seeker(lat=LONDON[0], lon=LONDON[1], modalities=frozenset({"in_person", "video"}))
    far = peer(lat=READING[0], lon=READING[1], modalities=frozenset({"in_person", "video"}))
    (suggestion,) = run(who, [far], Policy({"distance": 50, "modality": 50})).suggestions
    assert texts(suggestion.reasons) == ["both can meet by video call"]


def test_reason_text_goes_through_the_translation_given() -> None:
    reason = Reason("language_both", {"language": "Spanish"})
    assert reason.text() == "both speak Spanish"
    assert reason.text({"both speak %(language)s": "ambos hablan %(language)s"}.get) == (
        "ambos hablan Spanish"
    )


def test_every_template_renders_with_its_parameters() -> None:
    params: dict[str, str | int] = {
        "condition": "x", "wider": "y", "facets": "z", "years": 3, "count": 2, "issues": "a",
        "language": "b", "culture": "c", "km": 4, "max_km": 50, "remaining": 2, "rank": 9,
        "total": 40, "blockers": "paused",
    }  # fmt: skip
    for code in TEMPLATES:
        assert "%" not in Reason(code, params).text()


# --- Why not --------------------------------------------------------------------------


def explain(who: SeekerRecord, peers: list[PeerRecord], policy: Policy, peer_id: int) -> list[str]:
    return texts(why_not(who, PeerTable.build(peers), policy, peer_id, labels=LABELS))


def test_why_not_an_ineligible_peer_gives_their_blockers() -> None:
    peers = [peer(1, eligible=False, blockers=("training not complete", "paused"))]
    assert explain(seeker(), peers, only("capacity"), 1) == [
        "Not available for matching: training not complete; paused."
    ]


def test_why_not_a_full_or_excluded_peer() -> None:
    peers = [peer(1, remaining=0), peer(2)]
    assert explain(seeker(), peers, only("capacity"), 1) == ["Has no room for another match."]
    assert [
        r.code
        for r in why_not(
            seeker(excluded=frozenset({2})),
            PeerTable.build(peers),
            only("capacity"),
            2,
            labels=LABELS,
        )
    ] == ["excluded"]


def test_why_not_names_the_requirement_that_failed() -> None:
    who = seeker(languages=("so",), language="so", language_required=True)
    peers = [peer(1, languages=("en",))]
    assert explain(who, peers, only("language"), 1) == ["Does not speak Somali, which they need."]
    far = seeker(lat=LONDON[0], lon=LONDON[1], modalities=frozenset({"in_person"}))
    policy = only("distance", requirements=frozenset({"distance"}))
    assert explain(far, [peer(1, lat=READING[0], lon=READING[1])], policy, 1) == [
        "Lives 59 km away, beyond the 50 km they can travel to meet in person."
    ]
    assert explain(far, [peer(1)], policy, 1) == [
        "Their distance is unknown, and meeting in person within 50 km is required."
    ]


def test_why_not_a_peer_who_ranked_lower() -> None:
    who = seeker(condition_path=(BREAST, MASTECTOMY, WITH_RECON))
    peers = [peer(n, condition_path=(BREAST, MASTECTOMY, WITH_RECON)) for n in range(1, 9)]
    peers.append(peer(9, condition_path=(BREAST, LUMPECTOMY)))
    assert explain(who, peers, only("condition"), 9) == [
        "Ranked 9 of 9; the suggested peers share mastectomy with reconstruction."
    ]


def test_why_not_a_peer_who_is_suggested_or_unknown() -> None:
    assert explain(seeker(), [peer(1)], only("capacity"), 1) == ["Is suggested: ranked 1 of 1."]
    assert explain(seeker(), [peer(1)], only("capacity"), 99) == [
        "This peer is not among this programme's peers."
    ]


# --- Policy and table -------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"weights": {"charisma": 10}},
        {"weights": {"age": -1}},
        {"weights": {"age": 101}},
        {"weights": {}, "requirements": frozenset({"age"})},
        {"weights": {}, "max_distance_km": 0},
    ],
)
def test_policy_refuses_what_it_cannot_mean(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Policy(**bad)


def test_peer_table_refuses_duplicate_ids_and_indexes_conditions() -> None:
    with pytest.raises(ValueError):
        PeerTable.build([peer(1), peer(1)])
    table = PeerTable.build(
        [
            peer(1, condition_path=(BREAST, MASTECTOMY)),
            peer(2, condition_path=(KIDNEY,)),
            peer(3, condition_path=(BREAST,)),
        ]
    )
    assert len(table) == 3
    assert table.ids.tolist() == [1, 2, 3]
    assert table.rows_sharing(BREAST).tolist() == [0, 2]
    assert table.rows_sharing(MASTECTOMY).tolist() == [0]
    assert table.rows_sharing(999).tolist() == []


def test_an_empty_table_suggests_nothing() -> None:
    result = suggest(seeker(), PeerTable.build([]), only("capacity"), labels=LABELS)
    assert result == SuggestionResult((), None, 0, 0)
