"""The context-mechanism-outcome (realist) report: how an outcome changed for participants
in whom each mechanism of peer support was weak, middling or strong, within each context.

For one programme (and optionally a period), a participant counts when they have a
completed participant mechanism questionnaire (`mech_participant`) and a baseline and a
later completed response to the chosen outcome questionnaire:

- outcome: the instrument's first scale (`Response.score`); baseline is the earliest
  completed response, follow-up the latest completed after it; change = follow-up minus
  baseline, in the instrument's own units and direction;
- mechanism: the latest completed mechanism questionnaire, re-scored from its raw answers
  (the record) with the versioned scoring code, banded low / medium / high per mechanism
  scale and overall;
- context: the programme's site, the format (group when the participant has held a place
  in one of the programme's groups, otherwise one-to-one) and the programme's condition.

Each cell reports n, the mean change and Hedges' g (pre/post, with its confidence
interval). Counts under five are suppressed (core.disclosure), with a second cell where
one hidden count could be recovered; a context whose own count is hidden shows no cells.
The report shows association, not cause: the page and the API say so.

The report reads three queries whatever the number of participants. Nothing in it names
a person; the per-participant rows never leave this module."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import fmean
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peerbridge.core.disclosure import SMALL_CELL, suppress_small_cells
from peerbridge.evaluation.statistics import hedges_g_prepost
from peerbridge.instruments import IncompleteAnswers, Instrument, get_instrument, score
from peerbridge.instruments.registry import instrument_codes
from peerbridge.organisations.models import Programme
from peerbridge.outcomes.models import Response
from peerbridge.outcomes.schedules import default_instruments
from peerbridge.support.models import GroupMember

MECHANISM_INSTRUMENT = "mech_participant"
OVERALL_SCALE = "strength"
EXPLORATORY_WORDING = "exploratory: shows association, not cause"
# The earliest and latest dates a period may name: anything else is a typing slip.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)

ONE_TO_ONE = Programme.Format.ONE_TO_ONE.value
GROUP = Programme.Format.GROUP.value


def outcome_codes() -> list[str]:
    """Questionnaires that can be the outcome: every instrument but our mechanism ones."""
    return [code for code in instrument_codes() if not code.startswith("mech_")]


def default_outcome(programme: Programme) -> str:
    """The first questionnaire the programme's default schedule asks (the PHQ-9 where
    mood is the focus, the PHQ-2 elsewhere)."""
    codes = [code for code in default_instruments(programme) if code in outcome_codes()]
    return codes[0] if codes else "phq9"


@dataclass(frozen=True, order=True)
class Context:
    site: str  # the site's name
    format: str  # ONE_TO_ONE or GROUP
    condition: str  # the programme's condition area code

    @property
    def format_label(self) -> str:
        return str(Programme.Format(self.format).label)

    @property
    def condition_label(self) -> str:
        return str(Programme.ConditionArea(self.condition).label)


@dataclass(frozen=True)
class ParticipantChange:
    """One participant's contribution: kept in memory only, never shown or returned."""

    context: Context
    bands: Mapping[str, str]  # mechanism scale code -> band code (scored scales only)
    baseline: float
    follow_up: float


@dataclass(frozen=True)
class Cell:
    band: str
    band_label: str
    n: int | None  # None: suppressed
    mean_change: float | None
    hedges_g: float | None  # None also when there is no spread to standardise by
    ci_lower: float | None
    ci_upper: float | None


@dataclass(frozen=True)
class MechanismRow:
    scale: str
    label: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class ContextBlock:
    context: Context
    n: int | None  # None: suppressed, and then every cell is too
    mechanisms: tuple[MechanismRow, ...]


@dataclass(frozen=True)
class RealistReport:
    programme_id: int
    outcome: str
    outcome_title: str
    outcome_scale: str
    higher_is_worse: bool
    start: date | None
    end: date | None
    participants: int | None  # None: suppressed
    contexts: tuple[ContextBlock, ...]
    wording: str = EXPLORATORY_WORDING


