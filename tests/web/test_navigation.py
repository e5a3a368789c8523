"""The menu's links to safety, the outbox and the programme settings: each role sees the
links whose pages it may open, and the unread badge on "Messages"."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.organisations.roles import Role
from peerbridge.organisations.services import role_grant
from peerbridge.web.navigation import NavLink, links_for, programme_pages
from tests.conftest import World, client_for, persona_user

pytestmark = pytest.mark.django_db

STAFF_KEYS = {"outbox", "on_call", "safety_settings", "support_settings", "questionnaires"}


def _links(persona: str) -> dict[str, str]:
    user = persona_user(persona)
    assert user is not None
    return {link.key: link.url for link in links_for(user)}


@pytest.mark.parametrize("persona", ["peer", "supervisor", "coordinator", "leader"])
def test_people_working_in_a_programme_reach_my_flags(persona: str) -> None:
    links = _links(persona)
    assert links["flags"] == reverse("safety:my_flags")
    page = client_for(persona).get(links["flags"])
    assert page.status_code == 200
    assert "My flags" in page.content.decode()


def test_a_leader_reaches_the_outbox_the_rota_and_the_settings(world: World) -> None:
    links = _links("leader")
    programme = world.programme_a.pk
    assert links["outbox"] == reverse("notifications:outbox", args=[programme])
    assert links["on_call"] == reverse("safety:on_call", args=[programme])
    assert links["safety_settings"] == reverse("safety:settings", args=[programme])
    assert links["support_settings"] == reverse("support:settings", args=[programme])
    client = client_for("leader")
    for key in STAFF_KEYS:
        assert client.get(links[key]).status_code == 200, key


def test_a_coordinator_reaches_the_outbox_but_not_the_settings(world: World) -> None:
    links = _links("coordinator")
    assert links["outbox"] == reverse("notifications:outbox", args=[world.programme_a.pk])
    assert client_for("coordinator").get(links["outbox"]).status_code == 200
    assert not {"on_call", "safety_settings", "support_settings"} & set(links)


@pytest.mark.parametrize("persona", ["participant", "stranger", "referrer", "evaluator"])
def test_people_outside_the_work_see_none_of_the_staff_links(persona: str) -> None:
    links = _links(persona)
    assert not (STAFF_KEYS | {"flags"}) & set(links)
    assert "messages" in links


def test_the_menu_shows_the_links_to_the_signed_in_leader() -> None:
    page = client_for("leader").get("/").content.decode()
    for label in ("My flags", "Programme outbox", "On-call rota", "Safety settings"):
        assert label in page


def test_a_leader_of_two_programmes_finds_the_pages_next_to_each_programme(
    world: World,
) -> None:
    leader = User.objects.create_user(email="two-programmes@example.org")
    for programme in (world.programme_a, world.programme_b):
        role_grant(user=leader, role=Role.PROGRAMME_LEADER, granted_by=None, programme=programme)
    assert not STAFF_KEYS & {link.key for link in links_for(leader)}
    rows = dict(programme_pages(leader, [world.programme_a, world.programme_b]))
    for programme in (world.programme_a, world.programme_b):
        assert {link.key for link in rows[programme]} == STAFF_KEYS
    client = Client()
    client.force_login(leader)
    home = client.get("/").content.decode()
    for programme in (world.programme_a, world.programme_b):
        assert reverse("safety:on_call", args=[programme.pk]) in home
        assert reverse("notifications:outbox", args=[programme.pk]) in home


def test_a_coordinator_gets_only_the_outbox_next_to_their_programme(world: World) -> None:
    coordinator = persona_user("coordinator")
    assert coordinator is not None
    [(programme, pages)] = programme_pages(coordinator, [world.programme_a])
    assert programme == world.programme_a
    assert [link.key for link in pages] == ["outbox"]


def test_nobody_gets_a_programme_page_outside_their_scope(world: World) -> None:
    leader = persona_user("leader")
    assert leader is not None
    other = Programme.objects.exclude(pk=world.programme_a.pk).first()
    assert other is not None
    [(_, pages)] = programme_pages(leader, [other])
    assert pages == []


# --- The unread badge on "Messages" ---------------------------------------------------


def _header(**context: object) -> str:
    request = RequestFactory().get("/")
    messages = NavLink("Messages", reverse("notifications:inbox"), "messages")
    home = NavLink("Home", reverse("web:home"), "home")
    return render_to_string(
        "web/base.html", {"nav_links": [home, messages], "request": request, **context}
    )


def test_the_badge_shows_the_unread_count_on_messages_only() -> None:
    page = _header(unread_message_count=3)
    assert page.count('class="badge"') == 1
    assert 'Messages <span class="badge">3 new</span>' in page


@pytest.mark.parametrize("context", [{}, {"unread_message_count": 0}])
def test_no_badge_without_unread_messages(context: dict[str, object]) -> None:
    assert 'class="badge"' not in _header(**context)
