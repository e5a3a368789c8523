"""Programme analytics: before-and-after change per questionnaire, the flow from referral
to follow-up with its attrition, change by format, way of meeting, condition and site,
and pooling across sites.

Everything here is de-identified and aggregated: every count an evaluator or funder sees
passes through `core.disclosure.suppress_small_cells` (under five hidden), and an effect
is shown only for a group of at least five people. The reads are a fixed number of
queries whatever the number of people (the data are loaded once, then grouped in Python).

Baseline is a person's earliest complete response to a questionnaire in the programme;
follow-up is their latest complete response after it. Pairs are per enrolment."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.disclosure import SMALL_CELL, suppress_small_cells
from peerbridge.evaluation import statistics
from peerbridge.instruments.change import NoChangeCriteria, classify_change
from peerbridge.instruments.registry import get_instrument
from peerbridge.matching.models import Match
from peerbridge.organisations.models import Programme, Site
from peerbridge.outcomes.models import Response
from peerbridge.people.models import LivedExperience
from peerbridge.referrals.models import Enrolment, EnrolmentStatus, EnrolmentStatusChange
from peerbridge.support.models import Contact, GroupMember, Mode
from peerbridge.workforce.models import PeerProfile

S = EnrolmentStatus
# Statuses that only come after a person was enrolled.
ENROLLED_OR_LATER = frozenset({S.ENROLLED, S.WAITING, S.MATCHED, S.ACTIVE, S.COMPLETED})


def not_recorded() -> str:
    return _("not recorded")


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included. Either may be open."""

    start: date | None = None
    end: date | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        zone = timezone.get_current_timezone()
        low = datetime.combine(self.start, time.min, tzinfo=zone) if self.start else None
        high = (
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone)
            if self.end
            else None
        )
        return low, high

    def q(self, field_name: str) -> Q:
        low, high = self.bounds()
        condition = Q()
        if low is not None:
            condition &= Q(**{f"{field_name}__gte": low})
        if high is not None:
            condition &= Q(**{f"{field_name}__lt": high})
        return condition


def site_q(site: Site | None, person_path: str) -> Q:
    """People at `site` or below it (by their recorded site)."""
    return Q() if site is None else Q(**{f"{person_path}__site__path__startswith": site.path})


def cohort(programme: Programme, period: Period, site: Site | None = None) -> QuerySet[Enrolment]:
    """Enrolments referred to the programme in the period (at the site, when given)."""
    return Enrolment.objects.filter(
        period.q("received_at"), site_q(site, "person"), programme=programme
    )


# --- Pairs of baseline and follow-up ----------------------------------------------------


@dataclass(frozen=True)
class Pair:
    enrolment_id: int
    instrument: str
    before: float
    after: float


ENDPOINT_FIELDS = ("enrolment_id", "instrument", "score", "completed_at")


def endpoints(responses: QuerySet[Response]) -> QuerySet[Response, dict[str, Any]]:
    """Only each enrolment's first and last response per instrument, chosen in the
    database (window functions): all `pairs_for` needs, so a million responses come back
    as two rows per person and questionnaire instead of every one."""
    partition = [F("enrolment_id"), F("instrument")]
    return (
        responses.annotate(
            from_first=Window(
                RowNumber(),
                partition_by=partition,
                order_by=[F("completed_at").asc(), F("pk").asc()],
            ),
            from_last=Window(
                RowNumber(),
                partition_by=partition,
                order_by=[F("completed_at").desc(), F("pk").desc()],
            ),
        )
        .filter(Q(from_first=1) | Q(from_last=1))
        .values(*ENDPOINT_FIELDS)
    )


def pairs_for(responses: Iterable[Mapping[str, Any]]) -> list[Pair]:
    """Baseline (earliest) and follow-up (latest later one) per enrolment and instrument,
    from rows of enrolment_id, instrument, score and completed_at."""
    series: dict[tuple[int, str], list[tuple[datetime, float]]] = defaultdict(list)
    for row in responses:
        if row["score"] is None or row["completed_at"] is None or row["enrolment_id"] is None:
            continue
        series[(row["enrolment_id"], row["instrument"])].append(
            (row["completed_at"], float(row["score"]))
        )
    pairs = []
    for (enrolment_id, instrument), points in sorted(series.items()):
        points.sort(key=lambda point: point[0])
        first, last = points[0], points[-1]
        if last[0] > first[0]:
            pairs.append(Pair(enrolment_id, instrument, first[1], last[1]))
    return pairs


