"""Golden scoring tests for the instrument library: every band boundary of every scale
(just below, at and just above each cut-off, scored from real answers), reverse items,
the minimum-answered rule, and the score ranges. The expected bands are written out
here by hand from the manuals (domain file A.2), not read back from the definitions."""

from __future__ import annotations

import pytest

from peerbridge.instruments import Instrument, get_instrument, score


def answers_for_total(instrument: Instrument, total: int) -> dict[str, int | None]:
    """Answers to every item of the (single, unreversed, sum) scale adding up to `total`:
    every item at its lowest value, then raised one item at a time."""
    (scale,) = instrument.scales
    answers: dict[str, int | None] = {}
    remaining = total - sum(min(instrument.item(i).values) for i in scale.items)
    for item_id in scale.items:
        values = instrument.item(item_id).values
        step = min(remaining, max(values) - min(values))
        answers[item_id] = min(values) + step
        remaining -= step
    assert remaining == 0, "total out of range"
    return answers


BOUNDARIES = [
    # PHQ-9: 5 / 10 / 15 / 20 = mild / moderate / moderately severe / severe.
    *[
        ("phq9", total, band)
        for total, band in [
            (0, "minimal"),
            (4, "minimal"),
            (5, "mild"),
            (6, "mild"),
            (9, "mild"),
            (10, "moderate"),
            (11, "moderate"),
            (14, "moderate"),
            (15, "moderately_severe"),
            (16, "moderately_severe"),
            (19, "moderately_severe"),
            (20, "severe"),
            (21, "severe"),
            (27, "severe"),
        ]
    ],
    # PHQ-2 and GAD-2: 3 or more screens positive.
    *[
        (code, total, band)
        for code in ("phq2", "gad2")
        for total, band in [
            (0, "negative"),
            (2, "negative"),
            (3, "positive"),
            (4, "positive"),
            (6, "positive"),
        ]
    ],
    # GAD-7: 5 / 10 / 15 = mild / moderate / severe.
    *[
        ("gad7", total, band)
        for total, band in [
            (0, "minimal"),
            (4, "minimal"),
            (5, "mild"),
            (6, "mild"),
            (9, "mild"),
            (10, "moderate"),
            (11, "moderate"),
            (14, "moderate"),
            (15, "severe"),
            (16, "severe"),
            (21, "severe"),
        ]
    ],
    # BARC-10: 47 or more predicted sustained remission.
    *[
        ("barc10", total, band)
        for total, band in [
            (10, "below_47"),
            (46, "below_47"),
            (47, "at_least_47"),
            (48, "at_least_47"),
            (60, "at_least_47"),
        ]
    ],
    # EPDS: 10 or more (sensitive threshold), 13 or more: assess.
    *[
        ("epds", total, band)
        for total, band in [
            (0, "below_10"),
            (9, "below_10"),
            (10, "possible"),
            (11, "possible"),
            (12, "possible"),
            (13, "assess"),
            (14, "assess"),
            (30, "assess"),
        ]
    ],
]


@pytest.mark.parametrize(("code", "total", "band"), BOUNDARIES)
def test_band_boundaries_scored_from_answers(code: str, total: int, band: str) -> None:
    instrument = get_instrument(code)
    result = score(instrument, answers_for_total(instrument, total))
    assert result.value("total") == total
    found = result.scales["total"].band
    assert found is not None and found.code == band


@pytest.mark.parametrize(
    ("code", "low", "high"),
    [
        ("phq9", 0, 27),
        ("phq2", 0, 6),
        ("gad7", 0, 21),
        ("gad2", 0, 6),
        ("qpr15", 0, 60),
        ("barc10", 10, 60),
        ("wemwbs", 14, 70),
        ("epds", 0, 30),
    ],
)
def test_sum_scores_run_from_lowest_to_highest_answers(code: str, low: int, high: int) -> None:
    instrument = get_instrument(code)
    (scale,) = instrument.scales
    lowest = {i: min(instrument.item(i).values) for i in scale.items}
    highest = {i: max(instrument.item(i).values) for i in scale.items}
    assert score(instrument, lowest).value("total") == low
    assert score(instrument, highest).value("total") == high
    assert instrument.score_range(scale) == (low, high)


@pytest.mark.parametrize(
    ("code", "items"),
    [
        ("phq9", 9),
        ("phq2", 2),
        ("gad7", 7),
        ("gad2", 2),
        ("qpr15", 15),
        ("barc10", 10),
        ("wemwbs", 14),
        ("epds", 10),
    ],
)
def test_every_item_must_be_answered_where_the_manual_gives_no_missing_rule(
    code: str, items: int
) -> None:
    instrument = get_instrument(code)
    (scale,) = instrument.scales
    assert len(scale.items) == scale.min_answered == items
    full = {i: max(instrument.item(i).values) for i in scale.items}
    assert score(instrument, full).value("total") is not None
    for skipped in scale.items:
        one_missing = {**full, skipped: None}
        result = score(instrument, one_missing).scales["total"]
        assert result.value is None and result.band is None
        assert result.answered == items - 1


# --- Brief Resilience Scale: mean of six items, items 2, 4 and 6 reversed -----------

BRS = get_instrument("brs")


