"""The support demo's groups: a course with a waiting list and/or a moderated online
circle where the programme runs groups, with sessions and attendance."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.referrals.models import Enrolment
from peerbridge.support import group_sessions, groups
from peerbridge.support.group_selectors import LIVE_ENROLMENT_STATUSES
from peerbridge.support.models import Attendance, Group, GroupMember, GroupSession
from peerbridge.web.demo_support_scene import Scene, day_delta, letter_of
from peerbridge.workforce.models import PeerProfile

# The groups of the programmes that run groups (D and E are one-to-one only).
GROUPS: dict[str, tuple[str, ...]] = {
    "a": ("course",),
    "b": ("course", "online"),
    "c": ("online",),
    "f": ("course",),
    "g": ("online",),
    "h": ("course", "online"),
}
COURSE_PLACES, ONLINE_MEMBERS = 8, 5


# ---------------------------------------------------------------------------------------
# Groups


def _live_enrolments(programme: Programme) -> list[Enrolment]:
    return list(
        Enrolment.objects.filter(programme=programme, status__in=sorted(LIVE_ENROLMENT_STATUSES))
        .select_related("person")
        .order_by("pk")
    )


def _peer_facilitator(scene: Scene, group: Group, letter: str, taken: set[int]) -> bool:
    """The first peer of the programme (persona peer2.X first) who may facilitate."""
    peer2 = scene.user(f"peer2.{letter}")
    profiles = sorted(
        PeerProfile.objects.filter(programme=group.programme, status=PeerProfile.Status.ACTIVE)
        .exclude(pk__in=taken)
        .select_related("person"),
        key=lambda p: (peer2 is None or p.person.user_id != peer2.pk, p.pk),
    )
    for profile in profiles:
        try:
            groups.facilitator_add(group=group, actor=scene.coordinator(letter), profile=profile)
        except ValidationError:
            continue
        taken.add(profile.pk)
        return True
    return False


def _group(
    scene: Scene, letter: str, data: dict[str, Any], *, professional: User | None, taken: set[int]
) -> Group:
    coordinator = scene.coordinator(letter)
    group = groups.group_create(programme=scene.programmes[letter], actor=coordinator, data=data)
    peer = _peer_facilitator(scene, group, letter, taken)
    if professional is None and not peer:  # no peer free to lead it: staff lead it
        professional = scene.user(f"supervisor.{letter}") or coordinator
    if professional is not None:
        groups.facilitator_add(group=group, actor=coordinator, user=professional)
    return groups.group_set_status(group=group, to_status=Group.Status.RUNNING, actor=coordinator)


def run_groups(scene: Scene, letter: str) -> None:
    """Where the programme runs groups: a course of 6 to 8 weekly sessions, most of them
    held, with a waiting list, and/or an online mutual support group every fortnight
    with a moderator. (Few sessions lie ahead: each is an invitation per person.)"""
    programme = scene.programmes[letter]
    people = _live_enrolments(programme)
    if Programme.Format.GROUP not in (programme.formats or []) or len(people) < 4:
        return
    kinds = GROUPS.get(letter, ("course",))
    sessions = 6 + sum(map(ord, letter)) % 3
    local = timezone.localtime(scene.now)
    evening = local.replace(hour=18, minute=0, second=0, microsecond=0)
    course_starts = evening - day_delta(days=33)
    online_starts = evening - day_delta(days=65)
    taken: set[int] = set()
    if "course" in kinds:
        _course(scene, letter, people, sessions, course_starts, taken)
    if "online" in kinds:
        _online(scene, letter, people, online_starts, taken)


def _course(
    scene: Scene,
    letter: str,
    people: list[Enrolment],
    sessions: int,
    starts: datetime.datetime,
    taken: set[int],
) -> None:
    programme = scene.programmes[letter]
    course = _group(
        scene,
        letter,
        {
            "name": f"{programme.name}: {sessions}-week course",
            "kind": Group.Kind.COURSE,
            "description": "A structured course led by peers, one topic a week.",
            "modality": Group.Modality.IN_PERSON,
            "place": "Community centre, Room 2",
            "schedule": "Weekly, 18:00-19:30",
            "session_count": sessions,
            "completion_sessions": sessions - 2,
            "capacity": min(COURSE_PLACES, len(people) - 2),
            "starts_on": timezone.localdate(starts),
        },
        professional=scene.coordinator(letter),
        taken=taken,
    )
    _run(scene, course, starts, "weekly", sessions, people[: COURSE_PLACES + 2])


def _online(
    scene: Scene, letter: str, people: list[Enrolment], starts: datetime.datetime, taken: set[int]
) -> None:
    programme = scene.programmes[letter]
    online = _group(
        scene,
        letter,
        {
            "name": f"{programme.name}: online circle",
            "kind": Group.Kind.MUTUAL_SUPPORT,
            "description": "An open, moderated circle to share what helps.",
            "modality": Group.Modality.ONLINE,
            "online_link": "https://meet.example.org/peerbridge-demo-" + letter,
            "schedule": "Every other Wednesday, 19:00-20:00",
            "capacity": 12,
            "moderator": scene.user(f"supervisor.{letter}"),
            "starts_on": timezone.localdate(starts),
        },
        professional=None,
        taken=taken,
    )
    _run(scene, online, starts, "fortnightly", 6, people[-ONLINE_MEMBERS:])
    scene.online_groups[letter] = online


def _run(
    scene: Scene,
    group: Group,
    first: datetime.datetime,
    rhythm: str,
    count: int,
    people: list[Enrolment],
) -> None:
    """Sessions from `first`, the people enrolled (beyond the places: waiting) a week
    before it, and attendance for the sessions already held."""
    coordinator = scene.coordinator(letter_of(scene, group.programme_id))
    planned = group_sessions.sessions_generate(
        group=group, actor=coordinator, first_starts_at=first, rhythm=rhythm, count=count
    )
    members = [
        groups.member_add(group=group, enrolment=enrolment, actor=coordinator)
        for enrolment in people
    ]
    joined = first - day_delta(days=7)
    for number, member in enumerate(members):
        member.joined_at = joined + day_delta(hours=number)
        if member.enrolled_at is not None:
            member.enrolled_at = member.joined_at
    GroupMember.objects.bulk_update(members, ["joined_at", "enrolled_at"])
    placed = [m for m in members if m.status == GroupMember.Status.ENROLLED]
    statuses = [Attendance.Status.PRESENT] * 6 + [
        Attendance.Status.ABSENT,
        Attendance.Status.EXCUSED,
    ]
    Group.objects.filter(pk=group.pk).update(created_at=joined - day_delta(days=14))
    for session in planned:
        if session.starts_at > scene.now:
            break
        group_sessions.session_record(
            session=session,
            actor=coordinator,
            attendance={m.pk: scene.rng.choice(statuses) for m in placed},
            notes="Good discussion; everyone spoke at least once.",
        )
        done = min(session.starts_at + day_delta(minutes=session.duration_minutes + 30), scene.now)
        Attendance.objects.filter(session=session).update(recorded_at=done)
        GroupSession.objects.filter(pk=session.pk).update(recorded_at=done)
