"""Suggestions through the real models: the seed programmes' presets rank the peer the
programme would choose first, rare conditions fall back to shared issues and say so,
and "why not this peer?" answers in sentences."""

from __future__ import annotations

import pytest

from peerbridge.matching.configuration import preferences_update, settings_update
from peerbridge.matching.models import EndReason, MatchStatus, Preset
from peerbridge.matching.suggestions import suggest_for, why_not_for
from peerbridge.workforce.capacity import capacity_reserve
from peerbridge.workforce.models import PeerProfile
from tests.matching.world_suggestions import fresh_programme, participant, past_match, peer
from tests.workforce.world import add_required_module

pytestmark = pytest.mark.django_db

MASTECTOMY = "Breast cancer > Mastectomy"


def _preset(programme: object, preset: str, **more: object) -> None:
    settings_update(programme=programme, data={"preset": preset, **more}, actor=None)  # type: ignore[arg-type]


def test_programme_f_puts_the_mastectomy_with_reconstruction_peer_first() -> None:
    """Seed 004, programme F: matched on surgery, then reconstruction, then age."""
    programme = fresh_programme()
    _preset(programme, Preset.SURGERY_FIRST)
    same_age_lumpectomy = peer(programme, lineage="Breast cancer > Lumpectomy", age=47)
    same_age_no_reconstruction = peer(
        programme, lineage=MASTECTOMY, facets=("Without reconstruction",), age=47
    )
    reconstruction = peer(
        programme,
        lineage=MASTECTOMY,
        facets=("With reconstruction",),
        age=58,
        since_years=5,
        languages=("es", "en"),
    )
    ovarian = peer(programme, lineage="Gynaecological cancer > Ovarian cancer", age=47)
    seeker = participant(
        programme,
        lineage=MASTECTOMY,
        facets=("With reconstruction",),
        age=47,
        since_years=1,
        languages=("es",),
    )
    page = suggest_for(seeker)
    ranked = [s.profile for s in page.suggestions]
    assert ranked[0] == reconstruction
    assert ranked.index(same_age_no_reconstruction) < ranked.index(same_age_lumpectomy)
    assert ranked.index(same_age_lumpectomy) < ranked.index(ovarian)
    first = page.suggestions[0]
    assert "both had Mastectomy" in first.reasons[0]
    assert any("With reconstruction" in reason for reason in first.reasons)
    assert "4 years apart" in first.reasons
    assert "both speak Spanish" in first.reasons
    assert 0 < first.score <= 100 and page.fallback == ""
    assert page.considered == 4 and page.eligible == 4 and page.k == 5


def test_programme_e_matches_a_man_worried_about_rejection_with_a_woman_who_went_through_it() -> (
    None
):
    """Seed 004, programme E: shared issues first, across age and gender."""
    programme = fresh_programme()
    _preset(programme, Preset.ISSUES_FIRST)
    been_through_rejection = peer(
        programme,
        lineage="Transplant > Heart",
        issues=("Rejection",),
        age=63,
        gender="woman",
    )
    same_man = peer(
        programme, lineage="Transplant > Liver", issues=("Returning to work",), age=45, gender="man"
    )
    other_man = peer(programme, lineage="Transplant > Liver", age=44, gender="man")
    seeker = participant(
        programme,
        lineage="Transplant > Liver",
        issues=("Rejection",),
        age=45,
        gender="man",
    )
    page = suggest_for(seeker)
    assert [s.profile for s in page.suggestions][0] == been_through_rejection
    assert {s.profile for s in page.suggestions} == {been_through_rejection, same_man, other_man}
    assert "shares 1 issue: Rejection" in page.suggestions[0].reasons


def test_a_rare_sub_condition_falls_back_to_shared_issues_and_says_so() -> None:
    programme = fresh_programme()
    _preset(programme, Preset.RARE_ISSUES)
    g_tube = peer(programme, lineage="Child disability > G-tube", issues=("Feeding",))
    peer(programme, lineage="Child disability > Autism", issues=("Sleep",))
    seeker = participant(
        programme,
        lineage="Child disability > Rare genetic condition",
        issues=("Feeding",),
    )
    page = suggest_for(seeker)
    assert page.suggestions[0].profile == g_tube
    assert "No available peer shares Rare genetic condition" in page.fallback
    assert "Child disability" in page.fallback


def test_a_condition_no_peer_shares_falls_back_to_issues_and_says_so() -> None:
    programme = fresh_programme()
    feeding = peer(programme, lineage="Diabetes > Type 1", issues=("Feeding",))
    seeker = participant(programme, lineage="Cystic fibrosis", issues=("Feeding",))
    page = suggest_for(seeker)
    assert page.suggestions[0].profile == feeding
    assert "No available peer shares Cystic fibrosis" in page.fallback
    assert "shared issues" in page.fallback


