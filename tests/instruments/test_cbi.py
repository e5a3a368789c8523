"""Golden tests of the Copenhagen Burnout Inventory's scoring (pure: no database).

Each subscale is the mean of its answered items on 0-100; work item w7 ("enough energy
for family and friends") is reverse-scored; a subscale with fewer than three answers is
not scored; 50 or more is the "high" band; unknown items and values are refused."""

from __future__ import annotations

import pytest

from peerbridge.instruments import IncompleteAnswers, get_instrument, score

CBI = get_instrument("cbi")
PERSONAL = ["p1", "p2", "p3", "p4", "p5", "p6"]
WORK = ["w1", "w2", "w3", "w4", "w5", "w6", "w7"]
CLIENT = ["c1", "c2", "c3", "c4", "c5", "c6"]


def _all(items: list[str], value: int) -> dict[str, int | None]:
    return dict.fromkeys(items, value)


def test_the_definition_has_the_three_subscales_and_their_items() -> None:
    assert CBI.code == "cbi" and CBI.version == "1.0"
    assert [s.code for s in CBI.scales] == ["personal", "work", "client"]
    assert list(CBI.scale("personal").items) == PERSONAL
    assert list(CBI.scale("work").items) == WORK
    assert list(CBI.scale("client").items) == CLIENT
    assert CBI.scale("work").reverse == frozenset({"w7"})
    assert CBI.scale("personal").reverse == CBI.scale("client").reverse == frozenset()
    assert all(s.method == "mean" and s.min_answered == 3 for s in CBI.scales)
    assert all(item.values == {0, 25, 50, 75, 100} for item in CBI.items)
    assert (CBI.min_value, CBI.max_value) == (0, 100)
    assert [item.id for item in CBI.items_of(("work", "client"))] == WORK + CLIENT


@pytest.mark.parametrize(
    ("scale", "answers", "expected"),
    [
        ("personal", _all(PERSONAL, 0), 0.0),
        ("personal", _all(PERSONAL, 100), 100.0),
        ("personal", {"p1": 100, "p2": 75, "p3": 50, "p4": 25, "p5": 0, "p6": 50}, 50.0),
        ("personal", {"p1": 75, "p2": 75, "p3": 25, "p4": 0, "p5": 50, "p6": 25}, 250 / 6),
        ("client", _all(CLIENT, 25), 25.0),
        ("client", {"c1": 100, "c2": 100, "c3": 75, "c4": 75, "c5": 50, "c6": 0}, 400 / 6),
        ("client", {"c1": 100, "c2": 50, "c3": 0}, 50.0),  # three answers: scored
    ],
)
def test_personal_and_client_subscales_are_the_mean_of_the_answers(
    scale: str, answers: dict[str, int | None], expected: float
) -> None:
    result = score(CBI, answers, scales=(scale,))
    assert result.value(scale) == pytest.approx(expected)
    assert result.scales[scale].answered == len(answers)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        # w7 "Always" has energy left: reversed to 0; the other six "Always" are 100.
        ({**_all(WORK[:6], 100), "w7": 100}, 600 / 7),
        # w7 "Never" has energy left: the worst answer, reversed to 100.
        ({**_all(WORK[:6], 100), "w7": 0}, 100.0),
        ({**_all(WORK[:6], 0), "w7": 100}, 0.0),
        ({**_all(WORK[:6], 0), "w7": 0}, 100 / 7),
        (_all(WORK, 50), 50.0),  # the middle answer reverses onto itself
        ({"w1": 75, "w2": 25, "w7": 75}, (75 + 25 + 25) / 3),
    ],
)
def test_work_subscale_reverses_item_w7(answers: dict[str, int | None], expected: float) -> None:
    result = score(CBI, answers, scales=("work",))
    assert result.value("work") == pytest.approx(expected)


def test_only_the_scales_asked_for_are_scored() -> None:
    result = score(CBI, {**_all(WORK, 50), **_all(CLIENT, 50)}, scales=("work", "client"))
    assert set(result.scales) == {"work", "client"}
    assert (result.instrument, result.version) == ("cbi", "1.0")
    assert result.safety_items == ()


@pytest.mark.parametrize("scale_items", [PERSONAL, WORK, CLIENT])
def test_fewer_than_three_answers_leave_a_subscale_unscored(scale_items: list[str]) -> None:
    code = {"p": "personal", "w": "work", "c": "client"}[scale_items[0][0]]
    two = {scale_items[0]: 100, scale_items[1]: 100}
    result = score(CBI, two, scales=(code,))
    assert result.value(code) is None
    assert not result.scales[code].complete
    assert result.scales[code].band is None
    assert result.scales[code].answered == 2
    skipped = {**two, scale_items[2]: None}  # a skipped answer does not count
    assert score(CBI, skipped, scales=(code,)).value(code) is None
    three = {**two, scale_items[2]: 100}
    assert score(CBI, three, scales=(code,)).value(code) == pytest.approx(100.0)


def test_an_empty_set_of_answers_scores_nothing() -> None:
    result = score(CBI, {})
    assert all(part.value is None for part in result.scales.values())


@pytest.mark.parametrize(
    ("answers", "band"),
    [
        ({"c1": 50, "c2": 50, "c3": 50}, "high"),  # exactly 50: high
        ({"c1": 50, "c2": 50, "c3": 25, "c4": 75}, "high"),
        ({"c1": 50, "c2": 50, "c3": 50, "c4": 50, "c5": 50, "c6": 25}, "not_high"),  # 45.8
        ({"c1": 0, "c2": 0, "c3": 0}, "not_high"),
        (_all(CLIENT, 100), "high"),
    ],
)
def test_the_band_boundary_is_at_50(answers: dict[str, int | None], band: str) -> None:
    result = score(CBI, answers, scales=("client",))
    found = result.scales["client"].band
    assert found is not None and found.code == band


@pytest.mark.parametrize(
    ("value", "band"), [(0.0, "not_high"), (49.99, "not_high"), (50.0, "high"), (100.0, "high")]
)
def test_band_edges_directly(value: float, band: str) -> None:
    for code in ("personal", "work", "client"):
        found = CBI.scale(code).band_for(value)
        assert found is not None and found.code == band


@pytest.mark.parametrize(
    "answers",
    [
        {"w8": 50},
        {"x": 0},
        {"W1": 50},
        {"w1": 30},
        {"w1": 101},
        {"w1": -25},
        {"c6": 60},
        {"w1": 50, "zz": 50},
    ],
)
def test_unknown_items_and_values_are_refused(answers: dict[str, int | None]) -> None:
    with pytest.raises(IncompleteAnswers) as refused:
        score(CBI, answers)
    assert set(refused.value.problems) <= set(answers)
    assert refused.value.problems


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(IncompleteAnswers) as refused:
        score(CBI, {"w1": 30, "nope": 50, "c1": 50})
    assert set(refused.value.problems) == {"w1", "nope"}
