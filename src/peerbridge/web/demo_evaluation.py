"""The demo's evaluation (issue 7): every programme's fidelity checklist (the five core
items); two to four observations of each active peer over the last six months by their
supervisor, with scores that mostly rise; and two or three quotes per programme that
participants and peers agreed to share (plain words, no names, no health details).

Made through the evaluation services (each creation audited). Loaded once by
load_demo() after outcomes; seeded, synthetic."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from random import Random

from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.evaluation.fidelity import checklist, observation_record
from peerbridge.evaluation.models import FidelityItem, FidelityObservation, Quote
from peerbridge.evaluation.quotes import quote_create
from peerbridge.organisations.models import Programme
from peerbridge.people.models import Person
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.web.demo_cohorts import SEED
from peerbridge.workforce.models import PeerProfile

WINDOW_DAYS = 182  # observations over the last six months
S = FidelityObservation.Setting
SETTINGS = (S.CONTACT, S.CONTACT, S.CONTACT, S.GROUP_SESSION, S.SUPERVISION, S.ROLE_PLAY)
NOTES = (
    "",
    "",
    "A warm start and a clear plan for the next contact.",
    "Listened well; next time, check in about what the person wants from the call.",
    "Shared their own story briefly and brought the focus back to the person.",
    "Followed up on the missed contact quickly and kindly.",
    "Good use of the resource list; remember to note the next step together.",
)
PARTICIPANT_QUOTES = (
    "Talking to someone who had been there made me feel I was not on my own.",
    "My peer never judged me. Every week I knew someone would call.",
    "I finally felt able to ask the questions I had been too embarrassed to ask.",
    "It gave me hope. I could see that things can get better.",
    "Having someone in my corner made the hard weeks easier to get through.",
    "I learned small things I could do each day, and I kept doing them.",
)
FAMILY_QUOTES = (
    "As a family we feel less alone now. Someone understood what we were living with.",
    "I got practical tips from someone who had done it before me.",
    "Our peer helped us find our way through a system that felt like a maze.",
)
PEER_QUOTES = (
    "Seeing someone I supported take their first steps made my own journey feel worth it.",
    "The training and supervision gave me the confidence to just be there for people.",
    "People tell me it helps to talk to someone who gets it. It helps me too.",
    "I remember how lonely the start was. Now I can make it a little less lonely for others.",
)
QUOTE_STATUSES = (EnrolmentStatus.ACTIVE, EnrolmentStatus.MATCHED, EnrolmentStatus.COMPLETED)


def demo_evaluation_loaded(programmes: Iterable[Programme]) -> bool:
    chosen = list(programmes)
    return (
        FidelityObservation.objects.filter(programme__in=chosen).exists()
        or Quote.objects.filter(programme__in=chosen).exists()
    )


def load_demo_evaluation_for(*, programmes: dict[str, Programme], staff: dict[str, User]) -> None:
    if not programmes or demo_evaluation_loaded(programmes.values()):
        return
    rng = Random(SEED + 8)  # noqa: S311  (seeded demo data, not security)
    today = timezone.localdate()
    for letter, programme in sorted(programmes.items()):
        items = checklist(programme, active_only=True)
        peers = list(
            PeerProfile.objects.filter(
                programme=programme,
                status=PeerProfile.Status.ACTIVE,
                supervisor__isnull=False,
            )
            .select_related("person__site", "programme__site", "supervisor")
            .order_by("pk")
        )
        for profile in peers:
            _observe(profile, items, rng, today)
        _quotes(programme, staff.get(f"coordinator.{letter}"), rng, today)


def _observe(
    profile: PeerProfile, items: list[FidelityItem], rng: Random, today: datetime.date
) -> None:
    """Two to four observations spread over the window (or since the peer started), the
    peer's skill mostly rising from one to the next."""
    supervisor = profile.supervisor
    assert supervisor is not None  # noqa: S101 (filtered above)
    first = max(today - datetime.timedelta(days=WINDOW_DAYS), profile.started_on)
    span = (today - first).days
    if span < 4:
        return  # started this week: nothing to observe yet
    count = rng.randint(2, 4)
    days = sorted(rng.sample(range(1, span), min(count, span - 1)))
    skill = rng.uniform(0.35, 0.6)
    step = rng.choice([0.12, 0.1, 0.08, 0.06, 0.04, -0.03])  # about one in six dips
    for day in days:
        observation_record(
            profile=profile,
            observed_by=supervisor,
            observed_on=first + datetime.timedelta(days=day),
            setting=rng.choice(SETTINGS),
            ratings=_ratings(items, skill, rng),
            note=rng.choice(NOTES),
        )
        skill = min(max(skill + step + rng.gauss(0, 0.03), 0.1), 0.97)


def _ratings(items: list[FidelityItem], skill: float, rng: Random) -> dict[int, int | None]:
    ratings: dict[int, int | None] = {}
    for index, item in enumerate(items):
        if index and rng.random() < 0.1:
            ratings[item.pk] = None  # did not apply in this setting (never the first)
            continue
        value = round(skill * 2 + rng.gauss(0, 0.25))
        ratings[item.pk] = min(max(value, 0), 2)
    return ratings


def _quotes(programme: Programme, actor: User | None, rng: Random, today: datetime.date) -> None:
    enrolments = list(
        Enrolment.objects.filter(programme=programme, status__in=QUOTE_STATUSES)
        .select_related("person")
        .order_by("pk")
    )
    peers = list(
        PeerProfile.objects.filter(programme=programme, status=PeerProfile.Status.ACTIVE)
        .select_related("person")
        .order_by("pk")
    )
    said: list[tuple[str, Person, str]] = []
    patients = [e for e in enrolments if e.kind == Enrolment.Kind.PATIENT]
    carers = [e for e in enrolments if e.kind == Enrolment.Kind.CAREGIVER]
    texts = list(PARTICIPANT_QUOTES)
    rng.shuffle(texts)
    for enrolment in rng.sample(patients, min(2, len(patients))):
        said.append((Quote.Speaker.PARTICIPANT, enrolment.person, texts.pop()))
    if carers:
        said.append((Quote.Speaker.FAMILY, rng.choice(carers).person, rng.choice(FAMILY_QUOTES)))
    if peers and (len(said) < 3 and rng.random() < 0.6 or len(said) < 2):
        said.append((Quote.Speaker.PEER, rng.choice(peers).person, rng.choice(PEER_QUOTES)))
    for speaker, person, text in said[:3]:
        quote_create(
            programme=programme,
            person=person,
            speaker=speaker,
            text=text,
            consent_recorded_on=today - datetime.timedelta(days=rng.randint(7, 150)),
            actor=actor,
        )
