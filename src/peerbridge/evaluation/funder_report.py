"""The funder report of a programme (or one of its sites) for a period: reach, activity,
workforce, outcomes and, when asked for, quotes people agreed to share.

The report holds only what a funder may see: counts already through
`core.disclosure.suppress_small_cells` (None where hidden) and before-and-after changes
for groups of five or more. The page, the PDF, CSV, XLSX and the API all render this one
object, so their numbers agree. A fixed number of queries, whatever the size."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from peerbridge.core.disclosure import SMALL_CELL, suppress_small_cells
from peerbridge.evaluation import analytics
from peerbridge.evaluation.analytics import Change, Period, site_q
from peerbridge.evaluation.models import Quote
from peerbridge.organisations.models import Programme, Site
from peerbridge.outcomes.models import Response
from peerbridge.support.models import Attendance, Contact, GroupSession, Mode, SupportType
from peerbridge.workforce.models import (
    Certification,
    PeerProfile,
    SupervisionSession,
    TrainingAttendance,
)

HIDDEN = "fewer than 5"


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    value: int | None  # None: fewer than five, hidden


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    rows: list[Row]
    chart: bool = False  # a bar chart reads better than the table

    @property
    def largest(self) -> int:
        return max([row.value or 0 for row in self.rows] + [1])


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    tables: list[Table]


@dataclass(frozen=True)
class QuoteShown:
    speaker: str
    text: str


@dataclass(frozen=True)
class FunderReport:
    programme: Programme
    site: Site | None
    period: Period
    sections: list[Section]
    outcomes: list[Change]
    quotes: list[QuoteShown] = field(default_factory=list)
    include_quotes: bool = False

    def table(self, key: str) -> Table:
        for section in self.sections:
            for table in section.tables:
                if table.key == key:
                    return table
        raise KeyError(key)

    def value(self, table: str, row: str) -> int | None:
        for found in self.table(table).rows:
            if found.key == row:
                return found.value
        raise KeyError(row)


def _each(counts: list[tuple[str, str, int]]) -> list[Row]:
    """Headline figures: each hidden on its own when under five."""
    return [Row(key, label, suppress_small_cells({key: n})[key]) for key, label, n in counts]


def _partition(counts: list[tuple[str, str, int]]) -> list[Row]:
    """A breakdown: small cells hidden with a second one where a total could reveal it."""
    shown = suppress_small_cells({key: n for key, _label, n in counts})
    return [Row(key, label, shown[key]) for key, label, _n in counts]


def _reach(programme: Programme, period: Period, site: Site | None) -> Section:
    enrolments = analytics.cohort(programme, period, site)
    data = analytics.load(enrolments, programme)
    contacted = Contact.objects.filter(
        period.q("occurred_at"),
        site_q(site, "enrolment__person"),
        programme=programme,
        connected=True,
    ).values_list("enrolment_id", flat=True)
    attended = Attendance.objects.filter(
        period.q("session__starts_at"),
        site_q(site, "member__enrolment__person"),
        session__group__programme=programme,
        status=Attendance.Status.PRESENT,
    ).values_list("member__enrolment_id", flat=True)
    supported = len(set(contacted) | set(attended))
    by_condition = Counter(
        data.conditions.get(pk, analytics.not_recorded()) for pk in data.enrolments
    )
    by_site = Counter(
        row["person__site__name"] or analytics.not_recorded() for row in data.enrolments.values()
    )
    return Section(
        "reach",
        _("Reach"),
        [
            Table(
                "reach",
                _("People reached"),
                _each(
                    [
                        ("referred", _("Referred"), len(data.enrolments)),
                        ("enrolled", _("Enrolled"), len(data.enrolled)),
                        ("supported", _("Supported in the period"), supported),
                    ]
                ),
                chart=True,
            ),
            Table(
                "reach_condition",
                _("Referred, by condition"),
                _partition([(name, name, n) for name, n in sorted(by_condition.items())]),
                chart=True,
            ),
            Table(
                "reach_site",
                _("Referred, by site"),
                _partition([(name, name, n) for name, n in sorted(by_site.items())]),
            ),
        ],
    )


def _activity(programme: Programme, period: Period, site: Site | None) -> Section:
    contacts = Contact.objects.filter(
        period.q("occurred_at"), site_q(site, "enrolment__person"), programme=programme
    )
    total = contacts.aggregate(all=Count("id"), connected=Count("id", filter=Q(connected=True)))
    modes = dict(
        contacts.filter(connected=True).values_list("mode").annotate(n=Count("id")).order_by()
    )
    types: Counter[str] = Counter()
    for support_types in contacts.filter(connected=True).values_list("support_types", flat=True):
        types.update(set(support_types or []))
    sessions = GroupSession.objects.filter(
        period.q("starts_at"), group__programme=programme, status=GroupSession.Status.HELD
    )
    if site is not None:
        sessions = sessions.filter(
            group__members__enrolment__person__site__path__startswith=site.path
        ).distinct()
    attendance = Attendance.objects.filter(
        period.q("session__starts_at"),
        site_q(site, "member__enrolment__person"),
        session__group__programme=programme,
        session__status=GroupSession.Status.HELD,
    ).aggregate(present=Count("id", filter=Q(status=Attendance.Status.PRESENT)), all=Count("id"))
    return Section(
        "activity",
        _("Activity"),
        [
            Table(
                "activity",
                _("Support given"),
                _each(
                    [
                        ("contacts", _("Contacts that connected"), total["connected"]),
                        ("attempts", _("Contacts tried, including attempts"), total["all"]),
                        ("group_sessions", _("Group sessions held"), sessions.count()),
                        ("attended", _("Group attendances"), attendance["present"]),
                        ("attendance_records", _("Places recorded at sessions"), attendance["all"]),
                    ]
                ),
            ),
            Table(
                "contacts_mode",
                _("Contacts, by way of meeting"),
                _partition([(m.value, str(m.label), modes.get(m.value, 0)) for m in Mode]),
                chart=True,
            ),
            Table(
                "contacts_type",
                _("Contacts, by type of support (a contact may give several)"),
                _each([(t.value, str(t.label), types.get(t.value, 0)) for t in SupportType]),
                chart=True,
            ),
        ],
    )


def _workforce(programme: Programme, period: Period, site: Site | None) -> Section:
    profiles = PeerProfile.objects.filter(site_q(site, "person"), programme=programme)
    active = profiles.filter(activated_on__isnull=False)
    if period.end is not None:
        active = active.filter(activated_on__lte=period.end)
    if period.start is not None:
        active = active.filter(Q(left_on__isnull=True) | Q(left_on__gte=period.start))
    attended = TrainingAttendance.objects.filter(
        session__module__programme=programme, attended=True
    )
    certified = Certification.objects.filter(
        programme=programme, status=Certification.Status.CERTIFIED
    )
    if period.end is not None:
        attended = attended.filter(session__starts_at__lt=period.bounds()[1])
        certified = certified.filter(issued_on__lte=period.end).filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=period.end)
        )
    supervised = SupervisionSession.objects.filter(period.q("held_at"), programme=programme)
    return Section(
        "workforce",
        _("Workforce"),
        [
            Table(
                "workforce",
                _("Peer supporters"),
                _each(
                    [
                        ("active", _("Active in the period"), active.count()),
                        (
                            "trained",
                            _("Trained (attended the programme's training)"),
                            profiles.filter(person_id__in=attended.values("person_id")).count(),
                        ),
                        (
                            "certified",
                            _("Certified at the end of the period"),
                            profiles.filter(person_id__in=certified.values("person_id")).count(),
                        ),
                        (
                            "supervised",
                            _("Supervised in the period"),
                            profiles.filter(pk__in=supervised.values("peers")).count(),
                        ),
                    ]
                ),
                chart=True,
            )
        ],
    )


def _outcomes(programme: Programme, period: Period, site: Site | None) -> list[Change]:
    rows = analytics.endpoints(
        Response.objects.filter(
            period.q("completed_at"),
            site_q(site, "person"),
            programme=programme,
            enrolment__isnull=False,
            status=Response.Status.COMPLETE,
            score__isnull=False,
        )
    )
    return analytics.changes_by_instrument(analytics.pairs_for(rows))


def _quotes(programme: Programme, period: Period, site: Site | None) -> list[QuoteShown]:
    quotes = Quote.objects.filter(programme=programme, withdrawn_at__isnull=True)
    if period.end is not None:
        quotes = quotes.filter(consent_recorded_on__lte=period.end)
    if site is not None:
        quotes = quotes.filter(Q(site__path__startswith=site.path) | Q(site__isnull=True))
    return [
        QuoteShown(str(Quote.Speaker(q.speaker).label), q.text)
        for q in quotes.only("speaker", "text")
    ]


def funder_report(
    programme: Programme,
    period: Period,
    site: Site | None = None,
    *,
    include_quotes: bool = False,
) -> FunderReport:
    return FunderReport(
        programme=programme,
        site=site,
        period=period,
        sections=[
            _reach(programme, period, site),
            _activity(programme, period, site),
            _workforce(programme, period, site),
        ],
        outcomes=_outcomes(programme, period, site),
        quotes=_quotes(programme, period, site) if include_quotes else [],
        include_quotes=include_quotes,
    )


# --- Flat forms of the report (CSV, XLSX, JSON) --------------------------------------------


def shown(value: int | None) -> int | str:
    return HIDDEN if value is None else value


def _number(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def outcome_rows(report: FunderReport) -> list[dict[str, Any]]:
    rows = []
    for change in report.outcomes:
        effect = change.effect
        rows.append(
            {
                "instrument": change.instrument,
                "title": change.title,
                "people": change.n,
                "mean_before": _number(change.mean_before),
                "mean_after": _number(change.mean_after),
                "sd_before": _number(change.sd_before),
                "sd_after": _number(change.sd_after),
                "hedges_g": _number(effect.hedges_g if effect else None),
                "ci_lower": _number(effect.ci_lower if effect else None),
                "ci_upper": _number(effect.ci_upper if effect else None),
                "reliable_improvement_percent": _number(change.reliable_improvement_percent, 1),
                "higher_is_worse": change.higher_is_worse,
                "evidence": change.wording,
                "design": change.caution,
            }
        )
    return rows


def report_as_dict(report: FunderReport) -> dict[str, Any]:
    return {
        "programme_id": report.programme.pk,
        "programme": report.programme.name,
        "site_id": report.site.pk if report.site else None,
        "start": report.period.start,
        "end": report.period.end,
        "small_cell": SMALL_CELL,
        "sections": [
            {
                "key": section.key,
                "title": section.title,
                "tables": [
                    {
                        "key": table.key,
                        "title": table.title,
                        "rows": [
                            {"key": row.key, "label": row.label, "value": row.value}
                            for row in table.rows
                        ],
                    }
                    for table in section.tables
                ],
            }
            for section in report.sections
        ],
        "outcomes": outcome_rows(report),
        "quotes": [{"speaker": q.speaker, "text": q.text} for q in report.quotes],
    }


def figure_rows(report: FunderReport) -> list[list[Any]]:
    """Section, table, item, value: one row per figure."""
    rows: list[list[Any]] = []
    for section in report.sections:
        for table in section.tables:
            for row in table.rows:
                rows.append([section.title, table.title, row.label, shown(row.value)])
    return rows


def period_label(period: Period) -> str:
    def day(value: date | None) -> str:
        return value.isoformat() if value else "…"

    return f"{day(period.start)} – {day(period.end)}"


def report_csv(report: FunderReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Programme"), report.programme.name])
    writer.writerow([_("Period"), period_label(report.period)])
    if report.site is not None:
        writer.writerow([_("Site"), report.site.name])
    writer.writerow([])
    writer.writerow([_("Section"), _("Table"), _("Item"), _("Value")])
    writer.writerows(figure_rows(report))
    writer.writerow([])
    outcomes = outcome_rows(report)
    if outcomes:
        writer.writerow(list(outcomes[0]))
        for row in outcomes:
            writer.writerow(["" if v is None else v for v in row.values()])
    if report.quotes:
        writer.writerow([])
        writer.writerow([_("Who said it"), _("Quote")])
        writer.writerows([[q.speaker, q.text] for q in report.quotes])
    return out.getvalue()
