"""Races on PostgreSQL: a choice link answered twice at the same moment makes one match,
and a batch run published twice at the same moment offers its lines once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from peerbridge.matching import batch_runs, choice
from peerbridge.matching.models import BatchProposal, BatchRun, Match
from peerbridge.organisations.models import Programme
from peerbridge.organisations.services import organisation_create, programme_create, site_create
from peerbridge.people.services import person_create
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.workforce.models import PeerProfile
from peerbridge.workforce.services import profile_open

CONTENDERS = 8


def _programme() -> Programme:
    organisation = organisation_create(name="Choice Race", slug="choice-race", created_by=None)
    site = site_create(
        organisation=organisation,
        parent=None,
        name="Choice HQ",
        code="choice-hq",
        level="national",
        created_by=None,
    )
    return programme_create(
        site=site,
        created_by=None,
        code="choice-race",
        name="Choice race",
        condition_area="diabetes",
        audience="patients",
        formats=["one_to_one"],
        modalities=["telephone"],
        contact_cadence_days=14,
        peer_pay="volunteer",
        status="active",
    )


def _peer(programme: Programme, n: int) -> PeerProfile:
    person = person_create(given_name=f"Peer{n}", family_name="Racer", created_by=None)
    profile = profile_open(person=person, programme=programme, actor=None, status="active")
    profile.alias = f"Peer {n}"
    profile.save(update_fields=["alias"])
    return profile


def _waiting(programme: Programme, n: int) -> Enrolment:
    person = person_create(given_name=f"Waiting{n}", family_name="Racer", created_by=None)
    return Enrolment.objects.create(
        person=person, programme=programme, status=EnrolmentStatus.WAITING, source="staff"
    )


def _race(attempt: Callable[[int], str]) -> Counter[str]:
    start = threading.Barrier(CONTENDERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def contend(n: int) -> None:
        try:
            start.wait(timeout=30)
            outcome = attempt(n)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(CONTENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(outcomes)


@pytest.mark.django_db(transaction=True)
def test_a_link_answered_twice_at_once_makes_one_match() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what this proves; SQLite runs one writer at a time")
    programme = _programme()
    peers = [_peer(programme, n) for n in range(2)]
    enrolment = _waiting(programme, 0)
    sent = choice.choice_send(enrolment=enrolment, actor=None, profiles=peers)  # type: ignore[arg-type]
    token = sent.link.rstrip("/").rsplit("/", 1)[-1]

    def pick(n: int) -> str:
        try:
            choice.choice_pick(token=token, profile_id=peers[n % 2].pk)
        except choice.ChoiceUnavailable as closed:
            return closed.state
        return "picked"

    outcomes = _race(pick)
    assert outcomes == Counter({"picked": 1, "chosen": CONTENDERS - 1})
    assert Match.objects.filter(enrolment=enrolment).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_run_published_twice_at_once_offers_each_line_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what this proves; SQLite runs one writer at a time")
    programme = _programme()
    peers = [_peer(programme, n) for n in range(3)]
    run = BatchRun.objects.create(programme=programme)
    for n, profile in enumerate(peers):
        BatchProposal.objects.create(run=run, enrolment=_waiting(programme, n), profile=profile)

    def publish(n: int) -> str:
        try:
            batch_runs.batch_run_publish(run=run, actor=None)  # type: ignore[arg-type]
        except ValidationError:
            return "refused"
        return "published"

    outcomes = _race(publish)
    assert outcomes == Counter({"published": 1, "refused": CONTENDERS - 1})
    assert Match.objects.filter(batch=run).count() == len(peers)
