"""The de-identified research export: consent, pseudonyms, months, no identifiers,
small cells, CSV and Parquet, authorization and bad input."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pyarrow.parquet as pq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peerbridge.core.models import AuditEvent
from peerbridge.evaluation.research_export import research_export
from peerbridge.organisations.models import Programme
from peerbridge.outcomes.models import Measure
from peerbridge.people.models import Consent, ConsentScope
from tests.conftest import World, client_for, persona_user
from tests.evaluation.test_analytics_world import (
    MARCH,
    SCORES,
    SECRET_DOB,
    SECRET_FAMILY,
    SECRET_NAME,
    Participant,
    before_and_after,
    make_peer,
)

pytestmark = pytest.mark.django_db


def fresh_programme(world: World) -> Programme:
    """A programme with no demo data, for exact counts."""
    return Programme.objects.create(
        site=world.riverside,
        code="export-test",
        name="Export test",
        condition_area="hiv",
        audience="patients",
        contact_cadence_days=7,
        peer_pay="paid",
    )


def build(
    world: World, programme: Programme | None = None
) -> tuple[list[Participant], list[Participant]]:
    programme = programme or world.programme_a
    peer = make_peer(programme)
    consenting = before_and_after(programme, SCORES, peer=peer, research=True)
    declining = before_and_after(programme, SCORES[:3], peer=peer, research=False)
    for participant in consenting + declining:
        Measure.objects.create(
            programme=programme,
            enrolment=participant.enrolment,
            kind="hba1c",
            value=52,
            unit="mmol/mol",
            measured_on=MARCH.date() + timedelta(days=10),
            source="laboratory",
        )
    return consenting, declining


def _download(world: World, table: str, file_format: str, persona: str = "evaluator") -> bytes:
    url = reverse("evaluation:research_export", args=[world.programme_a.pk])
    response = client_for(persona).get(url, {"table": table, "file_format": file_format})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    return bytes(response.content)


def _identifiers(people: list[Participant]) -> list[str]:
    found = [SECRET_NAME, SECRET_FAMILY, SECRET_DOB.isoformat(), SECRET_DOB.strftime("%d/%m/%Y")]
    for participant in people:
        person = participant.person
        found += [person.given_name, person.phone, person.email]
    return found


def test_only_research_consent_and_pseudonymous_ids(world: World) -> None:
    programme = fresh_programme(world)
    consenting, declining = build(world, programme)
    user = persona_user("evaluator")
    export = research_export(programme, actor=user)
    assert export.people == len(consenting)
    pids = {row["pid"] for row in export.rows["responses"]}
    assert len(pids) == len(consenting)
    assert len(export.rows["responses"]) == 2 * len(consenting)
    assert {row["pid"] for row in export.rows["measures"]} == pids
    pks = {str(p.person.pk) for p in consenting + declining}
    assert not pids & pks
    assert {row["month"] for row in export.rows["responses"]} == {"2024-03", "2024-05"}
    assert {row["month"] for row in export.rows["measures"]} == {"2024-03"}
    # A new export, new ids: two exports cannot be linked.
    again = research_export(programme, actor=user)
    assert not pids & {row["pid"] for row in again.rows["responses"]}
    assert AuditEvent.objects.filter(action="export", object_type="people.person").exists()


def test_a_withdrawn_research_consent_leaves_the_export(world: World) -> None:
    programme = fresh_programme(world)
    consenting, _declining = build(world, programme)
    Consent.objects.create(
        person=consenting[0].person,
        programme=programme,
        method=Consent.Method.VERBAL,
        scopes=[ConsentScope.PARTICIPATION],
        recorded_at=MARCH + timedelta(days=200),
    )
    export = research_export(programme, actor=None)
    assert export.people == len(consenting) - 1


def test_fewer_than_five_consenting_people_give_an_empty_export(world: World) -> None:
    programme = fresh_programme(world)
    before_and_after(programme, SCORES[:4], peer=make_peer(programme), research=True)
    export = research_export(programme, actor=None)
    assert export.people == 0
    assert all(rows == [] for rows in export.rows.values())


def test_the_summary_suppresses_small_cells(world: World) -> None:
    programme = fresh_programme(world)
    build(world, programme)
    summary = research_export(programme, actor=None).rows["summary"]
    assert summary == [{"instrument": "phq9", "timepoint": "unscheduled", "people": len(SCORES)}]


@pytest.mark.parametrize("table", ["responses", "measures", "summary"])
def test_no_name_phone_email_or_birth_date_in_any_file(world: World, table: str) -> None:
    consenting, declining = build(world)
    text = _download(world, table, "csv").decode()
    parquet = pq.read_table(io.BytesIO(_download(world, table, "parquet"))).to_pylist()
    for secret in _identifiers(consenting + declining):
        assert secret not in text
        assert secret not in str(parquet)
    assert "@" not in text and "@" not in str(parquet)


def test_csv_and_parquet_hold_the_same_rows(world: World) -> None:
    build(world)
    rows = list(csv.DictReader(io.StringIO(_download(world, "responses", "csv").decode())))
    table = pq.read_table(io.BytesIO(_download(world, "responses", "parquet")))
    assert len(rows) == table.num_rows >= 2 * len(SCORES)
    assert table.column_names == ["pid", "instrument", "version", "timepoint", "month", "score"]
    assert table.schema.field("score").type == "double"


def test_the_api_download(world: World) -> None:
    build(world)
    url = f"/api/v1/programmes/{world.programme_a.pk}/research-export?table=measures&format=parquet"
    response = client_for("leader").get(url)
    assert response.status_code == 200
    assert pq.read_table(io.BytesIO(response.content)).num_rows >= len(SCORES)


@pytest.mark.parametrize("query", ["table=people", "format=xlsx", "table="])
def test_the_api_refuses_bad_input(world: World, query: str) -> None:
    url = f"/api/v1/programmes/{world.programme_a.pk}/research-export?{query}"
    response = client_for("leader").get(url)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    "query",
    [{"table": "people", "file_format": "csv"}, {"table": "responses", "file_format": "pdf"}],
)
def test_the_page_refuses_bad_input(world: World, query: dict[str, str]) -> None:
    url = reverse("evaluation:research_export", args=[world.programme_a.pk])
    response = client_for("evaluator").get(url, query)
    assert response.status_code == 400
    assert response.context["form"].errors


@pytest.mark.parametrize("persona", ["participant", "peer", "coordinator", "supervisor"])
def test_only_leaders_and_evaluators_export(world: World, persona: str) -> None:
    url = reverse("evaluation:research_export", args=[world.programme_a.pk])
    assert client_for(persona).get(url).status_code == 403


def test_outside_scope_is_not_found(world: World) -> None:
    url = reverse("evaluation:research_export", args=[world.programme_b.pk])
    assert client_for("leader").get(url).status_code == 404
    api = f"/api/v1/programmes/{world.programme_b.pk}/research-export"
    assert client_for("leader").get(api).status_code == 404


def _queries(world: World, people: int) -> int:
    before_and_after(
        world.programme_a, (SCORES * 2)[:people], peer=make_peer(world.programme_a), research=True
    )
    url = reverse("evaluation:research_export", args=[world.programme_a.pk])
    client = client_for("evaluator")
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"table": "responses", "file_format": "csv"})
        assert response.status_code == 200
    return len(captured)


def test_the_export_reads_in_a_fixed_number_of_queries(world: World) -> None:
    assert _queries(world, 6) == _queries(world, 12)
