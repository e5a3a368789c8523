"""Reads about referrals and enrolments, authorised as they fetch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, JSONField, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.people.models import Consent, ConsentScope, Person
from peerbridge.referrals import policies
from peerbridge.referrals.models import (
    INTAKE_STATUSES,
    ContactAttempt,
    Enrolment,
    EnrolmentStatus,
)


def enrolments_in_scope(*, user: AnyUser, policy: Policy) -> QuerySet[Enrolment]:
    programme_ids = programmes_in_scope(user=user, policy=policy).values("pk")
    return Enrolment.objects.filter(programme_id__in=programme_ids)


def access_enrolment(*, user: AnyUser, enrolment_id: Any, policy: Policy) -> Enrolment:
    try:
        pk = int(enrolment_id)
    except (TypeError, ValueError):
        raise Http404 from None
    enrolment = (
        enrolments_in_scope(user=user, policy=policy)
        .select_related("person", "programme", "referred_by")
        .filter(pk=pk)
        .first()
    )
    if enrolment is None:
        visible = (
            policy is not policies.ENROLMENT_VIEW
            and enrolments_in_scope(user=user, policy=policies.ENROLMENT_VIEW)
            .filter(pk=pk)
            .exists()
        )
        if visible:
            raise PermissionDenied
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=enrolment.person)
    return enrolment


def _failed_attempts() -> Subquery:
    return Subquery(
        ContactAttempt.objects.filter(enrolment=OuterRef("pk"))
        .exclude(outcome=ContactAttempt.Outcome.CONNECTED)
        .values("enrolment")
        .annotate(n=Count("pk"))
        .values("n")
    )


def _with_queue_columns(enrolments: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    return enrolments.select_related("person", "programme").annotate(
        attempt_count=Count("contact_attempts", distinct=True),
        failed_attempts=_failed_attempts(),
    )


@dataclass(frozen=True)
class QueueRow:
    enrolment: Enrolment
    attempts: int
    failed_attempts: int
    waited_days: int
    may_close_unreachable: bool


def _rows(user: AnyUser, enrolments: list[Enrolment], since_field: str) -> list[QueueRow]:
    now = timezone.now()
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[e.person_id for e in enrolments],
    )
    rows = []
    for enrolment in enrolments:
        since = getattr(enrolment, since_field) or enrolment.received_at
        failed = int(getattr(enrolment, "failed_attempts", 0) or 0)
        rows.append(
            QueueRow(
                enrolment=enrolment,
                attempts=int(getattr(enrolment, "attempt_count", 0) or 0),
                failed_attempts=failed,
                waited_days=max(0, (now - since).days),
                may_close_unreachable=failed >= enrolment.programme.max_contact_attempts,
            )
        )
    return rows


def intake_queue(*, user: AnyUser, programme: Programme) -> list[QueueRow]:
    """New referrals and those being contacted, most urgent first, then oldest."""
    enrolments = list(
        _with_queue_columns(
            Enrolment.objects.filter(programme=programme, status__in=sorted(INTAKE_STATUSES))
        ).order_by("-priority", "received_at", "pk")
    )
    return _rows(user, enrolments, "received_at")


def waiting_list(*, user: AnyUser, programme: Programme) -> list[QueueRow]:
    """Enrolled people waiting for a match, by priority then time waiting."""
    enrolments = list(
        _with_queue_columns(
            Enrolment.objects.filter(
                programme=programme,
                status__in=[EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITING],
            )
        ).order_by("-priority", "waiting_since", "received_at", "pk")
    )
    return _rows(user, enrolments, "waiting_since")


def people_with_possible_duplicates(people: list[Person]) -> set[int]:
    """Of these people, those sharing a phone, an email, or name and date of birth with
    another current record of their organisation: one query for a whole queue."""
    if not people:
        return set()
    match = Q(pk__in=[])
    for person in people:
        if person.phone_index:
            match |= Q(phone_index=person.phone_index)
        if person.email_index:
            match |= Q(email_index=person.email_index)
        if person.date_of_birth:
            match |= Q(
                given_name__iexact=person.given_name,
                family_name__iexact=person.family_name,
                date_of_birth=person.date_of_birth,
            )
    others = Person.objects.filter(
        match,
        organisation_id__in={p.organisation_id for p in people},
        erased_at__isnull=True,
        merged_into__isnull=True,
    ).values_list("pk", "phone_index", "email_index", "given_name", "family_name", "date_of_birth")
    flagged: set[int] = set()
    for person in people:
        for pk, phone, email, given, family, born in others:
            if pk == person.pk:
                continue
            same_name = (
                person.date_of_birth is not None
                and born == person.date_of_birth
                and given.lower() == person.given_name.lower()
                and family.lower() == person.family_name.lower()
            )
            if (
                same_name
                or (phone and phone == person.phone_index)
                or (email and email == person.email_index)
            ):
                flagged.add(person.pk)
                break
    return flagged


def referrals_for_referrer(*, user: AnyUser) -> list[Enrolment]:
    """A referrer's own referrals whose status the person lets them see: no consent
    decision yet (the referral itself is the referrer's), or the newest decision
    includes sharing with the referrer. Read fresh, so withdrawal acts at once."""
    if not user.is_authenticated:
        return []
    newest = Consent.objects.filter(
        person=OuterRef("person"), programme=OuterRef("programme")
    ).order_by("-recorded_at", "-id")
    enrolments = (
        Enrolment.objects.filter(referred_by=user)
        .annotate(
            has_consent=Exists(newest.values("pk")),
            newest_scopes=Subquery(newest.values("scopes")[:1], output_field=JSONField()),
        )
        .select_related("person", "programme")
        .order_by("-received_at", "-pk")
    )
    shown: list[Enrolment] = [
        e
        for e in enrolments
        if not e.has_consent or ConsentScope.SHARE_WITH_REFERRER in (e.newest_scopes or [])
    ]
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[e.person_id for e in shown],
    )
    return shown