def _brs(q1: int, q2: int, q3: int, q4: int, q5: int, q6: int) -> dict[str, int | None]:
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5, "q6": q6}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (_brs(5, 1, 5, 1, 5, 1), 5.0),  # bounces back, and not hard to: the top
        (_brs(1, 5, 1, 5, 1, 5), 1.0),
        (_brs(5, 5, 5, 5, 5, 5), 3.0),  # agreeing with everything: reversed items cancel
        (_brs(1, 1, 1, 1, 1, 1), 3.0),
        (_brs(4, 2, 4, 2, 4, 2), 4.0),
        (_brs(3, 3, 3, 3, 3, 3), 3.0),
        (_brs(5, 2, 4, 1, 3, 3), (5 + 4 + 4 + 5 + 3 + 3) / 6),
    ],
)
def test_brs_reverses_items_2_4_and_6_and_takes_the_mean(
    answers: dict[str, int | None], expected: float
) -> None:
    assert score(BRS, answers).value("resilience") == pytest.approx(expected)


@pytest.mark.parametrize(
    ("answers", "expected", "band"),
    [
        (_brs(1, 5, 1, 5, 1, 5), 1.0, "low"),
        (_brs(3, 3, 3, 3, 3, 4), 17 / 6, "low"),  # 2.83: just below 3.00
        (_brs(3, 3, 3, 3, 3, 3), 3.0, "normal"),  # at 3.00
        (_brs(4, 3, 3, 3, 3, 3), 19 / 6, "normal"),  # 3.17: just above
        (_brs(5, 2, 4, 2, 4, 2), 25 / 6, "normal"),  # 4.17: the highest "normal" mean
        (_brs(5, 2, 5, 2, 4, 2), 26 / 6, "high"),  # 4.33: the lowest "high" mean
        (_brs(5, 1, 5, 1, 5, 1), 5.0, "high"),
    ],
)
def test_brs_band_boundaries_scored_from_answers(
    answers: dict[str, int | None], expected: float, band: str
) -> None:
    result = score(BRS, answers).scales["resilience"]
    assert result.value == pytest.approx(expected)
    assert result.band is not None and result.band.code == band


@pytest.mark.parametrize(
    ("value", "band"),
    [(1.0, "low"), (2.99, "low"), (3.0, "normal"), (4.30, "normal"), (4.31, "high"), (5.0, "high")],
)
def test_brs_band_edges_as_published(value: float, band: str) -> None:
    found = BRS.scale("resilience").band_for(value)
    assert found is not None and found.code == band


def test_brs_needs_all_six_answers() -> None:
    five: dict[str, int | None] = {**_brs(5, 1, 5, 1, 5, 1), "q6": None}
    assert score(BRS, five).value("resilience") is None
    assert score(BRS, _brs(5, 1, 5, 1, 5, 1)).value("resilience") == 5.0


# --- EPDS: items 3 and 5-10 reverse-scored by the order their answers are shown -----

EPDS = get_instrument("epds")


@pytest.mark.parametrize("item_id", ["q1", "q2", "q4"])
def test_epds_forward_items_score_0_to_3_in_the_order_shown(item_id: str) -> None:
    assert [o.value for o in EPDS.item(item_id).options] == [0, 1, 2, 3]


@pytest.mark.parametrize("item_id", ["q3", "q5", "q6", "q7", "q8", "q9", "q10"])
def test_epds_reversed_items_score_3_to_0_in_the_order_shown(item_id: str) -> None:
    assert [o.value for o in EPDS.item(item_id).options] == [3, 2, 1, 0]


def test_epds_first_answer_everywhere_scores_the_reversed_items_only() -> None:
    first = {item.id: item.options[0].value for item in EPDS.items}
    assert score(EPDS, first).value("total") == 7 * 3


# --- Goal-Based Outcomes: one 0-10 rating per goal ----------------------------------

GBO = get_instrument("gbo")


@pytest.mark.parametrize(
    ("answers", "goals", "mean"),
    [
        ({"g1": 4}, (4.0, None, None), 4.0),
        ({"g1": 4, "g3": 7}, (4.0, None, 7.0), 5.5),
        ({"g1": 0, "g2": 10, "g3": 5}, (0.0, 10.0, 5.0), 5.0),
        ({"g1": 10, "g2": 10, "g3": 10}, (10.0, 10.0, 10.0), 10.0),
        ({}, (None, None, None), None),
        ({"g1": None, "g2": 3}, (None, 3.0, None), 3.0),
    ],
)
def test_gbo_scores_each_goal_and_their_mean(
    answers: dict[str, int | None], goals: tuple[float | None, ...], mean: float | None
) -> None:
    result = score(GBO, answers)
    assert (result.value("goal_1"), result.value("goal_2"), result.value("goal_3")) == goals
    assert result.value("mean") == (None if mean is None else pytest.approx(mean))


def test_gbo_ratings_run_from_0_to_10() -> None:
    assert all(item.values == frozenset(range(11)) for item in GBO.items)


@pytest.mark.parametrize(
    ("code", "scale"),
    [("qpr15", "total"), ("wemwbs", "total"), ("gbo", "mean"), ("gbo", "goal_1")],
)
def test_scales_without_published_bands_have_none(code: str, scale: str) -> None:
    instrument = get_instrument(code)
    assert instrument.scale(scale).bands == ()
    answers = {i: max(instrument.item(i).values) for i in instrument.scale(scale).items}
    result = score(instrument, answers).scales[scale]
    assert result.value is not None and result.band is None
