"""The funder report and programme analytics over a large programme (issue 7).

    .venv/bin/python -m bench.reports --size S|M|L [--database-url URL | --throwaway-postgres]

S = 2,000 participants, 40,000 questionnaire responses; M = 10,000 / 200,000; L = 50,000 /
1,000,000. The programme is bench.pages_data's (peers, enrolments, matches, contacts; 4
contacts per participant here), written by its seeded generator, plus, from this
module's own seed: four regional sites the participants are spread over, a schedule of
13 timepoints (baseline, then every 4 weeks to week 48) asking PHQ-9 and GAD-7, one
completed Assessment per enrolment and timepoint reached (attrition: fewer later) and
two complete Responses each, scored with `peerbridge.instruments.scoring` (score,
scores, bands; symptoms ease over time), and viral load and CD4 Measures. Database as
bench.pages: DATABASE_URL, --database-url or --throwaway-postgres; S alone may run on a
throwaway SQLite file.

Lines, each method run once for its time and query count, then once more under
tracemalloc for its peak Python memory (`peak_mib`):
- `method=avg_by_instrument`: one aggregate query, the average score by instrument over
  the programme's responses: the baseline of `ratio_to_baseline`;
- `method=count_responses`: a plain `SELECT count(*)` over the responses;
- `method=funder_report`: `evaluation.funder_report.funder_report` for the whole
  programme, all time (reach, activity, workforce, outcomes);
- `method=report_pdf`, `method=report_xlsx`: rendering that report;
- `method=analytics`: `evaluation.analytics.programme_analytics` for the programme.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.pages import HOW_TO_POSTGRES, setup_django, throwaway_postgres
from bench.pages_data import seed
from bench.pages_programme import DAY, Scale
from bench.pages_writer import Writer

SEED = 20_261_202
SIZES = {
    "S": (Scale("S", 2_000, 200, 8_000), 40_000),
    "M": (Scale("M", 10_000, 1_000, 40_000), 200_000),
    "L": (Scale("L", 50_000, 5_000, 200_000), 1_000_000),
}
INSTRUMENTS = ("phq9", "gad7")
TIMEPOINTS = 13  # baseline, then every 4 weeks to week 48
REGIONS = ("North", "South", "East", "West")
POOL = 12  # answer sets per instrument and total score


# ---------------------------------------------------------------------------------------
# The outcomes data


class Answers:
    """Pools of answer sets per instrument and total, scored once with the instruments'
    own code (1M calls to the scorer would be most of the seeding)."""

    def __init__(self, rng: random.Random) -> None:
        from peerbridge.instruments.registry import get_instrument
        from peerbridge.instruments.scoring import score

        self.rng = rng
        self.pools: dict[str, list[list[tuple[dict[str, int], dict[str, Any]]]]] = {}
        for code in INSTRUMENTS:
            instrument = get_instrument(code)
            items = [item.id for item in instrument.items]
            top = max(instrument.items[0].values)
            pool = []
            for total in range(len(items) * top + 1):
                sets = []
                for _ in range(POOL):
                    values = [0] * len(items)
                    for _step in range(total):  # one point at a time to an item not full
                        open_items = [i for i, v in enumerate(values) if v < top]
                        values[rng.choice(open_items)] += 1
                    answers = dict(zip(items, values, strict=True))
                    result = score(instrument, answers)
                    first = next(iter(result.scales.values()))
                    sets.append(
                        (
                            answers,
                            {
                                "version": instrument.version,
                                "score": first.value,
                                "scores": {c: s.value for c, s in result.scales.items()},
                                "bands": {
                                    c: s.band.code
                                    for c, s in result.scales.items()
                                    if s.band is not None
                                },
                                "safety_items": list(result.safety_items),
                            },
                        )
                    )
                pool.append(sets)
            self.pools[code] = pool

    def pick(self, code: str, total: float) -> tuple[dict[str, int], dict[str, Any]]:
        pool = self.pools[code]
        index = min(len(pool) - 1, max(0, round(total)))
        return self.rng.choice(pool[index])


def timepoint_counts(
    rng: random.Random, enrolments: list[tuple[int, bool]], target: int
) -> list[int]:
    """Timepoints reached per enrolment (matched ones most, waiting ones the baseline),
    scaled so the assessments come to `target`."""
    weights = [rng.uniform(0.4, 1.0) if matched else 0.0 for _pk, matched in enrolments]
    caps = [TIMEPOINTS if matched else 1 for _pk, matched in enrolments]
    factor = (target - caps.count(1)) / sum(weights)
    counts = [min(cap, max(1, round(w * factor))) for w, cap in zip(weights, caps, strict=True)]
    short, index, stuck = target - sum(counts), 0, 0
    while short and stuck < len(counts):
        position = index % len(counts)
        step = 1 if short > 0 else -1
        if 1 <= counts[position] + step <= caps[position]:
            counts[position] += step
            short -= step
            stuck = 0
        else:
            stuck += 1
        index += 1
    return counts


def sites(programme: Any) -> list[Any]:
    """Four regional sites under the programme's, the participants spread over them."""
    from django.db.models import F
    from django.db.models.functions import Mod

    from peerbridge.organisations.models import Site
    from peerbridge.organisations.services import site_create
    from peerbridge.people.models import Person

    top = programme.site
    found = list(Site.objects.filter(parent=top).order_by("pk"))
    if found:
        return found
    made = [
        site_create(
            organisation=top.organisation,
            parent=top,
            name=f"Bench {name}",
            code=f"bench-{name.lower()}",
            level=Site.Level.REGIONAL,
            created_by=None,
        )
        for name in REGIONS
    ]
    people = Person.objects.filter(enrolments__programme=programme).annotate(
        slot=Mod(F("id"), len(made))
    )
    for number, site in enumerate(made):
        Person.objects.filter(pk__in=people.filter(slot=number).values("pk")).update(site=site)
    return made


