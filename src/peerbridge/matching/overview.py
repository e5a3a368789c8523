"""The matching overview: for each programme in reach, who is waiting and for how long,
offers awaiting the peer's answer (and overdue ones), matches ended early lately, with
links to the waiting list, batch runs, matches and the programme's playbooks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from peerbridge.core.access import view_policy
from peerbridge.matching import policies
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.referrals.models import Enrolment, EnrolmentStatus

RECENT_DAYS = 30


@dataclass(frozen=True)
class ProgrammeRow:
    programme: Programme
    waiting: int
    longest_wait_days: int | None
    offers_open: int
    offers_overdue: int
    ended_early_recently: int


def matching_overview(*, user: AnyUser) -> list[ProgrammeRow]:
    """One row per programme in reach, in three queries whatever the number of programmes."""
    programmes = list(programmes_in_scope(user=user, policy=policies.MATCH_MAKE).order_by("name"))
    ids = [p.pk for p in programmes]
    now = timezone.now()
    waiting = {
        row["programme_id"]: row
        for row in Enrolment.objects.filter(programme_id__in=ids, status=EnrolmentStatus.WAITING)
        .values("programme_id")
        .annotate(count=Count("id"), since=Min("waiting_since"))
    }
    matches = {
        row["programme_id"]: row
        for row in Match.objects.filter(programme_id__in=ids)
        .values("programme_id")
        .annotate(
            offers_open=Count("id", filter=Q(status=MatchStatus.OFFERED)),
            offers_overdue=Count("id", filter=Q(status=MatchStatus.OFFERED, respond_by__lt=now)),
            ended=Count(
                "id",
                filter=Q(
                    status=MatchStatus.ENDED, closed_at__gte=now - timedelta(days=RECENT_DAYS)
                ),
            ),
        )
    }
    rows = []
    for programme in programmes:
        wait = waiting.get(programme.pk, {})
        since = wait.get("since")
        counts = matches.get(programme.pk, {})
        rows.append(
            ProgrammeRow(
                programme=programme,
                waiting=wait.get("count", 0),
                longest_wait_days=(now - since).days if since is not None else None,
                offers_open=counts.get("offers_open", 0),
                offers_overdue=counts.get("offers_overdue", 0),
                ended_early_recently=counts.get("ended", 0),
            )
        )
    return rows


@view_policy(policies.MATCH_MAKE)
@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "matching/overview.html",
        {"rows": matching_overview(user=request.user), "recent_days": RECENT_DAYS},
    )
