"""Builders for application tests: applications made through the real service."""

from __future__ import annotations

from itertools import count
from typing import Any

from faker import Faker

from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.workforce.applications import (
    Answers,
    Applicant,
    Experience,
    application_submit,
    screening_record,
)
from peerbridge.workforce.models import Characteristic, PeerApplication, Screening

_faker = Faker()
Faker.seed(4343)
_serial = count(1)


def applicant_email() -> str:
    return f"applicant-{next(_serial)}-{_faker.pyint(1000, 9999)}@example.org"


def make_application(
    programme: Programme,
    *,
    email: str | None = None,
    source: str = PeerApplication.Source.STAFF,
    created_by: User | None = None,
    **experience: Any,
) -> PeerApplication:
    return application_submit(
        programme=programme,
        applicant=Applicant(
            given_name=_faker.first_name(),
            family_name=_faker.last_name(),
            email=email or applicant_email(),
            languages=["en"],
        ),
        experience=Experience(story="Ten years in recovery.", **experience),
        answers=Answers(motivation="I want to give back.", modalities=["telephone"]),
        source=source,
        created_by=created_by,
    )


def all_ratings(value: int = 4) -> dict[str, int]:
    return {c.value: value for c in Characteristic}


def screen(application: PeerApplication, by: User, *, value: int = 4) -> Screening:
    return screening_record(
        application=application,
        ratings=all_ratings(value),
        readiness=Screening.Readiness.READY,
        role_play=Screening.RolePlay.PASSED,
        screened_by=by,
    )