# --- The pure summary ----------------------------------------------------------------


def _hidden_cell(band: str, label: str) -> Cell:
    return Cell(band, label, None, None, None, None, None)


def _cell(band: str, label: str, n: int | None, changes: Sequence[ParticipantChange]) -> Cell:
    if n is None:
        return _hidden_cell(band, label)
    before = [change.baseline for change in changes]
    after = [change.follow_up for change in changes]
    mean_change = fmean(b - a for a, b in zip(before, after, strict=True))
    try:
        effect = hedges_g_prepost(before, after)
    except ValueError:  # no spread at a time point, or everyone changed alike
        return Cell(band, label, n, mean_change, None, None, None)
    return Cell(band, label, n, mean_change, effect.hedges_g, effect.ci_lower, effect.ci_upper)


def _mechanism_row(
    mechanism: Instrument,
    scale_code: str,
    changes: Sequence[ParticipantChange],
    *,
    threshold: int,
) -> MechanismRow:
    scale = mechanism.scale(scale_code)
    by_band = {
        band.code: [c for c in changes if c.bands.get(scale_code) == band.code]
        for band in scale.bands
    }
    shown = suppress_small_cells(
        {code: len(rows) for code, rows in by_band.items()}, threshold=threshold
    )
    return MechanismRow(
        scale=scale.code,
        label=scale.label,
        cells=tuple(
            _cell(band.code, band.label, shown[band.code], by_band[band.code])
            for band in scale.bands
        ),
    )


def summarise(
    changes: Sequence[ParticipantChange],
    *,
    mechanism: Instrument,
    threshold: int = SMALL_CELL,
) -> tuple[int | None, tuple[ContextBlock, ...]]:
    """The total (suppressed under `threshold`) and one block per context, in order."""
    contexts = sorted({change.context for change in changes})
    members = {ctx: [c for c in changes if c.context == ctx] for ctx in contexts}
    shown = suppress_small_cells(
        {str(i): len(members[ctx]) for i, ctx in enumerate(contexts)}, threshold=threshold
    )
    blocks = []
    for i, ctx in enumerate(contexts):
        n = shown[str(i)]
        rows = tuple(
            _mechanism_row(mechanism, scale.code, members[ctx], threshold=threshold)
            if n is not None
            else MechanismRow(
                scale.code,
                scale.label,
                tuple(_hidden_cell(band.code, band.label) for band in scale.bands),
            )
            for scale in mechanism.scales
        )
        blocks.append(ContextBlock(context=ctx, n=n, mechanisms=rows))
    total = len(changes)
    return (total if total >= threshold else None), tuple(blocks)


# --- Reading the programme's responses ------------------------------------------------


def check_period(*, start: date | None, end: date | None) -> None:
    errors: dict[str, str] = {}
    for name, day in (("start", start), ("end", end)):
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            errors[name] = str(
                _("Choose a date between %(first)s and %(last)s.")
                % {"first": EARLIEST_DAY.isoformat(), "last": LATEST_DAY.isoformat()}
            )
    if not errors and start is not None and end is not None and start > end:
        errors["end"] = str(_("The end of the period cannot be before its start."))
    if errors:
        raise ValidationError(errors)


def _completed(programme: Programme, instrument: str, start: date | None, end: date | None) -> Q:
    where = Q(
        programme=programme,
        instrument=instrument,
        status=Response.Status.COMPLETE,
        enrolment__isnull=False,
        completed_at__isnull=False,
    )
    if start is not None:
        where &= Q(completed_at__date__gte=start)
    if end is not None:
        where &= Q(completed_at__date__lte=end)
    return where


