"""The programme's playbook page: rules in plain words, leaders apply presets and
switch playbooks; coordinators read."""

from __future__ import annotations

from peerbridge.core.models import AuditEvent
from peerbridge.followups.models import Playbook
from peerbridge.followups.presets import preset_apply
from peerbridge.followups.wording import rule_sentence
from tests.conftest import World, client_for


def test_a_leader_applies_a_preset_and_the_page_says_the_rules_in_plain_words(
    world: World,
) -> None:
    url = f"/programmes/{world.programme_a.pk}/playbooks/"
    leader = client_for("leader")
    assert leader.post(url, {"preset": "parent_to_parent"}).status_code == 302
    playbook = Playbook.objects.get(programme=world.programme_a, preset="parent_to_parent")
    assert AuditEvent.objects.filter(
        action="create", object_type="followups.playbook", object_id=str(playbook.pk)
    ).exists()
    page = client_for("coordinator").get(url)
    text = page.content.decode()
    assert page.status_code == 200
    assert "7 days after the peer accepts the match, unless the match has ended" in text
    assert "21 days after the peer accepts the match" in text
    assert "Switch off" not in text  # coordinators read only
    assert "Switch off" in leader.get(url).content.decode()


def test_the_rule_sentences(world: World) -> None:
    playbook = preset_apply(programme=world.programme_a, key="before_discharge", actor=None)
    before, weekly, stall, still_stalled, closure = (
        rule_sentence(r) for r in playbook.rules.order_by("position")
    )
    assert before.startswith("2 days before discharge (or surgery), unless the participant")
    assert "(2 days allowed)" in before
    assert weekly.startswith("Every 7 days, 12 times, from 7 days after the peer accepts")
    assert "a task for the peer supporter" in weekly
    assert stall.startswith("On the day of a stall (no contact for longer than")
    assert "a task for the peer supporter" in stall and "(3 days allowed)" in stall
    assert still_stalled.startswith("7 days after a stall") and "coordinator" in still_stalled
    assert closure.startswith("On the day of the programme's end (its duration, counted")
    assert "closure is recorded" in closure


def test_a_leader_switches_a_playbook_off_and_on(world: World) -> None:
    playbook = preset_apply(programme=world.programme_a, key="crisis_transition", actor=None)
    url = f"/playbooks/{playbook.pk}/active/"
    leader = client_for("leader")
    assert leader.post(url, {"active": "no"}).status_code == 302
    playbook.refresh_from_db()
    assert playbook.is_active is False
    assert leader.post(url, {"active": "yes"}).status_code == 302
    playbook.refresh_from_db()
    assert playbook.is_active is True
    assert leader.post(url, {"active": "maybe"}).status_code == 302  # refused, unchanged
    playbook.refresh_from_db()
    assert playbook.is_active is True
    assert client_for("coordinator").post(url, {"active": "no"}).status_code == 403


def test_malformed_preset_posts_are_form_errors(world: World) -> None:
    url = f"/programmes/{world.programme_a.pk}/playbooks/"
    for data in ({}, {"preset": "nope"}, {"preset": ["a", "b"]}):
        assert client_for("leader").post(url, data).status_code == 422
    assert not Playbook.objects.filter(programme=world.programme_a).exists()


def test_other_programmes_playbooks_are_out_of_reach(world: World) -> None:
    playbook = preset_apply(programme=world.programme_b, key="crisis_transition", actor=None)
    assert client_for("leader").post(f"/playbooks/{playbook.pk}/active/").status_code == 404
    assert client_for("leader").get(
        f"/programmes/{world.programme_b.pk}/playbooks/"
    ).status_code in (
        403,
        404,
    )
    assert client_for("leader").post("/playbooks/99999999999999999999/active/").status_code == 404
