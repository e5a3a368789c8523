"""The benchmark's people: peer supporters ready to take work, participants working,
completed or waiting, and their matches, drawn from one seed."""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bench.pages_programme import DAY, HOUR, Scale, Staff
from bench.pages_writer import Writer

SEED = 20_260_606
WORKING_SHARE, COMPLETED_SHARE = 0.60, 0.20  # the rest are waiting
STALLED_SHARE = 0.08


class Names:
    """Seeded synthetic names: pools drawn once from Faker, combined at random."""

    def __init__(self, rng: random.Random) -> None:
        from faker import Faker

        fake = Faker("en_GB")
        fake.seed_instance(SEED)
        self.rng = rng
        self.given = [fake.first_name() for _ in range(400)]
        self.family = [fake.last_name() for _ in range(600)]

    def pair(self) -> tuple[str, str]:
        return self.rng.choice(self.given), self.rng.choice(self.family)


@dataclass
class Peer:
    profile_id: int
    person_id: int
    caseload: int
    user_id: int | None = None


@dataclass
class Stint:
    """One participant's match: when, with whom, how far it went."""

    enrolment_id: int
    person_id: int
    peer: Peer
    status: str
    accepted_at: datetime.datetime
    first_contact_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    stalled: bool = False
    match_id: int = 0


