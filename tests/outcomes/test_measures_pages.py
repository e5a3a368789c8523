"""The measures page and API: who sees and records a participant's measures (404
outside scope, 403 for the participant who only sees their own), field errors, the
one API error shape for malformed input, audited reads, and list queries that do not
grow with the rows."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.matching.models import Match
from peerbridge.outcomes.measures import measure_record
from peerbridge.outcomes.models import Measure
from tests.conftest import World
from tests.support.world import (
    active_match,
    participant_user_of,
    peer_user_of,
    queries_for,
    user_of,
)

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _add(match: Match, count: int) -> list[Measure]:
    today = timezone.localdate()
    return [
        measure_record(
            enrolment=match.enrolment,
            actor=user_of("coordinator"),
            kind="blood_pressure" if n % 2 else "viral_load",
            value=120 + n if n % 2 else 40,
            value_2=80 if n % 2 else None,
            measured_on=today,
            source="clinic_record",
        )
        for n in range(count)
    ]


def _valid(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "weight",
        "value": "81.5",
        "measured_on": timezone.localdate().isoformat(),
        "source": "self_report",
    } | changes


# ------------------------------------------------------------------------------ page


def test_staff_and_peer_see_the_form_and_record_a_measure(world: World) -> None:
    match = active_match(world.programme_a)
    url = reverse("outcomes:measures", args=[match.enrolment_id])
    for user in (peer_user_of(match), user_of("coordinator")):
        page = _client(user).get(url)
        assert page.status_code == 200
        assert b'name="value_2"' in page.content and b'inputmode="decimal"' in page.content
    response = _client(peer_user_of(match)).post(url, _valid())
    assert response.status_code == 302
    measure = Measure.objects.get(enrolment=match.enrolment)
    assert (measure.kind, str(measure.value), measure.recorded_by) == (
        "weight",
        "81.50",
        peer_user_of(match),
    )
    shown = _client(peer_user_of(match)).get(url)
    assert "81.5 kg" in shown.content.decode()


def test_form_errors_show_on_their_fields(world: World) -> None:
    match = active_match(world.programme_a)
    url = reverse("outcomes:measures", args=[match.enrolment_id])
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = _client(user_of("coordinator")).post(
        url, _valid(kind="blood_pressure", value="80", value_2="120", measured_on=future)
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert "future" in form.errors["measured_on"][0]
    assert "below the upper number" in form.errors["value_2"][0]
    bad = _client(user_of("coordinator")).post(url, _valid(value="lots", kind="nothing"))
    assert bad.status_code == 422
    assert set(bad.context["form"].errors) == {"value", "kind"}
    assert not Measure.objects.filter(enrolment=match.enrolment).exists()


def test_hba1c_given_in_percent_from_the_form_is_kept_in_mmol_per_mol(world: World) -> None:
    match = active_match(world.programme_a)
    url = reverse("outcomes:measures", args=[match.enrolment_id])
    response = _client(user_of("coordinator")).post(
        url, _valid(kind="hba1c", value="7", unit="%", source="laboratory")
    )
    assert response.status_code == 302
    measure = Measure.objects.get(enrolment=match.enrolment)
    assert (str(measure.value), measure.unit) == ("53.01", "mmol/mol")


def test_participant_sees_their_own_measures_but_may_not_record(world: World) -> None:
    match = active_match(world.programme_a)
    _add(match, 1)
    participant = participant_user_of(match.enrolment)
    url = reverse("outcomes:measures", args=[match.enrolment_id])
    page = _client(participant).get(url)
    assert page.status_code == 200
    assert "My measures" in page.content.decode()
    assert "Undetectable (under 50 copies/mL)" in page.content.decode()
    assert page.context["form"] is None
    assert _client(participant).post(url, _valid()).status_code == 403
    other = active_match(world.programme_a, given_name="Sam")
    other_url = reverse("outcomes:measures", args=[other.enrolment_id])
    assert _client(participant).get(other_url).status_code == 404


def test_outside_scope_is_404_and_roles_outside_the_policy_403(world: World) -> None:
    match = active_match(world.programme_a)
    (measure,) = _add(match, 1)
    url = reverse("outcomes:measures", args=[match.enrolment_id])
    remove = reverse("outcomes:measure_delete", args=[measure.pk])
    assert _client(user_of("peer_other")).get(url).status_code == 404
    assert _client(user_of("peer_other")).post(remove).status_code == 404
    assert _client(user_of("evaluator")).get(url).status_code == 403
    assert _client(user_of("coordinator")).get("/enrolments/abc/measures/").status_code == 404
    assert _client(user_of("coordinator")).get("/enrolments/999999999/measures/").status_code == 404
    assert _client(user_of("coordinator")).post("/measures/999999999/delete/").status_code == 404
    assert _client(user_of("coordinator")).get(remove).status_code == 405
    assert Measure.objects.filter(pk=measure.pk).exists()


def test_removing_a_measure_from_the_page(world: World) -> None:
    match = active_match(world.programme_a)
    (measure,) = _add(match, 1)
    remove = reverse("outcomes:measure_delete", args=[measure.pk])
    participant = participant_user_of(match.enrolment)
    assert _client(participant).post(remove).status_code == 403
    response = _client(peer_user_of(match)).post(remove)
    assert response.status_code == 302
    assert not Measure.objects.filter(pk=measure.pk).exists()


def test_reading_the_page_is_audited(world: World) -> None:
    match = active_match(world.programme_a)
    measures = _add(match, 2)
    coordinator = user_of("coordinator")
    _client(coordinator).get(reverse("outcomes:measures", args=[match.enrolment_id]))
    read = AuditEvent.objects.filter(actor=coordinator, action="read")
    assert read.filter(object_type="people.person", object_id=str(match.enrolment.person_id))
    assert {e.object_id for e in read.filter(object_type="outcomes.measure")} == {
        str(m.pk) for m in measures
    }


def test_the_measures_page_queries_do_not_grow_with_the_rows(world: World) -> None:
    few, many = active_match(world.programme_a), active_match(world.programme_a, given_name="Ali")
    _add(few, 2)
    _add(many, 12)
    client = _client(user_of("coordinator"))
    counts = [
        queries_for(client, reverse("outcomes:measures", args=[m.enrolment_id]))
        for m in (few, many)
    ]
    assert counts[0] == counts[1]


# ------------------------------------------------------------------------------- API


def _post(client: Client, url: str, body: Any) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json")


def test_api_records_lists_reads_and_removes_a_measure(world: World) -> None:
    match = active_match(world.programme_a)
    client = _client(peer_user_of(match))
    url = f"/api/v1/enrolments/{match.enrolment_id}/measures"
    created = _post(
        client, url, _valid(kind="blood_pressure", value=132, value_2=84, source="clinic_record")
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["unit"], body["text"]) == ("blood_pressure", "mmHg", "132/84 mmHg")
    listed = client.get(url).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
    assert client.get(f"/api/v1/measures/{body['id']}").json()["value_2"] == "84.00"
    assert client.delete(f"/api/v1/measures/{body['id']}").status_code == 204
    assert client.get(f"/api/v1/measures/{body['id']}").status_code == 404


def test_api_measure_kinds_give_units_and_ranges(world: World) -> None:
    listed = _client(user_of("coordinator")).get("/api/v1/measure-kinds").json()
    kinds = {k["kind"]: k for k in listed}
    assert kinds["hba1c"]["unit"] == "mmol/mol"
    assert [u["code"] for u in kinds["hba1c"]["units"]] == ["mmol/mol", "%"]
    assert kinds["blood_pressure"]["second"]["high"] == "200"
    assert kinds["appointment_kept"]["usual"] == "1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": "abc"}, "value"),
        ({"value": True}, "value"),
        ({"value": [1]}, "value"),
        ({"value": "Infinity"}, "value"),
        ({"value": 500}, "value"),
        ({"kind": "temperature"}, "kind"),
        ({"source": "rumour"}, "source"),
        ({"measured_on": 20260101}, "measured_on"),
        ({"measured_on": "yesterday"}, "measured_on"),
        ({"measured_on": "2999-01-01"}, "measured_on"),
        ({"measured_on": "1999-01-01"}, "measured_on"),
        ({"unit": "stone"}, "unit"),
        ({"unit": 3}, "unit"),
        ({"value_2": 70}, "value_2"),
    ],
)
def test_api_malformed_input_gets_the_error_shape(
    world: World, body: dict[str, Any], field: str
) -> None:
    match = active_match(world.programme_a)
    url = f"/api/v1/enrolments/{match.enrolment_id}/measures"
    response = _post(_client(user_of("coordinator")), url, _valid(**body))
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert not Measure.objects.filter(enrolment=match.enrolment).exists()


def test_api_bad_json_missing_fields_and_bad_ids(world: World) -> None:
    match = active_match(world.programme_a)
    client = _client(user_of("coordinator"))
    url = f"/api/v1/enrolments/{match.enrolment_id}/measures"
    for body in ("{not json", "[]", "null", json.dumps({"kind": "weight"})):
        response = _post(client, url, body)
        assert response.status_code in (400, 422), body
        assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert client.get("/api/v1/enrolments/abc/measures").status_code in (404, 422)
    assert client.get("/api/v1/measures/abc").status_code in (404, 422)
    assert client.get("/api/v1/enrolments/999999999/measures").status_code == 404
    assert client.delete("/api/v1/measures/999999999").status_code == 404
    assert client.get(f"{url}?page=0").status_code == 422


def test_api_scope_participant_reads_only_and_others_get_404(world: World) -> None:
    match = active_match(world.programme_a)
    (measure,) = _add(match, 1)
    url = f"/api/v1/enrolments/{match.enrolment_id}/measures"
    participant = _client(participant_user_of(match.enrolment))
    assert participant.get(url).status_code == 200
    forbidden = _post(participant, url, _valid())
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    assert participant.delete(f"/api/v1/measures/{measure.pk}").status_code == 403
    stranger = _client(user_of("peer_other"))
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"/api/v1/measures/{measure.pk}").status_code == 404
    assert _post(stranger, url, _valid()).status_code == 404


def test_api_list_queries_do_not_grow_with_the_rows(world: World) -> None:
    few, many = active_match(world.programme_a), active_match(world.programme_a, given_name="Ali")
    _add(few, 2)
    _add(many, 12)
    client = _client(user_of("coordinator"))
    counts = []
    for match in (few, many):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/enrolments/{match.enrolment_id}/measures")
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
