"""The home page as a whole: every role home that applies, the most urgent first, with
tabs to each; one audit call per page; the unread-message count in the header."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from peerbridge.core import audit
from peerbridge.notifications.models import Channel, Notification
from peerbridge.organisations.roles import Role
from peerbridge.organisations.services import role_grant
from peerbridge.web import home_views
from peerbridge.web.homes import homes_for
from tests.conftest import client_for
from tests.web import homes_world as w


def test_homes_follow_the_roles_held() -> None:
    assert homes_for([Role.PEER_SUPPORTER]) == ["peer"]
    assert homes_for([Role.ORG_ADMIN, Role.SUPERVISOR]) == ["coordinator", "supervisor"]
    assert homes_for([Role.REFERRER, Role.EVALUATOR]) == []


def test_a_user_with_several_roles_sees_each_home_the_most_urgent_first(db: None) -> None:
    programme = w.fresh_programme()
    profile = w.peer(programme)
    user = profile.person.user
    role_grant(user=user, role=Role.COORDINATOR, granted_by=None, programme=programme)
    w.participant(programme, name="Waitingone", status="waiting", waiting_days=3)
    client = w.client_of(user)

    calm = client.get("/")
    assert [home.key for home in calm.context["homes"]] == ["peer", "coordinator"]
    assert [tab["key"] for tab in calm.context["tabs"]] == ["peer", "coordinator"]
    page = calm.content.decode()
    assert 'href="/home/peer/"' in page and 'href="/home/coordinator/"' in page

    late = w.participant(programme, name="Flaggedlate")
    w.flag(late, deadline_in=timedelta(hours=-1))  # an overdue flag: safety first
    urgent = client.get("/")
    assert [home.key for home in urgent.context["homes"]] == ["coordinator", "peer"]

    one = client.get("/home/coordinator/")
    assert [home.key for home in one.context["homes"]] == ["coordinator"]
    assert one.context["current_tab"] == "coordinator"
    assert 'aria-current="page"' in one.content.decode()


@pytest.mark.parametrize("persona", ["referrer", "evaluator", "stranger"])
def test_roles_without_a_home_of_their_own_keep_their_links(db: None, persona: str) -> None:
    response = client_for(persona).get("/")
    assert response.status_code == 200
    assert response.context["homes"] == [] and response.context["tabs"] == []


@pytest.mark.parametrize("persona", ["peer", "coordinator", "supervisor", "participant"])
def test_each_page_audits_what_it_shows_in_one_call(
    db: None, persona: str, monkeypatch: Any
) -> None:
    calls: list[int] = []

    def counting(**kwargs: Any) -> int:
        calls.append(1)
        return audit.audit_many(**kwargs)

    monkeypatch.setattr(home_views, "audit_many", counting)
    assert client_for(persona).get("/").status_code == 200
    assert calls == [1]
    calls.clear()
    assert client_for(persona).get(f"/home/{persona}/").status_code == 200
    assert calls == [1]


def test_the_header_shows_unread_messages(db: None) -> None:
    programme = w.fresh_programme()
    user = w.login(Role.COORDINATOR, programme)
    client = w.client_of(user)
    assert " new</span>" not in client.get("/").content.decode()
    for _n in range(2):
        Notification.objects.create(
            kind="test_note",
            channel=Channel.IN_APP,
            user=user,
            subject="",
            body="Something to read",
            status=Notification.Status.SENT,
            sent_at=timezone.now(),
        )
    page = client.get("/").content.decode()
    assert re.search(r'href="/messages/"[^>]*>Messages <span class="badge">2 new</span>', page)


@pytest.mark.parametrize("path", ["/home/", "/home/nobody/", "/home/peer/extra/", "/home/1/"])
def test_unknown_home_pages_are_not_found(db: None, path: str) -> None:
    assert client_for("coordinator").get(path).status_code == 404
