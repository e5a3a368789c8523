"""Reads about people and their memberships, authorised as they fetch."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.crypto import blind_index_candidates, normalise_email, normalise_phone
from peerbridge.organisations.models import RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import AnyUser, may_grant, programmes_in_scope
from peerbridge.people import policies
from peerbridge.people.models import Condition, Consent, Person


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


def _programme_people_scope(user: AnyUser, policy: Policy) -> Q | None:
    """People reachable through programmes: enrolled in one, or holding a role in one.
    Peer supporters never reach people through a programme, only through their matches."""
    roles = policy.roles - {Role.PEER_SUPPORTER}
    if not roles:
        return None
    programme_policy = Policy(policy.name + ".programmes", "roles", policy.description, roles)
    programme_ids = list(
        programmes_in_scope(user=user, policy=programme_policy).values_list("pk", flat=True)
    )
    if not programme_ids:
        return None
    return Q(enrolments__programme_id__in=programme_ids) | Q(
        user__role_assignments__programme_id__in=programme_ids
    )


def people_in_scope(*, user: AnyUser, policy: Policy) -> QuerySet[Person]:
    """Everyone the user may reach under the policy (not audited: callers audit what
    they show). The enrolment relation is read by name, since referrals sits above."""
    scope = _programme_people_scope(user, policy)
    if scope is None:
        return Person.objects.none()
    ids = Person.objects.filter(scope).values("pk")
    return Person.objects.filter(pk__in=ids, merged_into__isnull=True)


def access_person(*, user: AnyUser, person_id: Any, policy: Policy) -> Person:
    """A person the user may reach, read-audited; 404 outside scope, 403 when visible
    but the policy's action is not allowed."""
    try:
        pk = int(person_id)
    except (TypeError, ValueError):
        raise Http404 from None
    person = people_in_scope(user=user, policy=policy).filter(pk=pk).first()
    if person is None:
        visible = (
            policy is not policies.PERSON_VIEW
            and people_in_scope(user=user, policy=policies.PERSON_VIEW).filter(pk=pk).exists()
        )
        if visible:
            raise PermissionDenied
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=person)
    return person


def own_person(user: AnyUser) -> Person | None:
    """The signed-in user's own person record (participants see and export their own)."""
    if not user.is_authenticated:
        return None
    return Person.objects.filter(user=user).first()


def conditions_for(organisation_id: int) -> list[Condition]:
    """The organisation's taxonomy, parents before children, for pickers."""
    nodes = list(
        Condition.objects.filter(organisation_id=organisation_id, is_active=True).select_related(
            "parent__parent"
        )
    )
    return sorted(nodes, key=lambda node: str(node).lower())


def current_consent(*, person: Person, programme_id: int) -> Consent | None:
    """The newest consent decision for the person in the programme; read fresh on
    every call, so a withdrawal acts on the very next request."""
    return (
        Consent.objects.filter(person=person, programme_id=programme_id)
        .order_by("-recorded_at", "-id")
        .first()
    )


def consent_allows(*, person: Person, programme_id: int, scope: str) -> bool:
    consent = current_consent(person=person, programme_id=programme_id)
    return consent is not None and scope in consent.scopes


def possibly_same_person(*, user: AnyUser, person: Person, policy: Policy) -> list[Person]:
    """Other current records the user reaches that share the person's phone, email, or
    name and date of birth (matched on blind indexes under every key). Erasure names
    them, because an unmerged duplicate would keep the identifiers erasure removes."""
    match = Q(pk__in=[])
    if person.phone:
        match |= Q(phone_index__in=blind_index_candidates(normalise_phone(person.phone)))
    if person.email:
        match |= Q(email_index__in=blind_index_candidates(normalise_email(person.email)))
    if person.date_of_birth is not None:
        match |= Q(
            given_name__iexact=person.given_name,
            family_name__iexact=person.family_name,
            date_of_birth=person.date_of_birth,
        )
    found = people_in_scope(user=user, policy=policy).filter(match, erased_at__isnull=True)
    others = list(found.exclude(pk=person.pk).order_by("pk")[:10])
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[o.pk for o in others],
    )
    return others