def _outcome_pairs(
    rows: Iterable[tuple[int, Any, float | None]],
) -> dict[int, tuple[float, float]]:
    """Baseline (earliest) and follow-up (latest after it) per enrolment, from rows in
    (enrolment, completed_at, id) order."""
    firsts: dict[int, tuple[Any, float]] = {}
    lasts: dict[int, tuple[Any, float]] = {}
    for enrolment_id, completed_at, value in rows:
        if value is None:  # excluded by the query; kept out for the type checker
            continue
        firsts.setdefault(enrolment_id, (completed_at, value))
        lasts[enrolment_id] = (completed_at, value)
    return {
        enrolment_id: (first[1], lasts[enrolment_id][1])
        for enrolment_id, first in firsts.items()
        if lasts[enrolment_id][0] > first[0]
    }


def _mechanism_bands(mechanism: Instrument, answers: object) -> dict[str, str]:
    if not isinstance(answers, dict):
        return {}
    try:
        result = score(mechanism, answers)
    except (IncompleteAnswers, TypeError):
        return {}  # a malformed stored answer counts as no questionnaire
    return {code: s.band.code for code, s in result.scales.items() if s.band is not None}


def participant_changes(
    *, programme: Programme, outcome: str, start: date | None, end: date | None
) -> list[ParticipantChange]:
    """Three queries: the outcome responses, the mechanism responses, group places."""
    mechanism = get_instrument(MECHANISM_INSTRUMENT)
    outcome_rows = (
        Response.objects.filter(_completed(programme, outcome, start, end), score__isnull=False)
        .order_by("enrolment_id", "completed_at", "id")
        .values_list("enrolment_id", "completed_at", "score")
    )
    pairs = _outcome_pairs(outcome_rows)
    latest_answers: dict[int, object] = {}
    mechanism_rows = (
        Response.objects.filter(_completed(programme, MECHANISM_INSTRUMENT, start, end))
        .order_by("enrolment_id", "completed_at", "id")
        .values_list("enrolment_id", "answers")
    )
    for enrolment_id, answers in mechanism_rows:
        latest_answers[enrolment_id] = answers
    # A place on a waiting list is not group support; a place held and then left is.
    in_group = set(
        GroupMember.objects.filter(group__programme=programme)
        .filter(
            Q(status__in=[GroupMember.Status.ENROLLED, GroupMember.Status.COMPLETED])
            | Q(enrolled_at__isnull=False)
        )
        .values_list("enrolment_id", flat=True)
        .distinct()
    )
    changes = []
    for enrolment_id, (baseline, follow_up) in pairs.items():
        bands = _mechanism_bands(mechanism, latest_answers.get(enrolment_id))
        if not bands:
            continue
        context = Context(
            site=programme.site.name,
            format=GROUP if enrolment_id in in_group else ONE_TO_ONE,
            condition=programme.condition_area,
        )
        changes.append(ParticipantChange(context, bands, baseline, follow_up))
    return changes


def realist_report(
    *,
    programme: Programme,
    outcome: str,
    start: date | None = None,
    end: date | None = None,
    threshold: int = SMALL_CELL,
) -> RealistReport:
    """The report for `programme` (site loaded with it). Raises ValidationError with
    field errors for an unknown outcome questionnaire or a bad period."""
    if outcome not in outcome_codes():
        raise ValidationError({"outcome": str(_("Choose one of the questionnaires listed."))})
    check_period(start=start, end=end)
    instrument = get_instrument(outcome)
    first_scale = instrument.scales[0]
    changes = participant_changes(programme=programme, outcome=outcome, start=start, end=end)
    total, blocks = summarise(
        changes, mechanism=get_instrument(MECHANISM_INSTRUMENT), threshold=threshold
    )
    return RealistReport(
        programme_id=programme.pk,
        outcome=outcome,
        outcome_title=instrument.title,
        outcome_scale=first_scale.label,
        higher_is_worse=first_scale.higher_is_worse,
        start=start,
        end=end,
        participants=total,
        contexts=blocks,
    )
