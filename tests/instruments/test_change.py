"""Individual change (Jacobson & Truax 1991; domain file A.3): the reliable change index
and threshold against hand-computed values, and the recovered / improved / unchanged /
deteriorated classes per instrument on hand-worked examples."""

from __future__ import annotations

import math

import pytest

from peerbridge.instruments import NoChangeCriteria, classify_change, get_instrument
from peerbridge.instruments.change import (
    jacobson_truax_cutoff,
    reliable_change_index,
    reliable_change_threshold,
    standard_error_of_difference,
)


def test_standard_error_of_difference_by_hand() -> None:
    # SD 10, r .74: SE_m = 10 * sqrt(.26); S_diff = sqrt(2 * 100 * .26) = sqrt(52).
    assert standard_error_of_difference(sd=10, reliability=0.74) == pytest.approx(math.sqrt(52))


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [(30, 45, 15 / math.sqrt(52)), (30, 44, 14 / math.sqrt(52)), (45, 30, -15 / math.sqrt(52))],
)
def test_reliable_change_index_by_hand(before: float, after: float, expected: float) -> None:
    rci = reliable_change_index(before=before, after=after, sd=10, reliability=0.74)
    assert rci == pytest.approx(expected)


@pytest.mark.parametrize(
    ("reliability", "sd", "threshold"),
    # The reference computation in domain file A.3 (illustrative SD and alpha).
    [(0.89, 5.5, 5.06), (0.89, 6.0, 5.52), (0.92, 4.8, 3.76)],
)
def test_thresholds_match_the_reference_computation(
    reliability: float, sd: float, threshold: float
) -> None:
    found = reliable_change_threshold(sd=sd, reliability=reliability)
    assert found == pytest.approx(threshold, abs=0.005)


def test_reference_thresholds_round_up_to_the_published_phq9_and_gad7_ones() -> None:
    assert math.ceil(reliable_change_threshold(sd=6.0, reliability=0.89)) == 6
    assert math.ceil(reliable_change_threshold(sd=4.8, reliability=0.92)) == 4
    assert get_instrument("phq9").scale("total").change.reliable_change == 6
    assert get_instrument("gad7").scale("total").change.reliable_change == 4


@pytest.mark.parametrize("bad", [{"sd": 0.0, "reliability": 0.8}, {"sd": 5.0, "reliability": 1.0}])
def test_impossible_constants_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="reliability"):
        standard_error_of_difference(**bad)


def test_jacobson_truax_cutoff_by_hand() -> None:
    # (5 * 5 + 3 * 15) / (5 + 3) = 8.75: nearer the functional mean, whose SD is smaller.
    found = jacobson_truax_cutoff(
        mean_clinical=15, sd_clinical=5, mean_functional=5, sd_functional=3
    )
    assert found == pytest.approx(8.75)


# Published thresholds: PHQ-9 a change of 6 and recovery below 10; GAD-7 4 and below 8;
# EPDS 4 and below 13; WEMWBS 3 (no cut-off); GBO 2.45 per goal (no cut-off).
PUBLISHED = [
    ("phq9", "total", 15, 9, "recovered"),  # -6, from 15 to below 10
    ("phq9", "total", 15, 10, "unchanged"),  # -5: not reliable
    ("phq9", "total", 16, 10, "improved"),  # -6, but 10 is still caseness
    ("phq9", "total", 8, 2, "improved"),  # -6, never at caseness
    ("phq9", "total", 27, 0, "recovered"),
    ("phq9", "total", 5, 11, "deteriorated"),  # +6
    ("phq9", "total", 5, 10, "unchanged"),  # +5
    ("phq9", "total", 12, 12, "unchanged"),
    ("gad7", "total", 12, 7, "recovered"),  # -5, to below 8
    ("gad7", "total", 11, 7, "recovered"),  # -4
    ("gad7", "total", 12, 8, "improved"),  # -4, but 8 is still caseness
    ("gad7", "total", 11, 8, "unchanged"),  # -3
    ("gad7", "total", 4, 8, "deteriorated"),  # +4
    ("gad7", "total", 4, 7, "unchanged"),  # +3
    ("epds", "total", 15, 11, "recovered"),  # -4, to below 13
    ("epds", "total", 15, 12, "unchanged"),  # -3
    ("epds", "total", 17, 13, "improved"),  # -4, 13 is still above the cut-off
    ("epds", "total", 9, 13, "deteriorated"),
    ("wemwbs", "total", 40, 43, "improved"),  # higher is better
    ("wemwbs", "total", 40, 42, "unchanged"),
    ("wemwbs", "total", 43, 40, "deteriorated"),
    ("gbo", "goal_1", 3, 6, "improved"),  # +3 >= 2.45
    ("gbo", "goal_2", 3, 5, "unchanged"),  # +2
    ("gbo", "goal_3", 6, 3, "deteriorated"),
    ("gbo", "goal_1", 0, 10, "improved"),  # no cut-off: never "recovered"
]


