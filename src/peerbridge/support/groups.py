"""Groups: set up and run a group programme (planned > running > finished, or
cancelled), its one to three facilitators, its sessions, enrolment with a waiting list,
attendance and course completion.

Every change that counts places or facilitators locks the group row first (SELECT ...
FOR UPDATE on PostgreSQL; SQLite runs one writer at a time), so two coordinators adding
people at the same moment never fill more places than the group has. A peer facilitator
holds one unit of their capacity ("group:<id>") through `workforce.capacity` while the
group is live. Members and facilitators get a calendar invitation when a session is
scheduled or moved; messages carry no group name outside the app (it can name a
condition).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.referrals.models import Enrolment
from peerbridge.support import group_messages
from peerbridge.support.group_selectors import (
    CURRENT,
    LIVE_ENROLMENT_STATUSES,
    PLACED,
    is_professional,
    present_counts,
)
from peerbridge.support.models import Facilitator, Group, GroupMember, GroupSession
from peerbridge.workforce.capacity import capacity_release, capacity_reserve
from peerbridge.workforce.eligibility import may_facilitate_group
from peerbridge.workforce.models import CapacityReservation, PeerProfile

G = Group.Status
MS = GroupMember.Status
SS = GroupSession.Status
MAX_FACILITATORS = 3
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
GROUP_FIELDS = (
    "name",
    "kind",
    "description",
    "modality",
    "place",
    "online_link",
    "schedule",
    "session_count",
    "completion_sessions",
    "capacity",
    "moderator",
    "starts_on",
)
TEXT_FIELDS = ("name", "description", "place", "online_link", "schedule")
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    G.PLANNED: frozenset({G.RUNNING, G.CANCELLED}),
    G.RUNNING: frozenset({G.FINISHED, G.CANCELLED}),
    G.FINISHED: frozenset(),
    G.CANCELLED: frozenset(),
}
OPEN = frozenset({G.PLANNED, G.RUNNING})
_link_validator = URLValidator(schemes=["http", "https"])
AddError = Callable[[str, str], None]


def refuse(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def locked(group: Group) -> Group:
    """The group re-read under a row lock (its own row only: the programme stays free)."""
    locked = Group.objects.select_for_update().get(pk=group.pk)
    locked.programme = group.programme
    return locked


def require_open(group: Group, field: str = NON_FIELD_ERRORS) -> None:
    if group.status not in OPEN:
        raise refuse(
            field,
            _("This group is %(status)s: nothing more can be added or changed.")
            % {"status": G(group.status).label.lower()},
            "group_closed",
        )


# ---------------------------------------------------------------------------------------
# The group itself


def _group_errors(group: Group, *, placed: int = 0, live_sessions: int = 0) -> dict[str, list[Any]]:
    errors: dict[str, list[Any]] = {}
    try:
        group.full_clean(exclude=["programme", "created_by", "created_at", "status"])
    except ValidationError as error:
        errors = {name: list(messages) for name, messages in error.message_dict.items()}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name in TEXT_FIELDS:
        if "\x00" in str(getattr(group, name) or ""):
            add(name, _("This contains characters that cannot be kept."))
    if len(group.description or "") > 2000:
        add("description", _("Keep the description under 2000 characters."))
    if "online_link" not in errors and group.online_link:
        try:
            _link_validator(group.online_link)
        except ValidationError:
            add("online_link", _("Give a web address starting with https://."))
    _modality_errors(group, add, skip_moderator="moderator" in errors)
    _course_errors(group, add, errors, live_sessions=live_sessions)
    if group.starts_on is not None and not EARLIEST_YEAR <= group.starts_on.year <= LATEST_YEAR:
        add("starts_on", _("Give a start date between 2000 and 2100."))
    if "capacity" not in errors and group.capacity is not None and group.capacity < placed:
        add(
            "capacity",
            _("%(n)s people already have a place: the group cannot have fewer places.")
            % {"n": placed},
        )
    return errors


def _modality_errors(group: Group, add: AddError, *, skip_moderator: bool) -> None:
    modality = group.modality
    in_person = modality in (Group.Modality.IN_PERSON, Group.Modality.HYBRID)
    online = modality in (Group.Modality.ONLINE, Group.Modality.HYBRID)
    if in_person and not (group.place or "").strip():
        add("place", _("Say where the group meets."))
    if online and not group.online_link:
        add("online_link", _("An online group needs the link people join by."))
    if skip_moderator:
        return
    if online and group.moderator_id is None:
        add("moderator", _("An online group needs a named moderator."))
    elif group.moderator_id is not None and not is_professional(group.moderator, group.programme):
        add("moderator", _("Choose a staff member of this programme as moderator."))


def _course_errors(
    group: Group, add: AddError, errors: Mapping[str, Any], *, live_sessions: int
) -> None:
    count, needed = group.session_count, group.completion_sessions
    if "session_count" in errors or "completion_sessions" in errors:
        return
    if group.kind == Group.Kind.COURSE and not count:
        add("session_count", _("A structured course needs its number of sessions."))
    if count and needed and needed > count:
        add(
            "completion_sessions",
            _("Completing cannot need more than the %(n)s sessions of the course.") % {"n": count},
        )
    if count and live_sessions > count:
        add(
            "session_count",
            _("%(n)s sessions are already planned or held: cancel some first.")
            % {"n": live_sessions},
        )


def _apply(group: Group, data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - set(GROUP_FIELDS))
    if unknown:
        raise ValidationError({name: _("This is not a field of a group.") for name in unknown})
    for name, value in data.items():
        if name in TEXT_FIELDS and isinstance(value, str):
            value = value.strip()
        if name in TEXT_FIELDS and value is None:
            value = ""
        if name == "moderator" and value is not None and not isinstance(value, User):
            raise refuse("moderator", _("Choose a staff member of this programme as moderator."))
        setattr(group, name, value)
    if group.kind == Group.Kind.COURSE and group.completion_sessions is None:
        group.completion_sessions = group.session_count


def _validate(group: Group, *, placed: int = 0, live_sessions: int = 0) -> None:
    errors = _group_errors(group, placed=placed, live_sessions=live_sessions)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def group_create(*, programme: Programme, actor: User | None, data: Mapping[str, Any]) -> Group:
    """A new group (planned) in the programme: every field checked together."""
    group = Group(programme=programme, created_by=actor, status=G.PLANNED)
    _apply(group, data)
    _validate(group)
    group.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=group)
    return group


@transaction.atomic
def group_update(*, group: Group, actor: User | None, data: Mapping[str, Any]) -> Group:
    """Change what the group is, where and how big. More places take people from the
    waiting list at once; fewer places than people placed are refused."""
    group = locked(group)
    require_open(group)
    placed = GroupMember.objects.filter(group=group, status__in=PLACED).count()
    live_sessions = GroupSession.objects.filter(group=group).exclude(status=SS.CANCELLED).count()
    _apply(group, data)
    _validate(group, placed=placed, live_sessions=live_sessions)
    group.save()
    audit_instance(actor=actor, action=Action.UPDATE, instance=group)
    _promote(group, actor=actor)
    return group


@transaction.atomic
def group_set_status(*, group: Group, to_status: str, actor: User | None) -> Group:
    """Start, finish or cancel the group. Finishing marks who completed the course;
    finishing or cancelling closes the waiting list, cancels sessions still scheduled
    (telling people) and gives the peer facilitators their capacity back."""
    group = locked(group)
    if to_status not in STATUS_TRANSITIONS.get(group.status, frozenset()):
        label = dict(G.choices).get(to_status, to_status)
        raise refuse(
            "status",
            _("A group that is %(now)s cannot become %(next)s.")
            % {"now": G(group.status).label.lower(), "next": str(label).lower()},
            "invalid_transition",
        )
    if to_status == G.RUNNING:
        _validate(group)
        if not Facilitator.objects.filter(group=group, removed_at__isnull=True).exists():
            raise refuse("status", _("Add a facilitator before the group starts."))
    if to_status == G.FINISHED:
        _complete(group, actor=actor)
    if to_status in (G.FINISHED, G.CANCELLED):
        _close(group, actor=actor)
    group.status = to_status
    group.save(update_fields=["status"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=group)
    return group


def _close(group: Group, *, actor: User | None) -> None:
    now = timezone.now()
    waiting = list(GroupMember.objects.filter(group=group, status=MS.WAITING))
    GroupMember.objects.filter(pk__in=[m.pk for m in waiting]).update(status=MS.LEFT, ended_at=now)
    GroupMember.objects.filter(group=group, status__in=PLACED, ended_at__isnull=True).update(
        ended_at=now
    )
    audit_many(
        actor=actor,
        action=Action.UPDATE,
        object_type="support.groupmember",
        object_ids=[m.pk for m in waiting],
    )
    for session in GroupSession.objects.filter(group=group, status=SS.SCHEDULED):
        session.group = group
        cancel_locked_session(session, actor=actor)
    for facilitator in Facilitator.objects.filter(
        group=group, removed_at__isnull=True, profile__isnull=False
    ).select_related("profile"):
        if facilitator.profile is not None:
            _release(group, facilitator.profile, actor=actor)


def cancel_locked_session(session: GroupSession, *, actor: User | None) -> GroupSession:
    """Cancel a scheduled session of a locked group, telling people if it was ahead."""
    session.status = SS.CANCELLED
    session.save(update_fields=["status"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=session)
    group_messages.tell_cancelled(session)
    return session


def _release(group: Group, profile: PeerProfile, *, actor: User | None) -> None:
    capacity_release(
        profile=profile,
        kind=CapacityReservation.Kind.GROUP,
        reference=f"group:{group.pk}",
        actor=actor,
    )


# ---------------------------------------------------------------------------------------
# Facilitators


@transaction.atomic
def facilitator_add(
    *,
    group: Group,
    actor: User | None,
    profile: PeerProfile | None = None,
    user: User | None = None,
) -> Facilitator:
    """Add a peer facilitator (who must pass the workforce check for groups: one unit
    of their capacity is reserved) or a professional co-facilitator (a staff login of
    the programme). A group has one to three facilitators."""
    if (profile is None) == (user is None):
        raise refuse("peer", _("Choose one peer supporter or one professional."))
    field = "peer" if profile is not None else "professional"
    group = locked(group)
    require_open(group, field)
    live = Facilitator.objects.filter(group=group, removed_at__isnull=True)
    if live.count() >= MAX_FACILITATORS:
        raise refuse(
            field,
            _("A group has at most %(n)s facilitators.") % {"n": MAX_FACILITATORS},
            "too_many_facilitators",
        )
    if profile is not None:
        return _add_peer(
            group, profile, live_ids=set(live.values_list("profile_id", flat=True)), actor=actor
        )
    if user is None or not is_professional(user, group.programme):
        raise refuse("professional", _("Choose a staff member of this programme."))
    if live.filter(user=user).exists():
        raise refuse("professional", _("This person already facilitates the group."))
    facilitator = Facilitator.objects.create(group=group, user=user)
    audit_instance(actor=actor, action=Action.CREATE, instance=facilitator)
    return facilitator


def _add_peer(
    group: Group, profile: PeerProfile, *, live_ids: set[int | None], actor: User | None
) -> Facilitator:
    if profile.programme_id != group.programme_id:
        raise refuse("peer", _("This peer supporter is not in the group's programme."))
    if profile.pk in live_ids:
        raise refuse("peer", _("This peer supporter already facilitates the group."))
    eligible, blockers = may_facilitate_group(profile)
    if not eligible:
        raise ValidationError(
            {"peer": [ValidationError(b.detail, code=b.reason.value) for b in blockers]}
        )
    facilitator = Facilitator.objects.create(group=group, profile=profile)
    capacity_reserve(
        profile=profile,
        kind=CapacityReservation.Kind.GROUP,
        reference=f"group:{group.pk}",
        actor=actor,
    )
    audit_instance(actor=actor, action=Action.CREATE, instance=facilitator)
    return facilitator


@transaction.atomic
def facilitator_remove(*, facilitator: Facilitator, actor: User | None) -> Facilitator:
    """Stop someone facilitating (the record stays); a peer's capacity is given back."""
    group = locked(facilitator.group)
    facilitator = Facilitator.objects.select_for_update().get(pk=facilitator.pk)
    if facilitator.removed_at is not None:
        raise refuse(NON_FIELD_ERRORS, _("This facilitator was already removed."))
    facilitator.removed_at = timezone.now()
    facilitator.save(update_fields=["removed_at"])
    if facilitator.profile_id is not None:
        profile = PeerProfile.objects.get(pk=facilitator.profile_id)
        _release(group, profile, actor=actor)
    audit_instance(actor=actor, action=Action.UPDATE, instance=facilitator)
    return facilitator


