"""Records the directory and navigation tests build for themselves (synthetic people)."""

from __future__ import annotations

from typing import Any

from faker import Faker

from peerbridge.organisations.models import Organisation, Programme
from peerbridge.people.services import consent_record, person_create
from peerbridge.referrals.directory_services import service_create
from peerbridge.referrals.models import DirectoryService, Enrolment

fake = Faker()


def bridges() -> Organisation:
    return Organisation.objects.get(slug="bridges")


def make_service(*, organisation: Organisation | None = None, **fields: Any) -> DirectoryService:
    values: dict[str, Any] = {
        "name": f"{fake.company()} housing advice",
        "categories": ["housing"],
        "languages": ["en"],
        "area": "Riverside",
    }
    values.update(fields)
    return service_create(organisation=organisation or bridges(), created_by=None, **values)


def make_enrolment(
    programme: Programme,
    *,
    scopes: list[str] | None = None,
    status: str = Enrolment._meta.get_field("status").default,
) -> Enrolment:
    """A synthetic person enrolled in the programme, with the consent scopes given
    (None: no consent recorded at all)."""
    person = person_create(
        given_name=fake.first_name(), family_name=fake.last_name(), created_by=None
    )
    enrolment = Enrolment.objects.create(
        person=person, programme=programme, status=status, source=Enrolment.Source.STAFF
    )
    if scopes is not None:
        consent_record(
            person=person, programme=programme, scopes=scopes, method="verbal", recorded_by=None
        )
    return enrolment


def full_consent(programme: Programme) -> list[str]:
    """Consent that lets a navigation referral pass the participant's details on."""
    scopes = ["participation"]
    if programme.needs_redisclosure_consent:
        scopes.append("redisclosure")
    return scopes