def outcomes(programme: Any, responses: int) -> dict[str, int]:
    """Timepoints, assessments, complete responses and measures (once per database)."""
    from django.db import transaction
    from django.utils import timezone

    from peerbridge.matching.models import Match
    from peerbridge.outcomes.models import Assessment, Measure, Mode, Response, Timepoint
    from peerbridge.referrals.models import Enrolment

    written = Response.objects.filter(programme=programme).count()
    if written:
        return {"responses": written, "reused": 1}
    rng = random.Random(SEED)  # noqa: S311  (seeded bench data, not security)
    answers = Answers(rng)
    now = timezone.now()
    writer = Writer()
    with transaction.atomic():
        sites(programme)
        timepoints = [
            Timepoint.objects.create(
                programme=programme,
                code="baseline" if n == 0 else f"week-{4 * n}",
                label="Baseline" if n == 0 else f"{4 * n} weeks",
                instruments=list(INSTRUMENTS),
                position=n,
            )
            for n in range(TIMEPOINTS)
        ]
        matched = set(
            Match.objects.filter(programme=programme).values_list("enrolment_id", flat=True)
        )
        rows = list(
            Enrolment.objects.filter(programme=programme)
            .order_by("pk")
            .values_list("pk", "person_id", "received_at")
        )
        counts = timepoint_counts(
            rng, [(pk, pk in matched) for pk, _p, _r in rows], responses // len(INSTRUMENTS)
        )
        plan = [(row, count) for row, count in zip(rows, counts, strict=True)]
        assessment_ids = iter(writer.ids(Assessment, sum(counts)))
        drawn: list[tuple[int, int, int, datetime.datetime, dict[str, float]]] = []

        def assessment_rows() -> Iterator[Any]:
            for (enrolment, person, received), count in plan:
                first = min(received + 5 * DAY, now - ((count - 1) * 28 + 1) * DAY)
                # Each person's severity at baseline, easing (or not) over the weeks.
                start = {"phq9": rng.uniform(4, 22), "gad7": rng.uniform(3, 17)}
                slope = rng.gauss(-0.5, 0.45)
                for number in range(count):
                    at = first + (number * 28 + rng.uniform(0, 3)) * DAY
                    totals = {
                        code: value + slope * number + rng.gauss(0, 2)
                        for code, value in start.items()
                    }
                    pk = next(assessment_ids)
                    drawn.append((pk, enrolment, person, at, totals))
                    yield Assessment(
                        pk=pk,
                        programme=programme,
                        person_id=person,
                        enrolment_id=enrolment,
                        timepoint=timepoints[number],
                        instruments=list(INSTRUMENTS),
                        due_on=(at - 2 * DAY).date(),
                        closes_on=(at + 12 * DAY).date(),
                        status=Assessment.Status.COMPLETED,
                        created_at=at - 2 * DAY,
                        completed_at=at,
                    )

        writer.write(Assessment, assessment_rows())
        response_ids = iter(writer.ids(Response, len(drawn) * len(INSTRUMENTS)))
        modes = [Mode.LINK] * 6 + [Mode.INTERVIEW] * 3 + [Mode.PAPER]

        def response_rows() -> Iterator[Any]:
            for pk, enrolment, person, at, totals in drawn:
                for code in INSTRUMENTS:
                    given, scored = answers.pick(code, totals[code])
                    yield Response(
                        pk=next(response_ids),
                        programme=programme,
                        person_id=person,
                        enrolment_id=enrolment,
                        assessment_id=pk,
                        instrument=code,
                        mode=rng.choice(modes),
                        status=Response.Status.COMPLETE,
                        answers=given,
                        started_at=at - datetime.timedelta(minutes=6),
                        completed_at=at,
                        **scored,
                    )

        writer.write(Response, response_rows())
        measured = [(pk, r) for (pk, _p, r), _c in plan if pk in matched]
        measure_ids = iter(writer.ids(Measure, 2 * len(measured)))

        def measure_rows() -> Iterator[Any]:
            for enrolment, received in measured:
                for kind, unit, value in (
                    ("viral_load", "copies/mL", rng.choice((20, 40, 200, 1_500, 12_000))),
                    ("cd4", "cells/mm3", rng.randint(150, 1_100)),
                ):
                    yield Measure(
                        pk=next(measure_ids),
                        programme=programme,
                        enrolment_id=enrolment,
                        kind=kind,
                        value=Decimal(value),
                        unit=unit,
                        measured_on=min(received + 30 * DAY, now).date(),
                        source="laboratory",
                        recorded_at=min(received + 31 * DAY, now),
                    )

        writer.write(Measure, measure_rows())
    writer.finish()
    return {
        "assessments": writer.counts.get("outcomes_assessment", 0),
        "responses": writer.counts.get("outcomes_response", 0),
        "measures": writer.counts.get("outcomes_measure", 0),
    }


