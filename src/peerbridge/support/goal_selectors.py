"""Reads of a participant's goals, scoped: the participant themselves (their login
holding the participant role in the programme), their current peer (a match under
way) and staff over the programme. Supervisors see goals; only the participant, the
peer and the programme's runners set and rate them. 404 outside the user's reach, 403
in reach without the right."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404

from peerbridge.core.access import Policy, role_policy
from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.matching.models import WORKING_STATUSES, Match
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.referrals.models import Enrolment
from peerbridge.support import policies
from peerbridge.support.models import Goal, GoalRating
from peerbridge.workforce.selectors import as_pk

PARTICIPANTS = role_policy(
    "support.goal_participant",
    {Role.PARTICIPANT},
    "A participant reaches their own goals in the programmes they take part in.",
)
PERSONAL_ROLES = frozenset({Role.PEER_SUPPORTER, Role.PARTICIPANT})


def _staff(policy: Policy) -> Policy | None:
    """The policy's staff roles: holding the peer or participant role reaches one's own
    people or goals, never the programme's."""
    roles = frozenset(policy.roles - PERSONAL_ROLES)
    return replace(policy, roles=roles) if roles else None


def current_peer_matches(user: AnyUser) -> QuerySet[Match]:
    if not user.is_authenticated:
        return Match.objects.none()
    return Match.objects.filter(profile__person__user_id=int(user.pk), status__in=WORKING_STATUSES)


def enrolments_reached(user: AnyUser, policy: Policy) -> QuerySet[Enrolment]:
    """The enrolments whose goals `user` reaches under `policy`."""
    if not user.is_authenticated:
        return Enrolment.objects.none()
    parts: list[Q] = []
    staff = _staff(policy)
    if staff is not None:
        programmes = programmes_in_scope(user=user, policy=staff).values("pk")
        parts.append(Q(programme_id__in=programmes))
    if Role.PEER_SUPPORTER in policy.roles:
        parts.append(Q(pk__in=current_peer_matches(user).values("enrolment_id")))
    if Role.PARTICIPANT in policy.roles:
        own = programmes_in_scope(user=user, policy=PARTICIPANTS).values("pk")
        parts.append(Q(person__user_id=user.pk, programme_id__in=own))
    scope = parts[0]
    for part in parts[1:]:
        scope |= part
    return Enrolment.objects.filter(scope).select_related("person", "programme")


def access_goal_enrolment(user: AnyUser, enrolment_id: Any, policy: Policy) -> Enrolment:
    """An enrolment whose goals the user reaches under `policy` (read audited)."""
    pk = as_pk(enrolment_id)
    enrolment = enrolments_reached(user, policy).filter(pk=pk).first()
    if enrolment is None:
        in_view = enrolments_reached(user, policies.GOAL_VIEW)  # lazy: no query yet
        if policy is not policies.GOAL_VIEW and in_view.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=enrolment.person)
    return enrolment


def access_goal(user: AnyUser, goal_id: Any, policy: Policy) -> Goal:
    """A goal the user reaches under `policy` (read audited: the goal and the person)."""
    pk = as_pk(goal_id)
    goals = Goal.objects.select_related("enrolment", "enrolment__person", "enrolment__programme")
    goal = goals.filter(pk=pk, enrolment__in=enrolments_reached(user, policy).values("pk")).first()
    if goal is None:
        visible = goals.filter(
            pk=pk, enrolment__in=enrolments_reached(user, policies.GOAL_VIEW).values("pk")
        ).exists()
        if policy is not policies.GOAL_VIEW and visible:
            raise PermissionDenied
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=goal.enrolment.person)
    audit_instance(actor=user, action=Action.READ, instance=goal)
    return goal


def may_edit_goals(user: AnyUser, enrolment: Enrolment) -> bool:
    return enrolments_reached(user, policies.GOAL_EDIT).filter(pk=enrolment.pk).exists()


def rater(user: AnyUser, enrolment: Enrolment) -> str:
    """Who a rating recorded by `user` comes from: the participant, with the peer, or
    with staff."""
    if user.is_authenticated and enrolment.person.user_id == user.pk:
        return GoalRating.By.PARTICIPANT
    if current_peer_matches(user).filter(enrolment_id=enrolment.pk).exists():
        return GoalRating.By.PEER
    return GoalRating.By.STAFF


def enrolment_goals(enrolment: Enrolment) -> QuerySet[Goal]:
    """The enrolment's goals, open ones first, each with its ratings in time order (two
    queries whatever the number of goals and ratings)."""
    ratings = GoalRating.objects.order_by("rated_on", "recorded_at", "pk")
    return (
        Goal.objects.filter(enrolment=enrolment)
        .prefetch_related(Prefetch("ratings", queryset=ratings))
        .order_by(F("closed_at").asc(nulls_first=True), "created_at", "pk")
    )


def audit_goals(user: AnyUser, goals: list[Goal]) -> None:
    audit_many(
        actor=user,
        action=Action.READ,
        object_type=Goal._meta.label_lower,
        object_ids=[goal.pk for goal in goals],
    )
