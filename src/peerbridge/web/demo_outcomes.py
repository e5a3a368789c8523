"""The demo's outcomes (issue 7): every programme's questionnaire timepoints; for each
match with a first contact, the baseline questionnaires answered before it and the 4-
and 12-week ones where that time has passed, with plausible trajectories (most people
improve a little, some a lot, about one in eight gets worse, a few miss a timepoint);
the mechanism questionnaire at 12 weeks where it exists; questionnaires now due left
open with a link for the participant; and measures where the programme's condition has
them (viral load and appointments kept for HIV, HbA1c for diabetes and weight, weight).

Rows are made directly and scored by the instruments' own scoring (the services would
send each participant a message and a peer a flag for every demo answer); no demo answer
touches a safety item. Loaded once by load_demo() after support; seeded, synthetic."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from random import Random

from django.utils import timezone

from peerbridge.instruments.model import Instrument
from peerbridge.instruments.registry import get_instrument, instrument_codes
from peerbridge.instruments.scoring import score
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.organisations.models import Programme
from peerbridge.outcomes.models import (
    Assessment,
    Measure,
    MeasureKind,
    MeasureSource,
    Mode,
    Response,
    Timepoint,
)
from peerbridge.outcomes.schedules import timepoints_of
from peerbridge.web.demo_cohorts import SEED

M = MatchStatus
WITH_CONTACT = (M.FIRST_CONTACT, M.ACTIVE, M.COMPLETED, M.ENDED)
WEEKS = {"baseline": 0, "week4": 4, "week12": 12}
MODES = (Mode.LINK, Mode.LINK, Mode.LINK, Mode.INTERVIEW, Mode.PAPER)


def demo_outcomes_loaded(programmes: Iterable[Programme]) -> bool:
    return Response.objects.filter(programme__in=list(programmes)).exists()


def load_demo_outcomes_for(*, programmes: dict[str, Programme]) -> None:
    if not programmes or demo_outcomes_loaded(programmes.values()):
        return
    rng = Random(SEED + 7)  # noqa: S311  (seeded demo data, not security)
    now = timezone.now()
    for programme in programmes.values():
        points = {row.code: row for row in timepoints_of(programme)}
        matches = list(
            Match.objects.filter(
                programme=programme, status__in=WITH_CONTACT, first_contact_at__isnull=False
            )
            .select_related("enrolment")
            .order_by("pk")
        )
        assessments: list[Assessment] = []
        pending: list[tuple[int, Timepoint, dict[str, float], datetime.datetime]] = []
        seen: set[int] = set()
        for match in matches:
            if match.enrolment_id in seen:
                continue  # a rematch: the participant's questionnaires are already planned
            seen.add(match.enrolment_id)
            _plan(match, points, rng, now, assessments, pending)
        Assessment.objects.bulk_create(assessments)
        _answer(programme, assessments, pending, rng)
        _measures(programme, matches, rng, now)


def _plan(
    match: Match,
    points: dict[str, Timepoint],
    rng: Random,
    now: datetime.datetime,
    assessments: list[Assessment],
    pending: list[tuple[int, Timepoint, dict[str, float], datetime.datetime]],
) -> None:
    """The match's assessments: answered where their time has passed, one open now."""
    assert match.first_contact_at is not None  # noqa: S101 (filtered above)
    start = match.first_contact_at
    # Where each person starts and how they move per week, in shares of the scale's range.
    level = rng.uniform(0.35, 0.75)
    slope = rng.choice([-0.03, -0.02, -0.015, -0.01, -0.005, 0.01])
    for code, weeks in WEEKS.items():
        timepoint = points.get(code)
        if timepoint is None:
            continue
        when = start + datetime.timedelta(weeks=weeks, days=rng.randint(-6 if weeks == 0 else 0, 5))
        due = timezone.localdate(when)
        if when > now:
            if due <= timezone.localdate(now) + datetime.timedelta(days=7):
                assessments.append(_assessment(match, timepoint, due, None))
            break
        if weeks and rng.random() < 0.12:
            continue  # missed this one
        instruments = [
            code
            for code in timepoint.instruments
            if code in instrument_codes() and get_instrument(code).wording_included
        ]
        row = _assessment(match, timepoint, due, when, instruments)
        assessments.append(row)
        wanted = {
            instrument: min(max(level + slope * weeks + rng.gauss(0, 0.05), 0.0), 1.0)
            for instrument in instruments
        }
        pending.append((len(assessments) - 1, timepoint, wanted, when))