@dataclass(frozen=True)
class Change:
    """Before and after on one questionnaire for one group of people."""

    instrument: str
    title: str
    n: int | None  # suppressed under five
    mean_before: float | None
    mean_after: float | None
    sd_before: float | None
    sd_after: float | None
    effect: statistics.EffectSize | None
    wording: str
    reliable_improvement_percent: float | None = None
    higher_is_worse: bool = True

    @property
    def caution(self) -> str:
        return _("single group before and after: does not show cause")


def _title(code: str) -> tuple[str, bool]:
    try:
        instrument = get_instrument(code)
    except KeyError:
        return code, True
    higher_is_worse = instrument.scales[0].higher_is_worse if instrument.scales else True
    return instrument.title, higher_is_worse


def _mean_sd(values: list[float]) -> tuple[float, float | None]:
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, variance**0.5


def _reliable_share(code: str, pairs: list[Pair]) -> float | None:
    try:
        scale = get_instrument(code).scales[0]
        improved = sum(
            classify_change(scale, before=p.before, after=p.after).category
            in {"improved", "recovered"}
            for p in pairs
        )
    except (KeyError, IndexError, NoChangeCriteria, ValueError):
        return None
    return 100 * improved / len(pairs)


def change_for(code: str, pairs: list[Pair]) -> Change:
    """Summarise pairs; under five people shows nothing but that the group is small."""
    title, higher_is_worse = _title(code)
    n = suppress_small_cells({code: len(pairs)})[code]
    if n is None:
        return Change(
            code,
            title,
            None,
            None,
            None,
            None,
            None,
            None,
            _("Fewer than five people: not shown."),
            higher_is_worse=higher_is_worse,
        )
    before = [p.before for p in pairs]
    after = [p.after for p in pairs]
    mean_before, sd_before = _mean_sd(before)
    mean_after, sd_after = _mean_sd(after)
    effect: statistics.EffectSize | None
    try:
        effect = statistics.hedges_g_prepost(before, after)
        wording = statistics.evidence_wording(effect).text
    except ValueError as error:
        effect, wording = None, _("No effect size: %(reason)s.") % {"reason": error}
    return Change(
        code,
        title,
        n,
        mean_before,
        mean_after,
        sd_before,
        sd_after,
        effect,
        wording,
        reliable_improvement_percent=_reliable_share(code, pairs),
        higher_is_worse=higher_is_worse,
    )


def changes_by_instrument(pairs: list[Pair]) -> list[Change]:
    grouped: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        grouped[pair.instrument].append(pair)
    return [change_for(code, rows) for code, rows in sorted(grouped.items())]


# --- The flow -----------------------------------------------------------------------


@dataclass(frozen=True)
class FlowStep:
    stage: str
    count: int | None
    percent_lost: float | None  # from the stage before; None when hidden or first
    flagged: bool


FLOW_STAGES = (
    ("referred", "Referred"),
    ("enrolled", "Enrolled"),
    ("matched", "Matched with a peer"),
    ("first_contact", "First contact"),
    ("baseline", "Baseline questionnaire done"),
    ("follow_up", "Follow-up questionnaire done"),
)


def flow_steps(counts: dict[str, int]) -> list[FlowStep]:
    """Each stage's count (suppressed) and the attrition from the stage before, flagged
    above 20%. A percentage is hidden when either count it is made from is hidden."""
    ordered = [(key, counts[key]) for key, _label in FLOW_STAGES]
    result = statistics.attrition(ordered)
    # Each stage on its own: they are not parts of one total.
    shown = {key: suppress_small_cells({key: count})[key] for key, count in ordered}
    steps = [FlowStep(FLOW_STAGES[0][0], shown[FLOW_STAGES[0][0]], None, False)]
    for step in result.steps:
        visible = shown[step.from_stage] is not None and shown[step.to_stage] is not None
        steps.append(
            FlowStep(
                step.to_stage,
                shown[step.to_stage],
                step.percent_lost if visible else None,
                step.flagged and visible,
            )
        )
    return steps


def stage_label(stage: str) -> str:
    return _(dict(FLOW_STAGES)[stage])


# --- Everything for one programme ------------------------------------------------------


@dataclass(frozen=True)
class Stratum:
    label: str
    changes: list[Change]


@dataclass(frozen=True)
class Stratification:
    dimension: str
    strata: list[Stratum]
    note: str = ""


@dataclass(frozen=True)
class Pooled:
    instrument: str
    title: str
    result: statistics.PooledEstimate | statistics.PoolingNotPossible
    wording: str


@dataclass
class Loaded:
    """The rows read for a cohort, keyed by enrolment id."""

    enrolments: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    enrolled: set[int] = field(default_factory=set)
    matched: set[int] = field(default_factory=set)
    first_contact: set[int] = field(default_factory=set)
    in_group: set[int] = field(default_factory=set)
    modes: dict[int, dict[str, int]] = field(default_factory=dict)
    conditions: dict[int, str] = field(default_factory=dict)
    responses: list[Mapping[str, Any]] = field(default_factory=list)


