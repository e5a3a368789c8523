"""Handling a flag: who acknowledges, notes, hands over and resolves it; a resolved flag
never changes again; the flag page shows the trail and only the steps allowed now."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from peerbridge.core.models import AuditEvent
from peerbridge.notifications.models import Notification
from peerbridge.safety import services
from peerbridge.safety.models import FlagEvent, OnCallShift, RiskFlag
from tests.conftest import World, client_for
from tests.safety.world import (
    client_as,
    peer_of,
    raise_flag,
    set_settings,
    user_of,
    working_match,
)

pytestmark = pytest.mark.django_db

RESOLVE = {
    "actions": ["called_participant", "safety_plan_reviewed"],
    "resolution": "Called back within the hour; safety plan reviewed with them.",
}


@pytest.fixture(autouse=True)
def _nobody_on_call(world: World) -> None:
    OnCallShift.objects.filter(programme=world.programme_a).delete()
    set_settings(world.programme_a, on_call=None)


@pytest.fixture
def flag(world: World) -> RiskFlag:
    """A medium flag about a participant of persona "supervisor"'s supervisee."""
    return raise_flag(working_match(world.programme_a))


def _url(name: str, flag: RiskFlag) -> str:
    return reverse(f"safety:{name}", args=[flag.pk])


# ---------------------------------------------------------------------------------------
# Acknowledging


def test_the_assignee_acknowledges_from_the_flag_page(flag: RiskFlag) -> None:
    assert flag.assigned_to == user_of("supervisor")
    supervisor = client_for("supervisor")
    page = supervisor.get(_url("flag", flag)).content.decode()
    assert _url("flag_acknowledge", flag) in page
    response = supervisor.post(_url("flag_acknowledge", flag), {"note": "Calling them now."})
    assert response["Location"] == _url("flag", flag)
    flag.refresh_from_db()
    assert flag.status == RiskFlag.Status.ACKNOWLEDGED
    assert flag.acknowledged_by == user_of("supervisor")
    assert flag.acknowledged_at is not None
    kinds = list(flag.events.values_list("kind", flat=True))
    assert kinds[-2:] == [FlagEvent.Kind.ACKNOWLEDGED, FlagEvent.Kind.NOTE]
    assert AuditEvent.objects.filter(
        action="update", object_type="safety.riskflag", object_id=str(flag.pk)
    ).exists()


@pytest.mark.parametrize("persona", ["leader", "admin"])
def test_leaders_in_scope_acknowledge_a_flag_sent_to_someone_else(
    flag: RiskFlag, persona: str
) -> None:
    response = client_for(persona).post(_url("flag_acknowledge", flag), {})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.acknowledged_by == user_of(persona)


def test_a_coordinator_sees_but_cannot_acknowledge(flag: RiskFlag) -> None:
    coordinator = client_for("coordinator")
    assert coordinator.get(_url("flag", flag)).status_code == 200
    assert (
        _url("flag_acknowledge", flag) not in coordinator.get(_url("flag", flag)).content.decode()
    )
    assert coordinator.post(_url("flag_acknowledge", flag), {}).status_code == 403
    flag.refresh_from_db()
    assert flag.status == RiskFlag.Status.OPEN


def test_the_peer_who_raised_it_sees_it_but_cannot_acknowledge(flag: RiskFlag) -> None:
    assert flag.raised_by is not None
    peer = client_as(flag.raised_by)
    assert peer.get(_url("flag", flag)).status_code == 200
    assert peer.post(_url("flag_acknowledge", flag), {}).status_code == 403


def test_a_supervisor_of_another_programme_gets_404(world: World, flag: RiskFlag) -> None:
    other = working_match(world.programme_b)
    other_peer = client_as(peer_of(other))
    for client in (client_for("peer_other"), other_peer, client_for("referrer")):
        assert client.get(_url("flag", flag)).status_code in (403, 404)
        assert client.post(_url("flag_acknowledge", flag), {}).status_code in (403, 404)


def test_acknowledging_twice_is_refused(flag: RiskFlag) -> None:
    services.flag_acknowledge(flag=flag, actor=user_of("supervisor"))
    with pytest.raises(ValidationError):
        services.flag_acknowledge(flag=flag, actor=user_of("leader"))


# ---------------------------------------------------------------------------------------
# Notes and handing over


def test_the_raising_peer_and_staff_add_notes_to_the_trail(flag: RiskFlag) -> None:
    assert flag.raised_by is not None
    peer = client_as(flag.raised_by)
    assert peer.post(_url("flag_note", flag), {"note": "They called me back."}).status_code == 302
    assert (
        client_for("coordinator").post(_url("flag_note", flag), {"note": "Noted."}).status_code
        == 302
    )
    notes = flag.events.filter(kind=FlagEvent.Kind.NOTE).order_by("pk")
    assert [n.note for n in notes] == ["They called me back.", "Noted."]


def test_an_empty_note_shows_the_error_on_the_page(flag: RiskFlag) -> None:
    response = client_for("supervisor").post(_url("flag_note", flag), {"note": " "})
    assert response.status_code == 422
    assert response.context["forms"]["note"].errors