class Population:
    """The seeded draw of the programme's people: peers ready to take work (training,
    agreements, supervision), participants, and their matches with their history."""

    def __init__(self, scale: Scale, writer: Writer) -> None:
        from django.utils import timezone

        self.scale = scale
        self.writer = writer
        self.rng = random.Random(SEED)  # noqa: S311  (seeded bench data, not security)
        self.names = Names(self.rng)
        self.now = timezone.now()

    def ago(self, days: float) -> datetime.datetime:
        return self.now - datetime.timedelta(days=days)

    def people(self, count: int, organisation_id: int) -> list[int]:
        from peerbridge.people.models import Person

        ids = self.writer.ids(Person, count)
        genders = ["woman", "man", "woman", "man", "non_binary", "not_said"]

        def rows() -> Iterator[Any]:
            for pk in ids:
                given, family = self.names.pair()
                yield Person(
                    pk=pk,
                    organisation_id=organisation_id,
                    given_name=given,
                    family_name=family,
                    gender=self.rng.choice(genders),
                    languages=["en"] if self.rng.random() < 0.85 else ["es", "en"],
                    created_at=self.ago(400),
                    updated_at=self.ago(400),
                )

        self.writer.write(Person, rows())
        return list(ids)

    # --- Peers -----------------------------------------------------------------------

    def peers(self, programme: Any, staff: Staff) -> list[Peer]:
        """Available peers, each with the caseload they will carry (2 to 9 working
        matches, scaled so 60% of participants are in a working match)."""
        from peerbridge.people.models import Person
        from peerbridge.workforce.models import PeerProfile

        scale = self.scale
        person_ids = self.people(scale.peers, programme.site.organisation_id)
        Person.objects.filter(pk=person_ids[0]).update(user=staff.peer)
        target = round(scale.participants * WORKING_SHARE)
        loads = [self.rng.randint(2, 9) for _ in person_ids]
        factor = target / sum(loads)
        loads = [max(1, round(load * factor)) for load in loads]
        short, index = target - sum(loads), 0
        while short:  # spread the rounding over the peers, one match at a time
            step = 1 if short > 0 else -1
            if loads[index % len(loads)] + step >= 1:
                loads[index % len(loads)] += step
                short -= step
            index += 1
        median = sorted(loads)[len(loads) // 2]
        typical = loads.index(median)
        loads[0], loads[typical] = loads[typical], loads[0]  # the login: a typical load
        ids = self.writer.ids(PeerProfile, len(person_ids))
        peers = [
            Peer(pk, person, load) for pk, person, load in zip(ids, person_ids, loads, strict=True)
        ]
        peers[0].user_id = staff.peer.pk

        def rows() -> Iterator[Any]:
            for number, peer in enumerate(peers):
                started = (self.now - self.rng.randint(200, 900) * DAY).date()
                yield PeerProfile(
                    pk=peer.profile_id,
                    person_id=peer.person_id,
                    programme=programme,
                    status=PeerProfile.Status.ACTIVE,
                    alias=self.names.pair()[0],
                    started_on=started,
                    activated_on=started + 60 * DAY,
                    supervisor=staff.supervisors[number % len(staff.supervisors)],
                    max_matches=peer.caseload + self.rng.randint(0, 3),
                    modalities=["telephone", "in_person"],
                    created_at=self.ago(900),
                )

        self.writer.write(PeerProfile, rows())
        self.readiness(programme, peers, staff)
        return peers

    def readiness(self, programme: Any, peers: list[Peer], staff: Staff) -> None:
        """A required module attended, the three agreements signed, recent supervision
        (a tenth overdue) and a few burnout alerts."""
        from peerbridge.workforce.models import (
            AgreementKind,
            AgreementSignature,
            AgreementText,
            TrainingAttendance,
            TrainingModule,
            TrainingSession,
            WellbeingCheckIn,
            WorkforceAlert,
        )

        module = TrainingModule.objects.create(programme=programme, title="Foundations")
        session = TrainingSession.objects.create(
            module=module, starts_at=self.ago(300), trainer="Bench", modality="in_person"
        )
        texts = [
            AgreementText.objects.create(
                programme=programme, kind=kind, version="1", body="Bench wording."
            )
            for kind in AgreementKind.values
        ]
        writer = self.writer
        writer.write(
            TrainingAttendance,
            (
                TrainingAttendance(
                    pk=pk, session=session, person_id=peer.person_id, hours=Decimal("2")
                )
                for pk, peer in zip(writer.ids(TrainingAttendance, len(peers)), peers, strict=True)
            ),
        )
        signature_ids = iter(writer.ids(AgreementSignature, len(peers) * len(texts)))
        writer.write(
            AgreementSignature,
            (
                AgreementSignature(
                    pk=next(signature_ids), profile_id=peer.profile_id, text=text, signed_name="B"
                )
                for peer in peers
                for text in texts
            ),
        )
        self.supervision(programme, peers, staff)
        alerted = peers[1::97]
        checks = writer.ids(WellbeingCheckIn, len(alerted))
        writer.write(
            WellbeingCheckIn,
            (
                WellbeingCheckIn(
                    pk=pk,
                    profile_id=peer.profile_id,
                    kind=WellbeingCheckIn.Kind.CBI,
                    work_score=62.5,
                    client_score=55.0,
                    personal_score=48.0,
                    high=True,
                    completed_at=self.ago(2),
                )
                for pk, peer in zip(checks, alerted, strict=True)
            ),
        )
        alerts = writer.ids(WorkforceAlert, len(alerted))
        writer.write(
            WorkforceAlert,
            (
                WorkforceAlert(
                    pk=pk,
                    profile_id=peer.profile_id,
                    kind=WorkforceAlert.Kind.BURNOUT,
                    created_at=self.ago(2),
                )
                for pk, peer in zip(alerts, alerted, strict=True)
            ),
        )

    def supervision(self, programme: Any, peers: list[Peer], staff: Staff) -> None:
        """Group supervision of up to 6 peers every two weeks for the last two months;
        a tenth of peers missed the latest ones (overdue)."""
        from peerbridge.workforce.models import SupervisionSession

        through = SupervisionSession.peers.through
        overdue = {peer.profile_id for peer in peers[3::10]}
        groups = [peers[start : start + 6] for start in range(0, len(peers), 6)]
        supervisors = staff.supervisors
        sessions: list[Any] = []
        members: list[tuple[int, int]] = []
        for number, group in enumerate(groups):
            for weeks in (8, 6, 4, 2):
                sessions.append(
                    SupervisionSession(
                        pk=self.writer.ids(SupervisionSession, 1)[0],
                        programme=programme,
                        supervisor=supervisors[number % len(supervisors)],
                        held_at=self.ago(weeks * 7 + self.rng.random()),
                        format=SupervisionSession.Format.GROUP,
                        kind=SupervisionSession.Kind.PEER,
                        topics=["caseload", "wellbeing"],
                    )
                )
                members += [
                    (sessions[-1].pk, peer.profile_id)
                    for peer in group
                    if weeks > 4 or peer.profile_id not in overdue
                ]
        self.writer.write(SupervisionSession, sessions)
        ids = self.writer.ids(through, len(members))
        self.writer.write(
            through,
            (
                through(pk=pk, supervisionsession_id=session, peerprofile_id=profile)
                for pk, (session, profile) in zip(ids, members, strict=True)
            ),
        )

    # --- Participants and matches ----------------------------------------------------

    def participants(self, programme: Any, peers: list[Peer], staff: Staff) -> list[Stint]:
        from peerbridge.referrals.models import Enrolment, EnrolmentStatus

        S = EnrolmentStatus
        scale = self.scale
        person_ids = self.people(scale.participants, programme.site.organisation_id)
        working = sum(peer.caseload for peer in peers)
        completed = round(scale.participants * COMPLETED_SHARE)
        enrolment_ids = list(self.writer.ids(Enrolment, len(person_ids)))
        stints: list[Stint] = []
        slots = [peer for peer in peers for _ in range(peer.caseload)]
        self.rng.shuffle(slots)
        for index, (pk, person) in enumerate(zip(enrolment_ids, person_ids, strict=True)):
            if index < working:
                stints.append(self.working_stint(pk, person, slots[index]))
            elif index < working + completed:
                stints.append(self.completed_stint(pk, person, self.rng.choice(peers)))

        by_enrolment = {stint.enrolment_id: stint for stint in stints}
        referrer = staff.coordinator

        def rows() -> Iterator[Any]:
            for pk, person in zip(enrolment_ids, person_ids, strict=True):
                stint = by_enrolment.get(pk)
                if stint is None:  # waiting: up to five months, most a few weeks
                    waited = self.ago(min(150.0, self.rng.expovariate(1 / 30)))
                    received, status, changed = waited - 7 * DAY, S.WAITING, waited
                else:
                    waited = stint.accepted_at - self.rng.uniform(3, 40) * DAY
                    received = waited - 7 * DAY
                    status = {
                        "completed": S.COMPLETED,
                        "active": S.ACTIVE,
                    }.get(stint.status, S.MATCHED)
                    changed = stint.closed_at or stint.first_contact_at or stint.accepted_at
                yield Enrolment(
                    pk=pk,
                    person_id=person,
                    programme=programme,
                    status=status,
                    status_changed_at=changed,
                    source=Enrolment.Source.CLINICIAN,
                    referred_by=referrer,
                    received_at=received,
                    waiting_since=waited,
                    updated_at=changed,
                )

        self.writer.write(Enrolment, rows())
        return stints

    def working_stint(self, enrolment_id: int, person_id: int, peer: Peer) -> Stint:
        rng = self.rng
        age_days = min(rng.expovariate(1 / 120) + 3, 420)
        accepted = self.ago(age_days)
        roll = rng.random()
        status = (
            "accepted" if roll < 0.05 else "introduced" if roll < 0.15 else
            "first_contact" if roll < 0.30 else "active"
        )  # fmt: skip
        if status in ("accepted", "introduced"):
            first = None
        else:
            first = accepted + min(age_days * 0.3, rng.uniform(1, 10)) * DAY
        stint = Stint(enrolment_id, person_id, peer, status, accepted, first, None)
        stint.stalled = first is not None and rng.random() < STALLED_SHARE and age_days > 30
        return stint

    def completed_stint(self, enrolment_id: int, person_id: int, peer: Peer) -> Stint:
        rng = self.rng
        closed = self.ago(rng.uniform(5, 300))
        accepted = closed - rng.uniform(60, 200) * DAY
        first = accepted + rng.uniform(2, 10) * DAY
        return Stint(enrolment_id, person_id, peer, "completed", accepted, first, closed)

    def matches(self, programme: Any, stints: list[Stint], staff: Staff) -> None:
        from peerbridge.matching.models import Match, MatchStatusChange
        from peerbridge.workforce.models import CapacityReservation

        coordinator = staff.coordinator
        for stint, pk in zip(stints, self.writer.ids(Match, len(stints)), strict=True):
            stint.match_id = pk

        def steps(stint: Stint) -> list[tuple[str, datetime.datetime]]:
            made = stint.accepted_at - 2 * DAY
            found = [("proposed", made), ("offered", made + HOUR), ("accepted", stint.accepted_at)]
            if stint.status != "accepted":
                found.append(("introduced", stint.accepted_at + DAY))
            if stint.first_contact_at is not None:
                found.append(("first_contact", stint.first_contact_at))
            if stint.status in ("active", "completed") and stint.first_contact_at:
                found.append(("active", stint.first_contact_at + 14 * DAY))
            if stint.status == "completed" and stint.closed_at is not None:
                found.append(("completed", stint.closed_at))
            return found

        def match_rows() -> Iterator[Any]:
            for stint in stints:
                found = dict(steps(stint))
                yield Match(
                    pk=stint.match_id,
                    programme=programme,
                    enrolment_id=stint.enrolment_id,
                    profile_id=stint.peer.profile_id,
                    status=stint.status,
                    status_changed_at=max(found.values()),
                    source=Match.Source.SUGGESTION,
                    score=round(self.rng.uniform(40, 95), 1),
                    reasons=["Shares the condition", "Speaks the same language"],
                    offered_at=found["offered"],
                    respond_by=found["offered"] + 3 * DAY,
                    accepted_at=stint.accepted_at,
                    introduced_at=found.get("introduced"),
                    first_contact_at=found.get("first_contact"),
                    active_at=found.get("active"),
                    closed_at=stint.closed_at,
                    created_by=coordinator,
                    created_at=found["proposed"],
                )

        self.writer.write(Match, match_rows())
        changes = [(stint, steps(stint)) for stint in stints]
        change_ids = iter(self.writer.ids(MatchStatusChange, sum(len(s) for _, s in changes)))

        def change_rows() -> Iterator[Any]:
            for stint, found in changes:
                before = ""
                for status, at in found:
                    yield MatchStatusChange(
                        pk=next(change_ids),
                        match_id=stint.match_id,
                        from_status=before,
                        to_status=status,
                        changed_at=at,
                        changed_by=coordinator,
                    )
                    before = status

        self.writer.write(MatchStatusChange, change_rows())
        reservation_ids = self.writer.ids(CapacityReservation, len(stints))
        self.writer.write(
            CapacityReservation,
            (
                CapacityReservation(
                    pk=pk,
                    profile_id=stint.peer.profile_id,
                    kind=CapacityReservation.Kind.MATCH,
                    reference=f"match:{stint.match_id}",
                    reserved_at=stint.accepted_at - 2 * DAY,
                    reserved_by=coordinator,
                    released_at=stint.closed_at,
                    released_by=coordinator if stint.closed_at else None,
                )
                for pk, stint in zip(reservation_ids, stints, strict=True)
            ),
        )
