"""The demo's matching (issue 5): each programme's match settings from the seed presets,
a match for every participant the demo shows as matched or active (and for the matches
behind their history: completed, ended early, a re-match with its previous peer, a
declined offer), a few wishes, offers awaiting the peer's answer (one overdue), a choice
link answered and one still open, a draft batch run to review, playbooks applied and
scanned once, and some check-ins answered.

Matches for the enrolments walked by demo_intake follow each enrolment's own history:
every change to "matched" is a peer accepting, "active" the match becoming active,
"completed", "withdrawn" and a return to the waiting list its end. Live matches go to
peers the workforce says may take one (`standings`), chosen by the matching engine and
the batch solver within each peer's room, each holding one "match:<id>" reservation.
They are bulk inserts, audited per actor; the newer pieces (offers, choice, the batch
run, playbooks, check-ins) go through the services.

Loaded once by load_demo() after the workforce; seeded, synthetic, and silent."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from random import Random

import numpy as np
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from peerbridge.core.audit import Action, audit_many
from peerbridge.core.models import User
from peerbridge.followups.models import Action as RuleAction
from peerbridge.followups.models import Playbook, Role, WorkItem
from peerbridge.followups.presets import preset_apply
from peerbridge.followups.scan import scan
from peerbridge.matching import batch, engine, lifecycle, loading, suggestions
from peerbridge.matching.batch_runs import batch_run_create, waiting_list
from peerbridge.matching.check_ins import check_in_record
from peerbridge.matching.choice import choice_pick, choice_send, may_email
from peerbridge.matching.configuration import preferences_update, settings_update
from peerbridge.matching.models import (
    WORKING_STATUSES,
    BatchRun,
    ChoiceInvitation,
    DeclineReason,
    EndReason,
    Match,
    MatchCheckIn,
    MatchStatus,
    MatchStatusChange,
    Preset,
)
from peerbridge.organisations.models import Organisation, Programme, Site
from peerbridge.people.models import Person
from peerbridge.referrals.models import Enrolment, EnrolmentStatus, EnrolmentStatusChange
from peerbridge.web.demo_cohorts import SEED
from peerbridge.web.demo_workforce_peers import audit_created
from peerbridge.workforce.models import CapacityReservation, PeerProfile

M = MatchStatus
S = EnrolmentStatus
day_delta = datetime.timedelta

PRESETS: dict[str, str] = {
    "d": Preset.RARE_ISSUES,
    "e": Preset.ISSUES_FIRST,
    "f": Preset.SURGERY_FIRST,
    "h": Preset.LANGUAGE_CULTURE,
}
PLAYBOOKS: dict[str, str] = {
    "b": "crisis_transition",  # the mental health programme
    "c": "before_discharge",
    "d": "parent_to_parent",
}
PLAYBOOK_AGE_DAYS = 70  # the playbooks have been in use this long
PERSONA_LOAD = 2  # live matches the persona peers (peer.X, peer2.X) carry at most
DECLINED_SHARE = 0.1  # live matches with an earlier declined offer
CANDIDATES = 10
BATCH_LETTER = "a"
CHECK_IN_WORRY = (
    "Our calls keep falling through. Someone with more evening time might suit them better."
)


@dataclass(eq=False)
class Stint:
    """One match in an enrolment's history, from the peer accepting to its end (or
    still live), and the row written for it."""

    letter: str
    enrolment: Enrolment
    waited: datetime.datetime | None
    accepted: datetime.datetime
    active: datetime.datetime | None = None
    closed: datetime.datetime | None = None
    ending: str = ""  # "completed", "withdrew", "back" (to the waiting list) or "" (live)
    previous: Stint | None = None
    profile: PeerProfile | None = None
    score: float | None = None
    reasons: list[str] = field(default_factory=list)
    match: Match | None = None
    declined: Match | None = None  # an earlier offer that another peer declined

    @property
    def live(self) -> bool:
        return not self.ending


@dataclass
class Scene:
    programmes: dict[str, Programme]
    staff: dict[str, User]
    now: datetime.datetime
    rng: Random
    profiles: dict[str, list[PeerProfile]]
    personas: set[int]  # the persona peers' user ids

    def coordinator(self, letter: str) -> User:
        return self.staff[f"coordinator.{letter}"]

    def ago(self, low: float, high: float) -> datetime.datetime:
        return self.now - day_delta(days=self.rng.uniform(low, high))


# ---------------------------------------------------------------------------------------
# Entry points


def demo_matching_loaded(programmes: Iterable[Programme]) -> bool:
    """The demo's matching is loaded once: a match in its programmes marks it."""
    return Match.objects.filter(programme__in=list(programmes)).exists()


