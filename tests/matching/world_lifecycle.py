"""Builders for the match lifecycle tests: waiting participants made through the
referral services, ready peers who can sign in, and matches walked to any status."""

from __future__ import annotations

from itertools import count
from typing import Any

from peerbridge.core.models import User
from peerbridge.matching import lifecycle
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.organisations.models import Programme
from peerbridge.people.models import LivedExperience
from peerbridge.referrals.models import Enrolment
from peerbridge.referrals.services import ReferralDetails, enrol_with_consent, referral_create
from peerbridge.workforce.models import PeerProfile
from tests.conftest import persona_user
from tests.workforce.world_wellbeing import available_peer

M = MatchStatus
_serial = count(1)
FACING_STORY = "Newly diagnosed and would like to talk to someone who has been through it."
CONTACT_SCOPES = ["contact_phone", "contact_email"]


def user_of(persona: str) -> User:
    user = persona_user(persona)
    assert user is not None
    return user


def waiting_enrolment(
    programme: Programme,
    *,
    priority: int = Enrolment.Priority.ROUTINE,
    given_name: str = "Robin",
    story: str = FACING_STORY,
) -> Enrolment:
    """A participant referred, enrolled with consent and on the waiting list."""
    n = next(_serial)
    enrolment = referral_create(
        programme=programme,
        details=ReferralDetails(
            given_name=given_name,
            family_name=f"Lifecycle{n}",
            phone=f"+4477009{n:05d}",
            email=f"participant-{n}@example.org",
            languages=["en", "es"],
            preferred_times="Weekday evenings",
        ),
        source=Enrolment.Source.STAFF,
        referred_by=None,
        contact_scopes=CONTACT_SCOPES,
        priority=priority,
    ).enrolment
    enrolment = enrol_with_consent(
        enrolment=enrolment,
        scopes=["participation", *CONTACT_SCOPES],
        method="verbal",
        enrolled_by=None,
    )
    if story:
        LivedExperience.objects.create(
            person=enrolment.person,
            programme=programme,
            perspective=LivedExperience.Perspective.FACING,
            story=story,
        )
    return enrolment


def ready_peer(programme: Programme, *, max_matches: int = 5) -> PeerProfile:
    """An available peer who may take matches and can sign in."""
    return available_peer(programme, supervised=False, max_matches=max_matches)


def offered(
    programme: Programme,
    *,
    profile: PeerProfile | None = None,
    enrolment: Enrolment | None = None,
    actor: User | None = None,
    **kwargs: Any,
) -> Match:
    return lifecycle.match_create(
        enrolment=enrolment or waiting_enrolment(programme),
        profile=profile or ready_peer(programme),
        source=Match.Source.MANUAL,
        actor=actor,
        **kwargs,
    )


# The services that take a match one step on, by the status they lead to.
STEPS = {
    M.OFFERED: lambda m, actor: lifecycle.match_offer(m, actor=actor),
    M.ACCEPTED: lambda m, actor: lifecycle.match_accept(m, actor=actor),
    M.DECLINED: lambda m, actor: lifecycle.match_decline(m, reason="no_room", note="", actor=actor),
    M.INTRODUCED: lambda m, actor: lifecycle.match_introduce(m, actor=actor),
    M.FIRST_CONTACT: lambda m, actor: lifecycle.match_confirm_first_contact(m, actor=actor),
    M.ACTIVE: lambda m, actor: lifecycle.match_activate(m, actor=actor),
    M.COMPLETED: lambda m, actor: lifecycle.match_complete(m, actor=actor),
    M.ENDED: lambda m, actor: lifecycle.match_end(m, reason="not_a_fit", note="", actor=actor),
    M.CANCELLED: lambda m, actor: lifecycle.match_cancel(m, actor=actor),
}
# The way from a new proposal to each status.
PATHS: dict[str, tuple[str, ...]] = {
    M.PROPOSED: (),
    M.OFFERED: (M.OFFERED,),
    M.ACCEPTED: (M.OFFERED, M.ACCEPTED),
    M.DECLINED: (M.OFFERED, M.DECLINED),
    M.INTRODUCED: (M.OFFERED, M.ACCEPTED, M.INTRODUCED),
    M.FIRST_CONTACT: (M.OFFERED, M.ACCEPTED, M.INTRODUCED, M.FIRST_CONTACT),
    M.ACTIVE: (M.OFFERED, M.ACCEPTED, M.INTRODUCED, M.FIRST_CONTACT, M.ACTIVE),
    M.COMPLETED: (M.OFFERED, M.ACCEPTED, M.INTRODUCED, M.FIRST_CONTACT, M.ACTIVE, M.COMPLETED),
    M.ENDED: (M.OFFERED, M.ACCEPTED, M.ENDED),
    M.CANCELLED: (M.CANCELLED,),
}


def walk_to(
    status: str, programme: Programme, *, actor: User | None = None, **kwargs: Any
) -> Match:
    """A match taken from a new proposal to `status` by the services."""
    match = offered(programme, actor=actor, offer=False, **kwargs)
    for step in PATHS[status]:
        match = STEPS[step](match, actor)
    assert match.status == status
    return match
