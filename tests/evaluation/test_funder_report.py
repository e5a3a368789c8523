"""The funder report: each number equals a direct database count; it renders as a page,
PDF, CSV, XLSX and JSON; small cells are hidden; authorization, bad input, queries."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from peerbridge.evaluation.funder_report import funder_report
from peerbridge.evaluation.models import Quote
from peerbridge.organisations.models import Programme, Site
from peerbridge.referrals.models import Enrolment
from peerbridge.support.models import Attendance, Contact, Group, GroupMember, GroupSession
from peerbridge.workforce.models import (
    Certification,
    CertificationFramework,
    PeerProfile,
    SupervisionSession,
    TrainingAttendance,
    TrainingModule,
    TrainingSession,
)
from tests.conftest import World, client_for
from tests.evaluation.test_analytics_world import (
    MARCH,
    PERIOD,
    SCORES,
    SECRET_FAMILY,
    SECRET_NAME,
    before_and_after,
    make_participant,
    make_peer,
    staff_user,
)

pytestmark = pytest.mark.django_db
START, END = PERIOD.start, PERIOD.end
assert START is not None and END is not None
LOW = datetime(2024, 1, 1, tzinfo=timezone.get_current_timezone())
HIGH = datetime(2025, 1, 1, tzinfo=timezone.get_current_timezone())


def build(programme: Programme) -> None:
    """A year of a programme: 8 people with before and after, 6 more by video at another
    site, a group with five sessions, 6 peers trained, certified and supervised."""
    north, south = Site.objects.get(code="north"), Site.objects.get(code="south")
    peers = [make_peer(programme, site=north) for _ in range(6)]
    before_and_after(programme, SCORES, peer=peers[0], site=north)
    video = [
        make_participant(programme, peer=peers[1], site=south, contact_mode="video")
        for _ in range(6)
    ]
    group = Group.objects.create(
        programme=programme,
        name="Tuesday circle",
        kind="mutual_support",
        modality="online",
        capacity=12,
    )
    members = [
        GroupMember.objects.create(group=group, enrolment=p.enrolment, status="enrolled")
        for p in video
    ]
    for number in range(1, 6):
        session = GroupSession.objects.create(
            group=group,
            number=number,
            starts_at=MARCH + timedelta(days=7 * number),
            status=GroupSession.Status.HELD,
        )
        for i, member in enumerate(members):
            Attendance.objects.create(
                session=session,
                member=member,
                status=Attendance.Status.PRESENT if i else Attendance.Status.ABSENT,
            )
    leader = staff_user("leader.a")
    module = TrainingModule.objects.create(programme=programme, title="Listening", hours=2)
    training = TrainingSession.objects.create(
        module=module, starts_at=MARCH, hours=2, trainer="Trainer", modality="in_person"
    )
    framework = CertificationFramework.objects.create(
        organisation=programme.site.organisation, name="Peer certificate", kind="programme"
    )
    supervision = SupervisionSession.objects.create(
        programme=programme,
        supervisor=leader,
        held_at=MARCH,
        duration_minutes=60,
        format="group",
        kind="clinical",
    )
    for peer in peers:
        TrainingAttendance.objects.create(session=training, person=peer.person, hours=2)
        Certification.objects.create(
            person=peer.person,
            framework=framework,
            programme=programme,
            status=Certification.Status.CERTIFIED,
            issued_on=date(2024, 2, 1),
            decided_by=leader,
        )
    supervision.peers.set(peers)


def direct_counts(programme: Programme) -> dict[tuple[str, str], int]:
    """The same figures, counted straight from the tables."""
    cohort = Enrolment.objects.filter(
        programme=programme, received_at__gte=LOW, received_at__lt=HIGH
    )
    contacts = Contact.objects.filter(
        programme=programme, occurred_at__gte=LOW, occurred_at__lt=HIGH
    )
    attended = Attendance.objects.filter(
        session__group__programme=programme,
        session__starts_at__gte=LOW,
        session__starts_at__lt=HIGH,
        session__status=GroupSession.Status.HELD,
    )
    supported = set(contacts.filter(connected=True).values_list("enrolment_id", flat=True)) | set(
        attended.filter(status="present").values_list("member__enrolment_id", flat=True)
    )
    profiles = PeerProfile.objects.filter(programme=programme)
    return {
        ("reach", "referred"): cohort.count(),
        ("reach", "enrolled"): cohort.filter(
            status__in=["enrolled", "waiting", "matched", "active", "completed"]
        ).count(),
        ("reach", "supported"): len(supported),
        ("activity", "contacts"): contacts.filter(connected=True).count(),
        ("activity", "attempts"): contacts.count(),
        ("activity", "group_sessions"): GroupSession.objects.filter(
            group__programme=programme,
            status="held",
            starts_at__gte=LOW,
            starts_at__lt=HIGH,
        ).count(),
        ("activity", "attended"): attended.filter(status="present").count(),
        ("activity", "attendance_records"): attended.count(),
        ("contacts_mode", "phone"): contacts.filter(connected=True, mode="phone").count(),
        ("contacts_mode", "video"): contacts.filter(connected=True, mode="video").count(),
        ("contacts_type", "emotional"): sum(
            "emotional" in types
            for types in contacts.filter(connected=True).values_list("support_types", flat=True)
        ),
        ("workforce", "active"): profiles.filter(activated_on__lte=END)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=START))
        .count(),
        ("workforce", "trained"): profiles.filter(
            person__training_attendance__attended=True,
            person__training_attendance__session__module__programme=programme,
            person__training_attendance__session__starts_at__lt=HIGH,
        )
        .distinct()
        .count(),
        ("workforce", "certified"): profiles.filter(
            person__certifications__programme=programme,
            person__certifications__status="certified",
            person__certifications__issued_on__lte=END,
        )
        .distinct()
        .count(),
        ("workforce", "supervised"): profiles.filter(
            supervision_sessions__held_at__gte=LOW, supervision_sessions__held_at__lt=HIGH
        )
        .distinct()
        .count(),
    }


def test_every_report_number_equals_a_direct_count(world: World) -> None:
    build(world.programme_a)
    report = funder_report(world.programme_a, PERIOD)
    expected = direct_counts(world.programme_a)
    for (table, row), count in expected.items():
        assert count >= 5, (table, row)  # all shown, so all comparable
        assert report.value(table, row) == count, (table, row)
    [change] = report.outcomes
    assert change.n == len(SCORES)


def test_a_breakdown_hides_small_cells(world: World) -> None:
    build(world.programme_a)
    report = funder_report(world.programme_a, PERIOD)
    # Text and in-person contacts are 0: hidden, as is no other cell (phone 8, video 6).
    assert report.value("contacts_mode", "text") is None
    assert report.value("contacts_mode", "in_person") is None
    assert report.value("contacts_mode", "phone") == 8


def test_the_report_for_one_site(world: World) -> None:
    build(world.programme_a)
    south = Site.objects.get(code="south")
    report = funder_report(world.programme_a, PERIOD, south)
    assert report.value("reach", "referred") == 6
    assert report.value("contacts_mode", "phone") is None
    assert report.value("contacts_mode", "video") == 6  # three hidden cells protect each other
    assert report.value("workforce", "active") is None  # the peers are all in the north
    assert report.value("activity", "contacts") == 6
    assert report.outcomes == []


def _page(world: World, persona: str = "evaluator", **query: str) -> Any:
    url = reverse("evaluation:funder_report", args=[world.programme_a.pk])
    params = {"start": "2024-01-01", "end": "2024-12-31", **query}
    return client_for(persona).get(url, params)


def test_the_page_shows_tables_and_charts_without_names(world: World) -> None:
    build(world.programme_a)
    response = _page(world)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page
    assert "does not show cause" in page
    assert SECRET_NAME not in page and SECRET_FAMILY not in page


def test_the_pdf(world: World) -> None:
    build(world.programme_a)
    response = _page(world, file_format="pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_xlsx_opens_with_the_same_numbers(world: World) -> None:
    build(world.programme_a)
    response = _page(world, file_format="xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    figures = {
        row[2]: row[3] for row in book["Figures"].iter_rows(values_only=True) if len(row) > 3
    }
    assert figures["Contacts that connected"] == 14
    assert "Outcomes" in book.sheetnames


def test_the_csv(world: World) -> None:
    build(world.programme_a)
    response = _page(world, file_format="csv")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Contacts that connected,14" in text
    assert "fewer than 5" in text
    assert SECRET_NAME not in text


def test_quotes_only_when_asked_and_never_withdrawn_ones(world: World) -> None:
    build(world.programme_a)
    person = Enrolment.objects.filter(programme=world.programme_a).first()
    assert person is not None
    Quote.objects.create(
        programme=world.programme_a,
        person=person.person,
        speaker="participant",
        text="Someone who had been there listened.",
        consent_recorded_on=date(2024, 5, 1),
    )
    Quote.objects.create(
        programme=world.programme_a,
        person=person.person,
        speaker="participant",
        text="A withdrawn remark.",
        consent_recorded_on=date(2024, 5, 1),
        withdrawn_at=timezone.now(),
    )
    assert funder_report(world.programme_a, PERIOD).quotes == []
    shown = funder_report(world.programme_a, PERIOD, include_quotes=True).quotes
    assert [q.text for q in shown] == ["Someone who had been there listened."]
    page = _page(world, quotes="on").content.decode()
    assert "Someone who had been there listened." in page
    assert "A withdrawn remark." not in page


def test_the_api_gives_the_report_as_json(world: World) -> None:
    build(world.programme_a)
    url = f"/api/v1/programmes/{world.programme_a.pk}/funder-report?start=2024-01-01&end=2024-12-31"
    body = client_for("leader").get(url).json()
    tables = {t["key"]: t for s in body["sections"] for t in s["tables"]}
    rows = {r["key"]: r["value"] for r in tables["reach"]["rows"]}
    assert rows["referred"] == direct_counts(world.programme_a)[("reach", "referred")]
    assert body["outcomes"][0]["people"] == len(SCORES)
    assert SECRET_NAME not in str(body)


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2024-02-30"},
        {"start": "2024-06-01", "end": "2024-01-01"},
        {"end": "2200-01-01"},
        {"file_format": "docx"},
        {"site": "99999999"},
    ],
)
def test_bad_input_is_a_field_error(world: World, query: dict[str, str]) -> None:
    response = _page(world, **query)
    assert response.status_code == 400
    assert response.context["form"].errors


@pytest.mark.parametrize(
    "query", ["start=nope", "start=2024-06-01&end=2024-01-01", "quotes=maybe", "site_id=-1"]
)
def test_the_api_refuses_bad_input(world: World, query: str) -> None:
    url = f"/api/v1/programmes/{world.programme_a.pk}/funder-report?{query}"
    response = client_for("leader").get(url)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_authorization(world: World) -> None:
    assert _page(world, "participant").status_code == 403
    assert _page(world, "peer").status_code == 403
    assert _page(world, "coordinator").status_code == 200
    url = reverse("evaluation:funder_report", args=[world.programme_b.pk])
    assert client_for("leader").get(url).status_code == 404


def _queries(world: World, people: int) -> int:
    peer = make_peer(world.programme_a)
    before_and_after(world.programme_a, (SCORES * 2)[:people], peer=peer)
    client = client_for("evaluator")
    url = reverse("evaluation:funder_report", args=[world.programme_a.pk])
    query = {"start": "2024-01-01", "end": "2024-12-31", "quotes": "on"}
    client.get(url, query)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, query).status_code == 200
    return len(captured)


def test_the_report_answers_in_a_fixed_number_of_queries(world: World) -> None:
    assert _queries(world, 2) == _queries(world, 12)


def test_the_pdf_survives_markup_in_names(world: World) -> None:
    from peerbridge.evaluation.report_pdf import report_pdf

    world.programme_a.name = "Peers & partners <north>"
    build(world.programme_a)
    assert report_pdf(funder_report(world.programme_a, PERIOD)).startswith(b"%PDF")


def test_a_download_without_dates_covers_the_last_twelve_months_as_the_page_does(
    world: World,
) -> None:
    url = reverse("evaluation:funder_report", args=[world.programme_a.pk])
    reply = client_for("leader").get(url, {"file_format": "csv"})
    assert reply.status_code == 200
    today = timezone.localdate()
    expected = f"{(today - timedelta(days=365)).isoformat()} – {today.isoformat()}"
    assert expected in reply.content.decode()
