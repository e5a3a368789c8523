"""Shared fixtures: the demo organisation loaded once into the test database, and the
named personas of the authorization matrix."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from peerbridge.core.models import User
from peerbridge.organisations.models import Programme, Site
from peerbridge.web.demo import DEMO_DOMAIN, load_demo

# persona -> demo login (None: not signed in; "stranger": an account with no role)
PERSONA_EMAILS: dict[str, str | None] = {
    "anonymous": None,
    "stranger": "stranger",
    "participant": "participant.a",
    "peer": "peer.a",
    "peer_other": "peer.b",
    "referrer": "referrer",
    "evaluator": "evaluator",
    "supervisor": "supervisor.a",
    "coordinator": "coordinator.a",
    "leader": "leader.a",
    "admin": "admin",
}
PERSONAS = list(PERSONA_EMAILS)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The demo is the shared fixture world. Tests roll back what they change."""
    with django_db_blocker.unblock():
        load_demo()
        User.objects.get_or_create(email=f"stranger@{DEMO_DOMAIN}")


def persona_user(persona: str) -> User | None:
    local = PERSONA_EMAILS[persona]
    return None if local is None else User.objects.get(email=f"{local}@{DEMO_DOMAIN}")


def client_for(persona: str) -> Client:
    client = Client()
    user = persona_user(persona)
    if user is not None:
        client.force_login(user)
    return client


@dataclass
class World:
    programme_a: Programme
    programme_b: Programme
    riverside: Site
    national: Site


@pytest.fixture
def world(db: None) -> World:
    return World(
        programme_a=Programme.objects.get(code="recovery-peers"),
        programme_b=Programme.objects.get(code="family-and-peer-courses"),
        riverside=Site.objects.get(code="riverside"),
        national=Site.objects.get(code="national"),
    )


def programme_payload(*, site_id: int, code: str, name: str = "Valid") -> dict[str, object]:
    """A valid body for POST /api/v1/programmes."""
    return {
        "site_id": site_id,
        "code": code,
        "name": name,
        "condition_area": "hiv",
        "audience": "patients",
        "formats": ["group"],
        "modalities": ["video"],
        "contact_cadence_days": 7,
        "peer_pay": "paid",
    }


@pytest.fixture
def coordinator(db: None) -> User:
    user = persona_user("coordinator")
    assert user is not None
    return user
