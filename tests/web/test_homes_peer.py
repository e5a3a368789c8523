"""The peer supporter's home, "my people today": the caseload with last contact, next
step, due work and flags, due people first; offers, groups and own wellbeing; a contact
logged in three screens; a query count that does not grow with the caseload."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.followups.models import Role as WorkRole
from peerbridge.matching.models import MatchStatus
from peerbridge.organisations.roles import Role
from peerbridge.support.models import Contact, Facilitator, Group, GroupSession
from tests.web import homes_world as w

NOON = datetime(2031, 3, 12, 12, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def at_noon() -> Any:
    with time_machine.travel(NOON, tick=False):
        yield


def _caseload_person(programme: Any, profile: Any, name: str, **contact: Any) -> Any:
    enrolment = w.participant(programme, name=name)
    made = w.match(enrolment, profile, since=timezone.now() - timedelta(days=20))
    if contact:
        w.contact(made, **contact)
    return made


def test_the_peer_sees_their_people_with_the_due_ones_first(db: None, at_noon: None) -> None:
    programme = w.fresh_programme()
    profile = w.peer(programme)
    today = timezone.localdate()
    later = _caseload_person(
        programme,
        profile,
        "Laterly",
        at=timezone.now() - timedelta(days=2),
        next_contact_on=today + timedelta(days=5),
        next_step="Bring the bus timetable",
    )
    due = _caseload_person(
        programme,
        profile,
        "Duetoday",
        at=timezone.now() - timedelta(days=6),
        next_contact_on=today,
        next_step="Ask how the appointment went",
    )
    never = _caseload_person(programme, profile, "Nevercalled")
    flagged = _caseload_person(
        programme, profile, "Flaggedone", at=timezone.now() - timedelta(days=1)
    )
    w.flag(flagged.enrolment)
    tasked = _caseload_person(
        programme,
        profile,
        "Taskperson",
        at=timezone.now() - timedelta(days=1),
        next_contact_on=today + timedelta(days=9),
    )
    w.work_item(w.rule(programme, role=WorkRole.PEER), tasked.enrolment, on=tasked, due_in_days=-5)
    # Not theirs, not in touch, or someone else's: none of these show.
    other_peer = w.peer(programme)
    _caseload_person(programme, other_peer, "Otherpeers")
    w.match(w.participant(programme, name="Endedmatch"), profile, status=MatchStatus.ENDED)
    w.match(w.participant(programme, name="Offeredone"), profile, status=MatchStatus.OFFERED)

    response = w.client_of(profile.person.user).get("/")

    assert response.status_code == 200
    page = response.content.decode()
    for hidden in ("Otherpeers", "Endedmatch", "Offeredone"):
        assert hidden not in page
    assert "Ask how the appointment went" in page and "Bring the bus timetable" in page
    assert "No contact yet" in page
    assert "1 offer waiting for your answer" in page
    order = [page.index(f"Log a contact with {n}") for n in ("Duetoday", "Taskperson")]
    assert max(order) < page.index("Log a contact with Laterly")
    assert page.index("Log a contact with Flaggedone") < page.index("Log a contact with Laterly")
    assert page.index("Log a contact with Nevercalled") > 0
    assert f'href="/matches/{due.pk}/contacts/new/"' in page
    home = response.context["homes"][0]
    rows = {row.name: row for row in home.people}
    assert rows["Taskperson"].items_overdue and rows["Duetoday"].contact_due_today
    assert rows["Flaggedone"].open_flag and not rows["Laterly"].is_due
    assert rows["Nevercalled"].last_contact is None
    assert later.pk in {row.match.pk for row in home.people}
    assert never.pk in {row.match.pk for row in home.people}


def test_the_peer_home_audits_each_person_shown_once(db: None, at_noon: None) -> None:
    programme = w.fresh_programme()
    profile = w.peer(programme)
    shown = [_caseload_person(programme, profile, f"Shown{n}") for n in range(3)]
    user = profile.person.user

    w.client_of(user).get("/home/peer/")

    read = AuditEvent.objects.filter(
        actor_id=user.pk, action=AuditEvent.Action.READ, object_type="people.person"
    ).values_list("object_id", flat=True)
    assert sorted(read) == sorted(str(m.enrolment.person_id) for m in shown)


def test_the_peer_sees_groups_they_facilitate_and_their_own_wellbeing(
    db: None, at_noon: None
) -> None:
    programme = w.fresh_programme()
    profile = w.peer(programme)
    group = Group.objects.create(
        programme=programme,
        name="Tuesday circle",
        kind=Group.Kind.MUTUAL_SUPPORT,
        modality=Group.Modality.IN_PERSON,
        capacity=10,
    )
    Facilitator.objects.create(group=group, profile=profile)
    GroupSession.objects.create(
        group=group, number=1, starts_at=timezone.now() + timedelta(days=2), topic="Sleep"
    )
    GroupSession.objects.create(
        group=group, number=2, starts_at=timezone.now() - timedelta(days=5), topic="Past"
    )
    profile.paused_from = timezone.localdate()
    profile.save(update_fields=["paused_from"])

    page = w.client_of(profile.person.user).get("/").content.decode()

    assert "Tuesday circle" in page and "Sleep" in page and "Past" not in page
    assert f'href="/groups/{group.pk}/"' in page
    assert "paused" in page and 'href="/workforce/me/"' in page


def _query_count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _add_people(programme: Any, profile: Any, rule: Any, count: int) -> None:
    today = timezone.localdate()
    for n in range(count):
        made = _caseload_person(
            programme,
            profile,
            f"Row{n}",
            at=timezone.now() - timedelta(days=3),
            next_contact_on=today,
            next_step=f"Step {n}",
        )
        w.contact(made, at=timezone.now() - timedelta(days=10))
        w.flag(made.enrolment)
        w.work_item(rule, made.enrolment, on=made, due_in_days=-1)
        w.match(w.participant(programme), profile, status=MatchStatus.OFFERED)


@pytest.mark.parametrize("url", ["/", "/home/peer/"])
def test_the_peer_home_query_count_does_not_grow_with_the_caseload(
    db: None, at_noon: None, url: str
) -> None:
    programme = w.fresh_programme()
    profile = w.peer(programme)
    rule = w.rule(programme, role=WorkRole.PEER)
    client = w.client_of(profile.person.user)
    _add_people(programme, profile, rule, 2)
    few = _query_count(client, url)
    _add_people(programme, profile, rule, 10)
    many = _query_count(client, url)
    assert len(client.get(url).context["homes"][0].people) == 12
    assert many == few


def _contact_form_body(form: forms.Form) -> dict[str, Any]:
    """What a peer in a hurry sends: every default as offered, the first choice where
    one is needed, and a short next step."""
    body: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.MultipleChoiceField):
            value = value or [next(iter(field.choices))[0]] if field.required else value
        elif isinstance(field, forms.ChoiceField) and not value:
            value = next(c for c, _label in field.choices if c) if field.required else ""
        if isinstance(field, forms.BooleanField):
            if value:
                body[name] = "on"
            continue
        if name == "next_step":
            value = "Call again after the clinic"
        if value in (None, []):
            continue
        body[name] = value
    return body


def test_a_peer_logs_a_contact_in_three_screens(db: None) -> None:
    """Home, the contact form, and home again with the confirmation."""
    programme = w.fresh_programme()
    profile = w.peer(programme)
    made = _caseload_person(programme, profile, "Threescreens")
    client = w.client_of(profile.person.user)

    home = client.get("/")  # screen 1
    link = re.search(r'href="(/matches/\d+/contacts/new/)"', home.content.decode())
    assert link is not None and link.group(1) == f"/matches/{made.pk}/contacts/new/"
    form_page = client.get(link.group(1))  # screen 2
    assert form_page.status_code == 200
    sent = client.post(link.group(1), _contact_form_body(form_page.context["form"]))
    assert sent.status_code == 302, sent.context["form"].errors if sent.context else sent
    assert sent["Location"] == "/"
    back = client.get(sent["Location"])  # screen 3
    assert "is logged" in back.content.decode()
    logged = Contact.objects.get(match=made)
    assert logged.next_step == "Call again after the clinic"
    assert "Call again after the clinic" in back.content.decode()


def test_the_peer_home_is_for_peers_only(db: None) -> None:
    programme = w.fresh_programme()
    coordinator = w.login(Role.COORDINATOR, programme)
    client = w.client_of(coordinator)
    assert client.get("/home/peer/").status_code == 403
    assert client.post("/home/peer/").status_code == 403
    peer = w.peer(programme)
    assert w.client_of(peer.person.user).post("/home/peer/").status_code == 405


def test_a_peer_without_a_profile_gets_an_empty_home(db: None) -> None:
    programme = w.fresh_programme()
    user = w.login(Role.PEER_SUPPORTER, programme)
    response = w.client_of(user).get("/home/peer/")
    assert response.status_code == 200
    assert "Nobody is matched with you yet" in response.content.decode()