def load_demo_matching_for(
    *,
    organisation: Organisation,
    programmes: dict[str, Programme],
    staff: dict[str, User],
    sites: dict[str, Site],
) -> None:
    """Called by load_demo() after the workforce: everything about matching, once."""
    del organisation, sites  # the same signature as the other demo loaders
    if demo_matching_loaded(programmes.values()) or not programmes:
        return
    profiles: dict[str, list[PeerProfile]] = defaultdict(list)
    letter_of = {programme.pk: letter for letter, programme in programmes.items()}
    for profile in (
        PeerProfile.objects.filter(programme__in=list(programmes.values()))
        .select_related("person__user")
        .order_by("pk")
    ):
        profiles[letter_of[profile.programme_id]].append(profile)
    personas = {
        staff[f"{prefix}.{letter}"].pk
        for letter in programmes
        for prefix in ("peer", "peer2")
        if f"{prefix}.{letter}" in staff
    }
    scene = Scene(
        programmes=programmes,
        staff=staff,
        now=timezone.now(),
        rng=Random(SEED + 5),  # noqa: S311  (seeded demo data, not security)
        profiles=profiles,
        personas=personas,
    )
    load_demo_matching(scene)


def load_demo_matching(scene: Scene) -> None:
    _settings(scene)
    _cultures(scene)
    stints = _stints(scene)
    _past_peers(scene, stints)
    for letter in scene.programmes:
        _live_peers(scene, [s for s in stints if s.letter == letter and s.live])
    _declines(scene, stints)
    _write(scene, stints)
    _wishes(scene)
    _offers(scene)
    _rematch(scene)
    _choices(scene)
    _batch_run(scene)
    _playbooks(scene)


# ---------------------------------------------------------------------------------------
# Settings and what the engine reads


def _settings(scene: Scene) -> None:
    for letter, programme in scene.programmes.items():
        data: dict[str, object] = {"preset": PRESETS.get(letter, Preset.GENERAL)}
        if letter == "d":
            data["favour_longest_waiting"] = True  # parents wait long for rare conditions
        settings_update(programme=programme, data=data, actor=scene.staff.get(f"leader.{letter}"))


def _cultures(scene: Scene) -> None:
    """In the HIV programme, where culture counts, people's own words on their
    background become their cultural group."""
    programme = scene.programmes.get("h")
    if programme is None:
        return
    ids = set(Enrolment.objects.filter(programme=programme).values_list("person_id", flat=True))
    ids |= {profile.person_id for profile in scene.profiles.get("h", [])}
    people = [
        person
        for person in Person.objects.filter(pk__in=ids).only("pk", "cultural_background")
        if person.cultural_background
    ]
    for person in people:
        person.cultural_groups = [person.cultural_background]
    Person.objects.bulk_update(people, ["cultural_groups"], batch_size=500)
    audit_many(
        actor=scene.coordinator("h"),
        action=Action.UPDATE,
        object_type=Person._meta.label_lower,
        object_ids=[person.pk for person in people],
    )


# ---------------------------------------------------------------------------------------
# The matches behind each enrolment's history


def _stints(scene: Scene) -> list[Stint]:
    letter_of = {programme.pk: letter for letter, programme in scene.programmes.items()}
    enrolments = {
        enrolment.pk: enrolment
        for enrolment in Enrolment.objects.filter(
            programme__in=list(scene.programmes.values())
        ).select_related("person", "programme")
    }
    changes: dict[int, list[tuple[str, datetime.datetime]]] = defaultdict(list)
    for enrolment_id, status, at in (
        EnrolmentStatusChange.objects.filter(enrolment_id__in=list(enrolments))
        .order_by("enrolment_id", "changed_at", "pk")
        .values_list("enrolment_id", "to_status", "changed_at")
    ):
        changes[enrolment_id].append((status, at))
    stints: list[Stint] = []
    for enrolment_id, history in changes.items():
        enrolment = enrolments[enrolment_id]
        letter = letter_of[enrolment.programme_id]
        mine: list[Stint] = []
        waited: datetime.datetime | None = None
        current: Stint | None = None
        for status, at in history:
            if status == S.MATCHED:
                previous = mine[-1] if mine else None
                current = Stint(letter, enrolment, waited, at, previous=previous)
                mine.append(current)
            elif current is not None and status == S.ACTIVE:
                current.active = at
            elif current is not None and status in (S.WAITING, S.COMPLETED, S.WITHDRAWN):
                current.closed = at
                endings: dict[str, str] = {S.WAITING: "back", S.COMPLETED: "completed"}
                current.ending = endings.get(status, "withdrew")
                current = None
            if status == S.WAITING:
                waited = at
        if current is not None and enrolment.status not in (S.MATCHED, S.ACTIVE):
            mine.remove(current)  # a history the demo does not tell as a match
        stints += mine
    return stints


def _was_working(profile: PeerProfile, start: datetime.date, end: datetime.date) -> bool:
    return (
        profile.activated_on is not None
        and profile.activated_on <= start
        and (profile.left_on is None or profile.left_on >= end)
    )


