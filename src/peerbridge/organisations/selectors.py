"""Reads that authorise as they fetch. Outside the user's scope the answer is 404;
inside it but without the right to act, PermissionDenied (403)."""

from __future__ import annotations

from typing import Any, NoReturn

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_many
from peerbridge.core.models import User
from peerbridge.organisations import policies
from peerbridge.organisations.models import Organisation, Programme, RoleAssignment, Site
from peerbridge.organisations.roles import GRANTABLE_BY_LEADER, Role

AnyUser = User | AnonymousUser


def _active_q(prefix: str = "") -> Q:
    now = timezone.now()
    return Q(**{f"{prefix}started_at__lte": now}) & (
        Q(**{f"{prefix}ended_at__isnull": True}) | Q(**{f"{prefix}ended_at__gt": now})
    )


def active_assignments(user: AnyUser) -> list[RoleAssignment]:
    """The user's current roles, read once per request and kept on the user object."""
    if not user.is_authenticated:
        return []
    cached: list[RoleAssignment] | None = getattr(user, "_peerbridge_assignments", None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.filter(_active_q(), user=user).select_related(
                "site", "programme", "organisation"
            )
        )
        setattr(user, "_peerbridge_assignments", cached)  # noqa: B010  (per-request cache)
    return cached


def forget_assignments(user: AnyUser) -> None:
    if hasattr(user, "_peerbridge_assignments"):
        delattr(user, "_peerbridge_assignments")


def user_roles(user: AnyUser) -> set[str]:
    return {assignment.role for assignment in active_assignments(user)}


def _assignments_for(user: AnyUser, policy: Policy) -> list[RoleAssignment]:
    return [a for a in active_assignments(user) if a.role in policy.roles]


def _programme_scope(assignments: list[RoleAssignment]) -> Q | None:
    if not assignments:
        return None
    scope = Q(pk__in=[a.programme_id for a in assignments if a.programme_id])
    for assignment in assignments:
        if assignment.site_id and assignment.site is not None:
            scope |= Q(site__path__startswith=assignment.site.path)
    return scope


def programmes_in_scope(*, user: AnyUser, policy: Policy) -> QuerySet[Programme]:
    scope = _programme_scope(_assignments_for(user, policy))
    if scope is None:
        return Programme.objects.none()
    return Programme.objects.filter(scope).select_related("site", "site__organisation")


def sites_in_scope(*, user: AnyUser, policy: Policy) -> QuerySet[Site]:
    """Sites under the user's site-scoped roles (programme-scoped roles reach no site)."""
    paths = [a.site.path for a in _assignments_for(user, policy) if a.site is not None]
    if not paths:
        return Site.objects.none()
    scope = Q()
    for path in paths:
        scope |= Q(path__startswith=path)
    return Site.objects.filter(scope).select_related("organisation", "parent")


def organisations_in_scope(*, user: AnyUser, policy: Policy) -> QuerySet[Organisation]:
    ids = {a.organisation_id for a in _assignments_for(user, policy)}
    return Organisation.objects.filter(pk__in=ids)


def _deny_or_hide(visible: bool) -> NoReturn:
    if visible:
        raise PermissionDenied
    raise Http404


def access_programme(*, user: AnyUser, programme_id: Any, policy: Policy) -> Programme:
    try:
        programme_pk = int(programme_id)
    except (TypeError, ValueError):
        raise Http404 from None
    programme = programmes_in_scope(user=user, policy=policy).filter(pk=programme_pk).first()
    if programme is None:
        _deny_or_hide(
            policy is not policies.PROGRAMME_VIEW
            and programmes_in_scope(user=user, policy=policies.PROGRAMME_VIEW)
            .filter(pk=programme_pk)
            .exists()
        )
    return programme


def access_site(*, user: AnyUser, site_id: Any, policy: Policy) -> Site:
    try:
        site_pk = int(site_id)
    except (TypeError, ValueError):
        raise Http404 from None
    site = sites_in_scope(user=user, policy=policy).filter(pk=site_pk).first()
    if site is None:
        _deny_or_hide(
            policy is not policies.SITE_VIEW
            and sites_in_scope(user=user, policy=policies.SITE_VIEW).filter(pk=site_pk).exists()
        )
    return site


def access_organisation(*, user: AnyUser, organisation_id: Any, policy: Policy) -> Organisation:
    try:
        organisation_pk = int(organisation_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if policy is policies.ORGANISATION_EDIT:
        allowed = any(
            a.organisation_id == organisation_pk and a.site is not None and a.site.parent_id is None
            for a in _assignments_for(user, policy)
        )
    else:
        allowed = (
            organisations_in_scope(user=user, policy=policy).filter(pk=organisation_pk).exists()
        )
    if not allowed:
        _deny_or_hide(
            organisations_in_scope(user=user, policy=policies.ORGANISATION_VIEW)
            .filter(pk=organisation_pk)
            .exists()
        )
    return Organisation.objects.get(pk=organisation_pk)


def may_grant(
    *, user: AnyUser, role: str, site: Site | None = None, programme: Programme | None = None
) -> bool:
    """Admins grant any role inside their subtree; leaders grant the roles below their
    own inside the programmes they lead."""
    target_site = programme.site if programme is not None else site
    if target_site is None:
        return False
    for assignment in _assignments_for(user, policies.MEMBERSHIP_MANAGE):
        covers_site = assignment.site is not None and target_site.path.startswith(
            assignment.site.path
        )
        if assignment.role == Role.ORG_ADMIN and covers_site:
            return True
        if (
            assignment.role == Role.PROGRAMME_LEADER
            and programme is not None
            and role in GRANTABLE_BY_LEADER
            and (covers_site or assignment.programme_id == programme.pk)
        ):
            return True
    return False


def programme_staff(*, user: AnyUser, programme: Programme) -> list[RoleAssignment]:
    """Current staff of a programme: roles held in it and in the sites above it.
    Each person shown is a read of their record, so each is audited."""
    rows = list(
        RoleAssignment.objects.filter(
            _active_q(),
            Q(programme=programme) | Q(site_id__in=programme.site.ancestor_ids()),
        )
        .exclude(role=Role.PARTICIPANT)
        .select_related("user__person", "site", "programme")
        .order_by("role", "id")
    )
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="core.user",
        object_ids=sorted({row.user_id for row in rows}),
    )
    return rows


def programme_role_history(
    *, user: AnyUser, programme: Programme, ended_only: bool = False
) -> list[RoleAssignment]:
    """Roles held in the programme itself, newest first: all of them, or only those
    that have ended (the staff page shows current staff separately)."""
    history = RoleAssignment.objects.filter(programme=programme)
    if ended_only:
        history = history.exclude(_active_q())
    rows = list(
        history.select_related("user__person", "granted_by", "ended_by").order_by(
            "-started_at", "-id"
        )
    )
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="core.user",
        object_ids=sorted({row.user_id for row in rows}),
    )
    return rows