def _assessment(
    match: Match,
    timepoint: Timepoint,
    due: datetime.date,
    completed: datetime.datetime | None,
    instruments: list[str] | None = None,
) -> Assessment:
    return Assessment(
        programme_id=match.programme_id,
        person_id=match.enrolment.person_id,
        enrolment_id=match.enrolment_id,
        timepoint=timepoint,
        instruments=instruments if instruments is not None else list(timepoint.instruments),
        due_on=due,
        closes_on=due + datetime.timedelta(days=timepoint.window_days),
        status=Assessment.Status.COMPLETED if completed else Assessment.Status.OPEN,
        created_at=completed or timezone.now(),
        completed_at=completed,
    )


def _answers(instrument: Instrument, share: float, rng: Random) -> dict[str, int]:
    """Answers whose (unreversed) values sit near `share` of each item's range; no
    safety item is ever answered above its safe value."""
    answers: dict[str, int] = {}
    for item in instrument.items:
        values = sorted(item.values)
        if item.safety_values:
            safe = [value for value in values if value not in item.safety_values]
            answers[item.id] = safe[0]
            continue
        position = min(max(share + rng.gauss(0, 0.12), 0.0), 1.0)
        answers[item.id] = values[round(position * (len(values) - 1))]
    return answers


def _answer(
    programme: Programme,
    assessments: list[Assessment],
    pending: list[tuple[int, Timepoint, dict[str, float], datetime.datetime]],
    rng: Random,
) -> None:
    responses = []
    for index, _timepoint, wanted, when in pending:
        assessment = assessments[index]
        for code, share in wanted.items():
            instrument = get_instrument(code)
            # Higher-is-better scales (resilience, mechanisms) move the other way.
            first = instrument.scales[0]
            target = share if first.higher_is_worse else 1 - share
            answers = _answers(instrument, target, rng)
            result = score(instrument, answers)
            scores = {key: part.value for key, part in result.scales.items()}
            responses.append(
                Response(
                    programme=programme,
                    person_id=assessment.person_id,
                    enrolment_id=assessment.enrolment_id,
                    assessment=assessment,
                    instrument=code,
                    version=instrument.version,
                    mode=rng.choice(MODES),
                    status=Response.Status.COMPLETE,
                    answers=answers,
                    scores=scores,
                    bands={
                        key: part.band.code
                        for key, part in result.scales.items()
                        if part.band is not None
                    },
                    safety_items=[],
                    score=scores[first.code],
                    started_at=when,
                    completed_at=when,
                )
            )
    Response.objects.bulk_create(responses)


MEASURES_BY_AREA: dict[str, tuple[str, ...]] = {
    Programme.ConditionArea.HIV: ("viral_load", "appointments"),
    Programme.ConditionArea.DIABETES: ("hba1c", "weight"),
    Programme.ConditionArea.WEIGHT: ("weight", "appointments"),
    Programme.ConditionArea.SEVERAL: ("appointments",),
}


def _measures(
    programme: Programme, matches: list[Match], rng: Random, now: datetime.datetime
) -> None:
    wanted = MEASURES_BY_AREA.get(programme.condition_area, ())
    rows: list[Measure] = []
    for match in matches:
        assert match.first_contact_at is not None  # noqa: S101 (filtered above)
        days = max((now - match.first_contact_at).days, 0)
        for kind in wanted:
            for step in range(0, days + 1, 30):
                on = timezone.localdate(match.first_contact_at) + datetime.timedelta(days=step)
                rows.extend(_measure(programme, match, kind, on, step, rng))
    Measure.objects.bulk_create(rows)


def _measure(
    programme: Programme, match: Match, kind: str, on: datetime.date, step: int, rng: Random
) -> list[Measure]:
    def row(kind: str, value: float, unit: str, source: str) -> Measure:
        return Measure(
            programme=programme,
            enrolment_id=match.enrolment_id,
            kind=kind,
            value=Decimal(str(round(value, 1))),
            unit=unit,
            measured_on=on,
            source=source,
        )

    if kind == "viral_load":
        start = rng.choice([12000, 4500, 800, 49])
        value = max(start / (1 + step / 20), 20)
        return [row(MeasureKind.VIRAL_LOAD, value, "copies/mL", MeasureSource.LABORATORY)]
    if kind == "hba1c":
        return [
            row(
                MeasureKind.HBA1C,
                68 - step / 15 + rng.gauss(0, 2),
                "mmol/mol",
                MeasureSource.LABORATORY,
            )
        ]
    if kind == "weight":
        return [
            row(
                MeasureKind.WEIGHT,
                96 - step / 30 + rng.gauss(0, 0.8),
                "kg",
                MeasureSource.SELF_REPORT,
            )
        ]
    kept = rng.random() < 0.8
    return [
        row(
            MeasureKind.APPOINTMENT_KEPT if kept else MeasureKind.APPOINTMENT_MISSED,
            1,
            "count",
            MeasureSource.CLINIC_RECORD,
        )
    ]
