"""The home pages: `/` shows every home that applies to the user's roles (the most
urgent first) above the links their other roles need; `/home/<role>/` shows one.

Each page reads the people its homes show and audits them in one `audit_many` call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_otp import user_has_device

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.audit import Action, audit_many
from peerbridge.core.models import User
from peerbridge.organisations import policies
from peerbridge.organisations.models import Programme, RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import active_assignments, programmes_in_scope
from peerbridge.web.homes import (
    COORDINATOR,
    COORDINATOR_HOME,
    HOME_TITLES,
    PARTICIPANT,
    PARTICIPANT_HOME,
    PEER,
    PEER_HOME,
    SUPERVISOR,
    SUPERVISOR_HOME,
    homes_for,
)
from peerbridge.web.homes_coordinator import CoordinatorHome, coordinator_home
from peerbridge.web.homes_participant import ParticipantHome, participant_home
from peerbridge.web.homes_peer import PeerHome, peer_home
from peerbridge.web.homes_supervisor import SupervisorHome, supervisor_home
from peerbridge.web.navigation import programme_pages

Home = PeerHome | CoordinatorHome | SupervisorHome | ParticipantHome
BUILDERS: dict[str, Callable[..., Home]] = {
    PEER: peer_home,
    COORDINATOR: coordinator_home,
    SUPERVISOR: supervisor_home,
    PARTICIPANT: participant_home,
}


def build_homes(*, user: User, keys: list[str], today: date | None = None) -> list[Home]:
    """The homes named by `keys`, the most urgent first (safety, then what is due); equal
    ones keep the order of `keys`."""
    day = today or timezone.localdate()
    homes = [BUILDERS[key](user=user, today=day) for key in keys]
    position = {key: n for n, key in enumerate(keys)}
    homes.sort(key=lambda home: (-home.urgency.safety, -home.urgency.due, position[home.key]))
    return homes


def audit_shown(user: User, homes: list[Home]) -> None:
    """One audit row per person the page shows, written in one call."""
    shown: set[int] = set()
    for home in homes:
        shown |= home.person_ids
    audit_many(
        actor=user, action=Action.READ, object_type="people.person", object_ids=sorted(shown)
    )


def _tabs(keys: list[str]) -> list[dict[str, Any]]:
    return [{"key": key, "title": HOME_TITLES[key]} for key in keys]


def _general_context(user: User, assignments: list[RoleAssignment]) -> dict[str, Any]:
    """What the home shows besides the role homes: the programmes a user runs, refers
    to or evaluates, the admin's sites and the two-step sign-in reminder."""
    roles = {a.role for a in assignments}
    programmes = programmes_in_scope(user=user, policy=policies.PROGRAMME_VIEW).order_by("name")
    return {
        "assignments": assignments,
        "roles": roles,
        "Role": Role,
        "programmes": programmes,
        "programmes_run": programme_pages(user, programmes)
        if roles & {Role.PROGRAMME_LEADER, Role.COORDINATOR, Role.SUPERVISOR}
        else [],
        "active_programmes": [p for p in programmes if p.status == Programme.Status.ACTIVE],
        "editable_ids": set(
            programmes_in_scope(user=user, policy=policies.PROGRAMME_EDIT).values_list(
                "pk", flat=True
            )
        ),
        "admin_sites": [a.site for a in assignments if a.role == Role.ORG_ADMIN and a.site],
        "has_second_factor": user_has_device(user, confirmed=True),
    }


def home_page(request: HttpRequest) -> HttpResponse:
    """`/`: every home that applies, then the rest (the view in web.views carries the
    policy and the method check)."""
    user = acting_user(request)
    assignments = active_assignments(user)
    keys = homes_for(a.role for a in assignments)
    homes = build_homes(user=user, keys=keys)
    audit_shown(user, homes)
    context = _general_context(user, assignments) | {
        "homes": homes,
        "tabs": _tabs(keys) if len(keys) > 1 else [],
        "current_tab": "",
    }
    return render(request, "web/home.html", context)


def _role_page(request: HttpRequest, key: str) -> HttpResponse:
    user = acting_user(request)
    keys = homes_for(a.role for a in active_assignments(user))
    homes = build_homes(user=user, keys=[key])
    audit_shown(user, homes)
    return render(
        request,
        "web/home_role.html",
        {
            "homes": homes,
            "title": HOME_TITLES[key],
            "tabs": _tabs(keys) if len(keys) > 1 else [],
            "current_tab": key,
        },
    )


@view_policy(PEER_HOME)
@require_safe
def peer(request: HttpRequest) -> HttpResponse:
    return _role_page(request, PEER)


@view_policy(COORDINATOR_HOME)
@require_safe
def coordinator(request: HttpRequest) -> HttpResponse:
    return _role_page(request, COORDINATOR)


@view_policy(SUPERVISOR_HOME)
@require_safe
def supervisor(request: HttpRequest) -> HttpResponse:
    return _role_page(request, SUPERVISOR)


@view_policy(PARTICIPANT_HOME)
@require_safe
def participant(request: HttpRequest) -> HttpResponse:
    return _role_page(request, PARTICIPANT)
