"""Golden tests for our own mechanism questionnaires (mech_participant, mech_peer): the
scales each item belongs to, reverse items in the peer's overall score, the missing-item
rule, and every band boundary (just below, at and just above 3 and 4). The expected
values are worked out by hand here, not read back from the definitions."""

from __future__ import annotations

import pytest

from peerbridge.instruments import get_instrument, score

PARTICIPANT_SCALES = {
    "role_model": ("role_model_1", "role_model_2"),
    "acceptance": ("acceptance_1", "acceptance_2"),
    "mutual": ("mutual_1", "mutual_2"),
    "tailored": ("tailored_1", "tailored_2"),
    "bridge": ("bridge_1", "bridge_2"),
    "information": ("information_1", "information_2"),
}
PEER_SCALES = {
    "benefits": ("benefits_1", "benefits_2"),
    "negative_impact": ("negative_1", "negative_2"),
    "confidentiality": ("confidentiality_1", "confidentiality_2"),
    "training": ("training_1", "training_2"),
    "team": ("team_1", "team_2"),
    "safe_spaces": ("safe_space_1", "safe_space_2"),
}
PEER_REVERSED = {"negative_1", "negative_2", "confidentiality_1", "confidentiality_2"}


def _all(scales: dict[str, tuple[str, ...]], value: int) -> dict[str, int | None]:
    return {item: value for items in scales.values() for item in items}


@pytest.mark.parametrize(
    ("code", "scales"), [("mech_participant", PARTICIPANT_SCALES), ("mech_peer", PEER_SCALES)]
)
def test_twelve_items_two_per_mechanism_and_the_overall_scale_first(
    code: str, scales: dict[str, tuple[str, ...]]
) -> None:
    instrument = get_instrument(code)
    assert len(instrument.items) == 12
    assert instrument.scales[0].code == "strength"
    assert {s.code: s.items for s in instrument.scales[1:]} == scales
    assert set(instrument.scales[0].items) == {i for items in scales.values() for i in items}
    assert instrument.licence == "PeerBridge, CC BY 4.0"
    assert instrument.licence_status == "free" and instrument.wording_included
    assert not instrument.loinc and not any(item.loinc for item in instrument.items)
    # No safety items: these questionnaires ask about the support, not about risk.
    assert not any(item.safety_values for item in instrument.items)
    assert {option.value for item in instrument.items for option in item.options} == {
        1,
        2,
        3,
        4,
        5,
    }


# (mean of the two items, band): 2.5 is just below 3, 3.5 between, 4 at the top cut-off.
MECHANISM_BOUNDARIES = [
    ((1, 1), 1.0, "low"),
    ((2, 3), 2.5, "low"),
    ((3, 3), 3.0, "medium"),
    ((3, 4), 3.5, "medium"),
    ((4, 4), 4.0, "high"),
    ((4, 5), 4.5, "high"),
    ((5, 5), 5.0, "high"),
]


@pytest.mark.parametrize(("pair", "mean", "band"), MECHANISM_BOUNDARIES)
@pytest.mark.parametrize(
    ("code", "scales"), [("mech_participant", PARTICIPANT_SCALES), ("mech_peer", PEER_SCALES)]
)
def test_each_mechanism_scale_is_the_mean_of_its_two_items_with_bands(
    code: str, scales: dict[str, tuple[str, ...]], pair: tuple[int, int], mean: float, band: str
) -> None:
    for scale, (first, second) in scales.items():
        answers = _all(scales, 3) | {first: pair[0], second: pair[1]}
        result = score(get_instrument(code), answers).scales[scale]
        assert result.value == mean
        assert result.band is not None and result.band.code == band


def test_a_mechanism_scale_needs_both_items() -> None:
    answers = _all(PARTICIPANT_SCALES, 4) | {"bridge_2": None}
    result = score(get_instrument("mech_participant"), answers)
    assert result.scales["bridge"].value is None and result.scales["bridge"].band is None
    assert result.value("strength") == 4.0


