"""Reads of the peer workforce, scoped: 404 outside the user's reach, 403 in reach
without the right."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme, RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.workforce import policies
from peerbridge.workforce.models import PeerProfile, WorkforceSettings


def workforce_settings(programme: Programme) -> WorkforceSettings:
    """The programme's workforce rules; a programme that never set them reads the
    defaults (unsaved: only `settings_update` writes the row)."""
    found = getattr(programme, "_workforce_settings_cache", None)
    if found is None:
        found = WorkforceSettings.objects.filter(programme=programme).first() or (
            WorkforceSettings(programme=programme)
        )
        programme._workforce_settings_cache = found  # type: ignore[attr-defined]
    return found


def programme_supervisors(programme: Programme) -> QuerySet[User]:
    """Users holding the supervisor role over the programme now: in the programme, or
    in a site whose subtree holds it."""
    now = timezone.now()
    held = RoleAssignment.objects.filter(role=Role.SUPERVISOR, started_at__lte=now).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=now)
    )
    scope = Q(programme=programme) | Q(site_id__in=programme.site.ancestor_ids())
    return User.objects.filter(pk__in=held.filter(scope).values("user_id")).order_by("email")


def settings_for(programme_ids: set[int]) -> dict[int, WorkforceSettings]:
    """Settings for many programmes in one query; defaults (unsaved) where none exist."""
    found = {
        row.programme_id: row
        for row in WorkforceSettings.objects.filter(programme_id__in=programme_ids).select_related(
            "required_framework"
        )
    }
    return {pk: found.get(pk) or WorkforceSettings(programme_id=pk) for pk in programme_ids}


def profiles_in_scope(*, user: AnyUser, policy: Policy) -> QuerySet[PeerProfile]:
    programmes = programmes_in_scope(user=user, policy=policy)
    return PeerProfile.objects.filter(programme__in=programmes).select_related(
        "person", "programme", "supervisor"
    )


def own_profiles(user: AnyUser) -> QuerySet[PeerProfile]:
    if not user.is_authenticated:
        return PeerProfile.objects.none()
    return PeerProfile.objects.filter(person__user=user).select_related(
        "person", "programme", "supervisor"
    )


def as_pk(value: Any) -> int:
    """An id from a URL or a query: anything that is not a whole number is a 404."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def access_profile(
    *, user: AnyUser, profile_id: Any, policy: Policy, allow_self: bool = False
) -> PeerProfile:
    """Fetch a peer's profile for `policy`. With `allow_self`, the peer may reach their
    own profile whatever the policy. Reading it is audited as a read of the person."""
    pk = as_pk(profile_id)
    profile = None
    if allow_self:
        profile = own_profiles(user).filter(pk=pk).first()
    if profile is None:
        profile = profiles_in_scope(user=user, policy=policy).filter(pk=pk).first()
    if profile is None:
        visible = (
            policy is not policies.WORKFORCE_VIEW
            and profiles_in_scope(user=user, policy=policies.WORKFORCE_VIEW).filter(pk=pk).exists()
        ) or (not allow_self and own_profiles(user).filter(pk=pk).exists())
        if visible:
            raise PermissionDenied
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=profile.person)
    return profile


def supervisees(user: AnyUser) -> QuerySet[PeerProfile]:
    """The peers this user supervises, in programmes where they still hold the role."""
    if not user.is_authenticated:
        return PeerProfile.objects.none()
    return (
        profiles_in_scope(user=user, policy=policies.SUPERVISE)
        .filter(supervisor_id=user.pk)
        .exclude(status=PeerProfile.Status.LEFT)
    )
