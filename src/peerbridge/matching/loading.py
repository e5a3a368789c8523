"""From the database to the pure engine: a programme's policy, its peers as PeerRecords
(with the workforce's answer on who may take a match), waiting participants as
SeekerRecords, the labels explanations name things by, and free-text similarity.

Every loader reads in a fixed number of queries whatever the number of rows, so a
programme's suggestions and batch runs cost the same handful of queries for ten peers
or a thousand. Nothing here writes or audits: the caller knows who is looking."""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import timezone
from numpy.typing import NDArray

from peerbridge.matching.configuration import match_settings
from peerbridge.matching.engine import Labels, PeerRecord, PeerTable, Policy, SeekerRecord
from peerbridge.matching.models import (
    EXCLUDING_END_REASONS,
    GOOD_END_REASONS,
    Match,
    MatchPreferences,
    MatchSettings,
    MatchStatus,
)
from peerbridge.matching.presets import policy_for
from peerbridge.matching.text import text_model
from peerbridge.organisations.models import Programme
from peerbridge.people.models import Condition, IssueTag, LivedExperience, Person, language_name
from peerbridge.referrals.models import Enrolment
from peerbridge.workforce.eligibility import standings
from peerbridge.workforce.models import PeerProfile, WellbeingCheckIn

# Peers who may be suggested, or asked about ("why not this peer?"): in training they are
# listed as not yet eligible, with the workforce's reasons.
LISTED_STATUSES = (PeerProfile.Status.ACTIVE, PeerProfile.Status.TRAINING)

# An age band stands for its middle year when no date of birth is known.
AGE_BAND_MIDDLE: Mapping[str, float] = {
    Person.AgeBand.UNDER_18: 16.0,
    Person.AgeBand.FROM_18: 21.0,
    Person.AgeBand.FROM_25: 29.5,
    Person.AgeBand.FROM_35: 39.5,
    Person.AgeBand.FROM_45: 49.5,
    Person.AgeBand.FROM_55: 59.5,
    Person.AgeBand.FROM_65: 69.5,
    Person.AgeBand.FROM_75: 80.0,
}

# A recent low pulse lowers the capacity part of the score: a struggling peer is still
# suggested, after peers with the same fit who are doing well.
PULSE_WINDOW_DAYS = 14
PULSE_WELLBEING: Mapping[int, float] = {
    WellbeingCheckIn.Pulse.STRUGGLING: 0.3,
    WellbeingCheckIn.Pulse.LOW: 0.6,
}

# Encrypted person fields matching never needs: left unread (and undecrypted).
UNREAD_PERSON_FIELDS = (
    "accessibility_needs",
    "phone",
    "phone_index",
    "email",
    "email_index",
    "notes",
    "preferred_channels",
)


@dataclass(frozen=True)
class PeerPool:
    """A programme's peers as the engine sees them, row for row with their profiles."""

    records: list[PeerRecord]
    profiles: list[PeerProfile]
    labels: Labels

    def table(self) -> PeerTable:
        return PeerTable.build(self.records)

    def index_of(self, profile_id: int) -> int | None:
        for row, profile in enumerate(self.profiles):
            if profile.pk == profile_id:
                return row
        return None


# ---------------------------------------------------------------------------------------
# Small conversions


def age_on(person: Person, day: date) -> float | None:
    """Age in years on `day`: from the date of birth, else the middle of the age band."""
    born = person.date_of_birth
    if born is not None:
        years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        return float(max(years, 0))
    return AGE_BAND_MIDDLE.get(person.age_band)


def year_of(day: date | None) -> float | None:
    """A date as a fractional year (2021-07-02 is about 2021.5), for "4 years apart"."""
    if day is None:
        return None
    return day.year + (day.timetuple().tm_yday - 1) / 365.25


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def hour_slots(windows: object) -> frozenset[int]:
    """Weekly windows ([{"day", "start", "end"}], Monday = 0) as the hours of the week
    they touch (0..167): 09:30-11:00 on Monday is hours 9 and 10."""
    slots: set[int] = set()
    if not isinstance(windows, list):
        return frozenset()
    for window in windows:
        try:
            day, start, end = int(window["day"]), _minutes(window["start"]), _minutes(window["end"])
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # the model's validator keeps these out; an old row is skipped
        if not 0 <= day <= 6 or end <= start:
            continue
        first, last = start // 60, math.ceil(end / 60)
        slots.update(day * 24 + hour for hour in range(first, min(last, 24)))
    return frozenset(slots)


