"""Presets from the seed programmes, and the acceptance cases of issue 5 (pure)."""

from __future__ import annotations

import pytest

from peerbridge.matching.engine import COMPONENTS, PeerTable, Policy, suggest
from peerbridge.matching.presets import PRESETS, policy_for
from tests.matching.test_engine import (
    BREAST,
    LABELS,
    LUMPECTOMY,
    MASTECTOMY,
    REJECTION,
    WITH_RECON,
    WITHOUT_RECON,
    WORK,
    peer,
    seeker,
)

KIDNEY, TRANSPLANT = 2, 20


def test_presets_are_the_model_choices_and_weigh_every_component() -> None:
    from peerbridge.matching.models import Preset

    assert set(PRESETS) == set(Preset.values)
    for weights in PRESETS.values():
        assert set(weights) == set(COMPONENTS)
        assert all(0 <= w <= 100 for w in weights.values())


def test_policy_for_merges_overrides_and_requirements() -> None:
    policy = policy_for("general", {"age": 0, "language": 90}, ["language"], 25)
    assert policy.weights["age"] == 0
    assert policy.weights["language"] == 90
    assert policy.weights["condition"] == PRESETS["general"]["condition"]
    assert policy.requirements == frozenset({"language"})
    assert policy.max_distance_km == 25.0
    assert PRESETS["general"]["age"] != 0  # the preset itself is untouched


@pytest.mark.parametrize(
    "bad",
    [
        {"preset": "nonsense"},
        {"preset": "general", "weights": {"charm": 5}},
        {"preset": "general", "requirements": ["age"]},
    ],
)
def test_policy_for_refuses_unknown_names(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        policy_for(**bad)  # type: ignore[arg-type]


# --- Programme F: the same surgery, then reconstruction, then age ----------------------


def mastectomy_peers() -> list:  # type: ignore[type-arg]
    return [
        # Same age, but the other surgery.
        peer(1, condition_path=(BREAST, LUMPECTOMY), age=48.0, gender="woman"),
        # Same age and surgery, without reconstruction.
        peer(2, condition_path=(BREAST, MASTECTOMY, WITHOUT_RECON), age=48.0, gender="woman"),
        # The same surgery with reconstruction, 15 years older.
        peer(3, condition_path=(BREAST, MASTECTOMY, WITH_RECON), age=63.0, gender="woman"),
        # Knows only that it was breast cancer.
        peer(4, condition_path=(BREAST,), age=48.0, gender="woman"),
    ]


@pytest.mark.parametrize("languages", [("en",), ("es", "en")])
def test_programme_f_ranks_the_mastectomy_with_reconstruction_peer_first(
    languages: tuple[str, ...],
) -> None:
    who = seeker(
        condition_path=(BREAST, MASTECTOMY, WITH_RECON),
        age=48.0,
        gender="woman",
        languages=languages,
        issues=frozenset({WORK}),
    )
    result = suggest(
        who, PeerTable.build(mastectomy_peers()), policy_for("surgery_first"), labels=LABELS
    )
    ranked = [s.peer_id for s in result.suggestions]
    assert ranked[0] == 3
    assert ranked.index(2) < ranked.index(1)  # the same surgery before the other one
    assert result.suggestions[0].reasons[0].text() == "both had mastectomy with reconstruction"


def test_programme_f_then_age_between_peers_with_the_same_surgery() -> None:
    who = seeker(condition_path=(BREAST, MASTECTOMY, WITH_RECON), age=48.0)
    peers = [
        peer(1, condition_path=(BREAST, MASTECTOMY, WITH_RECON), age=70.0),
        peer(2, condition_path=(BREAST, MASTECTOMY, WITH_RECON), age=50.0),
    ]
    result = suggest(who, PeerTable.build(peers), policy_for("surgery_first"), labels=LABELS)
    assert [s.peer_id for s in result.suggestions] == [2, 1]


# --- Programme E: shared issues first, across age and gender ---------------------------


@pytest.mark.parametrize("preset", ["issues_first", "rare_issues"])
def test_programme_e_matches_the_man_worried_about_rejection_with_the_woman_who_lived_it(
    preset: str,
) -> None:
    who = seeker(
        condition_path=(KIDNEY, TRANSPLANT),
        age=45.0,
        gender="man",
        issues=frozenset({REJECTION}),
        languages=("en",),
    )
    peers = [
        # A man of his age, after the same transplant, without that worry.
        peer(1, condition_path=(KIDNEY, TRANSPLANT), age=45.0, gender="man",
             issues=frozenset({WORK}), languages=("en",)),
        # A woman in her sixties who went through rejection.
        peer(2, condition_path=(KIDNEY, TRANSPLANT), age=63.0, gender="woman",
             issues=frozenset({REJECTION, WORK}), languages=("en",)),
    ]  # fmt: skip
    result = suggest(who, PeerTable.build(peers), policy_for(preset), labels=LABELS)
    assert [s.peer_id for s in result.suggestions] == [2, 1]
    assert "shares 1 issue: rejection" in [r.text() for r in result.suggestions[0].reasons]


# --- Programme D and the HIV programme -------------------------------------------------


def test_rare_issues_preset_shares_issues_when_no_peer_shares_the_condition() -> None:
    who = seeker(condition_path=(7, 70), issues=frozenset({REJECTION, WORK}), age=30.0)
    peers = [
        peer(1, condition_path=(BREAST,), issues=frozenset({REJECTION, WORK}), age=60.0),
        peer(2, condition_path=(KIDNEY,), age=30.0),
    ]
    result = suggest(who, PeerTable.build(peers), policy_for("rare_issues"), labels=LABELS)
    assert result.fallback is not None
    assert result.fallback.code == "fallback_condition"
    assert result.suggestions[0].peer_id == 1


def test_language_culture_preset_puts_language_and_background_first() -> None:
    who = seeker(
        condition_path=(3, 30), languages=("so", "en"), language="so",
        cultures=frozenset({"Somali"}), age=35.0,
    )  # fmt: skip
    peers = [
        peer(1, condition_path=(3, 30), languages=("en",), age=35.0),
        peer(2, condition_path=(3,), languages=("so",), cultures=frozenset({"Somali"}), age=50.0),
    ]
    result = suggest(who, PeerTable.build(peers), policy_for("language_culture"), labels=LABELS)
    assert [s.peer_id for s in result.suggestions] == [2, 1]


def test_a_policy_is_an_ordinary_value() -> None:
    assert policy_for("general") == Policy(dict(PRESETS["general"]), frozenset(), 50.0)
