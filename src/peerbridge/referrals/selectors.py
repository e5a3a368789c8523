"""Reads about referrals and enrolments, authorised as they fetch."""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, JSONField, Min, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.crypto import blind_index_candidates, normalise_email, normalise_phone
from peerbridge.core.disclosure import SMALL_CELL, suppress_small_cells
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.people import policies as people_policies
from peerbridge.people.models import Consent, ConsentScope, Person
from peerbridge.people.selectors import (
    current_consent,
    people_in_scope,
    people_sharing_identity,
)
from peerbridge.referrals import policies
from peerbridge.referrals.models import (
    INTAKE_STATUSES,
    ContactAttempt,
    Enrolment,
    EnrolmentStatus,
    EnrolmentStatusChange,
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
                may_close_unreachable=enrolment.may_close_unreachable(failed),
            )
        )
    return rows


QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    count: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max(1, -(-self.count // self.page_size))


def _queue_page(
    user: AnyUser, enrolments: QuerySet[Enrolment], since_field: str, page: int, page_size: int
) -> QueuePage:
    """One page of a queue; only the people on it are read (and audited)."""
    count = enrolments.count()
    page = max(1, min(page, max(1, -(-count // page_size))))
    offset = (page - 1) * page_size
    shown = list(_with_queue_columns(enrolments)[offset : offset + page_size])
    return QueuePage(
        rows=_rows(user, shown, since_field), count=count, page=page, page_size=page_size
    )


def intake_queue(
    *, user: AnyUser, programme: Programme, page: int = 1, page_size: int = QUEUE_PAGE_SIZE
) -> QueuePage:
    """New referrals and those being contacted, most urgent first, then oldest."""
    enrolments = Enrolment.objects.filter(
        programme=programme, status__in=sorted(INTAKE_STATUSES)
    ).order_by("-priority", "received_at", "pk")
    return _queue_page(user, enrolments, "received_at", page, page_size)


def waiting_list(
    *, user: AnyUser, programme: Programme, page: int = 1, page_size: int = QUEUE_PAGE_SIZE
) -> QueuePage:
    """Enrolled people waiting for a match, by priority then time waiting."""
    enrolments = Enrolment.objects.filter(
        programme=programme, status__in=[EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITING]
    ).order_by("-priority", "waiting_since", "received_at", "pk")
    return _queue_page(user, enrolments, "waiting_since", page, page_size)


def intake_overview(*, user: AnyUser) -> QuerySet[Programme]:
    """The programmes whose intake the user runs, each with its counts (no people)."""
    open_intake = Q(enrolments__status__in=sorted(INTAKE_STATUSES))
    waiting = Q(enrolments__status__in=[EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITING])
    return (
        programmes_in_scope(user=user, policy=policies.INTAKE_MANAGE)
        .filter(status=Programme.Status.ACTIVE)
        .annotate(
            new_count=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.REFERRED)),
            intake_count=Count("enrolments", filter=open_intake),
            waiting_count=Count("enrolments", filter=waiting),
            oldest_referral=Min("enrolments__received_at", filter=open_intake),
            longest_waiting=Min("enrolments__waiting_since", filter=waiting),
        )
        .order_by("name")
    )


def people_with_possible_duplicates(*, user: AnyUser, people: list[Person]) -> set[int]:
    """Of these people, those sharing a phone, an email, or name and date of birth with
    another current record the user could merge (nobody out of reach is counted).
    Indexes are matched under every configured key."""
    if not people:
        return set()
    owners: dict[str, set[int]] = {}
    phones: set[str] = set()
    emails: set[str] = set()
    for person in people:
        for value, normalise, wanted in (
            (person.phone, normalise_phone, phones),
            (person.email, normalise_email, emails),
        ):
            for index in blind_index_candidates(normalise(value)) if value else []:
                owners.setdefault(index, set()).add(person.pk)
                wanted.add(index)
    by_name: dict[tuple[str, str, datetime.date], set[int]] = {}
    for person in people:
        if person.date_of_birth is not None:
            key = (person.given_name.lower(), person.family_name.lower(), person.date_of_birth)
            by_name.setdefault(key, set()).add(person.pk)
    reachable = people_in_scope(user=user, policy=people_policies.PERSON_MERGE).values("pk")
    others = people_sharing_identity(
        Person.objects.filter(pk__in=reachable, erased_at__isnull=True),
        phone_indexes=phones,
        email_indexes=emails,
        dates_of_birth=[key[2] for key in by_name],
    )
    flagged: set[int] = set()
    for other in others:
        same = owners.get(other.phone_index, set()) | owners.get(other.email_index, set())
        if other.date_of_birth is not None:
            key = (other.given_name.lower(), other.family_name.lower(), other.date_of_birth)
            same |= by_name.get(key, set())
        flagged |= same - {other.pk}
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


def manages_intake(*, user: AnyUser, programme: Programme) -> bool:
    """Whether the user works this programme's intake (rather than only referring to it)."""
    return (
        programmes_in_scope(user=user, policy=policies.INTAKE_MANAGE)
        .filter(pk=programme.pk)
        .exists()
    )


def people_search(*, user: AnyUser, q: str = "") -> QuerySet[Person]:
    """People the user may see whose names contain every word of `q` (not audited: the
    caller audits the page it shows)."""
    people = people_in_scope(user=user, policy=people_policies.PERSON_VIEW)
    for word in q.split()[:5]:
        people = people.filter(
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(preferred_name__icontains=word)
        )
    return people.order_by("family_name", "given_name", "pk")


def person_enrolments(*, user: AnyUser, person: Person) -> list[Enrolment]:
    """The person's enrolments in programmes the user may see, and no others: being in,
    say, an HIV programme is itself sensitive."""
    return list(
        enrolments_in_scope(user=user, policy=policies.ENROLMENT_VIEW)
        .filter(person=person)
        .select_related("programme")
        .order_by("-received_at", "-pk")
    )


def consent_history(*, user: AnyUser, person: Person) -> list[Consent]:
    """Every consent decision of the person, newest first, for programmes the user sees."""
    programme_ids = programmes_in_scope(user=user, policy=people_policies.PERSON_VIEW).values("pk")
    return list(
        Consent.objects.filter(person=person, programme_id__in=programme_ids)
        .select_related("text", "programme")
        .order_by("-recorded_at", "-id")
    )


@dataclass(frozen=True)
class EnrolmentRecord:
    enrolment: Enrolment
    history: list[EnrolmentStatusChange]
    attempts: list[ContactAttempt]
    failed_attempts: int
    may_close_unreachable: bool
    consent: Consent | None


def enrolment_record(*, enrolment: Enrolment) -> EnrolmentRecord:
    """One enrolment with its status history, contact attempts and the consent that holds
    now (read fresh). The caller has fetched the enrolment through access_enrolment."""
    attempts = list(enrolment.contact_attempts.select_related("attempted_by__person"))
    failed = sum(1 for attempt in attempts if not attempt.connected)
    return EnrolmentRecord(
        enrolment=enrolment,
        history=list(enrolment.status_changes.select_related("changed_by__person")),
        attempts=attempts,
        failed_attempts=failed,
        may_close_unreachable=enrolment.may_close_unreachable(failed),
        consent=current_consent(person=enrolment.person, programme_id=enrolment.programme_id),
    )


@dataclass(frozen=True)
class IntakeSummary:
    """De-identified intake counts for one programme: no identifiers, small cells hidden."""

    total: int | None
    by_status: dict[str, int | None]
    by_source: dict[str, int | None]
    median_days_waiting: float | None


def intake_summary(*, programme: Programme) -> IntakeSummary:
    enrolments = Enrolment.objects.filter(programme=programme).order_by()
    statuses = dict(enrolments.values_list("status").annotate(n=Count("pk")))
    sources = dict(enrolments.values_list("source").annotate(n=Count("pk")))
    total = sum(statuses.values())
    now = timezone.now()
    waited = [
        max(0, (now - (since or received)).days)
        for since, received in enrolments.filter(
            status__in=[EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITING]
        ).values_list("waiting_since", "received_at")
    ]
    return IntakeSummary(
        total=total if total >= SMALL_CELL else None,
        by_status=suppress_small_cells(
            {status.value: statuses.get(status.value, 0) for status in EnrolmentStatus}
        ),
        by_source=suppress_small_cells(
            {source.value: sources.get(source.value, 0) for source in Enrolment.Source}
        ),
        median_days_waiting=(
            float(statistics.median(waited)) if len(waited) >= SMALL_CELL else None
        ),
    )