def test_handing_a_flag_over_notifies_the_new_assignee(flag: RiskFlag) -> None:
    leader = user_of("leader")
    response = client_for("supervisor").post(
        _url("flag_reassign", flag), {"to": leader.pk, "note": "On leave from today."}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.assigned_to == leader
    handed = flag.events.filter(kind=FlagEvent.Kind.NOTIFIED, to=leader).get()
    assert handed.by == user_of("supervisor")
    assert Notification.objects.filter(
        kind="safety_flag_raised", user=leader, dedupe_key=f"flag:{flag.pk}:assigned:{handed.pk}"
    ).exists()


def test_a_flag_cannot_be_handed_to_someone_who_may_not_handle_it(flag: RiskFlag) -> None:
    for to in (user_of("coordinator"), user_of("peer"), None):
        with pytest.raises(ValidationError):
            services.flag_reassign(flag=flag, actor=user_of("leader"), to=to)
    response = client_for("leader").post(
        _url("flag_reassign", flag), {"to": user_of("coordinator").pk}
    )
    assert response.status_code == 422


# ---------------------------------------------------------------------------------------
# Resolving


def test_resolving_records_the_actions_and_what_was_done(flag: RiskFlag) -> None:
    response = client_for("supervisor").post(_url("flag_resolve", flag), RESOLVE)
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == RiskFlag.Status.RESOLVED
    assert flag.actions == ["called_participant", "safety_plan_reviewed"]
    assert flag.resolution == RESOLVE["resolution"]
    assert flag.resolved_by == user_of("supervisor")
    # Resolving an unacknowledged flag acknowledges it too.
    assert flag.acknowledged_by == user_of("supervisor")
    kinds = list(flag.events.values_list("kind", flat=True))
    assert kinds[-2:] == [FlagEvent.Kind.ACKNOWLEDGED, FlagEvent.Kind.RESOLVED]
    page = client_for("supervisor").get(_url("flag", flag)).content.decode()
    assert "Called the participant" in page
    assert RESOLVE["resolution"] in page


@pytest.mark.parametrize(
    ("actions", "resolution"),
    [
        ([], "Done."),
        (["called_participant"], "  "),
        (["made_tea"], "Done."),
        (["no_further_action", "referred_on"], "Done."),
        (["referred_on", "referred_on"], "Done."),
        ("referred_on", "Done."),
    ],
)
def test_resolution_needs_actions_from_the_list_and_what_was_done(
    flag: RiskFlag, actions: object, resolution: str
) -> None:
    with pytest.raises(ValidationError):
        services.flag_resolve(
            flag=flag,
            actor=user_of("supervisor"),
            actions=actions,  # type: ignore[arg-type]
            resolution=resolution,
        )
    flag.refresh_from_db()
    assert flag.status == RiskFlag.Status.OPEN


def test_an_incomplete_resolve_form_shows_the_errors(flag: RiskFlag) -> None:
    response = client_for("supervisor").post(_url("flag_resolve", flag), {"resolution": ""})
    assert response.status_code == 422
    assert set(response.context["forms"]["resolve"].errors) == {"actions", "resolution"}


def test_a_resolved_flag_never_changes_again(flag: RiskFlag) -> None:
    supervisor = user_of("supervisor")
    services.flag_resolve(flag=flag, actor=supervisor, **RESOLVE)
    events = flag.events.count()
    with pytest.raises(ValidationError):
        services.flag_acknowledge(flag=flag, actor=supervisor)
    with pytest.raises(ValidationError):
        services.flag_note(flag=flag, actor=supervisor, note="Later thought.")
    with pytest.raises(ValidationError):
        services.flag_reassign(flag=flag, actor=supervisor, to=user_of("leader"))
    with pytest.raises(ValidationError):
        services.flag_resolve(flag=flag, actor=supervisor, **RESOLVE)
    assert flag.events.count() == events
    page = client_for("supervisor").get(_url("flag", flag)).content.decode()
    for step in ("flag_acknowledge", "flag_note", "flag_resolve", "flag_reassign"):
        assert _url(step, flag) not in page
    response = client_for("supervisor").post(_url("flag_note", flag), {"note": "Again."})
    assert response.status_code == 422


def test_a_peer_sees_that_it_was_resolved_but_not_the_clinical_detail(flag: RiskFlag) -> None:
    services.flag_resolve(flag=flag, actor=user_of("supervisor"), **RESOLVE)
    assert flag.raised_by is not None
    page = client_as(flag.raised_by).get(_url("flag", flag)).content.decode()
    assert "Called the participant" in page
    assert RESOLVE["resolution"] not in page


def test_a_peer_sees_flags_about_their_participants_raised_by_others(world: World) -> None:
    match = working_match(world.programme_a)
    flag = raise_flag(match, raised_by=user_of("coordinator"))
    assert client_as(peer_of(match)).get(_url("flag", flag)).status_code == 200
    someone_else = working_match(world.programme_a, given_name="Jo")
    assert client_as(peer_of(someone_else)).get(_url("flag", flag)).status_code == 404


def test_viewing_a_flag_is_audited_as_a_read_of_the_person(flag: RiskFlag) -> None:
    client_for("leader").get(_url("flag", flag))
    assert AuditEvent.objects.filter(
        action="read",
        actor=user_of("leader"),
        object_type="people.person",
        object_id=str(flag.person_id),
    ).exists()


@pytest.mark.parametrize("bad", ["x", "0", "-1", "1.5", str(10**30)])
def test_bad_flag_ids_are_404(bad: str) -> None:
    client = client_for("leader")
    assert client.get(f"/flags/{bad}/").status_code == 404
    assert client.post(f"/flags/{bad}/acknowledge/", {}).status_code == 404
