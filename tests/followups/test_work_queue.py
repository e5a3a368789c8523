"""The work queue and completing items: who sees what, overdue first, outcomes, and
"comfortable: no" ending the match with a re-match."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.followups.models import WorkItem
from peerbridge.followups.scan import scan
from peerbridge.matching import lifecycle
from peerbridge.matching.models import MatchCheckIn, MatchStatus
from peerbridge.people.models import Person
from peerbridge.referrals.models import EnrolmentStatus
from tests.conftest import client_for, persona_user
from tests.followups import world as w
from tests.matrix.workforce import matrix_peer_profile


@pytest.fixture
def queue(db: None) -> Any:
    """Programme A: a check-in item for the coordinator, a weekly call for persona
    "peer" and one for another peer, made by the scan eight days after the matches."""
    programme = w.programme("recovery-peers")
    start = timezone.now() - timedelta(days=8)
    with time_machine.travel(start, tick=False):
        playbook = w.playbook_with(
            programme,
            w.check_rule(),
            w.call_rule(),
        )
        own = matrix_peer_profile(SimpleNamespace(programme_a=programme))
        mine = w.accepted_match(w.participant(programme), own)
        other = w.new_match(programme)
    scan()
    check_rule, call_rule = playbook.rules.order_by("position")
    return {
        "programme": programme,
        "mine": mine,
        "other": other,
        "check": WorkItem.objects.get(rule=check_rule, match=mine),
        "my_call": WorkItem.objects.get(rule=call_rule, match=mine),
        "other_call": WorkItem.objects.get(rule=call_rule, match=other),
    }


def _ids(page: Any) -> list[int]:
    return [item.pk for item in page.context["items"]]


def test_the_coordinator_sees_the_programme_queue_overdue_first(queue: Any) -> None:
    page = client_for("coordinator").get("/followups/")
    assert page.status_code == 200
    ids = _ids(page)
    assert {queue["check"].pk, queue["my_call"].pk, queue["other_call"].pk} <= set(ids)
    # the calls were due on day 1 with no window: overdue, so before the check
    assert ids.index(queue["my_call"].pk) < ids.index(queue["check"].pk)
    assert "overdue" in page.content.decode()
    read = AuditEvent.objects.filter(
        action="read",
        object_type="people.person",
        object_id=str(queue["mine"].enrolment.person_id),
    )
    assert read.exists()


def test_a_peer_sees_only_their_own_items(queue: Any) -> None:
    shown = client_for("peer").get("/followups/").context["items"]
    assert queue["my_call"].pk in [item.pk for item in shown]
    assert {item.assignee_id for item in shown} == {persona_user("peer").pk}
    assert client_for("peer").get(f"/followups/items/{queue['other_call'].pk}/").status_code == 404
    assert client_for("peer").get(f"/followups/items/{queue['check'].pk}/").status_code == 404
    others = client_for("peer_other").get("/followups/").context["items"]
    assert {item.assignee_id for item in others} <= {persona_user("peer_other").pk}


def test_a_supervisor_sees_items_addressed_to_them_only(queue: Any) -> None:
    shown = client_for("supervisor").get("/followups/").context["items"]
    assert {item.assignee_id for item in shown} <= {persona_user("supervisor").pk}


def test_the_queue_filters_by_status_programme_and_due_date(queue: Any) -> None:
    client = client_for("coordinator")
    programme = queue["programme"]
    assert set(_ids(client.get(f"/followups/?programme={programme.pk}"))) >= {queue["check"].pk}
    tomorrow = timezone.localdate() + timedelta(days=1)
    early = _ids(client.get(f"/followups/?due_before={timezone.localdate() - timedelta(days=2)}"))
    assert queue["check"].pk not in early and queue["my_call"].pk in early
    assert _ids(client.get("/followups/?status=done")) == []
    # malformed filters are ignored rather than refused
    page = client.get(f"/followups/?programme=abc&due_before=nope&status=zzz&page=x{tomorrow}")
    assert page.status_code == 200


def test_the_queue_page_reads_a_fixed_number_of_queries(queue: Any) -> None:
    client = client_for("coordinator")
    client.get("/followups/")
    with CaptureQueriesContext(connection) as few:
        before = len(client.get("/followups/").context["items"])
    programme = queue["programme"]
    with time_machine.travel(timezone.now() - timedelta(days=8), tick=False):
        for _ in range(4):
            w.new_match(programme)
    scan()
    with CaptureQueriesContext(connection) as many:
        page = client.get("/followups/")
    assert len(page.context["items"]) == min(before + 8, 50)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_peer_completes_their_weekly_call(queue: Any) -> None:
    url = f"/followups/items/{queue['my_call'].pk}/"
    page = client_for("peer").post(url, {"status": "done", "note": "Spoke for half an hour."})
    assert page.status_code == 302
    item = WorkItem.objects.get(pk=queue["my_call"].pk)
    assert item.status == WorkItem.Status.DONE and item.note == "Spoke for half an hour."
    assert item.completed_by == persona_user("peer") and item.completed_at is not None
    again = client_for("peer").post(url, {"status": "done"})
    assert again.status_code == 422
    assert "already closed" in again.content.decode()


def test_an_item_no_longer_needed(queue: Any) -> None:
    url = f"/followups/items/{queue['other_call'].pk}/"
    assert client_for("coordinator").post(url, {"status": "cancelled"}).status_code == 302
    assert WorkItem.objects.get(pk=queue["other_call"].pk).status == WorkItem.Status.CANCELLED


def test_a_peer_cannot_complete_a_check_in(queue: Any) -> None:
    queue["check"].assignee = persona_user("peer")
    queue["check"].save()
    url = f"/followups/items/{queue['check'].pk}/"
    assert client_for("peer").get(url).status_code == 200
    assert client_for("peer").post(url, {"status": "cancelled"}).status_code == 403


def test_a_comfortable_check_in_confirms_first_contact(queue: Any) -> None:
    match = queue["mine"]
    lifecycle.match_introduce(match, actor=None)
    url = f"/followups/items/{queue['check'].pk}/"
    page = client_for("coordinator").post(
        url, {"status": "done", "side": "participant", "first_call": "yes", "comfortable": "yes"}
    )
    assert page.status_code == 302
    match.refresh_from_db()
    assert match.status == MatchStatus.FIRST_CONTACT
    item = WorkItem.objects.get(pk=queue["check"].pk)
    assert item.status == WorkItem.Status.DONE
    assert item.outcome == {
        "side": "participant",
        "first_call": True,
        "comfortable": True,
        "match_ended": False,
    }
    recorded = MatchCheckIn.objects.get(match=match, side="participant")
    assert recorded.comfortable is True and recorded.recorded_by == persona_user("coordinator")


def test_not_comfortable_ends_the_match_and_rematches_after_confirmation(queue: Any) -> None:
    match = queue["mine"]
    url = f"/followups/items/{queue['check'].pk}/"
    client = client_for("coordinator")
    answer = {"status": "done", "side": "participant", "first_call": "yes", "comfortable": "no"}
    unconfirmed = client.post(url, answer)
    assert unconfirmed.status_code == 422
    assert "confirm that the match ends" in unconfirmed.content.decode()
    match.refresh_from_db()
    assert match.status == MatchStatus.ACCEPTED
    assert WorkItem.objects.get(pk=queue["check"].pk).status == WorkItem.Status.OPEN
    confirmed = client.post(url, {**answer, "end_match": "on", "note": "Not at ease."})
    assert confirmed.status_code == 302
    match.refresh_from_db()
    assert match.status == MatchStatus.ENDED and match.end_reason == "not_a_fit"
    enrolment = match.enrolment
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.WAITING
    assert match.profile_id in lifecycle.excluded_profiles(enrolment)
    item = WorkItem.objects.get(pk=queue["check"].pk)
    assert item.status == WorkItem.Status.DONE and item.outcome["match_ended"] is True


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"status": "maybe"},
        {"status": "done", "side": "participant"},
        {"status": "done", "side": "nobody", "first_call": "yes", "comfortable": "yes"},
        {"status": "done", "side": "peer", "first_call": "perhaps", "comfortable": "yes"},
        {"status": "cancelled", "note": "x" * 5000},
    ],
)
def test_malformed_outcomes_are_form_errors(queue: Any, data: dict[str, str]) -> None:
    page = client_for("coordinator").post(f"/followups/items/{queue['check'].pk}/", data)
    assert page.status_code == 422
    assert WorkItem.objects.get(pk=queue["check"].pk).status == WorkItem.Status.OPEN


@pytest.mark.parametrize("item_id", ["0", "999999999", "99999999999999999999999"])
def test_unknown_items_are_not_found(queue: Any, item_id: str) -> None:
    assert client_for("coordinator").get(f"/followups/items/{item_id}/").status_code == 404


def test_no_personal_data_reaches_the_failed_message_outcome(queue: Any) -> None:
    names = {str(p) for p in Person.objects.filter(enrolments__programme=queue["programme"])}
    for item in WorkItem.objects.all():
        assert not any(name in str(item.outcome) for name in names)
