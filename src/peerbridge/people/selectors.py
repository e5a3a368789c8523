"""Reads about people and their memberships, authorised as they fetch."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from peerbridge.organisations.models import RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import AnyUser, may_grant


def access_membership(*, user: AnyUser, assignment_id: Any) -> RoleAssignment:
    """A role assignment the user may end: one they could have granted."""
    try:
        pk = int(assignment_id)
    except (TypeError, ValueError):
        raise Http404 from None
    assignment = (
        RoleAssignment.objects.select_related("site", "programme__site", "user__person")
        .filter(pk=pk)
        .first()
    )
    if assignment is None or not may_grant(
        user=user, role=assignment.role, site=assignment.site, programme=assignment.programme
    ):
        raise Http404
    return assignment


def grantable_roles(
    *, user: AnyUser, site: Any = None, programme: Any = None
) -> list[tuple[str, str]]:
    return [
        (value, str(label))
        for value, label in Role.choices
        if may_grant(user=user, role=value, site=site, programme=programme)
    ]