def _strings(values: object) -> list[str]:
    if not isinstance(values, list):
        return []
    return [v for v in values if isinstance(v, str) and v]


def _coordinate(value: Any) -> float | None:
    return None if value is None else float(value)


@lru_cache(maxsize=512)
def _language_label(code: str) -> str:
    return language_name(code)


def language_labels(codes: Iterable[str]) -> dict[str, str]:
    return {code: _language_label(code) for code in set(codes)}


# ---------------------------------------------------------------------------------------
# Taxonomy


@dataclass(frozen=True)
class Taxonomy:
    """An organisation's conditions: names and each one's path from its root."""

    names: dict[int, str]
    parents: dict[int, int | None]

    def path(self, condition_id: int | None) -> tuple[int, ...]:
        found: list[int] = []
        node = condition_id
        while node is not None and node in self.names and node not in found:
            found.append(node)
            node = self.parents.get(node)
        return tuple(reversed(found))


def taxonomy_for(organisation_ids: Iterable[int]) -> Taxonomy:
    rows = Condition.objects.filter(organisation_id__in=set(organisation_ids)).values_list(
        "pk", "parent_id", "name"
    )
    names: dict[int, str] = {}
    parents: dict[int, int | None] = {}
    for pk, parent_id, name in rows:
        names[pk] = name
        parents[pk] = parent_id
    return Taxonomy(names=names, parents=parents)


@dataclass(frozen=True)
class Experience:
    """One LivedExperience, as the engine needs it."""

    condition_id: int | None
    facets: frozenset[int]
    issues: frozenset[int]
    since: date | None
    story: str


def _experiences(lookups: dict[str, Any], stories: bool) -> dict[tuple[int, int], Experience]:
    """The experiences matching `lookups`, with their facets and issues, in three
    queries (facets and issues are selected through the same filter, not a list of
    ids). Without `stories` the encrypted story is neither read nor decrypted."""
    columns = ("pk", "person_id", "programme_id", "condition_id", "since")
    found = LivedExperience.objects.filter(**lookups)
    rows = [
        row if stories else (*row, "")
        for row in found.values_list(*columns, *(("story",) if stories else ()))
    ]
    through = {f"livedexperience__{name}": value for name, value in lookups.items()}
    facets: dict[int, set[int]] = defaultdict(set)
    for experience_id, condition_id in LivedExperience.facets.through.objects.filter(
        **through
    ).values_list("livedexperience_id", "condition_id"):
        facets[experience_id].add(condition_id)
    issues: dict[int, set[int]] = defaultdict(set)
    for experience_id, tag_id in LivedExperience.issues.through.objects.filter(
        **through
    ).values_list("livedexperience_id", "issuetag_id"):
        issues[experience_id].add(tag_id)
    return {
        (person_id, programme_id): Experience(
            condition_id=condition_id,
            facets=frozenset(facets[pk]),
            issues=frozenset(issues[pk]),
            since=since,
            story=story or "",
        )
        for pk, person_id, programme_id, condition_id, since, story in rows
    }


def experiences_for(
    pairs: Iterable[tuple[int, int]], perspective: str, *, stories: bool = True
) -> dict[tuple[int, int], Experience]:
    """Each (person, programme)'s record of one perspective, in three queries."""
    pairs = set(pairs)
    if not pairs:
        return {}
    found = _experiences(
        {
            "person_id__in": sorted({person for person, _ in pairs}),
            "programme_id__in": sorted({programme for _, programme in pairs}),
            "perspective": perspective,
        },
        stories,
    )
    return {key: experience for key, experience in found.items() if key in pairs}


def programme_experiences(
    programme_id: int, perspective: str, *, stories: bool = True
) -> dict[tuple[int, int], Experience]:
    """Every record of one perspective in a programme, keyed (person, programme)."""
    return _experiences({"programme_id": programme_id, "perspective": perspective}, stories)


