"""What a group tells its people: a calendar invitation when a session is scheduled or
moved (members with a place, the live facilitators and the moderator), a message when a
place comes up from the waiting list, and a notice when a session is cancelled.

Email and text messages say only that there is a session and when, with a link: a
group's name can name a condition, so it appears in in-app messages only. Members are
sent to their home page (which lists their groups); facilitators to the group page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.models import User
from peerbridge.notifications.calendar import ics_event
from peerbridge.notifications.services import notify
from peerbridge.organisations.models import Programme
from peerbridge.people.models import Person
from peerbridge.support.group_selectors import PLACED
from peerbridge.support.models import Facilitator, Group, GroupMember, GroupSession

SESSION = "support_group_session"
SESSION_CANCELLED = "support_group_session_cancelled"
PLACE = "support_group_place"


def _absolute(path: str) -> str:
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else path


@dataclass(frozen=True)
class Recipient:
    """Someone in the group to tell: a member (by person) or a facilitator."""

    key: str  # distinguishes recipients in dedupe keys: m<member>, p<person>, u<user>
    programme: Programme
    person: Person | None
    user: User | None
    path: str

    def send(
        self,
        *,
        kind: str,
        group: Group,
        dedupe: str,
        session: GroupSession | None = None,
        calendar: str = "",
        moved: bool = False,
    ) -> None:
        notify(
            kind=kind,
            programme=self.programme,
            context={
                "starts_at": session.starts_at if session is not None else None,
                "moved": moved,
                "group_name": group.name,  # in-app templates only
            },
            user=self.user,
            person=self.person,
            link=self.path,
            calendar=calendar,
            dedupe_key=f"{dedupe}:{self.key}"[:120],
        )


def member_recipient(member: GroupMember, programme: Programme) -> Recipient:
    return Recipient(
        key=f"m{member.pk}",
        programme=programme,
        person=member.enrolment.person,
        user=None,
        path=reverse("web:home"),
    )


def recipients(group: Group) -> list[Recipient]:
    """Members with a place, the live facilitators and the moderator, once each."""
    programme = group.programme
    path = reverse("support:group", args=[group.pk])
    found = [
        member_recipient(member, programme)
        for member in GroupMember.objects.filter(group=group, status__in=PLACED).select_related(
            "enrolment__person__user"
        )
    ]
    users: set[int] = set()
    live = Facilitator.objects.filter(group=group, removed_at__isnull=True)
    for facilitator in live.select_related("profile__person__user", "user"):
        if facilitator.profile is not None:
            person = facilitator.profile.person
            found.append(Recipient(f"p{person.pk}", programme, person, None, path))
            if person.user_id:
                users.add(person.user_id)
        elif facilitator.user is not None and facilitator.user.pk not in users:
            users.add(facilitator.user.pk)
            found.append(
                Recipient(f"u{facilitator.user.pk}", programme, None, facilitator.user, path)
            )
    if group.moderator_id is not None and group.moderator_id not in users:
        moderator = User.objects.get(pk=group.moderator_id)
        found.append(Recipient(f"u{moderator.pk}", programme, None, moderator, path))
    return found


def invitation(session: GroupSession, recipient: Recipient) -> str:
    """The session as a calendar event: when and where, nothing about the group."""
    group = session.group
    where = ", ".join(part for part in (group.place, group.online_link) if part)
    return ics_event(
        uid=f"group-session-{session.pk}",
        starts_at=session.starts_at,
        ends_at=session.starts_at + timedelta(minutes=session.duration_minutes),
        summary=_("Group session"),
        location=where,
        description=_absolute(recipient.path),
        # Calendars replace an event whose sequence went up: the sending time always
        # does, so a moved session's invitation updates the one sent before.
        sequence=int(timezone.now().timestamp()),
    )


def invite(
    sessions: Iterable[GroupSession], people: Iterable[Recipient], *, moved: bool = False
) -> None:
    """Invitations for the sessions still ahead, one per session and recipient; sending
    the same time again is a no-op (the dedupe key holds the time)."""
    now = timezone.now()
    ahead = [s for s in sessions if s.status == GroupSession.Status.SCHEDULED and s.starts_at > now]
    for recipient in people:
        for session in ahead:
            recipient.send(
                kind=SESSION,
                group=session.group,
                session=session,
                dedupe=f"gs:{session.pk}:{int(session.starts_at.timestamp())}",
                calendar=invitation(session, recipient),
                moved=moved,
            )


def invite_everyone(sessions: list[GroupSession], *, moved: bool = False) -> None:
    if sessions:
        invite(sessions, recipients(sessions[0].group), moved=moved)


def tell_cancelled(session: GroupSession) -> None:
    if session.starts_at <= timezone.now():
        return
    for recipient in recipients(session.group):
        recipient.send(
            kind=SESSION_CANCELLED, group=session.group, session=session, dedupe=f"gsc:{session.pk}"
        )


def welcome(member: GroupMember, *, promoted: bool) -> None:
    """A member who got a place: told so when it came from the waiting list, and sent
    the invitations for the sessions ahead."""
    group = member.group
    recipient = member_recipient(member, group.programme)
    if promoted:
        recipient.send(kind=PLACE, group=group, dedupe=f"gp:{member.pk}")
    sessions = list(GroupSession.objects.filter(group=group, status=GroupSession.Status.SCHEDULED))
    for session in sessions:
        session.group = group
    invite(sessions, [recipient])
