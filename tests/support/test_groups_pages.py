"""Group pages: setting a group up and running it through the forms, recording a
session as its peer facilitator, the report as a page and CSV, who reaches what (another
programme's staff and a peer not facilitating get 404), and query counts that do not
grow with the rows."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.support import groups
from peerbridge.support.models import Attendance, Facilitator, Group, GroupMember, GroupSession
from tests.conftest import World, client_for
from tests.support.world import queries_for
from tests.support.world_groups import (
    facilitator_peer,
    fill,
    make_group,
    participant,
    past_sessions,
    record,
    running_group,
)
from tests.workforce.world import make_profile
from tests.workforce.world_wellbeing import client_of

pytestmark = pytest.mark.django_db


def _staff_client(email_local: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=f"{email_local}@demo.peerbridge.test"))
    return client


def _group_url(name: str, group: Group, *extra: Any) -> str:
    return reverse(f"support:{name}", args=[group.pk, *extra])


# ---------------------------------------------------------------------------------------
# Setting up and running a group


def test_a_coordinator_sets_up_a_group_through_the_form(world: World) -> None:
    client = client_for("coordinator")
    url = reverse("support:group_create", args=[world.programme_a.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "Tuesday circle",
            "kind": "mutual_support",
            "modality": "in_person",
            "place": "Library, room 3",
            "capacity": "10",
        },
    )
    group = Group.objects.get(name="Tuesday circle")
    assert response.status_code == 302
    assert response["Location"] == reverse("support:group", args=[group.pk])
    assert group.programme == world.programme_a
    page = client.get(response["Location"])
    assert "Tuesday circle" in page.content.decode()


def test_an_online_group_without_moderator_shows_the_field_error(world: World) -> None:
    response = client_for("coordinator").post(
        reverse("support:group_create", args=[world.programme_a.pk]),
        {
            "name": "Evening online",
            "kind": "mutual_support",
            "modality": "online",
            "online_link": "https://meet.example.org/evening",
            "capacity": "10",
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors["moderator"]
    assert not Group.objects.filter(name="Evening online").exists()


def test_the_online_group_page_names_its_moderator_and_links_the_incident_log(
    world: World,
) -> None:
    supervisor = User.objects.get(email="supervisor.a@demo.peerbridge.test")
    group = make_group(
        world.programme_a,
        modality="online",
        place="",
        online_link="https://meet.example.org/g",
        moderator=supervisor,
    )
    page = client_for("coordinator").get(_group_url("group", group)).content.decode()
    assert f"Moderator: {supervisor.display_name}" in page
    incidents = reverse("safety:incidents", args=[world.programme_a.pk])
    assert f'href="{incidents}?group={group.pk}"' in page


def test_an_ineligible_peer_is_refused_on_the_form_with_the_reasons(world: World) -> None:
    group = make_group(world.programme_a)
    untrained = make_profile(world.programme_a)
    response = client_for("coordinator").post(
        _group_url("group_facilitator_add", group), {"peer": untrained.pk}
    )
    assert response.status_code == 422
    errors = " ".join(response.context["form"].errors["peer"])
    assert "Still to complete" in errors
    assert not Facilitator.objects.filter(group=group).exists()


def test_run_a_group_from_the_pages(world: World) -> None:
    client = client_for("coordinator")
    group = make_group(world.programme_a, capacity=1)
    peer = facilitator_peer(world.programme_a)
    assert (
        client.post(_group_url("group_facilitator_add", group), {"peer": peer.pk}).status_code
        == 302
    )
    first, second = participant(world.programme_a), participant(world.programme_a, "Sam")
    add = _group_url("group_member_add", group)
    assert first.person.given_name in client.get(add, {"q": "Robin"}).content.decode()
    assert client.post(add, {"enrolment": first.pk}).status_code == 302
    assert client.post(add, {"enrolment": second.pk}).status_code == 302
    statuses = dict(GroupMember.objects.filter(group=group).values_list("enrolment_id", "status"))
    assert statuses == {first.pk: "enrolled", second.pk: "waiting"}
    assert client.post(_group_url("group_status", group), {"status": "running"}).status_code == 302
    response = client.post(
        _group_url("group_sessions_generate", group),
        {
            "first_starts_at": (timezone.localtime() + timedelta(days=3)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "rhythm": "fortnightly",
            "duration_minutes": "90",
        },
    )
    assert response.status_code == 302
    assert GroupSession.objects.filter(group=group).count() == 4
    leaver = GroupMember.objects.get(group=group, enrolment=first)
    client.post(reverse("support:group_member_leave", args=[group.pk, leaver.pk]))
    assert GroupMember.objects.get(group=group, enrolment=second).status == "enrolled"
    group.refresh_from_db()
    assert group.status == "running"


def test_a_participant_of_another_programme_cannot_be_added(world: World) -> None:
    group = make_group(world.programme_a)
    response = client_for("coordinator").post(
        _group_url("group_member_add", group), {"enrolment": participant(world.programme_b).pk}
    )
    assert response.status_code == 422
    assert not GroupMember.objects.filter(group=group).exists()


# ---------------------------------------------------------------------------------------
# Recording a session as its facilitator


def test_the_facilitating_peer_records_attendance_and_notes(world: World) -> None:
    peer = facilitator_peer(world.programme_a)
    group = running_group(world.programme_a, facilitator=peer, capacity=2)
    one, two = fill(group, 2)
    (session,) = past_sessions(group, 1)
    client = client_of(peer)
    url = _group_url("group_session_record", group, session.number)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {f"member_{one.pk}": "present", f"member_{two.pk}": "absent", "notes": "Good energy."},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == "held"
    assert session.notes == "Good energy."
    assert session.recorded_by == peer.person.user
    assert Attendance.objects.filter(session=session).count() == 2


def test_a_peer_without_the_right_reaches_no_run_action(world: World) -> None:
    peer = facilitator_peer(world.programme_a)
    group = running_group(world.programme_a, facilitator=peer)
    client = client_of(peer)
    page = client.get(_group_url("group", group))
    assert page.status_code == 200
    assert _group_url("group_edit", group) not in page.content.decode()
    assert client.get(_group_url("group_edit", group)).status_code == 403
    assert client.post(_group_url("group_status", group), {"status": "finished"}).status_code == 403


def test_an_empty_record_form_shows_errors_for_each_member(world: World) -> None:
    group = running_group(world.programme_a, capacity=2)
    fill(group, 2)
    (session,) = past_sessions(group, 1)
    response = client_for("coordinator").post(
        _group_url("group_session_record", group, session.number), {}
    )
    assert response.status_code == 422
    assert len(response.context["form"].errors) == 2
    assert not Attendance.objects.filter(session=session).exists()


def test_a_peer_not_facilitating_gets_404_on_recording(world: World) -> None:
    group = running_group(world.programme_a, capacity=2)
    (member,) = fill(group, 1)
    (session,) = past_sessions(group, 1)
    outsider = facilitator_peer(world.programme_a)  # peer role in the same programme
    client = client_of(outsider)
    url = _group_url("group_session_record", group, session.number)
    assert client.get(url).status_code == 404
    assert client.post(url, {f"member_{member.pk}": "present"}).status_code == 404
    assert client.get(_group_url("group", group)).status_code == 404
    assert not Attendance.objects.filter(session=session).exists()


def test_a_removed_facilitator_loses_the_group(world: World) -> None:
    peer = facilitator_peer(world.programme_a)
    group = running_group(world.programme_a, facilitator=peer)
    facilitation = Facilitator.objects.get(group=group, profile=peer)
    client_for("coordinator").post(
        reverse("support:group_facilitator_remove", args=[group.pk, facilitation.pk])
    )
    assert client_of(peer).get(_group_url("group", group)).status_code == 404


@pytest.mark.parametrize(
    "name", ["group", "group_edit", "group_report", "group_report_csv", "group_member_add"]
)
def test_another_programmes_staff_get_404(world: World, name: str) -> None:
    group = running_group(world.programme_a)
    assert _staff_client("coordinator.b").get(_group_url(name, group)).status_code == 404


def test_another_programmes_staff_cannot_record(world: World) -> None:
    group = running_group(world.programme_a, capacity=2)
    (member,) = fill(group, 1)
    (session,) = past_sessions(group, 1)
    url = _group_url("group_session_record", group, session.number)
    response = _staff_client("coordinator.b").post(url, {f"member_{member.pk}": "present"})
    assert response.status_code == 404
    assert not Attendance.objects.filter(session=session).exists()


def test_a_session_of_another_group_is_404(world: World) -> None:
    group = running_group(world.programme_a)
    other = running_group(world.programme_a, name="Other")
    past_sessions(other, 2)
    url = _group_url("group_session_record", group, 2)
    assert client_for("coordinator").get(url).status_code == 404


# ---------------------------------------------------------------------------------------
# Report, audit, queries


def test_the_report_page_and_csv_match_the_records(world: World) -> None:
    group = running_group(world.programme_a, capacity=3, session_count=4, completion_sessions=2)
    a, b, c = fill(group, 3)
    s1, s2 = past_sessions(group, 2)
    record(s1, {a: "present", b: "present", c: "excused"})
    record(s2, {a: "present", b: "absent"})
    client = client_for("coordinator")
    page = client.get(_group_url("group_report", group))
    report = page.context["report"]
    assert [(t.present, t.absent, t.excused) for t in report.totals] == [(2, 0, 1), (1, 1, 0)]
    assert report.completed_count == 1
    download = client.get(_group_url("group_report_csv", group))
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    by_name = {row[0]: row for row in rows[1:4]}
    assert by_name[str(a.enrolment.person)][-4:] == ["2", "0", "0", "yes"]
    assert by_name[str(b.enrolment.person)][-4:] == ["1", "1", "0", "no"]
    assert by_name[str(c.enrolment.person)][-4:] == ["0", "0", "1", "no"]
    assert rows[4][2:4] == ["2", "1"]  # total attended per session


def test_a_name_a_spreadsheet_would_run_is_kept_as_text(world: World) -> None:
    group = running_group(world.programme_a)
    groups.member_add(
        group=group, enrolment=participant(world.programme_a, name="=cmd"), actor=None
    )
    download = client_for("coordinator").get(_group_url("group_report_csv", group))
    assert "'=cmd" in download.content.decode()


def test_the_group_page_audits_each_member_shown(world: World) -> None:
    group = running_group(world.programme_a, capacity=2)
    members = fill(group, 3)
    before = AuditEvent.objects.filter(action="read", object_type="people.person").count()
    client_for("coordinator").get(_group_url("group", group))
    read = AuditEvent.objects.filter(action="read", object_type="people.person").order_by("-pk")
    ids = set(read.values_list("object_id", flat=True)[: read.count() - before])
    assert {str(m.enrolment.person_id) for m in members} <= ids


def test_the_list_page_reads_in_a_constant_number_of_queries(world: World) -> None:
    client = client_for("coordinator")
    url = reverse("support:groups", args=[world.programme_a.pk])
    for n in range(2):
        running_group(world.programme_a, name=f"Group {n}")
    few = queries_for(client, url)
    for n in range(2, 12):
        group = running_group(world.programme_a, name=f"Group {n}")
        fill(group, 2)
    assert queries_for(client, url) == few


def test_the_report_and_group_page_read_in_a_constant_number_of_queries(world: World) -> None:
    client = client_for("coordinator")
    small = running_group(world.programme_a, capacity=2, session_count=12)
    record(past_sessions(small, 2)[0], {m: "present" for m in fill(small, 2)})
    big = running_group(world.programme_a, capacity=12, session_count=12, name="Big")
    members = fill(big, 12)
    for session in past_sessions(big, 12):
        record(session, {m: "present" for m in members})
    for name in ("group_report", "group", "group_report_csv"):
        url_small, url_big = _group_url(name, small), _group_url(name, big)
        assert queries_for(client, url_big) == queries_for(client, url_small), name


def test_my_groups_lists_the_groups_a_peer_facilitates(world: World) -> None:
    peer = facilitator_peer(world.programme_a)
    mine = running_group(world.programme_a, facilitator=peer, name="Mine")
    running_group(world.programme_a, name="Not mine")
    response = client_of(peer).get(reverse("support:my_groups"))
    assert [g.pk for g in response.context["rows"]] == [mine.pk]
    listed = client_of(peer).get(reverse("support:groups", args=[world.programme_a.pk]))
    assert [g.pk for g in listed.context["rows"]] == [mine.pk]
