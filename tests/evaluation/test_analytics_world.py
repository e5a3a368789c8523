"""Builders for the analytics, funder report and research export tests (no tests here).

Everything is dated in 2024, a year the demo holds nothing in, so a test that reads
2024 sees only what it built. The people are synthetic and carry recognisable names,
phones, emails and dates of birth so the tests can prove none of them leaks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count

from peerbridge.core.models import User
from peerbridge.evaluation.analytics import Period
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.organisations.models import Programme, Site
from peerbridge.outcomes.models import Response
from peerbridge.people.models import Consent, ConsentScope, Person
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.support.models import Contact
from peerbridge.workforce.models import PeerProfile

PERIOD = Period(date(2024, 1, 1), date(2024, 12, 31))
MARCH = datetime(2024, 3, 1, 12, tzinfo=UTC)
SECRET_NAME = "Zorblatt"
SECRET_FAMILY = "Quixleigh"
SECRET_DOB = date(1971, 7, 23)
_serial = count(1)


def phone(n: int) -> str:
    return f"+44 7700 9{n:05d}"


def email(n: int) -> str:
    return f"zorblatt{n}@example.org"


def make_person(programme: Programme, *, site: Site | None = None) -> Person:
    n = next(_serial)
    return Person.objects.create(
        given_name=f"{SECRET_NAME}{n}",
        family_name=SECRET_FAMILY,
        phone=phone(n),
        email=email(n),
        date_of_birth=SECRET_DOB,
        site=site,
        organisation_id=programme.site.organisation_id,
    )


def make_peer(programme: Programme, *, site: Site | None = None) -> PeerProfile:
    return PeerProfile.objects.create(
        person=make_person(programme, site=site),
        programme=programme,
        status=PeerProfile.Status.ACTIVE,
        alias="Peer",
        activated_on=date(2024, 1, 5),
        started_on=date(2024, 1, 2),
    )


@dataclass
class Participant:
    person: Person
    enrolment: Enrolment
    match: Match | None


def make_participant(
    programme: Programme,
    *,
    peer: PeerProfile | None = None,
    site: Site | None = None,
    status: str = EnrolmentStatus.ACTIVE,
    received_at: datetime = MARCH,
    contact_mode: str = "phone",
    research: bool | None = None,
) -> Participant:
    person = make_person(programme, site=site)
    enrolment = Enrolment.objects.create(
        person=person,
        programme=programme,
        source=Enrolment.Source.STAFF,
        status=status,
        received_at=received_at,
    )
    match = None
    if peer is not None:
        match = Match.objects.create(
            programme=programme,
            enrolment=enrolment,
            profile=peer,
            source="manual",
            status=MatchStatus.ACTIVE,
            accepted_at=received_at + timedelta(days=2),
            first_contact_at=received_at + timedelta(days=3),
        )
        Contact.objects.create(
            match=match,
            programme=programme,
            enrolment=enrolment,
            profile=peer,
            occurred_at=received_at + timedelta(days=3),
            connected=True,
            mode=contact_mode,
            setting="online",
            support_types=["emotional", "informational"],
            locked_at=received_at + timedelta(days=4),
        )
    if research is not None:
        Consent.objects.create(
            person=person,
            programme=programme,
            method=Consent.Method.WRITTEN,
            scopes=[ConsentScope.PARTICIPATION, ConsentScope.RESEARCH]
            if research
            else [ConsentScope.PARTICIPATION],
            recorded_at=received_at,
        )
    return Participant(person, enrolment, match)


def answer(
    participant: Participant,
    *,
    instrument: str = "phq9",
    score: float,
    on: datetime,
) -> Response:
    return Response.objects.create(
        programme=participant.enrolment.programme,
        person=participant.person,
        enrolment=participant.enrolment,
        instrument=instrument,
        version="1",
        mode="paper",
        status=Response.Status.COMPLETE,
        score=score,
        completed_at=on,
    )


def before_and_after(
    programme: Programme,
    scores: list[tuple[float, float]],
    *,
    peer: PeerProfile | None = None,
    site: Site | None = None,
    research: bool | None = None,
    contact_mode: str = "phone",
) -> list[Participant]:
    """One participant per pair of (baseline, follow-up) PHQ-9 scores."""
    people = []
    for before, after in scores:
        participant = make_participant(
            programme, peer=peer, site=site, research=research, contact_mode=contact_mode
        )
        answer(participant, score=before, on=MARCH + timedelta(days=5))
        answer(participant, score=after, on=MARCH + timedelta(days=90))
        people.append(participant)
    return people


SCORES = [(18, 9), (15, 10), (20, 12), (12, 11), (16, 6), (14, 9), (19, 13), (11, 8)]


def staff_user(email_local: str) -> User:
    return User.objects.get(email=f"{email_local}@demo.peerbridge.test")
