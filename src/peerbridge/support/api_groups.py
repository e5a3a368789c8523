"""API for groups (mounted by support/api.py): a programme's groups, a group and its
status, facilitators, members and waiting list; a group's sessions and attendance are in
api_group_sessions, whose router this one mounts. The same services as the pages; errors
in the one shape (a service's field errors keep the service's field names: `peer`,
`professional`, `moderator`, `enrolment`, `attendance`...)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peerbridge.api.pagination import Pages, paginate
from peerbridge.api.values import plain, plain_values
from peerbridge.core.access import acting_user, api_policy
from peerbridge.core.models import User
from peerbridge.organisations.selectors import access_programme
from peerbridge.referrals.models import Enrolment
from peerbridge.support import api_group_sessions, groups, policies
from peerbridge.support.api_group_fields import Count, Day, Id, Name, Short
from peerbridge.support.group_selectors import (
    access_facilitator,
    access_group,
    access_group_member,
    audit_facilitators,
    audit_members,
    group_members,
    groups_in_scope,
    live_facilitators,
    with_counts,
)
from peerbridge.support.models import Facilitator, Group, GroupMember
from peerbridge.workforce.models import PeerProfile

router = Router(tags=["groups"])
router.add_router("", api_group_sessions.router)


# ---------------------------------------------------------------------------------------
# Shapes


class GroupOut(Schema):
    id: int
    programme_id: int
    name: str
    kind: str
    description: str
    modality: str
    place: str
    online_link: str
    schedule: str
    session_count: int | None
    completion_sessions: int | None
    capacity: int
    moderator_id: int | None
    moderator_name: str | None
    starts_on: date | None
    status: str
    created_at: datetime
    placed_count: int
    waiting_count: int
    next_session_at: datetime | None


class GroupPage(Schema):
    items: list[GroupOut]
    count: int
    page: int
    page_size: int


class GroupFilters(Schema):
    status: Group.Status | None = None


class GroupIn(Schema):
    name: Name
    kind: Group.Kind
    description: Annotated[str, Field(max_length=2000)] = ""
    modality: Group.Modality
    place: Short = ""
    online_link: Annotated[str, Field(max_length=200)] = ""
    schedule: Annotated[str, Field(max_length=200)] = ""
    session_count: Count | None = None
    completion_sessions: Count | None = None
    capacity: Annotated[int, Field(ge=1, le=500, strict=True)]
    moderator_id: Id | None = Field(None, description="A staff login of the programme.")
    starts_on: Day | None = None


class GroupPatch(Schema):
    name: Name | None = None
    kind: Group.Kind | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    modality: Group.Modality | None = None
    place: Short | None = None
    online_link: Annotated[str, Field(max_length=200)] | None = None
    schedule: Annotated[str, Field(max_length=200)] | None = None
    session_count: Count | None = None
    completion_sessions: Count | None = None
    capacity: Annotated[int, Field(ge=1, le=500, strict=True)] | None = None
    moderator_id: Id | None = None
    starts_on: Day | None = None


class StatusIn(Schema):
    status: Group.Status


class FacilitatorIn(Schema):
    peer_id: Id | None = Field(None, description="A peer's profile in the programme.")
    professional_id: Id | None = Field(None, description="A staff login of the programme.")


class FacilitatorOut(Schema):
    id: int
    role: str
    profile_id: int | None
    user_id: int | None
    name: str
    added_at: datetime
    removed_at: datetime | None


class MemberIn(Schema):
    enrolment_id: Id


class MemberOut(Schema):
    id: int
    enrolment_id: int
    name: str
    status: str
    joined_at: datetime
    enrolled_at: datetime | None
    ended_at: datetime | None


# ---------------------------------------------------------------------------------------
# Payloads


GROUP_OUT = tuple(GroupOut.model_fields)


def _group(group: Group) -> dict[str, Any]:
    values = {name: getattr(group, name, None) for name in GROUP_OUT}
    values["moderator_name"] = group.moderator.display_name if group.moderator else None
    values["placed_count"] = values["placed_count"] or 0
    values["waiting_count"] = values["waiting_count"] or 0
    return values


def _counted(group: Group) -> Group:
    return with_counts(Group.objects.filter(pk=group.pk).select_related("moderator__person")).get()


def _facilitator(row: Facilitator) -> dict[str, Any]:
    peer = row.profile
    return {
        "id": row.pk,
        "role": "peer" if peer is not None else "professional",
        "profile_id": row.profile_id,
        "user_id": row.user_id,
        "name": str(peer.person)
        if peer is not None
        else (row.user.display_name if row.user else ""),
        "added_at": row.added_at,
        "removed_at": row.removed_at,
    }


def _user_name(user: User | None) -> str:
    return user.display_name if user is not None else ""


def _member(row: GroupMember) -> dict[str, Any]:
    return {
        "id": row.pk,
        "enrolment_id": row.enrolment_id,
        "name": str(row.enrolment.person),
        "status": row.status,
        "joined_at": row.joined_at,
        "enrolled_at": row.enrolled_at,
        "ended_at": row.ended_at,
    }


def _group_data(payload: Schema) -> dict[str, Any]:
    data = plain_values(payload.model_dump(exclude_unset=True))
    if "moderator_id" in data:
        moderator_id = data.pop("moderator_id")
        data["moderator"] = (
            None if moderator_id is None else User.objects.filter(pk=moderator_id).first()
        )
        if moderator_id is not None and data["moderator"] is None:
            raise ValidationError({"moderator_id": ["No such staff member."]})
    for name in ("description", "place", "online_link", "schedule"):
        if name in data and data[name] is None:
            data[name] = ""
    return data


# ---------------------------------------------------------------------------------------
# Groups


@router.get("/programmes/{programme_id}/groups", response=GroupPage)
@api_policy(policies.GROUP_VIEW)
def list_groups(
    request: HttpRequest,
    programme_id: int,
    filters: Query[GroupFilters],
    pagination: Query[Pages.Input],
) -> dict[str, Any]:
    """The programme's groups for its staff; for a peer, the groups they facilitate."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.GROUP_VIEW
    )
    rows = groups_in_scope(request.user).filter(programme=programme)
    if filters.status is not None:
        rows = rows.filter(status=plain(filters.status))
    page = paginate(with_counts(rows).order_by("name", "pk"), pagination)
    return {**page, "items": [_group(g) for g in page["items"]]}


