"""The de-identified research export of a programme.

- Only participants whose current consent for the programme includes research
  (people.models.ConsentScope.RESEARCH) are in it.
- Each person has a pseudonymous id: an HMAC of their id, keyed from SECRET_KEY with a
  fresh random salt for each export, so the ids of two exports cannot be linked and no
  primary key leaves the system.
- Dates become months (YYYY-MM); no names, contacts, dates of birth or free text.
- The summary table (people per questionnaire and timepoint) suppresses small cells, and
  with fewer than five consenting people the export holds no rows at all.

Rows of questionnaire responses (instrument, timepoint, month, score) and of measures
(kind, month, value, unit, source), as CSV or Parquet."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from django.utils.crypto import salted_hmac

from peerbridge.core.audit import Action, audit_many
from peerbridge.core.disclosure import SMALL_CELL, suppress_small_cells
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser
from peerbridge.outcomes.models import Measure, Response
from peerbridge.people.models import Consent, ConsentScope

Table = Literal["responses", "measures", "summary"]
TABLES: tuple[Table, ...] = ("responses", "measures", "summary")
COLUMNS: dict[str, list[str]] = {
    "responses": ["pid", "instrument", "version", "timepoint", "month", "score"],
    "measures": ["pid", "kind", "month", "value", "value_2", "unit", "source"],
    "summary": ["instrument", "timepoint", "people"],
}
KEY_SALT = "peerbridge.evaluation.research_export"


def research_consenters(programme: Programme) -> set[int]:
    """People whose newest consent row for the programme grants research (one query)."""
    newest: dict[int, list[str]] = {}
    for person_id, scopes, change in (
        Consent.objects.filter(programme=programme)
        .order_by("person_id", "-recorded_at", "-id")
        .values_list("person_id", "scopes", "change")
    ):
        if person_id not in newest:
            newest[person_id] = list(scopes or []) if change == Consent.Change.GIVEN else []
    return {pid for pid, scopes in newest.items() if ConsentScope.RESEARCH in scopes}


def month(value: date | datetime | None) -> str:
    return "" if value is None else f"{value.year:04d}-{value.month:02d}"


@dataclass(frozen=True)
class ResearchExport:
    people: int  # consenting people included (0 when too few to share)
    rows: dict[str, list[dict[str, Any]]]


class Pseudonyms:
    def __init__(self) -> None:
        self.salt = secrets.token_hex(16)

    def __call__(self, person_id: int) -> str:
        return salted_hmac(f"{KEY_SALT}:{self.salt}", str(person_id)).hexdigest()[:20]


def research_export(programme: Programme, *, actor: AnyUser) -> ResearchExport:
    people = research_consenters(programme)
    if len(people) < SMALL_CELL:
        return ResearchExport(0, {table: [] for table in TABLES})
    pid = Pseudonyms()
    responses: list[dict[str, Any]] = [
        {
            "pid": pid(row["person_id"]),
            "instrument": row["instrument"],
            "version": row["version"],
            "timepoint": row["assessment__timepoint__code"] or "unscheduled",
            "month": month(row["completed_at"]),
            "score": row["score"],
        }
        for row in Response.objects.filter(
            programme=programme,
            person_id__in=people,
            status=Response.Status.COMPLETE,
            enrolment__isnull=False,
        )
        .order_by("person_id", "completed_at", "id")
        .values(
            "person_id",
            "instrument",
            "version",
            "assessment__timepoint__code",
            "completed_at",
            "score",
        )
    ]
    measures = [
        {
            "pid": pid(row["enrolment__person_id"]),
            "kind": row["kind"],
            "month": month(row["measured_on"]),
            "value": float(row["value"]),
            "value_2": None if row["value_2"] is None else float(row["value_2"]),
            "unit": row["unit"],
            "source": row["source"],
        }
        for row in Measure.objects.filter(programme=programme, enrolment__person_id__in=people)
        .order_by("enrolment__person_id", "measured_on", "id")
        .values("enrolment__person_id", "kind", "measured_on", "value", "value_2", "unit", "source")
    ]
    cells: dict[tuple[str, str], set[str]] = {}
    for row in responses:
        cells.setdefault((str(row["instrument"]), str(row["timepoint"])), set()).add(
            str(row["pid"])
        )
    counts = suppress_small_cells({f"{i}\t{t}": len(p) for (i, t), p in sorted(cells.items())})
    summary = [
        {"instrument": key.split("\t")[0], "timepoint": key.split("\t")[1], "people": n}
        for key, n in counts.items()
    ]
    audit_many(
        actor=actor, action=Action.EXPORT, object_type="people.person", object_ids=sorted(people)
    )
    return ResearchExport(
        len(people), {"responses": responses, "measures": measures, "summary": summary}
    )


def export_csv(export: ResearchExport, table: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS[table])
    writer.writeheader()
    writer.writerows(export.rows[table])
    return out.getvalue()


SCHEMAS = {
    "responses": pa.schema(
        [
            ("pid", pa.string()),
            ("instrument", pa.string()),
            ("version", pa.string()),
            ("timepoint", pa.string()),
            ("month", pa.string()),
            ("score", pa.float64()),
        ]
    ),
    "measures": pa.schema(
        [
            ("pid", pa.string()),
            ("kind", pa.string()),
            ("month", pa.string()),
            ("value", pa.float64()),
            ("value_2", pa.float64()),
            ("unit", pa.string()),
            ("source", pa.string()),
        ]
    ),
    "summary": pa.schema(
        [("instrument", pa.string()), ("timepoint", pa.string()), ("people", pa.int64())]
    ),
}


def export_parquet(export: ResearchExport, table: str) -> bytes:
    arrow = pa.Table.from_pylist(export.rows[table], schema=SCHEMAS[table])
    out = io.BytesIO()
    pq.write_table(arrow, out)
    return out.getvalue()