# ---------------------------------------------------------------------------------------
# Enrolment and the waiting list


@transaction.atomic
def member_add(*, group: Group, enrolment: Enrolment, actor: User | None) -> GroupMember:
    """Give a participant of the programme a place, or a place on the waiting list
    when the group is full."""
    group = locked(group)
    require_open(group, "enrolment")
    if enrolment.programme_id != group.programme_id:
        raise refuse("enrolment", _("This participant is not in the group's programme."))
    if enrolment.status not in LIVE_ENROLMENT_STATUSES:
        raise refuse(
            "enrolment", _("Only a participant currently in the programme can join a group.")
        )
    if GroupMember.objects.filter(group=group, enrolment=enrolment, status__in=CURRENT).exists():
        raise refuse("enrolment", _("This participant is already in the group or waiting."))
    placed = GroupMember.objects.filter(group=group, status__in=PLACED).count()
    now = timezone.now()
    has_place = placed < group.capacity
    member = GroupMember(
        group=group,
        enrolment=enrolment,
        status=MS.ENROLLED if has_place else MS.WAITING,
        joined_at=now,
        enrolled_at=now if has_place else None,
    )
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise refuse(
            "enrolment", _("This participant is already in the group or waiting.")
        ) from None
    audit_instance(actor=actor, action=Action.CREATE, instance=member)
    if has_place:
        group_messages.welcome(member, promoted=False)
    return member


