"""The demo's evaluation: every programme's core checklist; two to four observations of
each active supervised peer over the last six months by their supervisor, scores mostly
rising; two or three quotes per programme without names; every creation audited; a
second load adds nothing."""

from __future__ import annotations

import datetime
from collections import defaultdict

import pytest
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.evaluation.models import (
    FidelityItem,
    FidelityObservation,
    FidelityRating,
    Quote,
)
from peerbridge.organisations.models import Programme
from peerbridge.web.demo import DEMO_DOMAIN, PROGRAMMES
from peerbridge.web.demo_evaluation import WINDOW_DAYS, load_demo_evaluation_for
from peerbridge.workforce.models import PeerProfile

pytestmark = pytest.mark.django_db


def demo_programmes() -> dict[str, Programme]:
    codes = {spec["code"]: spec["letter"] for spec in PROGRAMMES}
    return {codes[p.code]: p for p in Programme.objects.filter(code__in=list(codes))}


def demo_staff(letters: list[str]) -> dict[str, User]:
    emails = {f"coordinator.{letter}@{DEMO_DOMAIN}": letter for letter in letters}
    return {
        f"coordinator.{emails[u.email]}": u for u in User.objects.filter(email__in=list(emails))
    }


def load() -> dict[str, Programme]:
    programmes = demo_programmes()
    load_demo_evaluation_for(programmes=programmes, staff=demo_staff(sorted(programmes)))
    return programmes


def counts() -> tuple[int, int, int, int]:
    return (
        FidelityItem.objects.count(),
        FidelityObservation.objects.count(),
        FidelityRating.objects.count(),
        Quote.objects.count(),
    )


def test_checklists_observations_and_quotes_are_made_once() -> None:
    programmes = load()
    assert len(programmes) == len(PROGRAMMES)
    first = counts()
    load()
    assert counts() == first
    items, observations, ratings, quotes = first
    assert items >= 5 * len(programmes)
    assert observations > 0 and ratings >= observations and quotes > 0
    for programme in programmes.values():
        core = FidelityItem.objects.filter(programme=programme, is_core=True)
        assert core.count() == 5
        assert 2 <= Quote.objects.filter(programme=programme).count() <= 3


def test_each_supervised_active_peer_is_observed_by_their_supervisor() -> None:
    programmes = load()
    today = timezone.localdate()
    oldest = today - datetime.timedelta(days=WINDOW_DAYS)
    peers = PeerProfile.objects.filter(
        programme__in=programmes.values(),
        status=PeerProfile.Status.ACTIVE,
        supervisor__isnull=False,
        started_on__lte=today - datetime.timedelta(days=4),
    )
    assert peers.exists()
    scores: dict[int, list[float]] = defaultdict(list)
    for row in FidelityObservation.objects.filter(programme__in=programmes.values()).order_by(
        "observed_on", "id"
    ):
        scores[row.profile_id].append(row.score)
    supervisors = dict(peers.values_list("pk", "supervisor_id"))
    for pk in supervisors:
        assert 2 <= len(scores[pk]) <= 4, pk
    for row in FidelityObservation.objects.filter(profile__in=peers):
        assert row.observed_by_id == supervisors[row.profile_id]
        assert oldest <= row.observed_on < today
        assert 0 <= row.score <= 100
    assert set(scores) <= set(
        PeerProfile.objects.filter(supervisor__isnull=False).values_list("pk", flat=True)
    )
    rising = sum(values[-1] >= values[0] for values in scores.values())
    assert rising > len(scores) / 2, (rising, len(scores))


def test_quotes_are_consented_nameless_and_audited() -> None:
    programmes = load()
    quotes = list(Quote.objects.filter(programme__in=programmes.values()).select_related("person"))
    today = timezone.localdate()
    for quote in quotes:
        assert quote.withdrawn_at is None
        assert quote.consent_recorded_on <= today
        assert quote.person.given_name not in quote.text
        assert quote.person.family_name not in quote.text or not quote.person.family_name
    assert {q.speaker for q in quotes} >= {Quote.Speaker.PARTICIPANT, Quote.Speaker.PEER}
    audited = AuditEvent.objects.filter(
        object_type__in=["evaluation.quote", "evaluation.fidelityobservation"]
    ).count()
    observations = FidelityObservation.objects.filter(programme__in=programmes.values())
    assert audited >= len(quotes) + observations.count()