def load(enrolments: QuerySet[Enrolment], programme: Programme) -> Loaded:
    """Seven queries, whatever the size of the cohort."""
    data = Loaded()
    for row in enrolments.values("id", "status", "person_id", "person__site__name"):
        data.enrolments[row["id"]] = row
    data.enrolled = set(
        EnrolmentStatusChange.objects.filter(enrolment__in=enrolments, to_status=S.ENROLLED)
        .values_list("enrolment_id", flat=True)
        .distinct()
    ) | {pk for pk, row in data.enrolments.items() if row["status"] in ENROLLED_OR_LATER}
    for match in Match.objects.filter(enrolment__in=enrolments, accepted_at__isnull=False).values(
        "enrolment_id", "first_contact_at"
    ):
        data.matched.add(match["enrolment_id"])
        if match["first_contact_at"] is not None:
            data.first_contact.add(match["enrolment_id"])
    for contact in (
        Contact.objects.filter(enrolment__in=enrolments)
        .values("enrolment_id", "mode")
        .annotate(n=Count("id"), connected=Count("id", filter=Q(connected=True)))
    ):
        data.modes.setdefault(contact["enrolment_id"], {})[contact["mode"]] = contact["n"]
        if contact["connected"]:
            data.first_contact.add(contact["enrolment_id"])
    data.in_group = set(
        GroupMember.objects.filter(enrolment__in=enrolments)
        .values_list("enrolment_id", flat=True)
        .distinct()
    )
    person_enrolments: dict[int, list[int]] = defaultdict(list)
    for pk, enrolment in data.enrolments.items():
        person_enrolments[enrolment["person_id"]].append(pk)
    for experience in (
        LivedExperience.objects.filter(
            programme=programme,
            perspective=LivedExperience.Perspective.FACING,
            person__enrolments__in=enrolments,
        )
        .values("person_id", "condition__name")
        .order_by("id")
    ):
        for pk in person_enrolments.get(experience["person_id"], []):
            data.conditions.setdefault(pk, experience["condition__name"] or not_recorded())
    data.responses = list(
        endpoints(
            Response.objects.filter(
                enrolment__in=enrolments,
                status=Response.Status.COMPLETE,
                completed_at__isnull=False,
                score__isnull=False,
            )
        )
    )
    return data


def _format_of(data: Loaded, pk: int) -> str:
    one_to_one, group = pk in data.matched, pk in data.in_group
    if one_to_one and group:
        return _("One-to-one and group")
    if one_to_one:
        return _("One-to-one")
    if group:
        return _("Group")
    return _("Neither yet")


def _mode_of(data: Loaded, pk: int) -> str:
    modes = data.modes.get(pk)
    if not modes:
        return _("No contacts")
    main = max(sorted(modes), key=lambda mode: modes[mode])
    return str(Mode(main).label) if main in Mode.values else main


def _stratify(
    dimension: str, pairs: list[Pair], label_of: dict[int, str], note: str = ""
) -> Stratification:
    grouped: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        grouped[label_of.get(pair.enrolment_id, not_recorded())].append(pair)
    return Stratification(
        dimension,
        [Stratum(label, changes_by_instrument(rows)) for label, rows in sorted(grouped.items())],
        note,
    )


def _pool_sites(pairs: list[Pair], site_of: dict[int, str]) -> list[Pooled]:
    pooled = []
    by_instrument: dict[str, dict[str, list[Pair]]] = defaultdict(lambda: defaultdict(list))
    for pair in pairs:
        site = site_of.get(pair.enrolment_id)
        if site is not None:
            by_instrument[pair.instrument][site].append(pair)
    for code, sites in sorted(by_instrument.items()):
        effects, variances, labels = [], [], []
        for label, rows in sorted(sites.items()):
            if len(rows) < SMALL_CELL:
                continue
            try:
                effect = statistics.hedges_g_prepost(
                    [p.before for p in rows], [p.after for p in rows]
                )
            except ValueError:
                continue
            effects.append(effect.hedges_g)
            variances.append(effect.standard_error**2)
            labels.append(label)
        if len(sites) < 2:
            continue
        result = statistics.pool_random_effects(effects, variances, labels)
        wording = (
            statistics.evidence_wording(result, standardised=True).text
            if isinstance(result, statistics.PooledEstimate)
            else _("Pooling needs at least two sites with five or more people each.")
        )
        pooled.append(Pooled(code, _title(code)[0], result, wording))
    return pooled