# ---------------------------------------------------------------------------------------
# Measuring


@dataclass
class Measured:
    name: str
    seconds: float
    cpu_seconds: float
    queries: int
    peak_mib: float
    result: Any


def measure(name: str, run: Callable[[], Any], *, memory: bool = True) -> Measured:
    """Once for time and queries, once more under tracemalloc for the peak (tracemalloc
    slows Python down, so it is not timed)."""
    from django.db import connection

    executed = [0]

    def count(execute: Callable[..., Any], *args: Any) -> Any:
        executed[0] += 1
        return execute(*args)

    with connection.execute_wrapper(count):
        started, cpu = time.perf_counter(), time.process_time()
        result = run()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    peak = 0.0
    if memory:
        tracemalloc.start()
        try:
            run()
            peak = tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()
    return Measured(name, seconds, cpu_seconds, executed[0], peak, result)


def line(measured: Measured, baseline: Measured, **extra: Any) -> str:
    fields: dict[str, Any] = {
        "method": measured.name,
        "seconds": f"{measured.seconds:.3f}",
        "cpu_seconds": f"{measured.cpu_seconds:.3f}",
        "queries": measured.queries,
        "peak_mib": f"{measured.peak_mib:.1f}",
        **extra,
        "ratio_to_baseline": f"{measured.seconds / baseline.seconds:.2f}",
    }
    return " ".join(f"{key}={value}" for key, value in fields.items())


