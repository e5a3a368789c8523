"""From the database to the engine: peers and waiting participants become the right
records, in a number of queries that does not grow with the number of rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerbridge.matching.configuration import preferences_update
from peerbridge.matching.loading import (
    age_on,
    hour_slots,
    peer_pool,
    peer_table,
    seeker_labels,
    seeker_records,
    text_scores,
    year_of,
)
from peerbridge.matching.models import EndReason, MatchStatus
from peerbridge.people.models import Person
from peerbridge.workforce.capacity import capacity_reserve
from peerbridge.workforce.models import PeerProfile, WellbeingCheckIn
from tests.matching.world_suggestions import (
    condition,
    fresh_programme,
    issue,
    participant,
    past_match,
    peer,
)
from tests.workforce.world import add_required_module

pytestmark = pytest.mark.django_db

LINEAGE = "Breast cancer > Mastectomy"


def _queries(call: object) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()  # type: ignore[operator]
    return len(captured)


def test_hour_slots_cover_every_hour_a_window_touches() -> None:
    windows = [
        {"day": 0, "start": "09:30", "end": "11:00"},
        {"day": 6, "start": "22:00", "end": "23:59"},
        {"day": 2, "start": "10:00", "end": "10:00"},
        {"day": "x", "start": "10:00", "end": "11:00"},
    ]
    assert hour_slots(windows) == frozenset({9, 10, 6 * 24 + 22, 6 * 24 + 23})
    assert hour_slots("not a list") == frozenset()


def test_age_comes_from_the_date_of_birth_or_the_middle_of_the_band() -> None:
    day = datetime.date(2026, 6, 1)
    assert age_on(Person(date_of_birth=datetime.date(1980, 6, 2)), day) == 45.0
    assert age_on(Person(age_band=Person.AgeBand.FROM_55), day) == 59.5
    assert age_on(Person(), day) is None
    assert year_of(datetime.date(2021, 1, 1)) == 2021.0
    assert year_of(None) is None


def test_a_peer_becomes_a_record_with_everything_the_engine_scores() -> None:
    programme = fresh_programme(modalities=("telephone", "video"))
    profile = peer(
        programme,
        lineage=LINEAGE,
        facets=("With reconstruction",),
        issues=("Body image", "Returning to work"),
        age=52,
        gender="woman",
        languages=("es", "en"),
        story="I had a mastectomy with reconstruction and went back to work.",
        since_years=4,
        cultural_groups=["Latina"],
        latitude="51.50000",
        longitude="-0.12000",
        alias="Rosa",
    )
    profile.availability = [{"day": 1, "start": "18:00", "end": "20:00"}]
    profile.save(update_fields=["availability"])
    pool = peer_pool(programme)
    (record,) = pool.records
    mastectomy = condition(LINEAGE, programme)
    assert record.id == profile.pk and pool.profiles == [profile]
    assert record.condition_path == (mastectomy.parent_id, mastectomy.pk)
    assert record.facets == {condition(f"{LINEAGE} > With reconstruction", programme).pk}
    assert record.issues == {
        issue(programme, "Body image").pk,
        issue(programme, "Returning to work").pk,
    }
    assert record.age == 52 and record.gender == "woman" and record.languages == ("es", "en")
    assert record.cultures == {"Latina"} and (record.lat, record.lon) == (51.5, -0.12)
    assert record.modalities == {"telephone", "video"}  # none said: the programme's
    assert record.availability == {24 + 18, 24 + 19}
    assert record.eligible and record.remaining == 5 and record.blockers == ()
    assert record.wellbeing == 1.0 and record.alias == "Rosa"
    assert record.text.startswith("I had a mastectomy")
    now = year_of(timezone.localdate())
    assert record.since_year is not None and now is not None
    assert 3.9 < now - record.since_year < 4.1
    assert pool.labels.conditions[mastectomy.pk] == "Mastectomy"
    assert pool.labels.issues[issue(programme, "Body image").pk] == "Body image"
    assert pool.labels.languages == {"es": "Spanish", "en": "English"}
    table, labels, profiles = peer_table(programme)
    assert list(table.ids) == [profile.pk] and labels == pool.labels and profiles == [profile]


def test_peers_who_may_not_take_a_match_are_listed_with_the_workforces_reasons() -> None:
    programme = fresh_programme()
    full = peer(programme, max_matches=1)
    capacity_reserve(profile=full, kind="match", reference="match:test-full", actor=None)
    on_hold = peer(programme)
    on_hold.capacity_hold = True
    on_hold.save(update_fields=["capacity_hold"])
    struggling = peer(programme)
    WellbeingCheckIn.objects.create(profile=struggling, kind="pulse", pulse=1)
    training = peer(programme, status=PeerProfile.Status.TRAINING)
    left = peer(programme, status=PeerProfile.Status.LEFT)
    add_required_module(programme, "Test: boundaries")  # nobody has done it yet
    pool = peer_pool(programme)
    records = {r.id: r for r in pool.records}
    assert left.pk not in records
    assert set(records) == {full.pk, on_hold.pk, struggling.pk, training.pk}
    assert not any(r.eligible for r in records.values())
    assert all("Test: boundaries" in " ".join(r.blockers) for r in records.values())
    assert records[on_hold.pk].wellbeing == 0.0
    assert records[struggling.pk].wellbeing == pytest.approx(0.3)
    assert records[full.pk].remaining == 0


def test_at_capacity_is_said_in_the_workforces_words() -> None:
    programme = fresh_programme()
    full = peer(programme, max_matches=1)
    capacity_reserve(profile=full, kind="match", reference="match:test-full", actor=None)
    (record,) = peer_pool(programme).records
    assert not record.eligible and record.remaining == 0
    assert record.blockers == ("Already 1 of 1 people supported",)


def test_loading_peers_costs_the_same_queries_for_two_or_ten(
    django_assert_max_num_queries: object,
) -> None:
    programme = fresh_programme()
    for n in range(2):
        peer(programme, lineage=LINEAGE, issues=(f"Issue {n}",), story="Story.")
    few = _queries(lambda: peer_pool(programme))
    for n in range(8):
        peer(programme, lineage=LINEAGE, issues=(f"Issue {n}",), story="Story.")
    many = _queries(lambda: peer_pool(programme))
    assert many == few
    with django_assert_max_num_queries(few):  # type: ignore[operator]
        assert len(peer_pool(programme).records) == 10


def test_a_waiting_participant_becomes_a_seeker_with_their_wishes_and_history() -> None:
    programme = fresh_programme()
    enrolment = participant(
        programme,
        lineage=LINEAGE,
        facets=("Without reconstruction",),
        issues=("Body image",),
        age=45,
        gender="man",
        languages=("pt",),
        story="Worried about how I will look.",
        waiting_days=12,
        cultural_groups=["Brazilian"],
    )
    preferences_update(
        enrolment=enrolment,
        data={
            "peer_gender": "man",
            "gender_required": True,
            "language": "pt",
            "language_required": True,
            "same_culture": True,
            "modalities": ["in_person"],
            "availability": [{"day": 2, "start": "10:00", "end": "11:00"}],
            "max_distance_km": 25,
        },
        actor=None,
    )
    declined, not_a_fit, completed, withdrew, kept_apart = (peer(programme) for _ in range(5))
    past_match(enrolment, declined, status=MatchStatus.DECLINED)
    past_match(enrolment, not_a_fit, status=MatchStatus.ENDED, end_reason=EndReason.NOT_A_FIT)
    past_match(enrolment, completed, status=MatchStatus.COMPLETED)
    past_match(
        enrolment, withdrew, status=MatchStatus.ENDED, end_reason=EndReason.PARTICIPANT_WITHDREW
    )
    past_match(enrolment, kept_apart, status=MatchStatus.ENDED, end_reason=EndReason.SAFETY)
    (seeker,) = seeker_records([enrolment])
    mastectomy = condition(LINEAGE, programme)
    assert seeker.id == enrolment.pk
    assert seeker.condition_path == (mastectomy.parent_id, mastectomy.pk)
    assert seeker.facets == {condition(f"{LINEAGE} > Without reconstruction", programme).pk}
    assert seeker.issues == {issue(programme, "Body image").pk}
    assert seeker.age == 45 and seeker.gender == "man" and seeker.languages == ("pt",)
    assert seeker.cultures == {"Brazilian"} and seeker.text.startswith("Worried")
    assert seeker.peer_gender == "man" and seeker.gender_required
    assert seeker.language == "pt" and seeker.language_required and seeker.same_culture
    assert seeker.modalities == {"in_person"} and seeker.availability == {2 * 24 + 10}
    assert seeker.max_distance_km == 25
    assert seeker.excluded == {declined.pk, not_a_fit.pk, kept_apart.pk}
    assert seeker.previous == {completed.pk, withdrew.pk}
    assert 11.9 < seeker.waiting_days < 12.1
    labels = seeker_labels(peer_pool(programme).labels, [seeker])
    assert labels.languages["pt"] == "Portuguese"


def test_a_participant_without_wishes_or_a_record_of_what_they_face() -> None:
    programme = fresh_programme()
    enrolment = participant(programme, age=None)
    (seeker,) = seeker_records([enrolment])
    assert seeker.condition_path == () and seeker.facets == frozenset()
    assert seeker.age is None and seeker.modalities == frozenset()
    assert not seeker.gender_required and not seeker.language_required
    assert seeker.previous == frozenset() and seeker.excluded == frozenset()
    assert seeker_records([]) == []


def test_loading_seekers_costs_the_same_queries_for_one_or_many() -> None:
    programme = fresh_programme()
    first = participant(programme, lineage=LINEAGE, issues=("Body image",))
    one = _queries(lambda: seeker_records([first]))
    others = [participant(programme, lineage=LINEAGE, issues=("Fatigue",)) for _ in range(6)]
    for enrolment in others[:3]:
        preferences_update(enrolment=enrolment, data={"same_culture": True}, actor=None)
    many = _queries(lambda: seeker_records([first, *others]))
    assert many == one
    assert [s.id for s in seeker_records([*others, first])] == [*(e.pk for e in others), first.pk]


def test_free_text_similarity_between_what_they_face_and_what_peers_went_through() -> None:
    programme = fresh_programme()
    rejection = peer(programme, story="My body rejected the new liver twice; fear of rejection.")
    unrelated = peer(programme, story="Learning to cook for a family on a budget.")
    silent = peer(programme)
    worried = participant(programme, story="I am so afraid my body will reject the liver.")
    quiet = participant(programme)
    pool = peer_pool(programme)
    scores = text_scores(seeker_records([worried, quiet]), pool)
    assert scores.shape == (2, 3) and ((scores >= 0) & (scores <= 1)).all()
    rows = {p.pk: n for n, p in enumerate(pool.profiles)}
    assert scores[0, rows[rejection.pk]] > scores[0, rows[unrelated.pk]]
    assert scores[0, rows[silent.pk]] == 0 and not scores[1].any()
    assert text_scores([], pool).shape == (0, 3)
