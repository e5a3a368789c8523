from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from peerbridge.core.models import User
from peerbridge.organisations.models import Programme, RoleAssignment, Site
from peerbridge.organisations.roles import Role
from peerbridge.web.demo import load_demo
from tests.conftest import PERSONAS, client_for


def test_the_demo_is_idempotent(db: None) -> None:
    counts = [m.objects.count() for m in (User, Programme, Site, RoleAssignment)]
    load_demo()
    assert [m.objects.count() for m in (User, Programme, Site, RoleAssignment)] == counts


def test_the_demo_has_eight_programmes_and_a_login_for_every_role(db: None) -> None:
    assert Programme.objects.filter(status=Programme.Status.ACTIVE).count() == 8
    held = set(RoleAssignment.objects.values_list("role", flat=True))
    assert held == set(Role.values)
    hiv = Programme.objects.get(code="hiv-peer-navigation")
    assert hiv.peer_pay == Programme.PeerPay.STIPEND and "text" in hiv.modalities
    parents = Programme.objects.get(code="support-parents")
    assert parents.audience == Programme.Audience.CAREGIVERS and parents.modalities == ["telephone"]


def test_the_demo_command_refuses_without_debug(db: None) -> None:
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo")


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anonymous"])
def test_every_persona_has_a_home_page(db: None, persona: str) -> None:
    response = client_for(persona).get("/")
    assert response.status_code == 200
    links = {link.key for link in response.context["nav_links"]}
    assert "home" in links
    assert ("audit" in links) == (persona == "admin")
    assert ("programmes" in links) == (persona not in {"stranger", "participant"})
