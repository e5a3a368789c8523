"""Shared builders for the support tests: a programme with a working match between a
ready peer (who can sign in with the peer role) and a participant."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from peerbridge.core.models import User
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.organisations.models import Programme
from peerbridge.organisations.roles import Role
from peerbridge.organisations.services import role_grant
from peerbridge.referrals.models import Enrolment
from peerbridge.workforce.models import PeerProfile
from tests.conftest import persona_user
from tests.matching.world_lifecycle import waiting_enrolment, walk_to
from tests.workforce.world_wellbeing import available_peer


def user_of(persona: str) -> User:
    user = persona_user(persona)
    assert user is not None
    return user


def supported_peer(programme: Programme, *, supervised: bool = True) -> PeerProfile:
    """A ready, available peer holding the peer role in `programme`, supervised by the
    persona "supervisor" unless asked otherwise."""
    return available_peer(programme, supervised=supervised, max_matches=10)


def active_match(
    programme: Programme,
    *,
    status: str = MatchStatus.ACTIVE,
    profile: PeerProfile | None = None,
    enrolment: Enrolment | None = None,
    given_name: str = "Robin",
) -> Match:
    """A match walked by the lifecycle services to `status` (active by default) between
    a ready peer and a newly enrolled participant of `programme`."""
    return walk_to(
        status,
        programme,
        profile=profile or supported_peer(programme),
        enrolment=enrolment or waiting_enrolment(programme, given_name=given_name),
    )


def peer_user_of(match: Match) -> User:
    """The login of the match's peer (holding the peer role in the programme)."""
    user = match.profile.person.user
    assert user is not None
    return user


def demo_user(local: str) -> User:
    """A demo login by its local part, e.g. "coordinator.b" (programme B's coordinator)."""
    return User.objects.get(email=f"{local}@demo.peerbridge.test")


def participant_user_of(enrolment: Enrolment) -> User:
    """A login for the enrolment's participant, holding the participant role in the
    programme (made on first call)."""
    person = enrolment.person
    if person.user is None:
        person.user = User.objects.create_user(email=f"participant-{person.pk}@example.org")
        person.save(update_fields=["user"])
        role_grant(
            user=person.user,
            role=Role.PARTICIPANT,
            granted_by=None,
            programme=enrolment.programme,
        )
    return person.user


def queries_for(client: Client, url: str) -> int:
    """How many queries a successful GET of `url` makes."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)
