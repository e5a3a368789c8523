"""Builders for the agreements and training tests, through the real services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.organisations.roles import Role
from peerbridge.organisations.services import role_grant
from peerbridge.workforce.agreements import agreement_sign
from peerbridge.workforce.eligibility import latest_agreement_texts
from peerbridge.workforce.models import (
    CompetencyCheck,
    PeerProfile,
    TrainingModule,
    TrainingSession,
)
from peerbridge.workforce.training import (
    attendance_record,
    competency_check_record,
    session_schedule,
)
from peerbridge.workforce.training_selectors import competencies_of
from tests.conftest import persona_user


def staff(persona: str) -> User:
    user = persona_user(persona)
    assert user is not None
    return user


def peer_user(profile: PeerProfile) -> User:
    user = profile.person.user
    assert user is not None
    return user


def peer_client(profile: PeerProfile) -> Client:
    """The peer signed in, holding the peer supporter role in their programme."""
    user = peer_user(profile)
    role_grant(user=user, role=Role.PEER_SUPPORTER, granted_by=None, programme=profile.programme)
    client = Client()
    client.force_login(user)
    return client


def held_session(
    module: TrainingModule, *, days_ago: int = 3, hours: Decimal | None = None
) -> TrainingSession:
    return session_schedule(
        module=module,
        actor=staff("coordinator"),
        starts_at=timezone.now() - timedelta(days=days_ago),
        trainer="Test trainer",
        modality=TrainingSession.Modality.IN_PERSON,
        hours=hours,
        location="Community room",
    )


def attend_required_modules(profile: PeerProfile) -> None:
    for module in TrainingModule.objects.filter(
        programme=profile.programme, required=True, is_active=True, audience="peers"
    ):
        attendance_record(
            session=held_session(module),
            actor=staff("coordinator"),
            person_ids=[profile.person_id],
        )


def pass_required_competencies(profile: PeerProfile) -> None:
    for competency in competencies_of(profile.programme).filter(required=True):
        competency_check_record(
            profile=profile,
            competency=competency,
            actor=staff("supervisor"),
            result=CompetencyCheck.Result.PASSED,
            evidence="Listened well in the role-play; escalated the risk scenario at once.",
        )


def sign_everything(profile: PeerProfile) -> None:
    for text in latest_agreement_texts([profile.programme_id])[profile.programme_id].values():
        agreement_sign(
            profile=profile, text=text, signed_name=str(profile.person), actor=peer_user(profile)
        )