NO_EXPERIENCE = Experience(None, frozenset(), frozenset(), None, "")


# ---------------------------------------------------------------------------------------
# Peers


def programme_policy(programme: Programme) -> Policy:
    """The programme's matching policy: its preset, with its own weights over it."""
    return policy_of(match_settings(programme))


def policy_of(rules: MatchSettings) -> Policy:
    return policy_for(
        rules.preset,
        rules.weights or None,
        rules.requirements or (),
        float(rules.max_distance_km),
    )


def _wellbeing(programme: Programme, profiles: Sequence[PeerProfile]) -> dict[int, float]:
    """1.0 unless new work is on hold (0.0) or the latest recent pulse was low."""
    since = timezone.now() - timedelta(days=PULSE_WINDOW_DAYS)
    latest: dict[int, int] = {}
    for profile_id, pulse in (
        WellbeingCheckIn.objects.filter(
            profile__programme_id=programme.pk,
            kind=WellbeingCheckIn.Kind.PULSE,
            completed_at__gte=since,
        )
        .order_by("-completed_at", "-id")
        .values_list("profile_id", "pulse")
    ):
        if pulse is not None:
            latest.setdefault(profile_id, pulse)
    return {
        p.pk: 0.0 if p.capacity_hold else PULSE_WELLBEING.get(latest.get(p.pk, 0), 1.0)
        for p in profiles
    }


def listed_profiles(programme: Programme) -> list[PeerProfile]:
    """The programme's active and in-training peers with their person records (the
    erased excepted)."""
    return list(
        PeerProfile.objects.filter(
            programme=programme, status__in=LISTED_STATUSES, person__erased_at__isnull=True
        )
        .select_related("person")
        .defer(*(f"person__{name}" for name in UNREAD_PERSON_FIELDS))
        .order_by("pk")
    )


def peer_pool(
    programme: Programme,
    *,
    on: date | None = None,
    stories: bool = True,
    taxonomy: Taxonomy | None = None,
) -> PeerPool:
    """The programme's active and in-training peers as engine records, in a fixed number
    of queries (eligibility, blockers and remaining capacity from the workforce). Without
    `stories` the records carry no text (nothing is decrypted): for a programme that
    gives free text no weight, or a participant who wrote nothing."""
    day = on or timezone.localdate()
    profiles = listed_profiles(programme)
    standing = standings(profiles, on=day)
    wellbeing = _wellbeing(programme, profiles)
    experiences = programme_experiences(
        programme.pk, LivedExperience.Perspective.BEEN_THROUGH, stories=stories
    )
    taxonomy = taxonomy or taxonomy_for([programme.site.organisation_id])
    default_modalities = frozenset(_strings(programme.modalities))
    records = []
    for profile in profiles:
        person, held = profile.person, standing[profile.pk]
        lived = experiences.get((person.pk, programme.pk), NO_EXPERIENCE)
        refused = held.match_blockers
        # The engine puts them in a sentence of its own ("...: a; b."), so no full stops.
        blockers = tuple((b.detail or str(b.reason.label)).rstrip(". ") for b in refused)
        records.append(
            PeerRecord(
                id=profile.pk,
                condition_path=taxonomy.path(lived.condition_id),
                facets=lived.facets,
                issues=lived.issues,
                age=age_on(person, day),
                gender=person.gender or "",
                languages=tuple(_strings(person.languages)),
                cultures=frozenset(_strings(person.cultural_groups)),
                lat=_coordinate(person.latitude),
                lon=_coordinate(person.longitude),
                modalities=frozenset(_strings(profile.modalities)) or default_modalities,
                availability=hour_slots(profile.availability),
                remaining=held.remaining_matches,
                eligible=not refused,
                blockers=blockers,
                wellbeing=wellbeing[profile.pk],
                since_year=year_of(lived.since),
                text=lived.story,
                alias=profile.alias or person.preferred_name or person.given_name,
            )
        )
    labels = Labels(
        conditions=dict(taxonomy.names),
        issues=dict(IssueTag.objects.filter(programme=programme).values_list("pk", "name")),
        languages=language_labels(code for record in records for code in record.languages),
    )
    return PeerPool(records=records, profiles=profiles, labels=labels)


