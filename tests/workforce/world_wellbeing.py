"""Builders for wellbeing and engagement tests: available peers who can sign in, CBI
answers that score what a test needs, and clients signed in as a peer."""

from __future__ import annotations

from typing import Any

from django.test import Client

from peerbridge.core.models import User
from peerbridge.instruments import get_instrument
from peerbridge.organisations.models import Programme
from peerbridge.organisations.roles import Role
from peerbridge.organisations.services import role_grant
from peerbridge.workforce.models import PeerProfile
from tests.conftest import persona_user
from tests.workforce.world import make_profile

CBI = get_instrument("cbi")
WORK_ITEMS = [item.id for item in CBI.items_of(("work",))]
CLIENT_ITEMS = [item.id for item in CBI.items_of(("client",))]


def user_of(persona: str) -> User:
    user = persona_user(persona)
    assert user is not None
    return user


def available_peer(
    programme: Programme, *, supervised: bool = True, max_matches: int = 5
) -> PeerProfile:
    """A ready, available peer who can sign in (holding the peer role in the programme),
    supervised by persona "supervisor" when asked."""
    profile = make_profile(
        programme, ready=True, status=PeerProfile.Status.ACTIVE, max_matches=max_matches
    )
    user = profile.person.user
    assert user is not None
    role_grant(user=user, role=Role.PEER_SUPPORTER, granted_by=None, programme=programme)
    if supervised:
        profile.supervisor = user_of("supervisor")
        profile.save(update_fields=["supervisor"])
    return profile


def client_of(profile: PeerProfile) -> Client:
    client = Client()
    assert profile.person.user is not None
    client.force_login(profile.person.user)
    return client


def cbi_answers(work: int, client: int) -> dict[str, Any]:
    """Answers scoring exactly `work` and `client` (each 0, 25, 50, 75 or 100): every item
    answered with that value, and the reverse-scored w7 mirrored."""
    answers: dict[str, Any] = dict.fromkeys(WORK_ITEMS, work)
    answers["w7"] = 100 - work
    answers.update(dict.fromkeys(CLIENT_ITEMS, client))
    return answers


HIGH = cbi_answers(75, 50)
LOW = cbi_answers(25, 25)
