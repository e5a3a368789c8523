"""Certification over time: a programme's view of what expires soon (with the
continuing training hours since issue), what has expired, who is decertified and who
was not certified; and the scan that flags the work of peers whose required
certification has expired.

An expired certification stops new matches and groups through `workforce.eligibility`
on its own; `flag_expired_work` adds the review alert for the people such a peer
already supports. It is idempotent, for the worker to run daily.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from peerbridge.core.audit import Action, audit_many
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser
from peerbridge.workforce import services
from peerbridge.workforce.certification import holding_work
from peerbridge.workforce.eligibility import certification_state, standings
from peerbridge.workforce.models import (
    Certification,
    PeerProfile,
    TrainingAttendance,
    WorkforceAlert,
)

EXPIRY_HORIZON_DAYS = 60
Status = Certification.Status


@dataclass(frozen=True)
class CertificationRow:
    certification: Certification
    profile_id: int | None
    hours_since_issue: Decimal
    days_left: int | None

    @property
    def hours_needed(self) -> Decimal:
        return self.certification.framework.recertification_hours

    @property
    def hours_short(self) -> bool:
        return self.hours_since_issue < self.hours_needed


@dataclass(frozen=True)
class CertificationOverview:
    on: date
    expiring: list[CertificationRow]
    expired: list[CertificationRow]
    decertified: list[CertificationRow]
    not_certified: list[CertificationRow]


def _hours_since_issue(latest: list[Certification]) -> dict[int, list[tuple[date, Decimal]]]:
    issued = [c.issued_on for c in latest if c.issued_on is not None]
    if not issued:
        return {}
    rows = (
        TrainingAttendance.objects.filter(
            person_id__in={c.person_id for c in latest},
            attended=True,
            session__starts_at__date__gte=min(issued),
        )
        .values("person_id", "session__starts_at__date")
        .annotate(hours=Sum("hours"))
    )
    found: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for row in rows:
        found[row["person_id"]].append((row["session__starts_at__date"], row["hours"]))
    return found


def certification_overview(
    *, user: AnyUser, programme: Programme, on: date | None = None
) -> CertificationOverview:
    """The programme's latest decision per peer and framework, sorted into: expiring
    within 60 days (with continuing training hours since issue), expired, decertified
    (with the appeal) and not certified (with the recommendations). Fixed queries."""
    day = on or timezone.localdate()
    latest: dict[tuple[int, int], Certification] = {}
    for row in (
        Certification.objects.filter(programme=programme)
        .select_related("person", "framework", "decertification")
        .order_by("-decided_at", "-id")
    ):
        latest.setdefault((row.person_id, row.framework_id), row)
    decisions = list(latest.values())
    hours = _hours_since_issue(decisions)
    profiles = dict(
        PeerProfile.objects.filter(
            programme=programme, person_id__in={c.person_id for c in decisions}
        ).values_list("person_id", "pk")
    )
    buckets: dict[str, list[CertificationRow]] = defaultdict(list)
    for certification in decisions:
        bucket = _bucket(certification, day)
        if bucket is None:
            continue
        since = certification.issued_on
        buckets[bucket].append(
            CertificationRow(
                certification=certification,
                profile_id=profiles.get(certification.person_id),
                hours_since_issue=sum(
                    (
                        h
                        for when, h in hours.get(certification.person_id, [])
                        if since and when >= since
                    ),
                    Decimal("0"),
                ),
                days_left=(certification.expires_on - day).days
                if certification.expires_on
                else None,
            )
        )
    shown = {row.certification.person_id for rows in buckets.values() for row in rows}
    audit_many(
        actor=user, action=Action.READ, object_type="people.person", object_ids=sorted(shown)
    )

    def by_expiry(row: CertificationRow) -> date:
        return row.certification.expires_on or day

    return CertificationOverview(
        on=day,
        expiring=sorted(buckets["expiring"], key=by_expiry),
        expired=sorted(buckets["expired"], key=by_expiry, reverse=True),
        decertified=buckets["decertified"],
        not_certified=buckets["not_certified"],
    )


def flag_expired_work(*, on: date | None = None) -> list[WorkforceAlert]:
    """A review alert on each profile that holds matches or groups while the
    certification its programme requires has expired (`alert_raise` keeps it to one
    open alert per profile). Returns the alerts this run opened."""
    day = on or timezone.localdate()
    holding = list(
        PeerProfile.objects.filter(pk__in=holding_work()).exclude(status=PeerProfile.Status.LEFT)
    )
    found = standings(holding, on=day)
    expired = []
    for profile in holding:
        state = found[profile.pk].certification
        lapsed = state.expires_on is not None and state.expires_on < day
        if not state.holds and not state.decertified and lapsed:
            expired.append((profile, state.expires_on))
    # Only to tell which alerts this run opened; alert_raise alone decides whether to open.
    open_before = set(
        WorkforceAlert.objects.filter(
            profile_id__in=[profile.pk for profile, _day in expired],
            kind=WorkforceAlert.Kind.MATCHES_REVIEW,
            resolved_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    raised = [
        services.alert_raise(
            profile=profile,
            kind=WorkforceAlert.Kind.MATCHES_REVIEW,
            detail=f"expired:{expires_on.isoformat() if expires_on else ''}",
        )
        for profile, expires_on in expired
    ]
    return [alert for alert in raised if alert.pk not in open_before]


def _bucket(certification: Certification, day: date) -> str | None:
    """Where a decision shows on the overview, read from the eligibility service's
    certification state: a decertification counts from its effective date, and an
    appeal granted restores the certification."""
    state = certification_state(
        [certification],
        required=certification.framework.name,
        required_id=certification.framework_id,
        on=day,
    )
    if state.decertified:
        return "decertified"
    if not state.holds:
        if state.expires_on is not None:
            return "expired"
        if certification.status == Status.NOT_CERTIFIED:
            return "not_certified"
        return None  # issued on a later day
    if state.expires_on is not None and state.expires_on <= day + timedelta(
        days=EXPIRY_HORIZON_DAYS
    ):
        return "expiring"
    return None
