"""The coordinators' daily digest: each coordinator and programme leader with an active
role gets one message a day with counts only (waiting to be matched, follow-ups due,
stalled matches, open flags, supervision overdue, burnout alerts) over the programmes
they run, and a link to their home page. Nobody gets a digest of zeros, nor one they
turned off (Preference.daily_digest).

`send_daily_digests(day=...)` is the worker's "notifications-digest" job. It is
idempotent per day: each message carries the dedupe key `digest:<user id>:<day>`, so a
second run (or a second worker) queues nothing more. The counts for every programme
involved are read in a fixed number of queries (`homes_coordinator.programme_counts`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Q
from django.urls import reverse

from peerbridge.core.models import User
from peerbridge.notifications.models import Preference
from peerbridge.notifications.services import notify
from peerbridge.organisations.models import Programme, RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.web.homes import absolute, start_of
from peerbridge.web.homes_coordinator import ProgrammeCounts, programme_counts, summed

KIND = "notifications_digest"
DIGEST_ROLES = (Role.COORDINATOR, Role.PROGRAMME_LEADER)


def digest_key(user_id: int, day: date) -> str:
    return f"digest:{user_id}:{day.isoformat()}"


def _assignments(day: date) -> list[RoleAssignment]:
    """Coordinator and leader roles active on `day`, of logins that can sign in."""
    noon = start_of(day) + timedelta(hours=12)
    return list(
        RoleAssignment.objects.filter(
            role__in=DIGEST_ROLES, started_at__lte=noon, user__is_active=True
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=noon))
        .select_related("site", "user")
    )


def _programmes_by_user(assignments: list[RoleAssignment]) -> dict[int, set[int]]:
    """The active programmes each user runs: the programme of a programme-scoped role,
    every programme under the site of a site-scoped one. Two queries in all."""
    programmes = list(
        Programme.objects.filter(status=Programme.Status.ACTIVE).values_list("pk", "site__path")
    )
    active = {pk for pk, _path in programmes}
    found: dict[int, set[int]] = defaultdict(set)
    for assignment in assignments:
        if assignment.programme_id is not None:
            if assignment.programme_id in active:
                found[assignment.user_id].add(assignment.programme_id)
        elif assignment.site is not None:
            path = assignment.site.path
            found[assignment.user_id] |= {
                pk for pk, site_path in programmes if site_path.startswith(path)
            }
    return found


def _opted_out(user_ids: set[int]) -> set[int]:
    """Users who turned the digest off. A preference on the user's person record wins
    over one on the login, as when messages are sent."""
    by_person: dict[int, bool] = {}
    by_login: dict[int, bool] = {}
    for preference in Preference.objects.filter(
        Q(user_id__in=user_ids) | Q(person__user_id__in=user_ids)
    ).select_related("person"):
        if preference.person is not None and preference.person.user_id in user_ids:
            by_person[preference.person.user_id] = preference.daily_digest
        if preference.user_id is not None:
            by_login[preference.user_id] = preference.daily_digest
    return {
        user_id for user_id in user_ids if not by_person.get(user_id, by_login.get(user_id, True))
    }


def digest_context(counts: ProgrammeCounts, day: date) -> dict[str, object]:
    """What the digest templates show: counts and links, never a name. (`flags` is
    the templates' name for the open flags.)"""
    return {
        **counts.as_dict(),
        "flags": counts.open_flags,
        "total": counts.total,
        "day": day,
        "link": absolute(reverse("web:home")),
        "site_url": absolute(""),
    }


def send_daily_digests(*, day: date) -> int:
    """Queue today's digest for every coordinator and leader who has something to look
    at; returns how many people got one now (0 on a second run the same day)."""
    assignments = _assignments(day)
    users: dict[int, User] = {a.user_id: a.user for a in assignments}
    programmes_of = _programmes_by_user(assignments)
    wanted = set(programmes_of) - _opted_out(set(programmes_of))
    all_ids = set().union(*(programmes_of[u] for u in wanted)) if wanted else set()
    programmes = list(Programme.objects.filter(pk__in=all_ids).order_by("pk"))
    counts = programme_counts(programmes, day=day)
    sent = 0
    for user_id in sorted(wanted):
        total = summed(counts[pk] for pk in programmes_of[user_id] if pk in counts)
        if total.total == 0:
            continue
        queued = notify(
            kind=KIND,
            programme=None,
            context=digest_context(total, day),
            user=users[user_id],
            link=reverse("web:home"),
            dedupe_key=digest_key(user_id, day),
        )
        if queued:
            sent += 1
    return sent