def _past_peers(scene: Scene, stints: list[Stint]) -> None:
    """Matches that are over went to a peer who was working then."""
    for stint in sorted(stints, key=lambda s: s.accepted):
        if stint.live:
            continue
        start = timezone.localdate(stint.accepted)
        end = timezone.localdate(stint.closed or scene.now)
        avoid = _avoided(stint)
        pool = [
            p
            for p in scene.profiles.get(stint.letter, [])
            if _was_working(p, start, end) and p.pk not in avoid
        ]
        stint.profile = scene.rng.choice(pool) if pool else None


def _avoided(stint: Stint) -> set[int]:
    """Peers of this participant's earlier matches: none of them is matched again."""
    avoid: set[int] = set()
    earlier = stint.previous
    while earlier is not None:
        if earlier.profile is not None:
            avoid.add(earlier.profile.pk)
        earlier = earlier.previous
    return avoid


def _live_peers(scene: Scene, stints: list[Stint]) -> None:
    """Live matches: each persona peer (peer.X, peer2.X) first supports the participant
    who suits them best, then the batch solver assigns the rest optimally over the
    engine's candidates, within each eligible peer's room. A pair the history cannot
    have (the peer became available later) goes to the participant's best-ranked peer
    who can."""
    if not stints:
        return
    programme = scene.programmes[stints[0].letter]
    pool = loading.peer_pool(programme)
    table = pool.table()
    policy = loading.programme_policy(programme)
    seekers = [
        replace(seeker, excluded=seeker.excluded | frozenset(_avoided(stint)))
        for seeker, stint in zip(
            loading.seeker_records([s.enrolment for s in stints]), stints, strict=True
        )
    ]
    labels = loading.seeker_labels(pool.labels, seekers)
    text = None
    if policy.weight("text") > 0 and pool.records:
        text = np.asarray(loading.text_scores(seekers, pool), dtype=np.float64)
    ranked = [
        engine.suggest(
            seeker,
            table,
            policy,
            labels=labels,
            k=max(1, len(table)),
            text_scores=None if text is None else text[index],
        )
        for index, seeker in enumerate(seekers)
    ]
    by_pk = {profile.pk: profile for profile in pool.profiles}
    room = {
        profile.pk: _room(scene, record, profile)
        for record, profile in zip(pool.records, pool.profiles, strict=True)
    }
    starts = [timezone.localdate(stint.accepted) for stint in stints]

    def fits(index: int) -> list[int]:
        return [
            s.peer_id
            for s in ranked[index].suggestions
            if room.get(s.peer_id, 0) > 0
            and _was_working(by_pk[s.peer_id], starts[index], starts[index])
        ]

    taken: dict[int, int] = {}  # stint index: profile id
    for profile in pool.profiles:
        if profile.person.user_id not in scene.personas:
            continue
        best = max(
            (
                (s.score, -index)
                for index in range(len(stints))
                if index not in taken and profile.pk in fits(index)
                for s in ranked[index].suggestions
                if s.peer_id == profile.pk
            ),
            default=None,
        )
        if best is not None:
            taken[-best[1]] = profile.pk
            room[profile.pk] -= 1
    rest = [index for index in range(len(stints)) if index not in taken]
    if rest:
        graph = engine.candidate_graph(
            [seekers[index] for index in rest],
            table,
            policy,
            top_k=CANDIDATES,
            text_scores=None if text is None else text[rest],
        )
        capacities = np.array([room[p.pk] for p in pool.profiles], dtype=np.int64)
        assignment = batch.solve(graph, capacities)
        for position, index in enumerate(rest):
            row = int(assignment.peer_of_seeker[position])
            chosen: int | None = pool.profiles[row].pk if row >= 0 else None
            possible = fits(index)
            if chosen is None or chosen not in possible:
                chosen = possible[0] if possible else _any_with_room(room, by_pk, starts[index])
            if chosen is not None:
                taken[index] = chosen
                room[chosen] -= 1
    loaded = {profile.pk: profile for profile in scene.profiles.get(stints[0].letter, [])}
    for index, chosen in taken.items():
        stint, result = stints[index], ranked[index]
        stint.profile = loaded.get(chosen, by_pk[chosen])
        for suggestion in result.suggestions:
            if suggestion.peer_id == chosen:
                stint.score = round(float(suggestion.score), 2)
                lead = [result.fallback.text(gettext)] if result.fallback is not None else []
                stint.reasons = lead + [reason.text(gettext) for reason in suggestion.reasons]


def _room(scene: Scene, record: engine.PeerRecord, profile: PeerProfile) -> int:
    if not record.eligible:
        return 0
    if profile.person.user_id in scene.personas:
        return min(record.remaining, PERSONA_LOAD)
    return record.remaining


