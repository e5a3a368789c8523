"""When a match is stalled: the one definition that the playbook scan (which makes the
work items), the coordinator's home and the daily digest all use.

A match in touch (introduced, first contact or active) is stalled on `day` once its
silence is `cadence + grace` days old or older: the silence begins at its last contact
(one that connected; any attempt as well where the programme counts attempts as
contact), else at the first contact, the introduction or the acceptance. The match row
keeps its last contact times (`Match.last_contact_at`, `last_attempt_at`, written by
`support.contacts`), so this is one query over matches, however many contacts there are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Case,
    DateTimeField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from peerbridge.matching.models import Match, MatchStatus
from peerbridge.organisations.models import Programme
from peerbridge.support.models import Contact, SupportSettings

# Matches whose peer and participant are in touch: the ones that can go quiet.
IN_TOUCH = (MatchStatus.INTRODUCED, MatchStatus.FIRST_CONTACT, MatchStatus.ACTIVE)
REFRESH_BATCH = 2000


def quiet_days(programme: Programme, settings: SupportSettings) -> int:
    """Days without contact after which a match in touch counts as stalled."""
    return programme.contact_cadence_days + settings.stall_grace_days


def silent_since(attempts_count_in: Iterable[int] = ()) -> Coalesce:
    """When a match's silence began (see the module's doc); `attempts_count_in` holds the
    programmes that count attempts that did not connect as contact."""
    ids = sorted(set(attempts_count_in))
    last = (
        Case(
            When(programme_id__in=ids, then=F("last_attempt_at")),
            default=F("last_contact_at"),
            output_field=DateTimeField(),
        )
        if ids
        else F("last_contact_at")
    )
    return Coalesce(
        last,
        "first_contact_at",
        "introduced_at",
        "accepted_at",
        "status_changed_at",
        output_field=DateTimeField(),
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def stalled_matches(
    programmes: list[Programme], day: date, *, offset_days: int = 0
) -> QuerySet[Match]:
    """The programmes' matches stalled on `day` (`offset_days` later than the stall, for
    a playbook rule with an offset), annotated with `since`, the longest silent first.
    A match is stalled on the day its silence turns `quiet_days` old."""
    if not programmes:
        return Match.objects.none()
    ids = [p.pk for p in programmes]
    rules = {row.programme_id: row for row in SupportSettings.objects.filter(programme__in=ids)}
    defaults = SupportSettings()
    by_cutoff: dict[datetime, list[int]] = defaultdict(list)
    for programme in programmes:
        quiet = quiet_days(programme, rules.get(programme.pk, defaults))
        latest = day - timedelta(days=quiet + offset_days)
        by_cutoff[_day_start(latest + timedelta(days=1))].append(programme.pk)
    late = Q(pk__in=[])
    for cutoff, in_programmes in by_cutoff.items():
        late |= Q(programme_id__in=in_programmes, since__lt=cutoff)
    attempts = [pk for pk, row in rules.items() if row.count_attempts_as_contact]
    return (
        Match.objects.filter(programme_id__in=ids, status__in=IN_TOUCH)
        .annotate(since=silent_since(attempts))
        .filter(late)
        .order_by("since", "pk")
    )


def last_contacts_refresh(match_ids: Iterable[int]) -> None:
    """Set the matches' `last_contact_at` and `last_attempt_at` from their contacts (after
    a contact is logged, edited or amended, or contacts are loaded in bulk): one UPDATE
    per batch, the newest times read by subqueries on the (match, occurred_at) index."""
    ids = sorted(set(match_ids))
    for start in range(0, len(ids), REFRESH_BATCH):
        newest = Contact.objects.filter(match=OuterRef("pk")).order_by("-occurred_at")
        Match.objects.filter(pk__in=ids[start : start + REFRESH_BATCH]).update(
            last_contact_at=Subquery(newest.filter(connected=True).values("occurred_at")[:1]),
            last_attempt_at=Subquery(newest.values("occurred_at")[:1]),
        )
