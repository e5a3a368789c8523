"""Builders for certification and supervision tests, through the real services."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

from django.test import Client
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.organisations.models import Programme, RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.organisations.services import role_grant
from peerbridge.workforce.capacity import capacity_reserve
from peerbridge.workforce.certification import framework_create
from peerbridge.workforce.models import (
    CapacityReservation,
    CertificationFramework,
    PeerProfile,
    SupervisionSession,
)
from peerbridge.workforce.supervision import session_record
from tests.conftest import persona_user

_serial = count(1)


def leader() -> User:
    user = persona_user("leader")
    assert user is not None
    return user


def state_certification(programme: Programme, *, name: str = "") -> CertificationFramework:
    """A state peer recovery specialist certification: 24 months, 20 continuing hours."""
    return framework_create(
        organisation=programme.site.organisation,
        actor=None,
        name=name or f"Test state peer recovery specialist {next(_serial)}",
        kind=CertificationFramework.Kind.STATE,
        issuer="State certification board",
        validity_months=24,
        recertification_hours=Decimal("20"),
        recertification_requirements="20 hours of continuing training, 6 on ethics.",
    )


def staff_user(programme: Programme, role: str = Role.SUPERVISOR) -> User:
    user = User.objects.create_user(email=f"wf-sup-test-{next(_serial)}@example.org", password=None)
    role_grant(user=user, role=role, granted_by=None, programme=programme)
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def peer_client(profile: PeerProfile) -> Client:
    """The peer themself, signed in, holding the peer supporter role in the programme."""
    user = profile.person.user
    assert user is not None
    held = RoleAssignment.objects.filter(
        user=user, role=Role.PEER_SUPPORTER, programme=profile.programme, ended_at__isnull=True
    )
    if not held.exists():
        role_grant(
            user=user, role=Role.PEER_SUPPORTER, granted_by=None, programme=profile.programme
        )
    return signed_in(user)


def hold_match(profile: PeerProfile, reference: str = "") -> CapacityReservation:
    return capacity_reserve(
        profile=profile,
        kind=CapacityReservation.Kind.MATCH,
        reference=reference or f"match:test-{next(_serial)}",
        actor=None,
    )


def _earlier_today() -> datetime:
    """Half an hour ago, but never yesterday (tests run just after midnight too)."""
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(now - timedelta(minutes=30), midnight)


def record_session(
    programme: Programme,
    supervisor: User,
    peers: Sequence[PeerProfile],
    *,
    held_at: datetime | None = None,
    notes: str = "Discussed a hard week with one participant.",
) -> SupervisionSession:
    return session_record(
        programme=programme,
        supervisor=supervisor,
        peers=peers,
        held_at=held_at or _earlier_today(),
        format=SupervisionSession.Format.INDIVIDUAL
        if len(peers) == 1
        else SupervisionSession.Format.GROUP,
        kind=SupervisionSession.Kind.CLINICAL,
        topics=["caseload", "wellbeing"],
        notes=notes,
        agreed_actions="Take Friday off.",
    )


def leader_who_is_a_peer(programme: Programme) -> PeerProfile:
    """A peer supporter of the programme who also leads it (their login holds the
    programme leader role)."""
    from tests.workforce.world import make_profile

    profile = make_profile(programme, ready=True, status=PeerProfile.Status.ACTIVE)
    user = profile.person.user
    assert user is not None
    role_grant(user=user, role=Role.PROGRAMME_LEADER, granted_by=None, programme=programme)
    return profile