@pytest.mark.parametrize(("code", "scale", "before", "after", "category"), PUBLISHED)
def test_classification_with_published_thresholds(
    code: str, scale: str, before: float, after: float, category: str
) -> None:
    found = classify_change(get_instrument(code).scale(scale), before=before, after=after)
    assert found.category == category
    assert found.rci is None  # a published threshold, not a computed index
    assert found.reliable is (category != "unchanged")
    assert found.change == after - before


@pytest.mark.parametrize(
    ("code", "before", "after", "crossed"),
    [
        ("phq9", 15, 9, True),
        ("phq9", 16, 10, False),
        ("phq9", 8, 2, False),
        ("phq9", 12, 9, True),  # crossed but not reliable: still "unchanged"
        ("gad7", 8, 7, True),
        ("wemwbs", 40, 50, None),  # no cut-off
    ],
)
def test_crossing_the_clinical_cutoff(
    code: str, before: int, after: int, crossed: bool | None
) -> None:
    found = classify_change(get_instrument(code).scale("total"), before=before, after=after)
    assert found.crossed_cutoff is crossed


def test_crossing_without_reliable_change_is_not_recovery() -> None:
    found = classify_change(get_instrument("phq9").scale("total"), before=12, after=9)
    assert (found.crossed_cutoff, found.reliable, found.category) == (True, False, "unchanged")


# Computed thresholds. QPR-15: r = .74 (test-retest), SD supplied by the programme.
# S_diff = sqrt(52) = 7.211 with SD 10: a change of 15 gives RCI 2.08, of 14 gives 1.94.
# BARC-10: r = .90 (alpha); SD 8: S_diff = sqrt(12.8) = 3.578; +8 gives 2.24, +7 1.957.
COMPUTED = [
    ("qpr15", 30, 45, 10.0, 15 / math.sqrt(52), "improved"),
    ("qpr15", 30, 44, 10.0, 14 / math.sqrt(52), "unchanged"),
    ("qpr15", 45, 30, 10.0, -15 / math.sqrt(52), "deteriorated"),
    ("barc10", 40, 48, 8.0, 8 / math.sqrt(12.8), "improved"),
    ("barc10", 40, 47, 8.0, 7 / math.sqrt(12.8), "unchanged"),  # 1.957, just under 1.96
    ("barc10", 48, 40, 8.0, -8 / math.sqrt(12.8), "deteriorated"),
]


@pytest.mark.parametrize(("code", "before", "after", "sd", "rci", "category"), COMPUTED)
def test_classification_with_the_computed_index(
    code: str, before: float, after: float, sd: float, rci: float, category: str
) -> None:
    found = classify_change(get_instrument(code).scale("total"), before=before, after=after, sd=sd)
    assert found.rci == pytest.approx(rci)
    assert found.category == category
    assert found.crossed_cutoff is None  # neither has a caseness cut-off


def test_the_definition_supplies_the_reliability() -> None:
    assert get_instrument("qpr15").scale("total").change.reliability == 0.74
    assert get_instrument("barc10").scale("total").change.reliability == 0.90


def test_brs_needs_both_constants_from_the_caller() -> None:
    brs = get_instrument("brs").scale("resilience")
    # SD .7, r .8: S_diff = sqrt(2 * .49 * .2) = sqrt(.196) = .4427.
    found = classify_change(brs, before=2.5, after=3.5, sd=0.7, reliability=0.8)
    assert found.rci == pytest.approx(1 / math.sqrt(0.196))
    assert found.category == "improved"
    small = classify_change(brs, before=2.5, after=2.5 + 5 / 6, sd=0.7, reliability=0.8)
    assert small.rci == pytest.approx((5 / 6) / math.sqrt(0.196))
    assert small.category == "unchanged"


def test_an_explicit_sd_replaces_the_published_threshold() -> None:
    # PHQ-9 with SD 5.5 and r .89: S_diff = 2.580, threshold 5.06 points.
    phq9 = get_instrument("phq9").scale("total")
    five = classify_change(phq9, before=15, after=10, sd=5.5, reliability=0.89)
    assert five.rci == pytest.approx(-5 / math.sqrt(2 * 5.5**2 * 0.11))
    assert five.category == "unchanged"  # |RCI| 1.94
    six = classify_change(phq9, before=15, after=9, sd=5.5, reliability=0.89)
    assert six.category == "recovered"  # |RCI| 2.33, and below 10
    assert six.threshold == pytest.approx(5.06, abs=0.005)


@pytest.mark.parametrize(
    ("code", "scale"),
    [
        ("phq2", "total"),
        ("gad2", "total"),
        ("brs", "resilience"),
        ("qpr15", "total"),  # has r but no SD
        ("barc10", "total"),
        ("cbi", "work"),
        ("gbo", "mean"),
    ],
)
def test_scales_without_enough_constants_refuse_to_guess(code: str, scale: str) -> None:
    with pytest.raises(NoChangeCriteria, match=scale):
        classify_change(get_instrument(code).scale(scale), before=1, after=3)