def test_a_peer_at_capacity_or_not_eligible_is_never_suggested_and_why_not_says_why() -> None:
    programme = fresh_programme()
    full = peer(programme, lineage=MASTECTOMY, max_matches=1)
    capacity_reserve(profile=full, kind="match", reference="match:test", actor=None)
    training = peer(programme, lineage=MASTECTOMY, status=PeerProfile.Status.TRAINING)
    available = peer(programme, lineage="Breast cancer > Lumpectomy")
    seeker = participant(programme, lineage=MASTECTOMY)
    page = suggest_for(seeker)
    assert [s.profile for s in page.suggestions] == [available]
    assert page.considered == 3 and page.eligible == 1
    assert why_not_for(seeker, full) == [
        "Not available for matching: Already 1 of 1 people supported."
    ]
    (sentence,) = why_not_for(seeker, training)
    assert sentence.startswith("Not available for matching: Ready, but not yet made available")


def test_why_not_names_the_training_still_to_do() -> None:
    programme = fresh_programme()
    add_required_module(programme, "Test: safeguarding")
    untrained = peer(programme, lineage=MASTECTOMY)
    add_required_module(programme, "Test: boundaries")
    seeker = participant(programme, lineage=MASTECTOMY)
    assert untrained not in suggest_for(seeker).profiles
    (sentence,) = why_not_for(seeker, untrained)
    assert "Test: boundaries" in sentence and sentence.endswith(".")


def test_a_peer_excluded_by_an_earlier_match_is_not_suggested_again() -> None:
    programme = fresh_programme()
    declined = peer(programme, lineage=MASTECTOMY)
    not_a_fit = peer(programme, lineage=MASTECTOMY)
    before = peer(programme, lineage="Breast cancer > Lumpectomy")
    seeker = participant(programme, lineage=MASTECTOMY)
    past_match(seeker, declined, status=MatchStatus.DECLINED)
    past_match(seeker, not_a_fit, status=MatchStatus.ENDED, end_reason=EndReason.NOT_A_FIT)
    past_match(seeker, before, status=MatchStatus.COMPLETED)
    page = suggest_for(seeker)
    assert page.profiles == [before]
    assert "supported them before" in page.suggestions[0].reasons
    for excluded in (declined, not_a_fit):
        (sentence,) = why_not_for(seeker, excluded)
        assert sentence.startswith("Excluded after an earlier match")


def test_why_not_names_the_requirement_a_peer_does_not_meet() -> None:
    programme = fresh_programme()
    _preset(programme, Preset.GENERAL, requirements=["condition"])
    man = peer(programme, lineage=MASTECTOMY, gender="man", languages=("en",))
    other_condition = peer(programme, lineage="Diabetes", gender="woman", languages=("pt",))
    seeker = participant(programme, lineage=MASTECTOMY, languages=("pt",))
    preferences_update(
        enrolment=seeker,
        data={
            "peer_gender": "woman",
            "gender_required": True,
            "language": "pt",
            "language_required": True,
        },
        actor=None,
    )
    page = suggest_for(seeker)
    assert page.suggestions == () and page.eligible == 0
    assert why_not_for(seeker, man) == [
        "Is not the peer's gender they need.",
        "Does not speak Portuguese, which they need.",
    ]
    assert why_not_for(seeker, other_condition) == [
        "Does not share their condition, which the programme requires."
    ]


def test_why_not_for_a_suggested_peer_a_lower_one_and_one_of_another_programme() -> None:
    programme = fresh_programme()
    _preset(programme, Preset.GENERAL, suggestions=1)
    best = peer(programme, lineage=MASTECTOMY, facets=("With reconstruction",))
    lower = peer(programme, lineage="Diabetes")
    left = peer(programme, lineage=MASTECTOMY, status=PeerProfile.Status.LEFT)
    elsewhere = peer(fresh_programme(), lineage=MASTECTOMY)
    seeker = participant(programme, lineage=MASTECTOMY, facets=("With reconstruction",))
    assert why_not_for(seeker, best) == ["Is suggested: ranked 1 of 2."]
    (sentence,) = why_not_for(seeker, lower)
    assert sentence.startswith("Ranked 2 of 2; the suggested peers share")
    assert why_not_for(seeker, left) == ["This peer has left the programme."]
    assert why_not_for(seeker, elsewhere) == ["This peer supports people in another programme."]


def test_k_defaults_to_the_programmes_setting_and_is_bounded() -> None:
    programme = fresh_programme()
    _preset(programme, Preset.GENERAL, suggestions=2)
    for _ in range(4):
        peer(programme, lineage=MASTECTOMY)
    seeker = participant(programme, lineage=MASTECTOMY)
    assert len(suggest_for(seeker).suggestions) == 2
    assert len(suggest_for(seeker, k=3).suggestions) == 3
    assert suggest_for(seeker, k=0).k == 1
    assert suggest_for(seeker, k=10_000).k == 50
