"""The links that lead on from support pages: "Raise a safety concern" on a group
session's page for those who may raise a flag there, and the closure step on the
enrolment page for the programme's coordinators while the participant is matched or
active."""

from __future__ import annotations

import pytest
from django.urls import reverse

from peerbridge.safety.selectors import may_flag_from
from tests.conftest import World, client_for
from tests.matching.world_lifecycle import waiting_enrolment
from tests.support.world import active_match
from tests.support.world_groups import facilitator_peer, past_sessions, running_group
from tests.workforce.world_wellbeing import client_of

pytestmark = pytest.mark.django_db


def test_the_facilitator_and_the_coordinator_see_raise_a_safety_concern(world: World) -> None:
    peer = facilitator_peer(world.programme_a)
    group = running_group(world.programme_a, facilitator=peer)
    (session,) = past_sessions(group, 1)
    page_url = reverse("support:group_session_record", args=[group.pk, session.number])
    flag_url = reverse("safety:flag_raise_session", args=[session.pk])
    for client in (client_of(peer), client_for("coordinator")):
        page = client.get(page_url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Raise a safety concern" in html
        assert f'href="{flag_url}"' in html
        assert client.get(flag_url).status_code == 200


def test_a_peer_who_does_not_facilitate_may_not_flag_from_the_session(world: World) -> None:
    group = running_group(world.programme_a)
    (session,) = past_sessions(group, 1)
    outsider = facilitator_peer(world.programme_a).person.user
    assert outsider is not None
    assert not may_flag_from(outsider, session)


def test_the_enrolment_page_links_to_closure_while_the_participant_is_active(
    world: World,
) -> None:
    match = active_match(world.programme_a)
    closure_url = reverse("support:closure", args=[match.enrolment_id])
    page = client_for("coordinator").get(
        reverse("referrals:enrolment_detail", args=[match.enrolment_id])
    )
    assert page.status_code == 200
    assert f'href="{closure_url}"' in page.content.decode()
    assert client_for("coordinator").get(closure_url).status_code == 200


def test_no_closure_link_before_the_match_or_for_a_supervisor(world: World) -> None:
    waiting = waiting_enrolment(world.programme_a, given_name="Sam")
    page = client_for("coordinator").get(reverse("referrals:enrolment_detail", args=[waiting.pk]))
    assert page.status_code == 200
    assert reverse("support:closure", args=[waiting.pk]) not in page.content.decode()
    match = active_match(world.programme_a)
    page = client_for("supervisor").get(
        reverse("referrals:enrolment_detail", args=[match.enrolment_id])
    )
    assert page.status_code == 200
    assert reverse("support:closure", args=[match.enrolment_id]) not in page.content.decode()