# Overall participant strength: the mean of twelve answers. 35/12 = 2.917 low, 36/12 = 3
# medium, 47/12 = 3.917 medium, 48/12 = 4 high.
@pytest.mark.parametrize(
    ("fours", "threes", "twos", "expected", "band"),
    [
        (0, 11, 1, 35 / 12, "low"),
        (0, 12, 0, 3.0, "medium"),
        (1, 11, 0, 37 / 12, "medium"),
        (11, 1, 0, 47 / 12, "medium"),
        (12, 0, 0, 4.0, "high"),
    ],
)
def test_participant_overall_strength_bands(
    fours: int, threes: int, twos: int, expected: float, band: str
) -> None:
    items = [item for pair in PARTICIPANT_SCALES.values() for item in pair]
    values = [4] * fours + [3] * threes + [2] * twos
    result = score(get_instrument("mech_participant"), dict(zip(items, values, strict=True)))
    overall = result.scales["strength"]
    assert overall.value == pytest.approx(expected)
    assert overall.band is not None and overall.band.code == band


def test_participant_overall_is_scored_from_nine_answers_not_eight() -> None:
    items = [item for pair in PARTICIPANT_SCALES.values() for item in pair]
    nine: dict[str, int | None] = {item: (5 if n < 9 else None) for n, item in enumerate(items)}
    eight: dict[str, int | None] = {item: (5 if n < 8 else None) for n, item in enumerate(items)}
    instrument = get_instrument("mech_participant")
    assert score(instrument, nine).value("strength") == 5.0
    assert score(instrument, eight).value("strength") is None


def test_peer_overall_reverses_negative_impact_and_confidentiality() -> None:
    # The best answers: 5 to the eight positive items, 1 to the four worries -> 5.0.
    best = {item: (1 if item in PEER_REVERSED else 5) for item in _all(PEER_SCALES, 0)}
    result = score(get_instrument("mech_peer"), best)
    assert result.value("strength") == 5.0
    assert result.value("negative_impact") == 1.0 and result.value("confidentiality") == 1.0
    # Everyone agreeing (4) with everything: 8 * 4 + 4 * (6 - 4) = 40 -> 40 / 12, medium.
    agree = score(get_instrument("mech_peer"), _all(PEER_SCALES, 4))
    assert agree.value("strength") == pytest.approx(40 / 12)
    assert agree.scales["strength"].band is not None
    assert agree.scales["strength"].band.code == "medium"
    assert agree.scales["negative_impact"].band is not None
    assert agree.scales["negative_impact"].band.code == "high"


@pytest.mark.parametrize(
    ("worry", "expected", "band"),
    [
        # Positive items at 4 (8 * 4 = 32); the four worries at `worry`, reversed 6 - worry.
        (2, (32 + 4 * 4) / 12, "high"),  # 48 / 12 = 4.0
        (3, (32 + 4 * 3) / 12, "medium"),  # 44 / 12 = 3.67
        (5, (32 + 4 * 1) / 12, "medium"),  # 36 / 12 = 3.0
    ],
)
def test_peer_overall_band_boundaries(worry: int, expected: float, band: str) -> None:
    answers = {item: (worry if item in PEER_REVERSED else 4) for item in _all(PEER_SCALES, 0)}
    overall = score(get_instrument("mech_peer"), answers).scales["strength"]
    assert overall.value == pytest.approx(expected)
    assert overall.band is not None and overall.band.code == band


def test_peer_overall_just_below_three_is_low() -> None:
    # Positive items at 3 (24), worries at 5 except one at 4: reversed 1, 1, 1, 2 -> 29/12.
    answers = {item: (5 if item in PEER_REVERSED else 3) for item in _all(PEER_SCALES, 0)}
    answers["negative_1"] = 4
    overall = score(get_instrument("mech_peer"), answers).scales["strength"]
    assert overall.value == pytest.approx(29 / 12)
    assert overall.band is not None and overall.band.code == "low"


@pytest.mark.parametrize("code", ["mech_participant", "mech_peer"])
def test_every_scale_says_higher_is_better_except_the_peer_worries(code: str) -> None:
    worse = {s.code for s in get_instrument(code).scales if s.higher_is_worse}
    assert worse == ({"negative_impact", "confidentiality"} if code == "mech_peer" else set())