@router.post("/programmes/{programme_id}/groups", response={201: GroupOut})
@api_policy(policies.GROUP_RUN)
def create_group(
    request: HttpRequest, programme_id: int, payload: GroupIn
) -> Status[dict[str, Any]]:
    """A new group (planned). Online and hybrid groups need `online_link` and a
    `moderator_id`; in-person and hybrid groups a `place`; a course its
    `session_count`."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.GROUP_RUN
    )
    group = groups.group_create(
        programme=programme, actor=acting_user(request), data=_group_data(payload)
    )
    return Status(201, _group(_counted(group)))


@router.get("/groups/{group_id}", response=GroupOut)
@api_policy(policies.GROUP_VIEW)
def get_group(request: HttpRequest, group_id: int) -> dict[str, Any]:
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_VIEW)
    return _group(_counted(group))


@router.patch("/groups/{group_id}", response=GroupOut)
@api_policy(policies.GROUP_RUN)
def update_group(request: HttpRequest, group_id: int, payload: GroupPatch) -> dict[str, Any]:
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_RUN)
    group = groups.group_update(group=group, actor=acting_user(request), data=_group_data(payload))
    return _group(_counted(group))


@router.post("/groups/{group_id}/status", response=GroupOut)
@api_policy(policies.GROUP_RUN)
def set_group_status(request: HttpRequest, group_id: int, payload: StatusIn) -> dict[str, Any]:
    """planned > running > finished, or cancelled. Finishing marks completions."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_RUN)
    group = groups.group_set_status(
        group=group, to_status=plain(payload.status), actor=acting_user(request)
    )
    return _group(_counted(group))


# ---------------------------------------------------------------------------------------
# Facilitators


@router.get("/groups/{group_id}/facilitators", response=list[FacilitatorOut])
@api_policy(policies.GROUP_VIEW)
def list_facilitators(request: HttpRequest, group_id: int) -> list[dict[str, Any]]:
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_VIEW)
    rows = live_facilitators(group)
    group.live_facilitators = rows  # type: ignore[attr-defined]
    audit_facilitators(request.user, [group])
    return [_facilitator(row) for row in rows]


