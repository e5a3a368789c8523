"""Builders for the group tests: groups made through the services, ready peers to
facilitate them, participants to fill them, and sessions in the past to record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.referrals.models import Enrolment
from peerbridge.support import group_sessions, groups
from peerbridge.support.models import Group, GroupMember, GroupSession
from peerbridge.workforce.models import PeerProfile
from tests.conftest import persona_user
from tests.matching.world_lifecycle import waiting_enrolment
from tests.workforce.world_wellbeing import available_peer


def user_of(persona: str) -> User:
    user = persona_user(persona)
    assert user is not None
    return user


def group_data(**overrides: Any) -> dict[str, Any]:
    """A valid in-person course of four sessions (three to complete), three places."""
    data: dict[str, Any] = {
        "name": "Living well course",
        "kind": Group.Kind.COURSE,
        "modality": Group.Modality.IN_PERSON,
        "place": "Riverside Community Centre, room 2",
        "capacity": 3,
        "session_count": 4,
        "completion_sessions": 3,
    }
    data.update(overrides)
    return data


def make_group(programme: Programme, **overrides: Any) -> Group:
    return groups.group_create(
        programme=programme, actor=user_of("coordinator"), data=group_data(**overrides)
    )


def facilitator_peer(programme: Programme) -> PeerProfile:
    """A ready peer who may facilitate one group and can sign in with the peer role."""
    return available_peer(programme, supervised=True, max_matches=5)


def running_group(
    programme: Programme, *, facilitator: PeerProfile | None = None, **overrides: Any
) -> Group:
    """A group with a peer facilitator, started."""
    group = make_group(programme, **overrides)
    groups.facilitator_add(
        group=group,
        actor=user_of("coordinator"),
        profile=facilitator or facilitator_peer(programme),
    )
    return groups.group_set_status(
        group=group, to_status=Group.Status.RUNNING, actor=user_of("coordinator")
    )


def participant(programme: Programme, name: str = "Robin") -> Enrolment:
    return waiting_enrolment(programme, given_name=name)


def fill(group: Group, count: int) -> list[GroupMember]:
    return [
        groups.member_add(
            group=group, enrolment=participant(group.programme), actor=user_of("coordinator")
        )
        for _ in range(count)
    ]


def past_sessions(group: Group, count: int) -> list[GroupSession]:
    """`count` weekly sessions, the last a day ago (so all can be recorded)."""
    first = timezone.now() - timedelta(days=1 + 7 * (count - 1))
    return group_sessions.sessions_generate(
        group=group,
        actor=user_of("coordinator"),
        first_starts_at=first,
        rhythm="weekly",
        count=count,
    )


def future_sessions(group: Group, count: int, *, rhythm: str = "weekly") -> list[GroupSession]:
    return group_sessions.sessions_generate(
        group=group,
        actor=user_of("coordinator"),
        first_starts_at=timezone.now() + timedelta(days=2),
        rhythm=rhythm,
        count=count,
    )


def record(session: GroupSession, marks: dict[GroupMember, str], notes: str = "") -> GroupSession:
    return group_sessions.session_record(
        session=session,
        actor=user_of("coordinator"),
        attendance={member.pk: status for member, status in marks.items()},
        notes=notes,
    )