def peer_table(
    programme: Programme, *, on: date | None = None
) -> tuple[PeerTable, Labels, list[PeerProfile]]:
    """The programme's peers as a PeerTable, the labels for explanations, and the
    profiles row for row."""
    pool = peer_pool(programme, on=on)
    return pool.table(), pool.labels, pool.profiles


# ---------------------------------------------------------------------------------------
# Seekers


@dataclass(frozen=True)
class History:
    """Peers a participant had before: to meet again (continuity) or never again."""

    previous: frozenset[int]
    excluded: frozenset[int]


def histories(enrolments: Sequence[Enrolment]) -> dict[tuple[int, int], History]:
    """Per (person, programme): earlier matches, across the person's enrolments in the
    programme (a returning participant keeps their history). Declined offers and matches
    ended as not a fit or for safety exclude the peer; completed matches, and matches
    ended for reasons that say nothing against the pair, count as previous (the same
    rule as lifecycle.previous_good_profiles)."""
    persons = {e.person_id for e in enrolments}
    programmes = {e.programme_id for e in enrolments}
    previous: dict[tuple[int, int], set[int]] = defaultdict(set)
    excluded: dict[tuple[int, int], set[int]] = defaultdict(set)
    rows = Match.objects.filter(
        enrolment__person_id__in=persons,
        programme_id__in=programmes,
        status__in=[MatchStatus.DECLINED, MatchStatus.COMPLETED, MatchStatus.ENDED],
    ).values_list("enrolment__person_id", "programme_id", "profile_id", "status", "end_reason")
    for person_id, programme_id, profile_id, status, end_reason in rows:
        key = (person_id, programme_id)
        ended = status == MatchStatus.ENDED
        if status == MatchStatus.DECLINED or (ended and end_reason in EXCLUDING_END_REASONS):
            excluded[key].add(profile_id)
        elif status == MatchStatus.COMPLETED or (ended and end_reason in GOOD_END_REASONS):
            previous[key].add(profile_id)
    return {
        key: History(
            previous=frozenset(previous[key] - excluded[key]), excluded=frozenset(excluded[key])
        )
        for key in {(e.person_id, e.programme_id) for e in enrolments}
    }


def _waiting_days(enrolment: Enrolment, now: datetime) -> float:
    since = enrolment.waiting_since or enrolment.received_at
    return max(0.0, (now - since).total_seconds() / 86400)


def seeker_records(
    enrolments: Sequence[Enrolment],
    *,
    on: date | None = None,
    taxonomy: Taxonomy | None = None,
) -> list[SeekerRecord]:
    """Waiting participants as engine records, in the order given, in a fixed number of
    queries: what they are facing, their wishes, their earlier peers, time waiting.
    `taxonomy` saves reading the organisation's conditions again."""
    if not enrolments:
        return []
    day, now = on or timezone.localdate(), timezone.now()
    people = {
        p.pk: p
        for p in Person.objects.filter(pk__in={e.person_id for e in enrolments}).defer(
            *UNREAD_PERSON_FIELDS
        )
    }
    if taxonomy is None:
        organisations = Programme.objects.filter(
            pk__in={e.programme_id for e in enrolments}
        ).values_list("site__organisation_id", flat=True)
        taxonomy = taxonomy_for(organisations)
    pairs = [(e.person_id, e.programme_id) for e in enrolments]
    experiences = experiences_for(pairs, LivedExperience.Perspective.FACING)
    wishes = {
        w.enrolment_id: w
        for w in MatchPreferences.objects.filter(enrolment_id__in=[e.pk for e in enrolments])
    }
    past = histories(enrolments)
    records = []
    for enrolment in enrolments:
        person = people[enrolment.person_id]
        key = (enrolment.person_id, enrolment.programme_id)
        lived = experiences.get(key, NO_EXPERIENCE)
        wish = wishes.get(enrolment.pk) or MatchPreferences(enrolment_id=enrolment.pk)
        records.append(
            SeekerRecord(
                id=enrolment.pk,
                condition_path=taxonomy.path(lived.condition_id),
                facets=lived.facets,
                issues=lived.issues,
                age=age_on(person, day),
                gender=person.gender or "",
                languages=tuple(_strings(person.languages)),
                cultures=frozenset(_strings(person.cultural_groups)),
                lat=_coordinate(person.latitude),
                lon=_coordinate(person.longitude),
                modalities=frozenset(_strings(wish.modalities)),
                availability=hour_slots(wish.availability),
                text=lived.story,
                since_year=year_of(lived.since),
                peer_gender=wish.peer_gender or "",
                gender_required=bool(wish.gender_required and wish.peer_gender),
                language=wish.language or "",
                language_required=bool(wish.language_required and wish.language),
                same_culture=wish.same_culture,
                max_distance_km=(
                    float(wish.max_distance_km) if wish.max_distance_km is not None else None
                ),
                previous=past[key].previous,
                excluded=past[key].excluded,
                waiting_days=_waiting_days(enrolment, now),
            )
        )
    return records


