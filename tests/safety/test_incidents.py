"""The incident log: logging boundary incidents, adverse events and online group
incidents; the programme's log with its filters in constant queries; closing with the
outcome; leaders told of a serious one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peerbridge.notifications.models import Notification
from peerbridge.safety import incidents as log
from peerbridge.safety.models import Incident
from peerbridge.support.models import Group
from tests.conftest import World, client_for
from tests.safety.world import client_as, group_with_session, peer_of, user_of, working_match

pytestmark = pytest.mark.django_db


def _form(**overrides: Any) -> dict[str, Any]:
    when = timezone.localtime(timezone.now() - timedelta(hours=3))
    data = {
        "kind": "boundary",
        "category": "money_or_gifts",
        "severity": "low",
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "description": "The participant offered the peer money for petrol.",
        "immediate_action": "Peer declined and explained the boundary.",
    }
    data.update(overrides)
    return data


def _data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "adverse_event",
        "category": "harm_to_participant",
        "severity": "medium",
        "occurred_at": timezone.now() - timedelta(days=1),
        "description": "A fall at home after a missed visit.",
    }
    data.update(overrides)
    return data


def test_a_peer_logs_a_boundary_incident_about_their_participant(world: World) -> None:
    match = working_match(world.programme_a)
    peer = client_as(peer_of(match))
    url = reverse("safety:incident_log", args=[world.programme_a.pk])
    assert peer.get(url).status_code == 200
    response = peer.post(url, _form(profile=match.profile.pk, enrolment=match.enrolment.pk))
    incident = Incident.objects.get(enrolment=match.enrolment)
    assert response["Location"] == reverse("safety:incident", args=[incident.pk])
    assert incident.reported_by == peer_of(match)
    assert incident.profile == match.profile
    assert incident.status == Incident.Status.OPEN
    # The reporter sees their own report, not the programme's log.
    assert peer.get(reverse("safety:incident", args=[incident.pk])).status_code == 200
    assert peer.get(reverse("safety:incidents", args=[world.programme_a.pk])).status_code == 403


def test_a_peer_cannot_link_someone_elses_participant(world: World) -> None:
    match = working_match(world.programme_a)
    other = working_match(world.programme_a, given_name="Ash")
    response = client_as(peer_of(match)).post(
        reverse("safety:incident_log", args=[world.programme_a.pk]),
        _form(enrolment=other.enrolment.pk),
    )
    assert response.status_code == 422
    assert "enrolment" in response.context["form"].errors
    assert not Incident.objects.filter(enrolment=other.enrolment).exists()


def test_an_online_group_incident_names_the_group_and_maybe_the_session(world: World) -> None:
    match = working_match(world.programme_a)
    session = group_with_session(world.programme_a, facilitator=match.profile)
    incident = log.incident_log(
        programme=world.programme_a,
        reported_by=peer_of(match),
        data=_data(
            kind="online_group",
            category="heavy_use",
            group=session.group,
            group_session=session,
            description="One member posted through the night, every night, for a week.",
        ),
    )
    assert incident.group == session.group
    assert incident.group_session == session


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "online_group", "category": "harassment"}, "group"),
        ({"kind": "boundary", "category": "death"}, "category"),
        ({"kind": "gossip"}, "kind"),
        ({"severity": "catastrophic"}, "severity"),
        ({"description": "  "}, "description"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": timezone.now() + timedelta(days=2)}, "occurred_at"),
        ({"occurred_at": timezone.now() - timedelta(days=365 * 6)}, "occurred_at"),
        ({"mood": "bad"}, "mood"),
    ],
)
def test_what_an_incident_needs(world: World, change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        log.incident_log(
            programme=world.programme_a, reported_by=user_of("coordinator"), data=_data(**change)
        )
    assert field in refused.value.message_dict


def test_an_online_incident_in_a_group_that_meets_in_person_is_refused(world: World) -> None:
    session = group_with_session(world.programme_a, modality=Group.Modality.IN_PERSON)
    other = group_with_session(world.programme_a)
    with pytest.raises(ValidationError) as refused:
        log.incident_log(
            programme=world.programme_a,
            reported_by=None,
            data=_data(kind="online_group", category="harassment", group=session.group),
        )
    assert "group" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        log.incident_log(
            programme=world.programme_a,
            reported_by=None,
            data=_data(
                kind="online_group",
                category="harassment",
                group=other.group,
                group_session=session,
            ),
        )
    assert "group_session" in refused.value.message_dict


def test_a_serious_incident_tells_the_leaders_without_details(world: World) -> None:
    incident = log.incident_log(
        programme=world.programme_a,
        reported_by=user_of("coordinator"),
        data=_data(severity="high", category="death", description="Died in hospital."),
    )
    rows = Notification.objects.filter(kind="safety_incident_reported", user=user_of("leader"))
    email = rows.get(channel="email", dedupe_key__startswith=f"incident:{incident.pk}:")
    assert "serious incident" in email.body
    assert "Died in hospital." not in email.body
    assert world.programme_a.name not in email.body
    assert rows.filter(channel="in_app", dedupe_key__startswith=f"incident:{incident.pk}:").exists()


def test_a_low_incident_tells_no_one(world: World) -> None:
    incident = log.incident_log(
        programme=world.programme_a, reported_by=None, data=_data(severity="low")
    )
    assert not Notification.objects.filter(
        kind="safety_incident_reported", dedupe_key__startswith=f"incident:{incident.pk}:"
    ).exists()


def test_supervisors_close_an_incident_with_its_outcome(world: World) -> None:
    incident = log.incident_log(programme=world.programme_a, reported_by=None, data=_data())
    url = reverse("safety:incident_close", args=[incident.pk])
    assert client_for("coordinator").post(url, {"outcome": "Reviewed."}).status_code == 403
    response = client_for("supervisor").post(url, {"outcome": "  "})
    assert response.status_code == 422
    response = client_for("supervisor").post(url, {"outcome": "Reviewed with the peer."})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Incident.Status.CLOSED
    assert incident.outcome == "Reviewed with the peer."
    assert incident.closed_by == user_of("supervisor")
    with pytest.raises(ValidationError):
        log.incident_close(incident=incident, actor=user_of("leader"), outcome="Again.")


def test_the_log_filters_by_group_kind_and_status(world: World) -> None:
    session = group_with_session(world.programme_a)
    in_group = log.incident_log(
        programme=world.programme_a,
        reported_by=None,
        data=_data(kind="online_group", category="harmful_content", group=session.group),
    )
    boundary = log.incident_log(
        programme=world.programme_a,
        reported_by=None,
        data=_data(kind="boundary", category="out_of_hours"),
    )
    log.incident_close(incident=boundary, actor=user_of("leader"), outcome="Talked it over.")
    base = reverse("safety:incidents", args=[world.programme_a.pk])
    leader = client_for("leader")

    def listed(query: str) -> set[int]:
        return {row.pk for row in leader.get(base + query).context["page"].object_list}

    assert listed(f"?group={session.group_id}") == {in_group.pk}
    assert boundary.pk in listed("?kind=boundary")
    assert in_group.pk not in listed("?kind=boundary")
    assert boundary.pk in listed("?status=closed")
    assert in_group.pk not in listed("?status=closed")
    assert {in_group.pk, boundary.pk} <= listed("?group=x&kind=nope&status=maybe")


def test_the_log_takes_the_same_queries_for_2_or_12_incidents(world: World) -> None:
    url = reverse("safety:incidents", args=[world.programme_a.pk])
    leader = client_for("leader")
    match = working_match(world.programme_a)

    def add(count: int) -> None:
        for _ in range(count):
            log.incident_log(
                programme=world.programme_a,
                reported_by=None,
                data=_data(profile=match.profile, enrolment=match.enrolment),
            )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert leader.get(url).status_code == 200
        return len(captured)

    add(2)
    few = queries()
    add(10)
    assert queries() == few


def test_someone_elses_incident_is_404(world: World) -> None:
    incident = log.incident_log(programme=world.programme_a, reported_by=None, data=_data())
    url = reverse("safety:incident", args=[incident.pk])
    assert client_for("peer_other").get(url).status_code == 404
    assert client_for("peer").get(url).status_code == 404
    assert client_for("coordinator").get(url).status_code == 200
    assert client_for("peer_other").get("/incidents/x/").status_code == 404