@transaction.atomic
def member_leave(*, member: GroupMember, actor: User | None) -> GroupMember:
    """Leave the group or its waiting list. A place freed goes to the first person
    waiting, who is told at once."""
    group = locked(member.group)
    member = (
        GroupMember.objects.select_for_update()
        .select_related("enrolment__person")
        .get(pk=member.pk)
    )
    member.group = group
    if member.status not in (MS.ENROLLED, MS.WAITING):
        raise refuse(
            NON_FIELD_ERRORS,
            _("Only someone in the group or waiting can leave (now: %(status)s).")
            % {"status": MS(member.status).label.lower()},
        )
    member.status = MS.LEFT
    member.ended_at = timezone.now()
    member.save(update_fields=["status", "ended_at"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=member)
    if group.status in OPEN:
        _promote(group, actor=actor)
    return member


def _promote(group: Group, *, actor: User | None) -> list[GroupMember]:
    """Fill free places from the waiting list in joining order (group row locked)."""
    if group.status not in OPEN:
        return []
    free = group.capacity - GroupMember.objects.filter(group=group, status__in=PLACED).count()
    if free <= 0:
        return []
    promoted = list(
        GroupMember.objects.filter(group=group, status=MS.WAITING)
        .select_related("enrolment__person")
        .order_by("joined_at", "pk")[:free]
    )
    now = timezone.now()
    for member in promoted:
        member.group = group
        member.status = MS.ENROLLED
        member.enrolled_at = now
        member.save(update_fields=["status", "enrolled_at"])
        audit_instance(actor=actor, action=Action.UPDATE, instance=member)
        group_messages.welcome(member, promoted=True)
    return promoted


@transaction.atomic
def members_complete(*, group: Group, actor: User | None) -> list[GroupMember]:
    """Mark as completed every member who has attended enough sessions (on demand;
    finishing the group does it too)."""
    group = locked(group)
    if not group.completion_sessions:
        raise refuse("completion_sessions", _("Say how many sessions completing the group needs."))
    return _complete(group, actor=actor)


def _complete(group: Group, *, actor: User | None) -> list[GroupMember]:
    needed = group.completion_sessions
    if not needed:
        return []
    attended = present_counts(group)
    done = [
        member
        for member in GroupMember.objects.filter(group=group, status=MS.ENROLLED)
        if attended.get(member.pk, 0) >= needed
    ]
    GroupMember.objects.filter(pk__in=[m.pk for m in done]).update(status=MS.COMPLETED)
    audit_many(
        actor=actor,
        action=Action.UPDATE,
        object_type="support.groupmember",
        object_ids=[m.pk for m in done],
    )
    for member in done:
        member.status = MS.COMPLETED
    return done