def run(letter: str, vendor: str, *, seed_only: bool) -> None:
    from django.db.models import Avg

    from peerbridge.evaluation.analytics import Period, programme_analytics
    from peerbridge.evaluation.funder_report import funder_report
    from peerbridge.evaluation.report_pdf import report_pdf
    from peerbridge.evaluation.report_xlsx import report_xlsx
    from peerbridge.organisations.models import Programme
    from peerbridge.outcomes.models import Response

    scale, responses = SIZES[letter]
    started, cpu = time.perf_counter(), time.process_time()
    seeded = seed(scale)
    programme = Programme.objects.select_related("site").get(pk=seeded.programme_id)
    made = outcomes(programme, responses)
    counts = {**seeded.counts, **made}
    shown = " ".join(f"{name}={rows}" for name, rows in counts.items())
    print(
        f"seed: size={letter} database={vendor} {shown} "
        f"seconds={time.perf_counter() - started:.1f} "
        f"cpu_seconds={time.process_time() - cpu:.1f}",
        flush=True,
    )
    if seed_only:
        return
    mine = Response.objects.filter(programme=programme)
    period = Period()
    baseline = measure(
        "avg_by_instrument",
        lambda: dict(
            mine.values_list("instrument").annotate(mean=Avg("score")).order_by("instrument")
        ),
    )
    means = " ".join(f"mean_{code}={value:.2f}" for code, value in baseline.result.items())
    print(line(baseline, baseline, **{"rows": mine.count()}) + f" {means}", flush=True)
    counted = measure("count_responses", mine.count)
    print(line(counted, baseline, rows=counted.result), flush=True)
    report = measure("funder_report", lambda: funder_report(programme, period))
    people = {change.instrument: change.n for change in report.result.outcomes}
    print(
        line(
            report,
            baseline,
            referred=report.result.value("reach", "referred"),
            **{f"pairs_{code}": n for code, n in people.items()},
        ),
        flush=True,
    )
    pdf = measure("report_pdf", lambda: report_pdf(report.result))
    print(line(pdf, baseline, bytes=len(pdf.result)), flush=True)
    xlsx = measure("report_xlsx", lambda: report_xlsx(report.result))
    print(line(xlsx, baseline, bytes=len(xlsx.result)), flush=True)
    analytics = measure("analytics", lambda: programme_analytics(programme, period))
    strata = sum(len(item.strata) for item in analytics.result.stratifications)
    print(
        line(analytics, baseline, changes=len(analytics.result.changes), strata=strata),
        flush=True,
    )
    slowest = max((report, pdf, xlsx, analytics), key=lambda m: m.seconds)
    print(
        f"headline: size {letter} on {vendor} ({scale.participants:,} participants, "
        f"{counts['responses']:,} responses): funder report {report.seconds:.2f} s "
        f"({report.queries} queries), PDF {pdf.seconds:.2f} s, XLSX {xlsx.seconds:.2f} s, "
        f"analytics {analytics.seconds:.2f} s ({analytics.queries} queries); "
        f"one aggregate over the responses {baseline.seconds:.3f} s; slowest "
        f"{slowest.name} at {slowest.seconds / baseline.seconds:.0f}x the aggregate"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument(
        "--throwaway-postgres",
        action="store_true",
        help="start a PostgreSQL 15 cluster with scripts/postgres.sh and remove it afterwards",
    )
    parser.add_argument(
        "--seed-only", action="store_true", help="write the data (into DATABASE_URL) and stop"
    )
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="peerbridge-bench-")))
        url = args.database_url
        if args.throwaway_postgres:
            url = stack.enter_context(throwaway_postgres())
        if not url:
            if args.size != "S":
                print(
                    HOW_TO_POSTGRES.format(size=args.size).replace("bench.pages", "bench.reports"),
                    file=sys.stderr,
                )
                return 2
            url = f"sqlite:///{folder / 'bench.sqlite3'}"
        vendor = setup_django(url, folder)
        run(args.size, vendor, seed_only=args.seed_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
