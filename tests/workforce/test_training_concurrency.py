"""Signing an agreement and recording attendance at the same moment from separate
connections (a double tap, two coordinators): on PostgreSQL neither ends in an
IntegrityError (a 500), and each row is written once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.organisations.services import (
    organisation_create,
    programme_create,
    site_create,
)
from peerbridge.people.services import person_create
from peerbridge.workforce.agreements import agreement_publish, agreement_sign
from peerbridge.workforce.models import (
    AgreementSignature,
    PeerProfile,
    TrainingAttendance,
    TrainingSession,
)
from peerbridge.workforce.services import profile_open
from peerbridge.workforce.training import (
    attendance_record,
    attendance_save_roster,
    module_create,
    session_schedule,
)

CONTENDERS = 6

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("parallel writers are what this proves; SQLite runs one writer at a time")


def _programme() -> Programme:
    organisation = organisation_create(name="Race Train", slug="race-train", created_by=None)
    site = site_create(
        organisation=organisation,
        parent=None,
        name="Race Train HQ",
        code="race-train-hq",
        level="national",
        created_by=None,
    )
    return programme_create(
        site=site,
        created_by=None,
        code="race-train",
        name="Race training programme",
        condition_area="diabetes",
        audience="patients",
        formats=["one_to_one"],
        modalities=["telephone"],
        contact_cadence_days=14,
        peer_pay="volunteer",
        status="active",
    )


def _peer(programme: Programme, n: int) -> PeerProfile:
    user = User.objects.create_user(email=f"race-peer-{n}@example.org", password=None)
    person = person_create(given_name="Ada", family_name=f"Racer {n}", created_by=None, user=user)
    return profile_open(person=person, programme=programme, actor=None)


def _held_session(programme: Programme) -> TrainingSession:
    module = module_create(programme=programme, actor=None, title="Race module", required=False)
    return session_schedule(
        module=module,
        actor=None,
        starts_at=timezone.now() - timedelta(days=2),
        trainer="Trainer",
        modality="in_person",
    )


def _all_at_once(work: Callable[[int], Any]) -> list[str]:
    """Run `work` in CONTENDERS threads released together; answer each outcome."""
    start = threading.Barrier(CONTENDERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def contend(n: int) -> None:
        try:
            start.wait(timeout=30)
            work(n)
            outcome = "ok"
        except Exception as error:  # noqa: BLE001 - the outcome under test
            outcome = type(error).__name__
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(CONTENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_signing_the_same_agreement_at_once_keeps_one_signature() -> None:
    programme = _programme()
    profile = _peer(programme, 1)
    text = agreement_publish(programme=programme, kind="wellbeing", body="Care.", actor=None)
    peer = profile.person.user
    assert peer is not None
    created: list[bool] = []

    def sign(_n: int) -> None:
        created.append(agreement_sign(profile=profile, text=text, signed_name="Ada", actor=peer)[1])

    assert _all_at_once(sign) == ["ok"] * CONTENDERS
    assert sorted(created) == [False] * (CONTENDERS - 1) + [True]
    assert AgreementSignature.objects.filter(profile=profile, text=text).count() == 1


def test_saving_the_same_new_attendance_at_once_writes_each_row_once() -> None:
    programme = _programme()
    people = [_peer(programme, n).person_id for n in range(3)]
    session = _held_session(programme)

    def record(n: int) -> None:
        if n % 2:
            attendance_record(session=session, actor=None, person_ids=people)
        else:
            attendance_save_roster(session=session, actor=None, present=people)

    assert _all_at_once(record) == ["ok"] * CONTENDERS
    rows = TrainingAttendance.objects.filter(session=session)
    assert sorted(rows.values_list("person_id", flat=True)) == sorted(people)
    assert all(row.attended for row in rows)
