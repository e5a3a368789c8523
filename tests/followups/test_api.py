"""The follow-ups API: the scoped queue, completing items, playbooks and presets, and
malformed input answered with the one error shape."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from peerbridge.followups.models import Playbook, WorkItem
from peerbridge.followups.scan import scan
from peerbridge.matching.models import MatchStatus
from peerbridge.referrals.models import EnrolmentStatus
from tests.conftest import World, client_for
from tests.followups import world as w


@pytest.fixture
def items(world: World) -> Any:
    programme = world.programme_a
    with time_machine.travel(timezone.now() - timedelta(days=8), tick=False):
        playbook = w.playbook_with(
            programme,
            w.check_rule(),
            w.call_rule(),
        )
        match = w.new_match(programme)
    scan()
    check_rule, call_rule = playbook.rules.order_by("position")
    return {
        "match": match,
        "check": WorkItem.objects.get(rule=check_rule, match=match),
        "call": WorkItem.objects.get(rule=call_rule, match=match),
    }


def post(client: Any, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_the_queue_lists_the_callers_items_with_filters(items: Any, world: World) -> None:
    client = client_for("coordinator")
    body = client.get("/api/v1/work-items").json()
    ids = [row["id"] for row in body["items"]]
    assert {items["check"].pk, items["call"].pk} <= set(ids)
    call = next(row for row in body["items"] if row["id"] == items["call"].pk)
    assert call["overdue"] is True and call["attention"] is False and call["role"] == "peer"
    only = client.get(f"/api/v1/work-items?programme_id={world.programme_b.pk}").json()
    assert only["count"] == 0
    done = client.get("/api/v1/work-items?status=done").json()
    assert done["count"] == 0
    peer_ids = [row["id"] for row in client_for("peer").get("/api/v1/work-items").json()["items"]]
    assert items["call"].pk not in peer_ids and items["check"].pk not in peer_ids


def test_completing_a_check_in_that_does_not_feel_right_ends_the_match(items: Any) -> None:
    client = client_for("coordinator")
    url = f"/api/v1/work-items/{items['check'].pk}/complete"
    answer = {"status": "done", "first_call": True, "comfortable": False}
    refused = post(client, url, answer)
    assert refused.status_code == 422
    assert "end_match" in refused.json()["error"]["fields"]
    missing = post(client, url, {"status": "done"})
    assert set(missing.json()["error"]["fields"]) == {"first_call", "comfortable"}
    done = post(client, url, {**answer, "end_match": True, "side": "peer"})
    assert done.status_code == 200
    assert done.json()["status"] == "done" and done.json()["outcome"]["match_ended"] is True
    match = items["match"]
    match.refresh_from_db()
    assert match.status == MatchStatus.ENDED
    match.enrolment.refresh_from_db()
    assert match.enrolment.status == EnrolmentStatus.WAITING
    again = post(client, url, {"status": "cancelled"})
    assert again.status_code == 422 and "status" in again.json()["error"]["fields"]


def test_a_plain_item_is_closed_with_a_note(items: Any) -> None:
    url = f"/api/v1/work-items/{items['call'].pk}/complete"
    done = post(client_for("coordinator"), url, {"status": "cancelled", "note": "Moved away."})
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert WorkItem.objects.get(pk=items["call"].pk).note == "Moved away."


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"status": "open"},
        {"status": "done", "note": 12},
        {"status": "done", "note": "x" * 5000},
        {"status": "done", "first_call": "yes", "comfortable": True},
        {"status": "done", "side": "nobody", "first_call": True, "comfortable": True},
        ["status", "done"],
        "done",
    ],
)
def test_malformed_completions_are_refused(items: Any, body: Any) -> None:
    response = post(
        client_for("coordinator"), f"/api/v1/work-items/{items['check'].pk}/complete", body
    )
    assert response.status_code in (400, 422)
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert WorkItem.objects.get(pk=items["check"].pk).status == WorkItem.Status.OPEN


def test_bad_json_and_bad_ids(items: Any) -> None:
    client = client_for("coordinator")
    bad = client.post(
        f"/api/v1/work-items/{items['check'].pk}/complete",
        data="{not json",
        content_type="application/json",
    )
    assert bad.status_code in (400, 422) and "error" in bad.json()
    for item_id in ("abc", "0", "99999999999999999999999", "-1"):
        response = client.get(f"/api/v1/work-items/{item_id}")
        assert response.status_code in (404, 422), item_id
        assert "error" in response.json()
    for query in ("status=zzz", "due_before=never", "programme_id=abc", "page=0"):
        response = client.get(f"/api/v1/work-items?{query}")
        assert response.status_code == 422, query
        assert response.json()["error"]["code"] == "validation_error"


def test_playbooks_api_applies_presets_once_and_switches_them(world: World) -> None:
    leader = client_for("leader")
    url = f"/api/v1/programmes/{world.programme_a.pk}/playbooks"
    made = post(leader, url, {"preset": "crisis_transition"})
    assert made.status_code == 201
    body = made.json()
    assert body["preset"] == "crisis_transition" and len(body["rules"]) == 4
    assert "12 times" in body["rules"][0]["sentence"]
    again = post(leader, url, {"preset": "crisis_transition"})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Playbook.objects.filter(programme=world.programme_a).count() == 1
    unknown = post(leader, url, {"preset": "nope"})
    assert unknown.status_code == 422 and "preset" in unknown.json()["error"]["fields"]
    listed = client_for("coordinator").get(url).json()
    assert [p["id"] for p in listed] == [body["id"]]
    off = leader.patch(
        f"/api/v1/playbooks/{body['id']}",
        data=json.dumps({"is_active": False}),
        content_type="application/json",
    )
    assert off.status_code == 200 and off.json()["is_active"] is False
    wrong = leader.patch(
        f"/api/v1/playbooks/{body['id']}",
        data=json.dumps({"is_active": "no"}),
        content_type="application/json",
    )
    assert wrong.status_code == 422
    assert post(client_for("coordinator"), url, {"preset": "crisis_transition"}).status_code == 403