@dataclass(frozen=True)
class ProgrammeAnalytics:
    programme: Programme
    period: Period
    site: Site | None
    changes: list[Change]
    flow: list[FlowStep]
    stratifications: list[Stratification]
    pooled: list[Pooled]


def flow_counts(data: Loaded, pairs: list[Pair]) -> dict[str, int]:
    baseline = {row["enrolment_id"] for row in data.responses}
    return {
        "referred": len(data.enrolments),
        "enrolled": len(data.enrolled),
        "matched": len(data.matched),
        "first_contact": len(data.first_contact),
        "baseline": len(baseline),
        "follow_up": len({pair.enrolment_id for pair in pairs}),
    }


def peer_pay_note(programme: Programme) -> str:
    pay_fields = {f.name for f in PeerProfile._meta.get_fields()} & {"pay_status", "paid"}
    if pay_fields:
        return ""
    return _(
        "Peer pay status is not recorded for each peer; the programme says its peers are: %(pay)s."
    ) % {"pay": programme.get_peer_pay_display()}


def programme_analytics(
    programme: Programme, period: Period | None = None, site: Site | None = None
) -> ProgrammeAnalytics:
    period = period or Period()
    data = load(cohort(programme, period, site), programme)
    pairs = pairs_for(data.responses)
    site_of = {
        pk: row["person__site__name"] or not_recorded() for pk, row in data.enrolments.items()
    }
    stratifications = [
        _stratify(_("Format"), pairs, {pk: _format_of(data, pk) for pk in data.enrolments}),
        _stratify(
            _("Main way of meeting"), pairs, {pk: _mode_of(data, pk) for pk in data.enrolments}
        ),
        _stratify(_("Condition"), pairs, data.conditions),
        _stratify(_("Site"), pairs, site_of),
        Stratification(_("Peer pay status"), [], peer_pay_note(programme)),
    ]
    return ProgrammeAnalytics(
        programme=programme,
        period=period,
        site=site,
        changes=changes_by_instrument(pairs),
        flow=flow_steps(flow_counts(data, pairs)),
        stratifications=stratifications,
        pooled=_pool_sites(pairs, site_of),
    )


def suppressed(counts: dict[str, int]) -> dict[str, int | None]:
    return suppress_small_cells(counts)


# --- As plain data (the API) ---------------------------------------------------------------


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def change_as_dict(change: Change) -> dict[str, Any]:
    effect = change.effect
    return {
        "instrument": change.instrument,
        "title": change.title,
        "people": change.n,
        "mean_before": _round(change.mean_before),
        "mean_after": _round(change.mean_after),
        "sd_before": _round(change.sd_before),
        "sd_after": _round(change.sd_after),
        "hedges_g": _round(effect.hedges_g if effect else None),
        "ci_lower": _round(effect.ci_lower if effect else None),
        "ci_upper": _round(effect.ci_upper if effect else None),
        "p_value": _round(effect.p_value if effect else None, 4),
        "reliable_improvement_percent": _round(change.reliable_improvement_percent, 1),
        "higher_is_worse": change.higher_is_worse,
        "evidence": change.wording,
        "design": change.caution,
    }


def _pooled_as_dict(pooled: Pooled) -> dict[str, Any]:
    result = pooled.result
    data: dict[str, Any] = {
        "instrument": pooled.instrument,
        "title": pooled.title,
        "sites": list(result.labels),
        "pooled": result.pooled,
        "evidence": pooled.wording,
    }
    if isinstance(result, statistics.PooledEstimate):
        data |= {
            "estimate": _round(result.estimate),
            "ci_lower": _round(result.ci_lower),
            "ci_upper": _round(result.ci_upper),
            "i2_percent": _round(result.i2_percent, 1),
            "tau2": _round(result.tau2, 4),
        }
    return data


def analytics_as_dict(result: ProgrammeAnalytics) -> dict[str, Any]:
    return {
        "programme_id": result.programme.pk,
        "site_id": result.site.pk if result.site else None,
        "start": result.period.start,
        "end": result.period.end,
        "small_cell": SMALL_CELL,
        "design": _("single group before and after: does not show cause"),
        "changes": [change_as_dict(change) for change in result.changes],
        "flow": [
            {
                "stage": step.stage,
                "label": stage_label(step.stage),
                "count": step.count,
                "percent_lost": _round(step.percent_lost, 1),
                "flagged": step.flagged,
            }
            for step in result.flow
        ],
        "stratified": [
            {
                "dimension": item.dimension,
                "note": item.note,
                "strata": [
                    {"label": s.label, "changes": [change_as_dict(c) for c in s.changes]}
                    for s in item.strata
                ],
            }
            for item in result.stratifications
        ],
        "pooled_across_sites": [_pooled_as_dict(p) for p in result.pooled],
    }
