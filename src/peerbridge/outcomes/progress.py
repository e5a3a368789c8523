"""A participant's individual change: for each questionnaire they completed at least
twice, the first against the latest score on its first scale, classified by the
scale's own criteria (reliable change, Jacobson-Truax, and clinically significant
change: instruments.change), put in plain words; and their measures over time.

Everything here reads two queries (responses and measures) whatever their number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.instruments.change import IndividualChange, NoChangeCriteria, classify_change
from peerbridge.instruments.model import Instrument, Scale
from peerbridge.instruments.registry import get_instrument
from peerbridge.outcomes.measures import KINDS, measure_text
from peerbridge.outcomes.models import Measure, Response
from peerbridge.referrals.models import Enrolment


@dataclass(frozen=True)
class ScorePoint:
    response_id: int
    completed_at: datetime
    score: float
    band: str  # the band's label, empty when the scale has no bands

    @property
    def day(self) -> date:
        return timezone.localdate(self.completed_at)


@dataclass(frozen=True)
class QuestionnaireProgress:
    instrument: Instrument
    scale: Scale
    points: list[ScorePoint]  # oldest first
    change: IndividualChange | None  # None: answered once, or no criteria for the scale

    @property
    def low(self) -> float:
        return self.instrument.score_range(self.scale)[0]

    @property
    def high(self) -> float:
        return self.instrument.score_range(self.scale)[1]

    @property
    def first(self) -> ScorePoint:
        return self.points[0]

    @property
    def latest(self) -> ScorePoint:
        return self.points[-1]

    @property
    def better_direction(self) -> str:
        if self.scale.higher_is_worse:
            return _("On this questionnaire a lower score is better.")
        return _("On this questionnaire a higher score is better.")


@dataclass(frozen=True)
class MeasurePoint:
    measure: Measure
    day: date
    value: float
    value_2: float | None
    text: str
    source: str


@dataclass(frozen=True)
class MeasureSeries:
    kind: str
    label: str
    category: str
    points: list[MeasurePoint]  # oldest first


@dataclass(frozen=True)
class Progress:
    questionnaires: list[QuestionnaireProgress]
    measures: list[MeasureSeries]

    @property
    def response_ids(self) -> list[int]:
        return [p.response_id for q in self.questionnaires for p in q.points]

    @property
    def measure_ids(self) -> list[int]:
        return [p.measure.pk for s in self.measures for p in s.points]


def completed_responses(enrolment: Enrolment) -> QuerySet[Response]:
    """The enrolment's complete questionnaires, in the order they were completed."""
    return (
        Response.objects.filter(
            enrolment=enrolment,
            status=Response.Status.COMPLETE,
            completed_at__isnull=False,
            score__isnull=False,
        )
        .only("pk", "instrument", "completed_at", "score")
        .order_by("completed_at", "pk")
    )


def number(value: float) -> str:
    """A score as people write it: 14, not 14.0; 3.5 stays 3.5."""
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else str(rounded)


def individual_change(scale: Scale, before: float, after: float) -> IndividualChange | None:
    """The scale's classification of the change, or None when the scale has no
    reliable-change criteria of its own (no reference sample is assumed for one
    person's page)."""
    try:
        return classify_change(scale, before=before, after=after)
    except NoChangeCriteria:
        return None


def _instrument(code: str) -> Instrument | None:
    try:
        return get_instrument(code)
    except KeyError:
        return None


def questionnaire_progress(responses: list[Response]) -> list[QuestionnaireProgress]:
    """Per questionnaire (in the order first completed), the scores on its first scale
    over time, and the change from the first to the latest when there are two."""
    by_instrument: dict[str, list[Response]] = {}
    for response in responses:
        by_instrument.setdefault(response.instrument, []).append(response)
    found: list[QuestionnaireProgress] = []
    for code, rows in by_instrument.items():
        instrument = _instrument(code)
        if instrument is None or not instrument.scales:
            continue
        scale = instrument.scales[0]
        points = []
        for row in rows:
            if row.score is None or row.completed_at is None:
                continue
            band = scale.band_for(row.score)
            points.append(
                ScorePoint(row.pk, row.completed_at, row.score, "" if band is None else band.label)
            )
        if not points:
            continue
        change = None
        if len(points) >= 2:
            change = individual_change(scale, points[0].score, points[-1].score)
        found.append(QuestionnaireProgress(instrument, scale, points, change))
    return found


def measure_series(measures: list[Measure]) -> list[MeasureSeries]:
    """The measures grouped by kind (in the order of the kinds table), oldest first."""
    by_kind: dict[str, list[Measure]] = {}
    for measure in sorted(measures, key=lambda m: (m.measured_on, m.pk)):
        by_kind.setdefault(measure.kind, []).append(measure)
    series = []
    for kind, spec in KINDS.items():
        rows = by_kind.get(kind)
        if not rows:
            continue
        points = [
            MeasurePoint(
                measure=m,
                day=m.measured_on,
                value=float(m.value),
                value_2=None if m.value_2 is None else float(m.value_2),
                text=measure_text(m),
                source=m.get_source_display(),
            )
            for m in rows
        ]
        series.append(MeasureSeries(kind, spec.label, spec.category.value, points))
    return series


def participant_progress(enrolment: Enrolment) -> Progress:
    """Questionnaire change and measures over time for one enrolment (two queries)."""
    responses = list(completed_responses(enrolment))
    measures = list(Measure.objects.filter(enrolment=enrolment))
    return Progress(questionnaire_progress(responses), measure_series(measures))


# --- Words ----------------------------------------------------------------------------


def category_words(change: IndividualChange) -> str:
    words = {
        "recovered": _(
            "a reliable improvement, and out of the range that usually means the problem "
            "needs treatment (recovery)"
        ),
        "improved": _("a reliable improvement"),
        "deteriorated": _("a reliable worsening"),
        "unchanged": _(
            "not a big enough change to be sure it is more than day-to-day ups and downs"
        ),
    }
    return words[change.category]


def change_sentence(progress: QuestionnaireProgress, *, own: bool, name: str) -> str:
    """ "Your score went down from 14 to 6: a reliable improvement." in words for the
    participant (own) or about them (their peer, staff)."""
    first, latest = number(progress.first.score), number(progress.latest.score)
    if len(progress.points) < 2:
        if own:
            return _("You have answered this once so far: your score was %(score)s.") % {
                "score": first
            }
        return _("%(name)s has answered this once so far: the score was %(score)s.") % {
            "name": name,
            "score": first,
        }
    values = {"name": name, "first": first, "latest": latest}
    delta = progress.latest.score - progress.first.score
    if delta < 0:
        text = (
            _("Your score went down from %(first)s to %(latest)s")
            if own
            else _("%(name)s's score went down from %(first)s to %(latest)s")
        )
    elif delta > 0:
        text = (
            _("Your score went up from %(first)s to %(latest)s")
            if own
            else _("%(name)s's score went up from %(first)s to %(latest)s")
        )
    else:
        text = (
            _("Your score stayed at %(first)s")
            if own
            else _("%(name)s's score stayed at %(first)s")
        )
    sentence = text % values
    if delta == 0:
        return sentence + "."
    if progress.change is None:
        return sentence + ". " + _("This questionnaire has no agreed size for a reliable change.")
    return sentence + ": " + category_words(progress.change) + "."
