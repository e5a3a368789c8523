"""Reads of a participant's questionnaires, measures and progress, scoped as their goals
are (support.goal_selectors): the participant themselves, their current peer and staff
over the programme. 404 outside the user's reach, 403 in reach without the right."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_instance
from peerbridge.organisations.selectors import AnyUser
from peerbridge.outcomes import policies
from peerbridge.outcomes.models import Assessment
from peerbridge.referrals.models import Enrolment
from peerbridge.support.goal_selectors import enrolments_reached
from peerbridge.workforce.selectors import as_pk


def outcome_enrolments(user: AnyUser, policy: Policy) -> QuerySet[Enrolment]:
    """The enrolments whose outcomes `user` reaches under `policy`."""
    return enrolments_reached(user, policy)


def access_outcome_enrolment(
    user: AnyUser,
    enrolment_id: Any,
    policy: Policy,
    *,
    seen_under: Policy = policies.PROGRESS_VIEW,
) -> Enrolment:
    """An enrolment whose outcomes `user` reaches under `policy`; 403 when they reach it
    only under `seen_under` (they see it but may not do this), 404 otherwise. The read
    of the person is audited."""
    pk = as_pk(enrolment_id)
    enrolment = outcome_enrolments(user, policy).filter(pk=pk).first()
    if enrolment is None:
        if policy is not seen_under and outcome_enrolments(user, seen_under).filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=enrolment.person)
    return enrolment


def access_assessment(user: AnyUser, assessment_id: Any, policy: Policy) -> Assessment:
    """An assessment of a participant `user` reaches under `policy` (404 outside, 403 in
    sight without the right; the read of the person audited)."""
    pk = as_pk(assessment_id)
    rows = Assessment.objects.select_related("programme", "person", "enrolment", "timepoint")
    found = rows.filter(pk=pk, enrolment__in=outcome_enrolments(user, policy).values("pk")).first()
    if found is None:
        seen = outcome_enrolments(user, policies.QUESTIONNAIRE_VIEW).values("pk")
        if (
            policy is not policies.QUESTIONNAIRE_VIEW
            and rows.filter(pk=pk, enrolment__in=seen).exists()
        ):
            raise PermissionDenied
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=found.person)
    audit_instance(actor=user, action=Action.READ, instance=found)
    return found


def assessments_of(enrolment: Enrolment) -> list[Assessment]:
    return list(
        Assessment.objects.filter(enrolment=enrolment)
        .select_related("timepoint")
        .prefetch_related("responses")
        .order_by("-due_on", "-id")
    )


def reaches(user: AnyUser, enrolment_id: int | None, policy: Policy) -> bool:
    """Whether `user` reaches the enrolment's outcomes under `policy` (to show a button)."""
    if enrolment_id is None:
        return False
    return outcome_enrolments(user, policy).filter(pk=enrolment_id).exists()
