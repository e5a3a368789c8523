"""Reads about people and their memberships, authorised as they fetch."""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.crypto import blind_index_candidates, normalise_email, normalise_phone
from peerbridge.organisations.models import Organisation, RoleAssignment
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


def find_duplicates(
    *,
    organisation: Organisation,
    given_name: str,
    family_name: str,
    date_of_birth: datetime.date | None,
    phone: str = "",
    email: str = "",
    exclude_id: int | None = None,
) -> list[Person]:
    """People of the organisation with the same name and date of birth, or the same
    phone or email (matched on blind indexes, never on plaintext)."""
    match = Q(pk__in=[])
    if date_of_birth is not None and given_name.strip():
        match |= Q(
            given_name__iexact=given_name.strip(),
            family_name__iexact=family_name.strip(),
            date_of_birth=date_of_birth,
        )
    if phone.strip():
        match |= Q(phone_index__in=blind_index_candidates(normalise_phone(phone)))
    if email.strip():
        match |= Q(email_index__in=blind_index_candidates(normalise_email(email)))
    found = Person.objects.filter(
        match, organisation=organisation, erased_at__isnull=True, merged_into__isnull=True
    )
    if exclude_id is not None:
        found = found.exclude(pk=exclude_id)
    return list(found.order_by("pk")[:10])


@dataclass(frozen=True)
class PossibleDuplicate:
    person: Person
    matched_on: list[str]


def _matched_on(person: Person, other: Person) -> list[str]:
    reasons = []
    if (
        person.date_of_birth is not None
        and other.date_of_birth == person.date_of_birth
        and other.given_name.strip().lower() == person.given_name.strip().lower()
        and other.family_name.strip().lower() == person.family_name.strip().lower()
    ):
        reasons.append("name_and_date_of_birth")
    if (
        person.phone
        and other.phone
        and normalise_phone(person.phone) == normalise_phone(other.phone)
    ):
        reasons.append("phone")
    if (
        person.email
        and other.email
        and normalise_email(person.email) == normalise_email(other.email)
    ):
        reasons.append("email")
    return reasons


def person_duplicates(
    *, user: AnyUser, person: Person, policy: Policy = policies.PERSON_MERGE
) -> list[PossibleDuplicate]:
    """Records that may be the same person, among those the user could merge (nobody
    outside the user's reach is shown or counted). Each one shown is a read, audited."""
    if person.organisation is None:
        return []
    found = find_duplicates(
        organisation=person.organisation,
        given_name=person.given_name,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
        phone=person.phone,
        email=person.email,
        exclude_id=person.pk,
    )
    reachable = set(
        people_in_scope(user=user, policy=policy)
        .filter(pk__in=[other.pk for other in found])
        .values_list("pk", flat=True)
    )
    shown = [
        PossibleDuplicate(person=other, matched_on=_matched_on(person, other))
        for other in found
        if other.pk in reachable
    ]
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[duplicate.person.pk for duplicate in shown],
    )
    return shown


@dataclass(frozen=True)
class IdentityRow:
    """What duplicate checks compare, and nothing else (no decryption needed)."""

    pk: int
    phone_index: str
    email_index: str
    given_name: str
    family_name: str
    date_of_birth: datetime.date | None


def in_list_size() -> int:
    """How many values one IN (...) may hold: SQLite's variable limit, else a size
    PostgreSQL handles well."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit = int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        return max(100, min(30_000, limit - 50))
    return 30_000


def people_sharing_identity(
    people: QuerySet[Person],
    *,
    phone_indexes: Iterable[str] = (),
    email_indexes: Iterable[str] = (),
    dates_of_birth: Iterable[datetime.date] = (),
) -> list[IdentityRow]:
    """Those of `people` with one of these phone or email blind indexes or dates of birth,
    for many values at once: bounded IN lists, a few queries whatever the number."""
    size = in_list_size()
    columns = ("pk", "phone_index", "email_index", "given_name", "family_name", "date_of_birth")
    found: dict[int, IdentityRow] = {}
    for lookup, values in (
        ("phone_index__in", sorted(set(phone_indexes))),
        ("email_index__in", sorted(set(email_indexes))),
        ("date_of_birth__in", sorted(set(dates_of_birth))),
    ):
        for start in range(0, len(values), size):
            chunk = values[start : start + size]
            for row in people.filter(**{lookup: chunk}).values_list(*columns):
                found[row[0]] = IdentityRow(*row)
    return list(found.values())
