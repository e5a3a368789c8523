"""Safety items raise a flag whatever the total: PHQ-9 item 9 above 0 and EPDS item 10
above 0. The PHQ-2 has no item 9, so it cannot raise one."""

from __future__ import annotations

import pytest

from peerbridge.instruments import IncompleteAnswers, get_instrument, score

PHQ9 = get_instrument("phq9")
PHQ9_ITEMS = [f"q{n}" for n in range(1, 10)]


def _phq9(q9: int, others: int = 0) -> dict[str, int | None]:
    return {**dict.fromkeys(PHQ9_ITEMS[:8], others), "q9": q9}


def test_phq9_item_9_at_1_with_a_low_total_is_flagged() -> None:
    result = score(PHQ9, _phq9(q9=1))
    assert result.value("total") == 1
    band = result.scales["total"].band
    assert band is not None and band.code == "minimal"
    assert result.safety_items == ("q9",)


@pytest.mark.parametrize("q9", [1, 2, 3])
def test_phq9_item_9_above_0_is_flagged_at_any_total(q9: int) -> None:
    for others in (0, 1, 3):
        assert score(PHQ9, _phq9(q9=q9, others=others)).safety_items == ("q9",)


@pytest.mark.parametrize("others", [0, 1, 2, 3])
def test_phq9_item_9_at_0_is_not_flagged_even_with_a_severe_total(others: int) -> None:
    result = score(PHQ9, _phq9(q9=0, others=others))
    assert result.value("total") == 8 * others
    assert result.safety_items == ()


def test_phq9_item_9_alone_is_flagged_though_the_total_cannot_be_scored() -> None:
    result = score(PHQ9, {"q9": 2})
    assert result.value("total") is None
    assert result.safety_items == ("q9",)


def test_phq9_item_9_is_the_only_safety_item_and_carries_its_loinc_code() -> None:
    assert [item.id for item in PHQ9.items if item.safety_values] == ["q9"]
    assert PHQ9.item("q9").safety_values == frozenset({1, 2, 3})
    assert PHQ9.item("q9").loinc == "44260-8"


def test_phq2_has_no_item_9_and_refuses_an_answer_to_it() -> None:
    phq2 = get_instrument("phq2")
    assert [item.id for item in phq2.items] == ["q1", "q2"]
    assert score(phq2, {"q1": 3, "q2": 3}).safety_items == ()
    with pytest.raises(IncompleteAnswers) as refused:
        score(phq2, {"q1": 0, "q2": 0, "q9": 1})
    assert set(refused.value.problems) == {"q9"}


EPDS = get_instrument("epds")


@pytest.mark.parametrize(("q10", "flagged"), [(0, False), (1, True), (2, True), (3, True)])
def test_epds_item_10_above_0_is_flagged(q10: int, flagged: bool) -> None:
    answers: dict[str, int | None] = {f"q{n}": 0 for n in range(1, 10)}
    result = score(EPDS, {**answers, "q10": q10})
    assert result.value("total") == q10
    assert result.safety_items == (("q10",) if flagged else ())


@pytest.mark.parametrize("code", ["cbi", "phq2", "gad7", "gad2", "qpr15", "barc10", "brs", "gbo"])
def test_instruments_without_safety_items_never_flag(code: str) -> None:
    instrument = get_instrument(code)
    assert not any(item.safety_values for item in instrument.items)
    worst = {item.id: max(item.values) for item in instrument.items}
    assert score(instrument, worst).safety_items == ()
