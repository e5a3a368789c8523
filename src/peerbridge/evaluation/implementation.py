"""The implementation dashboard of a programme: is the programme delivered as designed?

Training coverage (active peers who completed the required training), supervision
coverage (active peers whose supervision is not overdue), certification status, burnout
(each active peer's latest check-in), time from the waiting list to a match, how ended
matches ended, contacts by type of support and by setting (medical or community).

Everything is a count or a share of counts. For evaluators (anyone who does not run the
programme) counts under five are suppressed (core.disclosure), with a share hidden
whenever one of its parts is. The whole dashboard takes a fixed number of queries,
whatever the size of the programme.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peerbridge.core.disclosure import SMALL_CELL, suppress_small_cells
from peerbridge.evaluation.fidelity import NAMED_VIEW
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.referrals.models import EnrolmentStatus, EnrolmentStatusChange
from peerbridge.support.models import Contact, Setting, SupportType
from peerbridge.workforce.eligibility import Standing, standings
from peerbridge.workforce.models import PeerProfile
from peerbridge.workforce.supervision import overdue_profile_ids
from peerbridge.workforce.wellbeing import CHECKIN_PARTS, cbi, latest_cbi

MEDICAL_SETTINGS = frozenset({Setting.HOSPITAL, Setting.CLINIC})


@dataclass(frozen=True)
class Share:
    """`part` of `total`; None where suppressed."""

    part: int | None
    total: int | None

    @property
    def percent(self) -> float | None:
        if self.part is None or not self.total:
            return None
        return round(100.0 * self.part / self.total, 1)


@dataclass(frozen=True)
class Count_:
    code: str
    label: str
    count: int | None


@dataclass(frozen=True)
class Counts:
    rows: list[Count_]
    total: int | None


@dataclass(frozen=True)
class MatchWait:
    matched: int | None  # participants matched from the waiting list
    median_days: float | None


@dataclass(frozen=True)
class Dashboard:
    programme: Programme
    on: date
    suppressed: bool
    active_peers: int | None
    training: Share
    supervision: Share
    certification: Counts
    burnout: Counts
    time_to_match: MatchWait
    match_success: Share
    support_types: Counts
    settings: Counts
    medical: Share

    @property
    def threshold(self) -> int:
        return SMALL_CELL


# ---------------------------------------------------------------------------------------
# Suppression


def _total(total: int, suppressed: bool) -> int | None:
    return None if suppressed and total < SMALL_CELL else total


def share(part: int, total: int, *, suppressed: bool) -> Share:
    if not suppressed:
        return Share(part, total)
    shown = suppress_small_cells({"part": part, "rest": total - part})
    if shown["part"] is None or shown["rest"] is None:
        return Share(None, _total(total, suppressed))
    return Share(part, total)


def counts(
    rows: Sequence[tuple[str, str, int]], *, suppressed: bool, total: int | None = None
) -> Counts:
    """Counts by category; `total` when the categories overlap (else their sum)."""
    raw = {code: n for code, _label, n in rows}
    shown: dict[str, int | None] = suppress_small_cells(raw) if suppressed else dict(raw)
    return Counts(
        [Count_(code, label, shown[code]) for code, label, _n in rows],
        _total(sum(raw.values()) if total is None else total, suppressed),
    )


# ---------------------------------------------------------------------------------------
# The workforce


def _certification_code(standing: Standing) -> str:
    state = standing.certification
    if state.decertified:
        return "decertified"
    if not state.required:
        return "not_required"
    if state.holds:
        return "certified"
    if state.expires_on is not None:
        return "expired"
    return "not_certified"


CERTIFICATION_LABELS = {
    "certified": gettext_lazy("Certified"),
    "not_certified": gettext_lazy("Not certified yet"),
    "expired": gettext_lazy("Expired"),
    "decertified": gettext_lazy("Decertified"),
    "not_required": gettext_lazy("No certification required"),
}


def _burnout_code(work: float | None, client: float | None) -> str:
    scores = [value for value in (work, client) if value is not None]
    if not scores:
        return "none"
    band = cbi().scale(CHECKIN_PARTS[0]).band_for(max(scores))
    return "high" if band is not None and band.code == "high" else "not_high"


def _workforce(
    programme: Programme, day: date
) -> tuple[list[PeerProfile], dict[int, Standing], set[int], dict[str, int]]:
    working = list(
        PeerProfile.objects.filter(programme=programme)
        .exclude(status=PeerProfile.Status.LEFT)
        .select_related("programme")
    )
    active = [p for p in working if p.status == PeerProfile.Status.ACTIVE]
    found = standings(working, on=day)
    overdue = overdue_profile_ids(active, on=day)
    latest = latest_cbi(active)
    burnout: dict[str, int] = defaultdict(int)
    for profile in active:
        checkin = latest.get(profile.pk)
        code = (
            "none" if checkin is None else _burnout_code(checkin.work_score, checkin.client_score)
        )
        burnout[code] += 1
    return working, found, overdue, burnout


# ---------------------------------------------------------------------------------------
# Matching and support


def waits_to_match(programme: Programme) -> list[float]:
    """Days from joining the waiting list to being matched, for each time a participant
    was matched (a participant put back on the list waits anew). One query."""
    waiting_since: dict[int, datetime] = {}
    waits: list[float] = []
    for enrolment_id, to_status, changed_at in (
        EnrolmentStatusChange.objects.filter(
            enrolment__programme=programme,
            to_status__in=[EnrolmentStatus.WAITING, EnrolmentStatus.MATCHED],
        )
        .order_by("enrolment_id", "changed_at", "id")
        .values_list("enrolment_id", "to_status", "changed_at")
    ):
        if to_status == EnrolmentStatus.WAITING:
            waiting_since[enrolment_id] = changed_at
        elif enrolment_id in waiting_since:
            start = waiting_since.pop(enrolment_id)
            waits.append((changed_at - start).total_seconds() / 86400)
    return waits


def _time_to_match(programme: Programme, *, suppressed: bool) -> MatchWait:
    waits = waits_to_match(programme)
    if not waits or (suppressed and len(waits) < SMALL_CELL):
        return MatchWait(_total(len(waits), suppressed), None)
    return MatchWait(len(waits), round(statistics.median(waits), 1))


def _match_success(programme: Programme, *, suppressed: bool) -> Share:
    ended = Match.objects.filter(
        programme=programme, status__in=[MatchStatus.COMPLETED, MatchStatus.ENDED]
    ).aggregate(
        total=Count("pk"),
        completed=Count("pk", filter=Q(status=MatchStatus.COMPLETED)),
    )
    return share(ended["completed"], ended["total"], suppressed=suppressed)


def _support_types(programme: Programme, *, suppressed: bool) -> Counts:
    """Contacts that connected, by each type of support given (a contact may give
    several). One query: the JSON list is matched as text, which every database does."""
    found = Contact.objects.filter(programme=programme, connected=True).aggregate(
        contacts=Count("pk"),
        **{
            kind: Count("pk", filter=Q(support_types__icontains=f'"{kind}"'))
            for kind in SupportType.values
        },
    )
    return counts(
        [(kind, str(label), int(found[kind])) for kind, label in SupportType.choices],
        suppressed=suppressed,
        total=int(found["contacts"]),
    )


def _settings(programme: Programme, *, suppressed: bool) -> tuple[Counts, Share]:
    by_setting = {
        row["setting"]: row["n"]
        for row in Contact.objects.filter(programme=programme, connected=True)
        .values("setting")
        .annotate(n=Count("pk"))
        .order_by()
    }
    rows = [(code, str(label), int(by_setting.get(code, 0))) for code, label in Setting.choices]
    medical = sum(n for code, _label, n in rows if code in MEDICAL_SETTINGS)
    total = sum(n for _code, _label, n in rows)
    return counts(rows, suppressed=suppressed), share(medical, total, suppressed=suppressed)


# ---------------------------------------------------------------------------------------
# The dashboard


def is_suppressed(user: AnyUser, programme: Programme) -> bool:
    """Small cells are hidden from everyone who does not run the programme."""
    return not programmes_in_scope(user=user, policy=NAMED_VIEW).filter(pk=programme.pk).exists()


def implementation_dashboard(
    *, user: AnyUser, programme: Programme, on: date | None = None
) -> Dashboard:
    """The programme's implementation dashboard (fetched through access_programme with
    REPORT_VIEW). De-identified: counts only, no person is read."""
    day = on or timezone.localdate()
    hide = is_suppressed(user, programme)
    working, found, overdue, burnout = _workforce(programme, day)
    active = [p for p in working if p.status == PeerProfile.Status.ACTIVE]
    certification: dict[str, int] = dict.fromkeys(CERTIFICATION_LABELS, 0)
    for profile in working:
        certification[_certification_code(found[profile.pk])] += 1
    setting_counts, medical = _settings(programme, suppressed=hide)
    return Dashboard(
        programme=programme,
        on=day,
        suppressed=hide,
        active_peers=_total(len(active), hide),
        training=share(sum(1 for p in active if found[p.pk].trained), len(active), suppressed=hide),
        supervision=share(
            sum(1 for p in active if p.pk not in overdue), len(active), suppressed=hide
        ),
        certification=counts(
            [
                (code, str(label), certification[code])
                for code, label in CERTIFICATION_LABELS.items()
            ],
            suppressed=hide,
        ),
        burnout=counts(
            [
                ("high", _("High burnout"), burnout["high"]),
                ("not_high", _("Not high"), burnout["not_high"]),
                ("none", _("No check-in yet"), burnout["none"]),
            ],
            suppressed=hide,
        ),
        time_to_match=_time_to_match(programme, suppressed=hide),
        match_success=_match_success(programme, suppressed=hide),
        support_types=_support_types(programme, suppressed=hide),
        settings=setting_counts,
        medical=medical,
    )