def seeker_labels(labels: Labels, seekers: Sequence[SeekerRecord]) -> Labels:
    """The peers' labels, with the names of languages only the seekers speak."""
    codes = {code for s in seekers for code in (*s.languages, s.language) if code}
    missing = codes - set(labels.languages)
    if not missing:
        return labels
    return Labels(
        conditions=labels.conditions,
        issues=labels.issues,
        languages={**labels.languages, **language_labels(missing)},
    )


# ---------------------------------------------------------------------------------------
# Free text


def _texts(peers: object) -> list[str]:
    records = getattr(peers, "records", peers)
    return [getattr(record, "text", "") or "" for record in records]  # type: ignore[attr-defined]


class _TextScoreCache:
    """One participant's scores against a programme's peers, kept by the texts they were
    computed from: the same texts give the same scores, so a hit is never stale (a peer
    who edits their story changes the key). Only single-participant rows are kept, so
    memory stays a few hundred floats per entry."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.rows: OrderedDict[bytes, NDArray[np.float64]] = OrderedDict()
        self.lock = threading.Lock()

    @staticmethod
    def key(model_name: str, seeker_texts: Sequence[str], peer_texts: Sequence[str]) -> bytes:
        digest = hashlib.blake2b(model_name.encode(), digest_size=20)
        for text in (*seeker_texts, "\x1e", *peer_texts):
            digest.update(text.encode("utf-8", "surrogatepass"))
            digest.update(b"\x1f")
        return digest.digest()

    def get(self, key: bytes) -> NDArray[np.float64] | None:
        with self.lock:
            found = self.rows.get(key)
            if found is not None:
                self.rows.move_to_end(key)
            return found

    def put(self, key: bytes, scores: NDArray[np.float64]) -> None:
        scores.setflags(write=False)
        with self.lock:
            self.rows[key] = scores
            self.rows.move_to_end(key)
            while len(self.rows) > self.size:
                self.rows.popitem(last=False)


_text_cache = _TextScoreCache(size=64)


def text_scores(
    seekers: Sequence[SeekerRecord],
    peers: PeerPool | Sequence[PeerRecord],
    model_name: str | None = None,
) -> NDArray[np.float64]:
    """Similarity (S, N) in 0..1 between what each seeker is facing and what each peer
    has been through; zeros where either side wrote nothing. The model is the
    deployment's MATCHING_TEXT_MODEL ("tfidf" by default, or "semantic")."""
    model_name = model_name or settings.MATCHING_TEXT_MODEL
    seeker_texts = [s.text for s in seekers]
    peer_texts = _texts(peers)
    scores = np.zeros((len(seeker_texts), len(peer_texts)), dtype=np.float64)
    if not any(t.strip() for t in seeker_texts) or not any(t.strip() for t in peer_texts):
        return scores
    key = _TextScoreCache.key(model_name, seeker_texts, peer_texts)
    if len(seeker_texts) == 1 and (kept := _text_cache.get(key)) is not None:
        return kept.copy()
    found = np.asarray(
        text_model(model_name).similarity(seeker_texts, peer_texts), dtype=np.float64
    )
    scores[:, :] = np.clip(np.nan_to_num(found, nan=0.0), 0.0, 1.0)
    if len(seeker_texts) == 1:
        _text_cache.put(key, scores.copy())
    return scores
