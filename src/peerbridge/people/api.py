"""API for programme staff and role memberships."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from peerbridge.core.access import acting_user, api_policy
from peerbridge.organisations import policies
from peerbridge.organisations.models import RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import (
    access_programme,
    access_site,
    programme_role_history,
    programme_staff,
)
from peerbridge.organisations.services import role_end
from peerbridge.people import selectors, services

router = Router(tags=["people"])


class MembershipOut(Schema):
    id: int
    user_id: int
    name: str
    role: Role
    site_id: int | None
    programme_id: int | None
    started_at: datetime
    ended_at: datetime | None
    end_reason: str

    @staticmethod
    def resolve_name(obj: RoleAssignment) -> str:
        return obj.user.display_name


class MembershipIn(Schema):
    email: str = Field(..., max_length=254)
    role: Role
    given_name: str = Field("", max_length=120)
    family_name: str = Field("", max_length=120)
    site_id: int | None = None
    programme_id: int | None = None


class MembershipEnd(Schema):
    reason: str = Field("", max_length=200)


@router.get("/programmes/{programme_id}/staff", response=list[MembershipOut])
@api_policy(policies.STAFF_VIEW)
def list_programme_staff(request: HttpRequest, programme_id: int) -> list[RoleAssignment]:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.STAFF_VIEW
    )
    return programme_staff(user=request.user, programme=programme)


@router.get("/programmes/{programme_id}/memberships", response=list[MembershipOut])
@api_policy(policies.STAFF_VIEW)
def list_programme_memberships(request: HttpRequest, programme_id: int) -> list[RoleAssignment]:
    """Every role held in the programme, current and ended: the role history."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.STAFF_VIEW
    )
    return programme_role_history(user=request.user, programme=programme)


@router.post("/memberships", response={201: MembershipOut})
@api_policy(policies.MEMBERSHIP_MANAGE)
def grant_membership(request: HttpRequest, payload: MembershipIn) -> Status[RoleAssignment]:
    if (payload.site_id is None) == (payload.programme_id is None):
        raise ValidationError({"site_id": _("Give either site_id or programme_id.")})
    site = programme = None
    if payload.programme_id is not None:
        programme = access_programme(
            user=request.user,
            programme_id=payload.programme_id,
            policy=policies.MEMBERSHIP_MANAGE,
        )
    else:
        site = access_site(
            user=request.user, site_id=payload.site_id, policy=policies.MEMBERSHIP_MANAGE
        )
    if payload.role.value not in dict(
        selectors.grantable_roles(user=request.user, site=site, programme=programme)
    ):
        raise ValidationError({"role": _("You cannot give this role here.")})
    assignment = services.membership_grant(
        granted_by=acting_user(request),
        email=payload.email,
        role=payload.role.value,
        given_name=payload.given_name,
        family_name=payload.family_name,
        site=site,
        programme=programme,
        site_url=request.build_absolute_uri("/"),
    )
    return Status(201, assignment)


@router.post("/memberships/{membership_id}/end", response=MembershipOut)
@api_policy(policies.MEMBERSHIP_MANAGE)
def end_membership(
    request: HttpRequest, membership_id: int, payload: MembershipEnd
) -> RoleAssignment:
    assignment = selectors.access_membership(user=request.user, assignment_id=membership_id)
    return role_end(assignment=assignment, ended_by=acting_user(request), reason=payload.reason)