@router.post("/groups/{group_id}/facilitators", response={201: FacilitatorOut})
@api_policy(policies.GROUP_RUN)
def add_facilitator(
    request: HttpRequest, group_id: int, payload: FacilitatorIn
) -> Status[dict[str, Any]]:
    """A peer (`peer_id`, who must pass the workforce check for groups) or a
    professional (`professional_id`); at most three. An ineligible peer is a 422 with
    the reasons under `peer`."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_RUN)
    profile = user = None
    if payload.peer_id is not None:
        profile = PeerProfile.objects.filter(
            pk=payload.peer_id, programme_id=group.programme_id
        ).first()
        if profile is None:
            raise ValidationError({"peer_id": ["No such peer supporter in this programme."]})
    if payload.professional_id is not None:
        user = User.objects.filter(pk=payload.professional_id).first()
        if user is None:
            raise ValidationError({"professional_id": ["No such staff member."]})
    row = groups.facilitator_add(
        group=group, actor=acting_user(request), profile=profile, user=user
    )
    row = access_facilitator(group=group, facilitator_id=row.pk)
    return Status(201, _facilitator(row))


@router.delete("/groups/{group_id}/facilitators/{group_facilitator_id}", response=FacilitatorOut)
@api_policy(policies.GROUP_RUN)
def remove_facilitator(
    request: HttpRequest, group_id: int, group_facilitator_id: int
) -> dict[str, Any]:
    """Stop someone facilitating (the record stays); a peer's capacity is given back."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_RUN)
    row = access_facilitator(group=group, facilitator_id=group_facilitator_id)
    groups.facilitator_remove(facilitator=row, actor=acting_user(request))
    return _facilitator(access_facilitator(group=group, facilitator_id=row.pk))


# ---------------------------------------------------------------------------------------
# Members


@router.get("/groups/{group_id}/members", response=list[MemberOut])
@api_policy(policies.GROUP_VIEW)
def list_members(request: HttpRequest, group_id: int) -> list[dict[str, Any]]:
    """Members with a place, then the waiting list in joining order."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_VIEW)
    rows = group_members(group)
    audit_members(request.user, rows)
    return [_member(row) for row in rows]


@router.post("/groups/{group_id}/members", response={201: MemberOut})
@api_policy(policies.GROUP_RUN)
def add_member(request: HttpRequest, group_id: int, payload: MemberIn) -> Status[dict[str, Any]]:
    """A place for a participant of the programme, or a place on the waiting list when
    the group is full (`status` says which)."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_RUN)
    enrolment = (
        Enrolment.objects.filter(pk=payload.enrolment_id, programme_id=group.programme_id)
        .select_related("person")
        .first()
    )
    if enrolment is None:
        raise ValidationError({"enrolment_id": ["No such participant in this programme."]})
    row = groups.member_add(group=group, enrolment=enrolment, actor=acting_user(request))
    return Status(201, _member(access_group_member(group=group, member_id=row.pk)))


@router.post("/groups/{group_id}/members/{group_member_id}/leave", response=MemberOut)
@api_policy(policies.GROUP_RUN)
def member_leaves(request: HttpRequest, group_id: int, group_member_id: int) -> dict[str, Any]:
    """Leave the group or its waiting list; a place freed goes to the first waiting."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_RUN)
    row = access_group_member(group=group, member_id=group_member_id)
    groups.member_leave(member=row, actor=acting_user(request))
    return _member(access_group_member(group=group, member_id=row.pk))


@router.post("/groups/{group_id}/completion", response=list[MemberOut])
@api_policy(policies.GROUP_RUN)
def complete_members(request: HttpRequest, group_id: int) -> list[dict[str, Any]]:
    """Mark as completed the members who have attended enough sessions; answers those
    newly completed."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_RUN)
    done = groups.members_complete(group=group, actor=acting_user(request))
    rows = GroupMember.objects.filter(pk__in=[m.pk for m in done]).select_related(
        "enrolment__person"
    )
    shown = list(rows.order_by("joined_at", "pk"))
    audit_members(request.user, shown)
    return [_member(row) for row in shown]