def _any_with_room(
    room: dict[int, int], by_pk: dict[int, PeerProfile], start: datetime.date
) -> int | None:
    for pk, left in room.items():
        if left > 0 and _was_working(by_pk[pk], start, start):
            return pk
    return None


def _declines(scene: Scene, stints: list[Stint]) -> None:
    """Before a few live matches, another peer was offered the participant first and
    declined; that peer is not suggested to them again."""
    live = [s for s in stints if s.live and s.profile is not None and s.waited is not None]
    chosen = [s for s in live if scene.rng.random() < DECLINED_SHARE] or live[:1]
    for stint in chosen:
        if stint.waited is None or stint.profile is None:
            continue
        if stint.accepted - stint.waited < day_delta(days=2):
            continue
        start = timezone.localdate(stint.waited)
        pool = [
            p
            for p in scene.profiles.get(stint.letter, [])
            if p.pk != stint.profile.pk
            and p.pk not in _avoided(stint)
            and _was_working(p, start, start)
        ]
        if pool:
            stint.declined = Match(profile=scene.rng.choice(pool))


# ---------------------------------------------------------------------------------------
# Writing the matches, their history and the reservations


@dataclass
class Rows:
    matches: list[Match] = field(default_factory=list)
    changes: list[tuple[Match, list[MatchStatusChange]]] = field(default_factory=list)
    stints: list[Stint] = field(default_factory=list)


def _change(to: str, at: datetime.datetime, by: User | None, reason: str = "") -> MatchStatusChange:
    return MatchStatusChange(to_status=to, reason=reason, changed_at=at, changed_by=by)


def _peer_user(profile: PeerProfile, fallback: User) -> User:
    user = profile.person.user
    return user if user is not None else fallback


def _offered(
    scene: Scene, stint: Stint, accepted: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    """When the match was made and offered: shortly before the peer accepted, after
    the participant was put on the waiting list."""
    lower = stint.waited or accepted - day_delta(days=3)
    gap = accepted - lower
    offered = accepted - min(gap * 0.6, day_delta(days=scene.rng.uniform(0.2, 2.0)))
    made = offered - min(gap * 0.2, day_delta(minutes=scene.rng.uniform(5, 40)))
    return made, offered


def _stages(scene: Scene, stint: Stint) -> list[tuple[str, datetime.datetime]]:
    """After acceptance: introduced, first contact, active, and the end, in order."""
    rng, accepted = scene.rng, stint.accepted
    end = stint.active or stint.closed or scene.now
    span = end - accepted
    stages: list[tuple[str, datetime.datetime]] = []
    if stint.active is not None:
        stages.append((M.INTRODUCED, accepted + span * rng.uniform(0.1, 0.3)))
        stages.append((M.FIRST_CONTACT, accepted + span * rng.uniform(0.4, 0.8)))
        stages.append((M.ACTIVE, stint.active))
    elif span > day_delta(days=2) and not (stint.live and rng.random() < 0.2):
        # A few matched participants still wait to be introduced.
        stages.append((M.INTRODUCED, accepted + min(span * 0.3, day_delta(days=2))))
        if span > day_delta(days=5) and rng.random() < 0.7:
            stages.append((M.FIRST_CONTACT, accepted + span * rng.uniform(0.4, 0.8)))
    if stint.ending == "completed":
        stages.append((M.COMPLETED, stint.closed or scene.now))
    elif stint.ending:
        stages.append((M.ENDED, stint.closed or scene.now))
    return stages


def _end_reason(scene: Scene, stint: Stint, unfit: bool) -> str:
    if stint.ending == "withdrew":
        return EndReason.PARTICIPANT_WITHDREW
    if stint.ending != "back":
        return ""
    if unfit:
        return EndReason.NOT_A_FIT
    return scene.rng.choice([EndReason.NOT_A_FIT, EndReason.PEER_UNAVAILABLE])


def _match_rows(scene: Scene, stint: Stint, unfit: bool, respond_days: int) -> Rows:
    rows = Rows()
    if stint.profile is None:
        return rows
    coordinator = scene.coordinator(stint.letter)
    peer = _peer_user(stint.profile, coordinator)
    made, offered = _offered(scene, stint, stint.accepted)
    if stint.declined is not None and stint.waited is not None:
        declined_made = stint.waited + (made - stint.waited) * 0.2
        declined_at = stint.waited + (made - stint.waited) * 0.6
        first = stint.declined
        first.programme = scene.programmes[stint.letter]
        first.enrolment = stint.enrolment
        first.status = M.DECLINED
        first.status_changed_at = declined_at
        first.source = Match.Source.SUGGESTION
        first.offered_at = declined_made
        first.respond_by = declined_made + day_delta(days=respond_days)
        first.closed_at = declined_at
        first.decline_reason = scene.rng.choice([DeclineReason.NO_ROOM, DeclineReason.TOO_CLOSE])
        first.created_by = coordinator
        first.created_at = declined_made
        by = _peer_user(first.profile, coordinator)
        rows.matches.append(first)
        rows.changes.append(
            (
                first,
                [
                    _change(M.PROPOSED, declined_made, coordinator, Match.Source.SUGGESTION),
                    _change(M.OFFERED, declined_made, coordinator),
                    _change(M.DECLINED, declined_at, by, first.decline_reason),
                ],
            )
        )
    source = Match.Source.SUGGESTION
    if (stint.live and not stint.reasons) or scene.rng.random() < 0.2:
        source = Match.Source.MANUAL  # the coordinator chose the peer themself
    end_reason = _end_reason(scene, stint, unfit)
    changes = [
        _change(M.PROPOSED, made, coordinator, source),
        _change(M.OFFERED, offered, coordinator),
        _change(M.ACCEPTED, stint.accepted, peer),
    ]
    match = Match(
        programme=scene.programmes[stint.letter],
        enrolment=stint.enrolment,
        profile=stint.profile,
        source=source,
        score=stint.score,
        reasons=stint.reasons,
        offered_at=offered,
        respond_by=offered + day_delta(days=respond_days),
        accepted_at=stint.accepted,
        end_reason=end_reason,
        created_by=coordinator,
        created_at=made,
    )
    for status, at in _stages(scene, stint):
        by = peer if status == M.FIRST_CONTACT and scene.rng.random() < 0.5 else coordinator
        changes.append(_change(status, at, by, end_reason if status == M.ENDED else ""))
        field_name = lifecycle.STAGE_TIMES[status]
        setattr(match, field_name, at)
    match.status = changes[-1].to_status
    match.status_changed_at = changes[-1].changed_at
    stint.match = match
    rows.matches.append(match)
    rows.changes.append((match, changes))
    rows.stints.append(stint)
    return rows


def _write(scene: Scene, stints: list[Stint]) -> None:
    respond = {
        letter: lifecycle.offer_response_days(programme.pk)
        for letter, programme in scene.programmes.items()
    }
    # Not a fit: a match followed by a re-match, and the first of those that sent the
    # participant back to the waiting list (the demo offers them someone new).
    unfit = {id(stint.previous) for stint in stints if stint.previous is not None}
    back = [s for s in stints if s.ending == "back" and s.enrolment.status == S.WAITING]
    if back:
        unfit.add(id(min(back, key=lambda s: (s.accepted, s.enrolment.pk))))
    rows = Rows()
    for stint in sorted(stints, key=lambda s: (s.accepted, s.enrolment.pk)):
        if stint.profile is None:
            continue
        part = _match_rows(scene, stint, id(stint) in unfit, respond[stint.letter])
        rows.matches += part.matches
        rows.changes += part.changes
        rows.stints += part.stints
    Match.objects.bulk_create(rows.matches, batch_size=500)
    for stint in rows.stints:
        earlier = stint.previous
        while earlier is not None and (earlier.match is None or earlier.match.status != M.ENDED):
            earlier = earlier.previous
        if stint.match is not None and earlier is not None and earlier.match is not None:
            stint.match.previous = earlier.match
    Match.objects.bulk_update([s.match for s in rows.stints if s.match], ["previous"])
    history: list[MatchStatusChange] = []
    reservations: list[CapacityReservation] = []
    for match, changes in rows.changes:
        previous_status = ""
        for change in changes:
            change.match = match
            change.from_status = previous_status
            previous_status = change.to_status
            history.append(change)
        live = match.status in {M.ACCEPTED, M.INTRODUCED, M.FIRST_CONTACT, M.ACTIVE}
        reservations.append(
            CapacityReservation(
                profile=match.profile,
                kind=CapacityReservation.Kind.MATCH,
                reference=match.reference,
                reserved_at=match.created_at,
                reserved_by=match.created_by,
                released_at=None if live else match.status_changed_at,
                released_by=None if live else changes[-1].changed_by,
            )
        )
    MatchStatusChange.objects.bulk_create(history, batch_size=1000)
    CapacityReservation.objects.bulk_create(reservations, batch_size=500)
    audit_created([(match.created_by, match) for match in rows.matches])
    audit_created([(r.reserved_by, r) for r in reservations])


# ---------------------------------------------------------------------------------------
# Through the services: wishes, offers, choice, a batch run


def _free(programme: Programme) -> list[Enrolment]:
    """Waiting participants with no match under way and no open choice link."""
    open_links = ChoiceInvitation.objects.filter(
        status=ChoiceInvitation.Status.OPEN, expires_at__gt=timezone.now()
    ).values("enrolment_id")
    return list(waiting_list(programme).exclude(pk__in=open_links))


def _wishes(scene: Scene) -> None:
    """A language need (HIV programme), a gender wish (programme F) and meeting in
    person nearby (programme A)."""
    h, f, a = (scene.programmes.get(letter) for letter in "hfa")
    if h is not None:
        spoken = {
            code
            for profile in scene.profiles.get("h", [])
            if profile.status == PeerProfile.Status.ACTIVE
            for code in profile.person.languages or []
        }
        for enrolment in _free(h):
            other = [c for c in enrolment.person.languages or [] if c != "en" and c in spoken]
            if other:
                preferences_update(
                    enrolment=enrolment,
                    data={"language": other[0], "language_required": True},
                    actor=scene.coordinator("h"),
                )
                break
    if f is not None:
        for enrolment in _free(f):
            if enrolment.person.gender == Person.Gender.WOMAN:
                preferences_update(
                    enrolment=enrolment,
                    data={"peer_gender": Person.Gender.WOMAN, "gender_required": False},
                    actor=scene.coordinator("f"),
                )
                break
    if a is not None and "in_person" in (a.modalities or []):
        for enrolment in _free(a):
            if enrolment.person.latitude is not None:
                preferences_update(
                    enrolment=enrolment,
                    data={"modalities": ["in_person"], "max_distance_km": 15},
                    actor=scene.coordinator("a"),
                )
                break


def _shift(match: Match, to: datetime.datetime) -> None:
    """Move a match made just now by the services back in time, whole."""
    if match.offered_at is None:
        return
    delta = match.offered_at - to
    Match.objects.filter(pk=match.pk).update(
        created_at=F("created_at") - delta,
        status_changed_at=F("status_changed_at") - delta,
        offered_at=F("offered_at") - delta,
        respond_by=F("respond_by") - delta,
    )
    Match.objects.filter(pk=match.pk, closed_at__isnull=False).update(
        closed_at=F("closed_at") - delta
    )
    MatchStatusChange.objects.filter(match=match).update(changed_at=F("changed_at") - delta)
    CapacityReservation.objects.filter(reference=match.reference).update(
        reserved_at=F("reserved_at") - delta
    )
    CapacityReservation.objects.filter(reference=match.reference, released_at__isnull=False).update(
        released_at=F("released_at") - delta
    )


def _offer(
    scene: Scene,
    letter: str,
    enrolment: Enrolment,
    at: datetime.datetime,
    *,
    peer_user: User | None = None,
) -> Match | None:
    """Offer the participant their best suggestion (or a given peer among them) who was
    available by `at`, and put the offer at that moment."""
    page = suggestions.suggest_for(enrolment, k=suggestions.MAX_SUGGESTIONS)
    day = timezone.localdate(at)
    picks = [
        s
        for s in page.suggestions
        if (peer_user is None or s.profile.person.user_id == peer_user.pk)
        and s.profile.activated_on is not None
        and s.profile.activated_on <= day
    ]
    if not picks:
        return None
    pick = picks[0]
    lead = [page.fallback] if page.fallback else []
    try:
        match = lifecycle.match_create(
            enrolment=enrolment,
            profile=pick.profile,
            source=Match.Source.SUGGESTION,
            actor=scene.coordinator(letter),
            score=float(pick.score),
            reasons=(lead + list(pick.reasons))[: lifecycle.REASONS_MAX],
        )
    except ValidationError:
        return None
    _shift(match, at)
    match.refresh_from_db()
    return match


def _offers(scene: Scene) -> None:
    """Offers awaiting the peer's answer: one to the peer.a login, one overdue (D), one
    declined then offered to the next peer (F), one in the participant's language (H)."""
    if "a" in scene.programmes and "peer.a" in scene.staff:
        for enrolment in _free(scene.programmes["a"])[1:]:
            at = scene.ago(0.3, 0.8)
            if _offer(scene, "a", enrolment, at, peer_user=scene.staff["peer.a"]):
                break
    if "d" in scene.programmes:
        days = lifecycle.offer_response_days(scene.programmes["d"].pk)
        for enrolment in _free(scene.programmes["d"]):
            if _offer(scene, "d", enrolment, scene.now - day_delta(days=days + 2, hours=3)):
                break
    if "f" in scene.programmes:
        for enrolment in _free(scene.programmes["f"])[1:]:
            first = _offer(scene, "f", enrolment, scene.now - day_delta(days=4))
            if first is None:
                continue
            declined = lifecycle.match_decline(
                first,
                reason=DeclineReason.TOO_CLOSE,
                note="",
                actor=_peer_user(first.profile, scene.coordinator("f")),
            )
            _retime(declined, {M.DECLINED: scene.ago(3.0, 3.5)})
            _offer(scene, "f", enrolment, scene.ago(1.0, 1.5))
            break
    if "h" in scene.programmes:
        wished = Enrolment.objects.filter(
            programme=scene.programmes["h"], match_preferences__language_required=True
        ).first()
        if wished is not None:
            _offer(scene, "h", wished, scene.ago(0.5, 1.5))


def _rematch(scene: Scene) -> None:
    """A participant whose match ended as not a fit is matched again: offered the best
    peer now (the earlier one is never suggested again), accepted and introduced. The
    new match links to the one that ended."""
    letter_of = {programme.pk: letter for letter, programme in scene.programmes.items()}
    ended = Match.objects.filter(
        programme__in=list(scene.programmes.values()),
        status=M.ENDED,
        end_reason=EndReason.NOT_A_FIT,
        enrolment__status=S.WAITING,
    ).order_by("closed_at", "pk")
    for old in ended.select_related("enrolment__programme"):
        letter = letter_of[old.programme_id]
        if old.closed_at is None or old.enrolment not in _free(old.enrolment.programme):
            continue
        span = scene.now - old.closed_at
        times: dict[str, datetime.datetime] = {
            M.PROPOSED: old.closed_at + span * 0.45,
            M.OFFERED: old.closed_at + span * 0.5,
            M.ACCEPTED: old.closed_at + span * 0.65,
            M.INTRODUCED: old.closed_at + span * 0.8,
        }
        match = _offer(scene, letter, old.enrolment, times[M.OFFERED])
        if match is None:
            continue
        coordinator = scene.coordinator(letter)
        lifecycle.match_accept(match, actor=_peer_user(match.profile, coordinator))
        lifecycle.match_introduce(match, actor=coordinator)
        _retime(match, times)
        return


def _retime(match: Match, times: dict[str, datetime.datetime]) -> None:
    """Put the steps of a match the services just took (and the participant's move to
    matched) at the moments they happened."""
    for status, at in times.items():
        MatchStatusChange.objects.filter(match=match, to_status=status).update(changed_at=at)
    stamps = {lifecycle.STAGE_TIMES[s]: at for s, at in times.items() if s in lifecycle.STAGE_TIMES}
    if M.OFFERED in times:
        respond = lifecycle.offer_response_days(match.programme_id)
        stamps["respond_by"] = times[M.OFFERED] + day_delta(days=respond)
    if M.PROPOSED in times:
        stamps["created_at"] = times[M.PROPOSED]
        CapacityReservation.objects.filter(reference=match.reference).update(
            reserved_at=times[M.PROPOSED]
        )
    if match.closed_at is not None and "closed_at" in stamps:
        CapacityReservation.objects.filter(
            reference=match.reference, released_at__isnull=False
        ).update(released_at=stamps["closed_at"])
    Match.objects.filter(pk=match.pk).update(status_changed_at=max(times.values()), **stamps)
    if M.ACCEPTED in times:
        moved = EnrolmentStatusChange.objects.filter(
            enrolment_id=match.enrolment_id, to_status=S.MATCHED
        ).order_by("-changed_at", "-pk")[:1]
        EnrolmentStatusChange.objects.filter(
            pk__in=list(moved.values_list("pk", flat=True))
        ).update(changed_at=times[M.ACCEPTED])
        Enrolment.objects.filter(pk=match.enrolment_id).update(status_changed_at=times[M.ACCEPTED])


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def _choices(scene: Scene) -> None:
    """A choice link answered (the participant picked a peer, now offered) in the HIV
    programme, and one still open in programme E."""
    for letter, answered in (("h", True), ("e", False)):
        programme = scene.programmes.get(letter)
        if programme is None:
            continue
        free = _free(programme)
        for enrolment in sorted(free, key=lambda e: bool(may_email(e))):
            try:
                sent = choice_send(enrolment=enrolment, actor=scene.coordinator(letter))
            except ValidationError:
                continue
            sent_at = scene.ago(1.5, 2.5) if answered else scene.ago(0.5, 1.0)
            invitation = sent.invitation
            ChoiceInvitation.objects.filter(pk=invitation.pk).update(
                created_at=sent_at,
                expires_at=sent_at + (invitation.expires_at - invitation.created_at),
            )
            if answered and sent.link:
                answered_at = sent_at + day_delta(hours=scene.rng.uniform(3, 20))
                shown = [entry["profile"] for entry in invitation.shown]
                activated = dict(
                    PeerProfile.objects.filter(pk__in=shown).values_list("pk", "activated_on")
                )
                day = timezone.localdate(answered_at)
                able = [pk for pk in shown if (activated.get(pk) or day) <= day] or shown
                pick = able[min(1, len(able) - 1)]  # not always the first one shown
                done = choice_pick(token=_token(sent.link), profile_id=pick)
                ChoiceInvitation.objects.filter(pk=done.pk).update(responded_at=answered_at)
                if done.match is not None:
                    _shift(done.match, answered_at)
            break


def _batch_run(scene: Scene) -> None:
    """A draft batch run for programme A's waiting list, for the coordinator to review."""
    programme = scene.programmes.get(BATCH_LETTER)
    if programme is None:
        return
    try:
        run = batch_run_create(programme=programme, actor=scene.coordinator(BATCH_LETTER))
    except ValidationError:
        return
    BatchRun.objects.filter(pk=run.pk).update(created_at=scene.ago(0.1, 0.3))


# ---------------------------------------------------------------------------------------
# Playbooks, the scan, the work done and the check-ins


def _playbooks(scene: Scene) -> None:
    made = [
        preset_apply(
            programme=scene.programmes[letter],
            key=key,
            actor=scene.staff.get(f"leader.{letter}"),
        )
        for letter, key in PLAYBOOKS.items()
        if letter in scene.programmes
    ]
    if not made:
        return
    Playbook.objects.filter(pk__in=[p.pk for p in made]).update(
        created_at=scene.now - day_delta(days=PLAYBOOK_AGE_DAYS)
    )
    scan(today=timezone.localdate(scene.now))
    _work_done(scene)
    _check_ins(scene)


def _work_done(scene: Scene) -> None:
    """Most items long past their window were done on time (a reminder that could not
    be emailed, by a call instead); a few were not."""
    today = timezone.localdate(scene.now)
    letter_of = {programme.pk: letter for letter, programme in scene.programmes.items()}
    items = list(
        WorkItem.objects.filter(
            programme__in=list(scene.programmes.values()),
            status__in=[WorkItem.Status.OPEN, WorkItem.Status.FAILED],
            overdue_on__lt=today - day_delta(days=7),
        )
        .select_related("match")
        .order_by("pk")
    )
    done: list[WorkItem] = []
    answered: list[MatchCheckIn] = []
    for item in items:
        if scene.rng.random() < 0.15:
            continue  # still overdue
        coordinator = scene.coordinator(letter_of[item.programme_id])
        window = max((item.overdue_on - item.due_on).days, 0)
        day = item.due_on + day_delta(days=scene.rng.randint(0, window))
        hour = datetime.time(scene.rng.randint(9, 17), scene.rng.choice((0, 15, 30, 45)))
        item.completed_at = timezone.make_aware(datetime.datetime.combine(day, hour))
        item.completed_by = item.assignee if item.role != Role.COORDINATOR else coordinator
        item.completed_by = item.completed_by or coordinator
        item.status = WorkItem.Status.DONE
        if item.action == RuleAction.CHECK_IN and item.match is not None:
            item.outcome = {
                "side": MatchCheckIn.Side.PARTICIPANT,
                "first_call": True,
                "comfortable": True,
                "match_ended": False,
            }
            for check_in in MatchCheckIn.objects.filter(match=item.match, answered_at__isnull=True):
                check_in.comfortable, check_in.wants_change = True, False
                check_in.answered_at, check_in.recorded_by = item.completed_at, coordinator
                answered.append(check_in)
        done.append(item)
    fields = ["status", "outcome", "completed_at", "completed_by"]
    WorkItem.objects.bulk_update(done, fields, batch_size=500)
    MatchCheckIn.objects.bulk_update(
        answered, ["comfortable", "wants_change", "answered_at", "recorded_by"], batch_size=500
    )
    audit_updated(done)
    audit_updated(answered)


def audit_updated(rows: Sequence[WorkItem | MatchCheckIn]) -> None:
    audit_created(
        [(row.completed_by if isinstance(row, WorkItem) else row.recorded_by, row) for row in rows],
        action=Action.UPDATE,
    )


def _check_ins(scene: Scene) -> None:
    """Programme D's coordinator called after the first weeks: both sides comfortable in
    one match, one side in another; in a third the support parent is not comfortable
    (the item goes to the top of the queue)."""
    programme = scene.programmes.get("d")
    if programme is None:
        return
    coordinator = scene.coordinator("d")
    open_items = WorkItem.objects.filter(
        programme=programme,
        action=RuleAction.CHECK_IN,
        status=WorkItem.Status.OPEN,
        match__status__in=sorted(WORKING_STATUSES),
    ).order_by("due_on", "pk")
    matches = [item.match for item in open_items if item.match is not None]
    if len(matches) < 3:
        working = Match.objects.filter(programme=programme, status__in=sorted(WORKING_STATUSES))
        matches += [m for m in working.order_by("-accepted_at", "pk") if m not in matches]
    answers = [
        (MatchCheckIn.Side.PARTICIPANT, True, ""),
        (MatchCheckIn.Side.PEER, True, ""),
        (MatchCheckIn.Side.PARTICIPANT, True, ""),
        (MatchCheckIn.Side.PEER, False, CHECK_IN_WORRY),
    ]
    plan = [(0, answers[0]), (0, answers[1]), (1, answers[2]), (2, answers[3])]
    for index, (side, comfortable, comment) in plan:
        if index >= len(matches):
            break
        check_in_record(
            matches[index],
            side=side,
            comfortable=comfortable,
            wants_change=not comfortable,
            comment=comment,
            actor=coordinator,
        )
