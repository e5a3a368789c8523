"""A peer's wellbeing: the burnout check-in (a high one sets new-match capacity to zero and
alerts the supervisor), the pulse, the supervisor's review, alerts, pausing (and cover),
capacity and availability, and the peer's own workforce page."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.workforce import wellbeing
from peerbridge.workforce.capacity import capacity_reserve
from peerbridge.workforce.eligibility import Reason, standing
from peerbridge.workforce.models import (
    Announcement,
    PeerProfile,
    TeamEvent,
    WellbeingCheckIn,
    WorkforceAlert,
)
from peerbridge.workforce.selectors import workforce_settings
from peerbridge.workforce.services import profile_open
from tests.conftest import World, client_for
from tests.workforce.world import reasons_for_match
from tests.workforce.world_wellbeing import (
    CLIENT_ITEMS,
    HIGH,
    LOW,
    WORK_ITEMS,
    available_peer,
    cbi_answers,
    client_of,
    user_of,
)

pytestmark = pytest.mark.django_db

CHECKIN_ONLY = re.compile(r"^check-in \d+$")  # an id: no scores in alerts


def _fresh(profile: PeerProfile) -> PeerProfile:
    return PeerProfile.objects.select_related("person", "programme").get(pk=profile.pk)


def _open_alerts(profile: PeerProfile, kind: str) -> list[WorkforceAlert]:
    return list(WorkforceAlert.objects.filter(profile=profile, kind=kind, resolved_at__isnull=True))


def _api(client: Any, method: str, url: str, body: object = None) -> Any:
    send = getattr(client, method)
    if body is None:
        return send(url)
    return send(url, data=json.dumps(body), content_type="application/json")


def _checkin_url(profile: PeerProfile) -> str:
    return reverse("workforce:checkin", args=[profile.pk])


def _assert_held_for_burnout(profile: PeerProfile) -> None:
    now = standing(_fresh(profile))
    assert now.remaining_matches == 0
    assert now.remaining_groups == 0
    assert not now.may_take_match
    assert [b.reason for b in now.match_blockers] == [Reason.BURNT_OUT]
    assert now.on_hold
    alerts = _open_alerts(profile, WorkforceAlert.Kind.BURNOUT)
    assert len(alerts) == 1
    assert CHECKIN_ONLY.match(alerts[0].detail), alerts[0].detail


# ---------------------------------------------------------------------------------------
# Acceptance: a high burnout check-in sets new-match capacity to zero and creates a
# supervisor alert


def test_a_high_burnout_checkin_sets_new_match_capacity_to_zero_and_creates_a_supervisor_alert(
    world: World,
) -> None:
    profile = available_peer(world.programme_a)
    before = standing(profile)
    assert before.may_take_match and before.remaining_matches == 5

    checkin = wellbeing.cbi_checkin_record(profile=profile, answers=HIGH, actor=profile.person.user)

    assert checkin.high
    assert (checkin.work_score, checkin.client_score) == (75.0, 50.0)
    _assert_held_for_burnout(profile)
    assert profile.capacity_hold  # the caller's object follows
    held = _fresh(profile)
    assert held.capacity_hold_since is not None
    assert held.max_matches == 5  # capacity itself is untouched: the hold is lifted later
    # The supervisor sees the alert.
    listed = client_for("supervisor").get("/api/v1/workforce/alerts?page_size=200").json()
    assert any(a["profile_id"] == profile.pk and a["kind"] == "burnout" for a in listed["items"])
    # The supervisor reviews and lifts the hold: matching is possible again.
    response = client_for("supervisor").post(
        reverse("workforce:hold_release", args=[profile.pk]),
        {"note": "Talked it through; two people for now."},
    )
    assert response.status_code == 302
    after = standing(_fresh(profile))
    assert after.may_take_match and after.remaining_matches == 5
    assert _open_alerts(profile, WorkforceAlert.Kind.BURNOUT) == []
    resolved = WorkforceAlert.objects.get(profile=profile, kind=WorkforceAlert.Kind.BURNOUT)
    assert resolved.resolution == "Talked it through; two people for now."
    assert resolved.resolved_by == user_of("supervisor")
    capacity_reserve(profile=_fresh(profile), kind="match", reference="match:after", actor=None)


def test_a_high_checkin_through_the_page(world: World) -> None:
    profile = available_peer(world.programme_a)
    peer = client_of(profile)
    page = peer.get(_checkin_url(profile))
    assert page.status_code == 200
    html = page.content.decode()
    for item in (*WORK_ITEMS, *CLIENT_ITEMS):
        assert f'name="{item}"' in html
    assert html.count("<fieldset") >= len(WORK_ITEMS) + len(CLIENT_ITEMS)
    assert "<legend" in html
    assert "Do you feel burnt out because of your peer work?" in html  # from the definition
    assert "the people you support" in html

    response = peer.post(_checkin_url(profile), HIGH)
    assert response.status_code == 302
    assert "?result=" in response["Location"]
    _assert_held_for_burnout(profile)
    result = peer.get(response["Location"]).content.decode()
    assert "75 out of 100" in result and "50 out of 100" in result
    assert "supervisor has been told and will be in touch" in result
    assert reverse("workforce:pause", args=[profile.pk]) in result
    # The coordinator's eligibility answer says why.
    body = client_for("coordinator").get(f"/api/v1/workforce/profiles/{profile.pk}/eligibility")
    assert [r["reason"] for r in body.json()["match_reasons"]] == ["burnt_out"]


def test_a_high_checkin_through_the_api_and_the_supervisor_lifts_the_hold(world: World) -> None:
    profile = available_peer(world.programme_a)
    url = f"/api/v1/workforce/profiles/{profile.pk}/checkins"
    response = _api(client_of(profile), "post", url, {"kind": "cbi", "answers": HIGH})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["high"] is True
    assert created["work_score"] == 75.0 and created["client_score"] == 50.0
    assert created["answers"] == HIGH
    _assert_held_for_burnout(profile)
    eligibility = client_for("coordinator").get(
        f"/api/v1/workforce/profiles/{profile.pk}/eligibility"
    )
    assert eligibility.json()["may_take_match"] is False

    release = _api(
        client_for("supervisor"),
        "post",
        f"/api/v1/workforce/profiles/{profile.pk}/hold/release",
        {"note": "Agreed a lighter month."},
    )
    assert release.status_code == 200, release.content
    assert release.json()["capacity_hold"] is False
    assert release.json()["may_take_match"] is True
    assert reasons_for_match(_fresh(profile)) == set()


def test_a_low_checkin_neither_holds_nor_alerts(world: World) -> None:
    profile = available_peer(world.programme_a)
    peer = client_of(profile)
    response = peer.post(_checkin_url(profile), LOW)
    assert response.status_code == 302
    checkin = WellbeingCheckIn.objects.get(profile=profile)
    assert not checkin.high and (checkin.work_score, checkin.client_score) == (25.0, 25.0)
    assert standing(_fresh(profile)).may_take_match
    assert not WorkforceAlert.objects.filter(profile=profile).exists()
    result = peer.get(response["Location"]).content.decode()
    assert "not high" in result
    due = timezone.localdate() + timedelta(
        days=workforce_settings(world.programme_a).checkin_cadence_days
    )
    assert "next check-in is due" in result
    assert wellbeing.checkins_due([profile])[profile.pk].due_on == due


def test_the_threshold_is_the_programmes_and_inclusive(world: World) -> None:
    rules = workforce_settings(world.programme_a)
    rules.burnout_threshold = 75
    rules.save()
    profile = available_peer(world.programme_a)
    checkin = wellbeing.cbi_checkin_record(profile=profile, answers=cbi_answers(50, 50), actor=None)
    assert not checkin.high and not _fresh(profile).capacity_hold
    first = wellbeing.cbi_checkin_record(profile=profile, answers=cbi_answers(75, 0), actor=None)
    assert first.high and _fresh(profile).capacity_hold  # exactly at the threshold
    checkin = wellbeing.cbi_checkin_record(profile=profile, answers=cbi_answers(0, 100), actor=None)
    assert checkin.high  # either part is enough
    # One open burnout alert per peer: the second high check-in joins the first's alert.
    [alert] = _open_alerts(profile, WorkforceAlert.Kind.BURNOUT)
    assert alert.detail == f"check-in {first.pk}"
    # Once reviewed, a new high check-in opens a new alert.
    wellbeing.hold_release(profile=profile, actor=user_of("supervisor"), note="Talked.")
    again = wellbeing.cbi_checkin_record(profile=profile, answers=cbi_answers(75, 0), actor=None)
    [alert] = _open_alerts(profile, WorkforceAlert.Kind.BURNOUT)
    assert alert.detail == f"check-in {again.pk}"
    assert WorkforceAlert.objects.filter(profile=profile, kind="burnout").count() == 2


def test_the_checkin_stores_raw_answers_version_and_the_two_scores(world: World) -> None:
    profile = available_peer(world.programme_a)
    answers = {"w1": 100, "w2": 50, "w7": 100, "c1": 25, "c2": 25, "c3": 25, "c4": None}
    checkin = wellbeing.cbi_checkin_record(profile=profile, answers=answers, actor=None)
    checkin.refresh_from_db()
    assert checkin.kind == "cbi"
    assert checkin.answers == {"w1": 100, "w2": 50, "w7": 100, "c1": 25, "c2": 25, "c3": 25}
    assert checkin.instrument_version == "1.0"
    assert checkin.work_score == pytest.approx(50.0)  # (100 + 50 + 0) / 3: w7 reversed
    assert checkin.client_score == pytest.approx(25.0)
    assert checkin.personal_score is None
    assert AuditEvent.objects.filter(
        object_type="workforce.wellbeingcheckin", object_id=str(checkin.pk), action="create"
    ).exists()


@pytest.mark.parametrize(
    ("answers", "part"),
    [
        ({"w1": 50, "w2": 50, "c1": 50, "c2": 50, "c3": 50}, "work"),
        ({"w1": 50, "w2": 50, "w3": 50, "c1": 50}, "client"),
        ({}, "work"),
    ],
)
def test_a_part_with_fewer_than_three_answers_is_refused(
    world: World, answers: dict[str, int], part: str
) -> None:
    profile = available_peer(world.programme_a)
    with pytest.raises(ValidationError) as refused:
        wellbeing.cbi_checkin_record(profile=profile, answers=answers, actor=None)
    assert part in refused.value.message_dict
    assert "at least 3" in refused.value.message_dict[part][0]
    response = client_of(profile).post(_checkin_url(profile), answers)
    assert response.status_code == 422
    assert "Answer at least 3 of the" in response.content.decode()
    assert not WellbeingCheckIn.objects.filter(profile=profile).exists()


@pytest.mark.parametrize(
    "answers",
    [
        {**LOW, "p1": 50},  # the personal part is not asked at a check-in
        {**LOW, "w9": 50},
        {**LOW, "w1": 30},
        {**LOW, "w1": "50"},
        {**LOW, "w1": True},
        {**LOW, "w1": 50.0},
    ],
)
def test_answers_outside_the_instrument_are_refused(world: World, answers: dict[str, Any]) -> None:
    profile = available_peer(world.programme_a)
    with pytest.raises(ValidationError):
        wellbeing.cbi_checkin_record(profile=profile, answers=answers, actor=None)
    assert not WellbeingCheckIn.objects.filter(profile=profile).exists()


def test_a_peer_who_left_cannot_check_in(world: World) -> None:
    profile = available_peer(world.programme_a)
    PeerProfile.objects.filter(pk=profile.pk).update(status=PeerProfile.Status.LEFT)
    with pytest.raises(ValidationError):
        wellbeing.cbi_checkin_record(profile=_fresh(profile), answers=LOW, actor=None)


def test_staff_cannot_check_in_for_the_peer(world: World) -> None:
    profile = available_peer(world.programme_a)
    for persona in ("supervisor", "coordinator", "leader", "admin"):
        assert client_for(persona).get(_checkin_url(profile)).status_code == 403
        assert client_for(persona).post(_checkin_url(profile), HIGH).status_code == 403
        response = _api(
            client_for(persona),
            "post",
            f"/api/v1/workforce/profiles/{profile.pk}/checkins",
            {"kind": "cbi", "answers": HIGH},
        )
        assert response.status_code == 403
    # Another peer of the same programme does not reach it at all.
    other = available_peer(world.programme_a)
    assert client_of(other).get(_checkin_url(profile)).status_code == 404
    assert client_for("peer_other").get(_checkin_url(profile)).status_code == 404
    assert not WellbeingCheckIn.objects.filter(profile=profile).exists()


def test_raw_answers_reach_only_the_peer_and_their_own_supervisor(world: World) -> None:
    profile = available_peer(world.programme_a)
    wellbeing.cbi_checkin_record(profile=profile, answers=LOW, actor=None)
    wellbeing.pulse_record(profile=profile, value=3, actor=None)
    url = f"/api/v1/workforce/profiles/{profile.pk}/checkins"
    mine = client_of(profile).get(url).json()
    assert mine["count"] == 2
    assert [row["kind"] for row in mine["items"]] == ["pulse", "cbi"]
    assert mine["items"][1]["answers"] == LOW
    own_supervisor = client_for("supervisor").get(url).json()
    assert own_supervisor["items"][1]["answers"] == LOW
    leader = client_for("leader").get(url).json()  # supervises the programme, not this peer
    assert leader["items"][1]["answers"] is None
    assert leader["items"][1]["work_score"] == 25.0
    assert client_for("coordinator").get(url).status_code == 403
    assert client_for("peer_other").get(url).status_code == 404


# ---------------------------------------------------------------------------------------
# The pulse


def test_struggling_alerts_the_supervisor_without_a_hold(world: World) -> None:
    profile = available_peer(world.programme_a)
    peer = client_of(profile)
    response = peer.post(reverse("workforce:pulse", args=[profile.pk]), {"value": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("workforce:me")
    row = WellbeingCheckIn.objects.get(profile=profile)
    assert (row.kind, row.pulse, row.high) == ("pulse", 1, False)
    alerts = _open_alerts(profile, WorkforceAlert.Kind.PULSE_LOW)
    assert len(alerts) == 1 and alerts[0].detail == f"check-in {row.pk}"
    # Struggling again while the alert is open does not repeat it.
    wellbeing.pulse_record(profile=profile, value=1, actor=None)
    assert _open_alerts(profile, WorkforceAlert.Kind.PULSE_LOW) == alerts
    assert standing(_fresh(profile)).may_take_match
    followed = peer.get(response["Location"]).content.decode()
    assert "supervisor will be in touch" in followed


def test_a_good_pulse_raises_nothing(world: World) -> None:
    profile = available_peer(world.programme_a)
    response = _api(
        client_of(profile),
        "post",
        f"/api/v1/workforce/profiles/{profile.pk}/checkins",
        {"kind": "pulse", "value": 4},
    )
    assert response.status_code == 201 and response.json()["pulse"] == 4
    assert response.json()["answers"] is None
    assert not WorkforceAlert.objects.filter(profile=profile).exists()


@pytest.mark.parametrize("value", ["0", "6", "", "great", "1.5"])
def test_a_pulse_outside_one_to_five_is_refused(world: World, value: str) -> None:
    profile = available_peer(world.programme_a)
    response = client_of(profile).post(
        reverse("workforce:pulse", args=[profile.pk]), {"value": value}
    )
    assert response.status_code == 302
    assert not WellbeingCheckIn.objects.filter(profile=profile).exists()
    for bad in (0, 6, True, "3"):
        with pytest.raises(ValidationError):
            wellbeing.pulse_record(profile=profile, value=bad, actor=None)


# ---------------------------------------------------------------------------------------
# Check-in due


def test_checkin_is_due_at_once_then_after_the_cadence(world: World) -> None:
    profile = available_peer(world.programme_a)
    cadence = workforce_settings(world.programme_a).checkin_cadence_days
    due = wellbeing.checkins_due([profile])[profile.pk]
    assert due.is_due and due.last is None
    wellbeing.cbi_checkin_record(profile=profile, answers=LOW, actor=None)
    due = wellbeing.checkins_due([profile])[profile.pk]
    assert not due.is_due
    assert due.due_on == timezone.localdate() + timedelta(days=cadence)
    with time_machine.travel(timezone.now() + timedelta(days=cadence - 1)):
        assert not wellbeing.checkins_due([profile])[profile.pk].is_due
    with time_machine.travel(timezone.now() + timedelta(days=cadence, hours=1)):
        assert wellbeing.checkins_due([profile])[profile.pk].is_due


def test_no_checkin_is_due_while_in_training(world: World) -> None:
    profile = available_peer(world.programme_a)
    PeerProfile.objects.filter(pk=profile.pk).update(status=PeerProfile.Status.TRAINING)
    assert wellbeing.checkins_due([_fresh(profile)])[profile.pk].due_on is None


# ---------------------------------------------------------------------------------------
# The supervisor's review and alerts


def test_lifting_a_hold_needs_a_note_and_a_hold(world: World) -> None:
    profile = available_peer(world.programme_a)
    supervisor = user_of("supervisor")
    with pytest.raises(ValidationError):
        wellbeing.hold_release(profile=profile, actor=supervisor, note="Fine.")  # no hold
    wellbeing.cbi_checkin_record(profile=profile, answers=HIGH, actor=None)
    wellbeing.pulse_record(profile=profile, value=1, actor=None)
    with pytest.raises(ValidationError):
        wellbeing.hold_release(profile=profile, actor=supervisor, note="   ")
    with pytest.raises(ValidationError):
        wellbeing.hold_release(profile=profile, actor=supervisor, note="x" * 501)
    url = reverse("workforce:hold_release", args=[profile.pk])
    assert client_for("coordinator").post(url, {"note": "Not mine."}).status_code == 403
    assert client_of(profile).post(url, {"note": "I am fine."}).status_code == 403
    assert client_for("supervisor").post(url, {"note": ""}).status_code == 302
    assert _fresh(profile).capacity_hold
    wellbeing.hold_release(profile=profile, actor=supervisor, note="Agreed: rest this week.")
    assert not _fresh(profile).capacity_hold
    # Only the burnout alerts close with the review; the pulse alert stays open.
    assert _open_alerts(profile, WorkforceAlert.Kind.BURNOUT) == []
    assert len(_open_alerts(profile, WorkforceAlert.Kind.PULSE_LOW)) == 1


def test_resolving_an_alert_records_what_was_done(world: World) -> None:
    profile = available_peer(world.programme_a)
    wellbeing.pulse_record(profile=profile, value=1, actor=None)
    alert = _open_alerts(profile, WorkforceAlert.Kind.PULSE_LOW)[0]
    url = reverse("workforce:alert_resolve", args=[alert.pk])
    assert client_of(profile).post(url, {"resolution": "x"}).status_code == 403
    assert client_for("peer_other").post(url, {"resolution": "x"}).status_code == 403
    assert client_for("coordinator").post(url, {"resolution": "x"}).status_code == 403
    response = client_for("supervisor").post(url, {"resolution": "Phoned; doing better."})
    assert response.status_code == 302
    assert response["Location"] == reverse("workforce:profile", args=[profile.pk])
    alert.refresh_from_db()
    assert alert.resolved_at is not None and alert.resolution == "Phoned; doing better."
    assert alert.resolved_by == user_of("supervisor")
    assert AuditEvent.objects.filter(
        object_type="workforce.workforcealert", object_id=str(alert.pk), action="update"
    ).exists()
    api = _api(
        client_for("supervisor"),
        "post",
        f"/api/v1/workforce/alerts/{alert.pk}/resolve",
        {"resolution": "Again"},
    )
    assert api.status_code == 422  # already resolved


def test_resolving_a_burnout_alert_does_not_lift_the_hold(world: World) -> None:
    profile = available_peer(world.programme_a)
    wellbeing.cbi_checkin_record(profile=profile, answers=HIGH, actor=None)
    alert = _open_alerts(profile, WorkforceAlert.Kind.BURNOUT)[0]
    wellbeing.alert_close(alert=alert, actor=user_of("supervisor"), resolution="Seen.")
    assert reasons_for_match(_fresh(profile)) == {"burnt_out"}
    assert _fresh(profile).capacity_hold  # only hold_release lifts it


def test_alerts_list_shows_open_alerts_in_scope_only(world: World) -> None:
    mine = available_peer(world.programme_a)
    theirs = available_peer(world.programme_b, supervised=False)
    wellbeing.pulse_record(profile=mine, value=1, actor=None)
    wellbeing.pulse_record(profile=theirs, value=1, actor=None)
    ids = {
        row["profile_id"]
        for row in client_for("coordinator")
        .get("/api/v1/workforce/alerts?page_size=200")
        .json()["items"]
    }
    assert mine.pk in ids and theirs.pk not in ids
    assert client_of(mine).get("/api/v1/workforce/alerts").json()["count"] == 0


def test_burnout_scores_reach_supervisors_not_coordinators_through_alerts(
    world: World,
) -> None:
    profile = available_peer(world.programme_a)
    checkin = wellbeing.cbi_checkin_record(profile=profile, answers=HIGH, actor=None)
    pulse = wellbeing.pulse_record(profile=profile, value=1, actor=None)
    for alert in WorkforceAlert.objects.filter(profile=profile):
        # No score in the detail (ids may contain any digits: look for the number alone).
        assert "=" not in alert.detail and not re.search(r"\b75(\.0)?\b", alert.detail)

    def listed(persona: str) -> dict[str, dict[str, Any]]:
        rows = client_for(persona).get("/api/v1/workforce/alerts?page_size=200").json()["items"]
        return {row["kind"]: row for row in rows if row["profile_id"] == profile.pk}

    supervisor = listed("supervisor")
    assert supervisor["burnout"]["checkin"]["id"] == checkin.pk
    assert supervisor["burnout"]["checkin"]["work_score"] == 75.0
    assert supervisor["burnout"]["checkin"]["client_score"] == 50.0
    assert supervisor["pulse_low"]["checkin"]["pulse"] == 1
    assert supervisor["pulse_low"]["checkin"]["id"] == pulse.pk
    assert supervisor["burnout"]["may_resolve"] is True
    coordinator = listed("coordinator")
    assert set(coordinator) == {"burnout", "pulse_low"}  # they know an alert is open
    for row in coordinator.values():
        assert row["checkin"] is None and row["may_resolve"] is False
        assert not any(value in (75, "75") for value in row.values())
        assert "work" not in json.dumps(row)
    # The coordinator cannot resolve them (page and API); the supervisor can.
    for row in coordinator.values():
        url = f"/api/v1/workforce/alerts/{row['id']}/resolve"
        assert _api(client_for("coordinator"), "post", url, {"resolution": "x"}).status_code == 403
        page = reverse("workforce:alert_resolve", args=[row["id"]])
        assert client_for("coordinator").post(page, {"resolution": "x"}).status_code == 403
    assert len(_open_alerts(profile, WorkforceAlert.Kind.BURNOUT)) == 1
    url = f"/api/v1/workforce/alerts/{supervisor['pulse_low']['id']}/resolve"
    response = _api(client_for("supervisor"), "post", url, {"resolution": "Called; better."})
    assert response.status_code == 200, response.content
    assert response.json()["resolved_at"] is not None
    assert response.json()["checkin"]["pulse"] == 1


def test_coordinators_resolve_cover_alerts(world: World) -> None:
    profile = available_peer(world.programme_a)
    capacity_reserve(profile=profile, kind="match", reference="match:cover-c", actor=None)
    wellbeing.pause_start(profile=profile, actor=None, reason="unwell")
    [cover] = _open_alerts(profile, WorkforceAlert.Kind.COVER)
    row = next(
        r
        for r in client_for("coordinator")
        .get("/api/v1/workforce/alerts?page_size=200")
        .json()["items"]
        if r["id"] == cover.pk
    )
    assert row["may_resolve"] is True and row["checkin"] is None
    response = _api(
        client_for("coordinator"),
        "post",
        f"/api/v1/workforce/alerts/{cover.pk}/resolve",
        {"resolution": "Colleague covers."},
    )
    assert response.status_code == 200, response.content
    assert _open_alerts(profile, WorkforceAlert.Kind.COVER) == []
    panel = wellbeing.wellbeing_panel(user=user_of("coordinator"), profile=_fresh(profile))
    assert panel.alerts == []


def test_the_staff_wellbeing_panel(world: World) -> None:
    profile = available_peer(world.programme_a)
    wellbeing.cbi_checkin_record(profile=profile, answers=HIGH, actor=None)
    panel = wellbeing.wellbeing_panel(user=user_of("supervisor"), profile=_fresh(profile))
    assert panel.may_review and panel.may_resolve
    assert [a.alert.kind for a in panel.alerts] == ["burnout"] and len(panel.checkins) == 1
    assert panel.alerts[0].may_resolve and panel.alerts[0].checkin == panel.checkins[0]
    coordinator = wellbeing.wellbeing_panel(user=user_of("coordinator"), profile=_fresh(profile))
    assert not coordinator.may_review and coordinator.may_resolve
    assert coordinator.checkins == []
    [seen] = coordinator.alerts
    assert seen.alert.kind == "burnout" and not seen.may_resolve and seen.checkin is None
    from django.template.loader import render_to_string

    html = render_to_string("workforce/wellbeing_panel.html", {"panel": panel})
    assert reverse("workforce:hold_release", args=[profile.pk]) in html
    assert reverse("workforce:alert_resolve", args=[panel.alerts[0].alert.pk]) in html
    assert "work 75, people supported 50" in html
    html = render_to_string("workforce/wellbeing_panel.html", {"panel": coordinator})
    assert reverse("workforce:alert_resolve", args=[seen.alert.pk]) not in html
    assert "work 75" not in html and "people supported" not in html
    assert seen.alert.detail not in html  # not even the check-in's id
    assert "supervisor follows this up" in html


# ---------------------------------------------------------------------------------------
# Pausing


def _pause_url(profile: PeerProfile) -> str:
    return reverse("workforce:pause", args=[profile.pk])


def test_a_peer_pauses_themself_with_a_return_date_and_resumes(world: World) -> None:
    profile = available_peer(world.programme_a)
    peer = client_of(profile)
    assert peer.get(_pause_url(profile)).status_code == 200
    back = timezone.localdate() + timedelta(days=14)
    response = peer.post(
        _pause_url(profile), {"reason": "time_off", "paused_until": back.isoformat()}
    )
    assert response.status_code == 302
    paused = _fresh(profile)
    assert (paused.paused_from, paused.paused_until, paused.pause_reason) == (
        timezone.localdate(),
        back,
        "time_off",
    )
    assert reasons_for_match(paused) == {"paused"}
    assert AuditEvent.objects.filter(
        object_type="workforce.peerprofile", object_id=str(profile.pk), action="update"
    ).exists()
    assert not WorkforceAlert.objects.filter(profile=profile).exists()  # no one to cover
    page = peer.get(_pause_url(profile)).content.decode()
    assert "Resume now" in page
    response = peer.post(_pause_url(profile), {"action": "resume"})
    assert response.status_code == 302
    assert reasons_for_match(_fresh(profile)) == set()
    assert _fresh(profile).paused_until == timezone.localdate()  # the record stays


def test_a_peer_cannot_pause_themself_for_review_but_the_coordinator_can(world: World) -> None:
    profile = available_peer(world.programme_a)
    response = client_of(profile).post(_pause_url(profile), {"reason": "review"})
    assert response.status_code == 422
    with pytest.raises(ValidationError):
        wellbeing.pause_start(profile=profile, actor=None, reason="review")
    assert _fresh(profile).paused_from is None
    assert "review" in client_for("coordinator").get(_pause_url(profile)).content.decode()
    response = client_for("coordinator").post(_pause_url(profile), {"reason": "review"})
    assert response.status_code == 302
    assert _fresh(profile).pause_reason == "review"
    assert (
        client_for("supervisor").post(_pause_url(profile), {"reason": "review"}).status_code == 403
    )


def _review_pause(profile: PeerProfile, **dates: Any) -> None:
    wellbeing.pause_start(
        profile=profile, actor=user_of("coordinator"), reason="review", by_staff=True, **dates
    )


@pytest.mark.parametrize("planned", [False, True])
def test_only_the_programme_ends_or_changes_a_pause_for_review(world: World, planned: bool) -> None:
    profile = available_peer(world.programme_a)
    start = timezone.localdate() + timedelta(days=3 if planned else 0)
    _review_pause(profile, paused_from=start)
    peer = client_of(profile)
    api = f"/api/v1/workforce/profiles/{profile.pk}"
    # The peer can neither resume nor replace it: page, API and service.
    assert peer.post(_pause_url(profile), {"action": "resume"}).status_code == 403
    assert peer.post(_pause_url(profile), {"reason": "time_off"}).status_code == 403
    assert _api(peer, "post", f"{api}/resume").status_code == 403
    assert _api(peer, "post", f"{api}/pause", {"reason": "time_off"}).status_code == 403
    with pytest.raises(PermissionDenied):
        wellbeing.pause_end(profile=profile, actor=profile.person.user)
    with pytest.raises(PermissionDenied):
        wellbeing.pause_start(profile=profile, actor=profile.person.user, reason="personal")
    still = _fresh(profile)
    assert (still.pause_reason, still.paused_from, still.paused_until) == ("review", start, None)
    # The peer's pages say so and offer no way out.
    page = peer.get(_pause_url(profile))
    assert page.status_code == 200
    html = page.content.decode()
    assert "paused you for a review" in html
    assert 'value="resume"' not in html and 'name="reason"' not in html
    assert "paused you for a review" in peer.get(reverse("workforce:me")).content.decode()
    # The coordinator (WORKFORCE_MANAGE) ends it.
    coordinator_page = client_for("coordinator").get(_pause_url(profile)).content.decode()
    assert 'value="resume"' in coordinator_page
    response = _api(client_for("coordinator"), "post", f"{api}/resume")
    assert response.status_code == 200, response.content
    assert not wellbeing.under_review(_fresh(profile))
    # Once the review is over, the peer pauses themself again as usual.
    assert _api(peer, "post", f"{api}/pause", {"reason": "time_off"}).status_code == 200


def test_staff_may_replace_a_pause_for_review(world: World) -> None:
    profile = available_peer(world.programme_a)
    _review_pause(profile)
    response = client_for("coordinator").post(_pause_url(profile), {"reason": "unwell"})
    assert response.status_code == 302
    assert _fresh(profile).pause_reason == "unwell"
    # And the peer may now end their own pause.
    assert client_of(profile).post(_pause_url(profile), {"action": "resume"}).status_code == 302


def test_a_return_date_lies_within_two_years(world: World) -> None:
    profile = available_peer(world.programme_a)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        wellbeing.pause_start(
            profile=profile,
            actor=None,
            reason="time_off",
            paused_until=today + wellbeing.RETURN_HORIZON + timedelta(days=1),
        )
    assert "paused_until" in refused.value.message_dict
    url = f"/api/v1/workforce/profiles/{profile.pk}/pause"
    response = _api(
        client_of(profile), "post", url, {"reason": "time_off", "paused_until": "9999-12-31"}
    )
    assert response.status_code == 422
    assert "paused_until" in response.json()["error"]["fields"]
    page = client_of(profile).post(
        _pause_url(profile), {"reason": "time_off", "paused_until": "9999-12-31"}
    )
    assert page.status_code == 422
    assert _fresh(profile).paused_from is None
    wellbeing.pause_start(
        profile=profile,
        actor=None,
        reason="time_off",
        paused_until=today + wellbeing.RETURN_HORIZON,
    )
    assert _fresh(profile).paused_until == today + wellbeing.RETURN_HORIZON


def test_pause_dates_are_checked(world: World) -> None:
    profile = available_peer(world.programme_a)
    today = timezone.localdate()
    for start, until in (
        (today - timedelta(days=1), None),
        (today, today),
        (today + timedelta(days=5), today + timedelta(days=2)),
        (today + timedelta(days=400), None),
    ):
        with pytest.raises(ValidationError):
            wellbeing.pause_start(
                profile=profile, actor=None, reason="unwell", paused_from=start, paused_until=until
            )
    with pytest.raises(ValidationError):
        wellbeing.pause_start(profile=profile, actor=None, reason="holiday")
    with pytest.raises(ValidationError):
        wellbeing.pause_end(profile=profile, actor=None)  # not paused


def test_a_planned_pause_starts_later_and_can_be_called_off(world: World) -> None:
    profile = available_peer(world.programme_a)
    start = timezone.localdate() + timedelta(days=7)
    wellbeing.pause_start(profile=profile, actor=None, reason="personal", paused_from=start)
    assert reasons_for_match(_fresh(profile)) == set()
    assert reasons_for_match(_fresh(profile)) == set()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert reasons_for_match(_fresh(profile)) == {"paused"}
    wellbeing.pause_end(profile=profile, actor=None)
    called_off = _fresh(profile)
    assert (called_off.paused_from, called_off.pause_reason) == (None, "")


def test_pausing_a_peer_with_people_surfaces_them_for_cover(world: World) -> None:
    profile = available_peer(world.programme_a)
    capacity_reserve(profile=profile, kind="match", reference="match:cover-1", actor=None)
    capacity_reserve(profile=profile, kind="match", reference="match:cover-2", actor=None)
    response = _api(
        client_of(profile),
        "post",
        f"/api/v1/workforce/profiles/{profile.pk}/pause",
        {"reason": "unwell"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["paused"] is True and response.json()["needs_cover"] is True
    cover = _open_alerts(profile, WorkforceAlert.Kind.COVER)
    assert len(cover) == 1
    assert cover[0].detail.startswith("matches=2 groups=0 from=")
    assert standing(_fresh(profile)).needs_cover
    # Changing the pause does not repeat the alert; resuming resolves it.
    wellbeing.pause_start(profile=_fresh(profile), actor=None, reason="time_off")
    assert len(_open_alerts(profile, WorkforceAlert.Kind.COVER)) == 1
    response = _api(
        client_for("coordinator"), "post", f"/api/v1/workforce/profiles/{profile.pk}/resume"
    )
    assert response.status_code == 200 and response.json()["paused"] is False
    assert _open_alerts(profile, WorkforceAlert.Kind.COVER) == []


def test_someone_else_cannot_pause_a_peer(world: World) -> None:
    profile = available_peer(world.programme_a)
    other = available_peer(world.programme_a)
    assert client_of(other).post(_pause_url(profile), {"reason": "time_off"}).status_code == 404
    assert client_for("peer_other").get(_pause_url(profile)).status_code == 404
    assert _fresh(profile).paused_from is None


# ---------------------------------------------------------------------------------------
# Capacity and availability


def _capacity_url(profile: PeerProfile) -> str:
    return reverse("workforce:capacity", args=[profile.pk])


def _window_post(rows: list[dict[str, str]], initial: int = 0, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "window-TOTAL_FORMS": str(len(rows)),
        "window-INITIAL_FORMS": str(initial),
        "window-MIN_NUM_FORMS": "0",
        "window-MAX_NUM_FORMS": "50",
        **extra,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"window-{i}-{key}"] = value
    return data


def test_staff_set_the_peers_capacity_and_see_the_load(world: World) -> None:
    profile = available_peer(world.programme_a)
    capacity_reserve(profile=profile, kind="match", reference="match:load-1", actor=None)
    coordinator = client_for("coordinator")
    page = coordinator.get(_capacity_url(profile)).content.decode()
    assert "Supporting 1 of 5 people." in page
    assert 'name="max_matches"' in page
    data = _window_post(
        [{"day": "", "start": "", "end": ""}],
        max_matches="3",
        max_groups="2",
        modalities=["telephone"],
    )
    response = coordinator.post(_capacity_url(profile), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = _fresh(profile)
    assert (saved.max_matches, saved.max_groups, saved.modalities) == (3, 2, ["telephone"])
    assert standing(saved).remaining_matches == 2


def test_a_peer_edits_availability_but_cannot_raise_their_own_max(world: World) -> None:
    profile = available_peer(world.programme_a)
    peer = client_of(profile)
    page = peer.get(_capacity_url(profile)).content.decode()
    assert 'name="max_matches"' not in page
    assert page.count('name="window-') >= 3 * 3  # empty rows to add slots without JavaScript
    data = _window_post(
        [
            {"day": "0", "start": "18:00", "end": "20:00"},
            {"day": "5", "start": "09:30", "end": "12:00"},
            {"day": "", "start": "", "end": ""},
        ],
        max_matches="50",
        modalities=["telephone", "in_person"],
    )
    response = peer.post(_capacity_url(profile), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = _fresh(profile)
    assert saved.max_matches == 5
    assert saved.availability == [
        {"day": 0, "start": "18:00", "end": "20:00"},
        {"day": 5, "start": "09:30", "end": "12:00"},
    ]
    # Remove the Monday slot.
    data = _window_post(
        [
            {"day": "0", "start": "18:00", "end": "20:00", "DELETE": "on"},
            {"day": "5", "start": "09:30", "end": "12:00"},
        ],
        initial=2,
        modalities=["telephone"],
    )
    assert peer.post(_capacity_url(profile), data).status_code == 302
    assert _fresh(profile).availability == [{"day": 5, "start": "09:30", "end": "12:00"}]
    api = _api(
        peer, "patch", f"/api/v1/workforce/profiles/{profile.pk}/capacity", {"max_matches": 50}
    )
    assert api.status_code == 403
    assert _fresh(profile).max_matches == 5


@pytest.mark.parametrize(
    "row",
    [
        {"day": "0", "start": "20:00", "end": "18:00"},
        {"day": "0", "start": "18:00", "end": ""},
        {"day": "9", "start": "18:00", "end": "19:00"},
        {"day": "0", "start": "25:00", "end": "26:00"},
    ],
)
def test_bad_availability_windows_are_refused(world: World, row: dict[str, str]) -> None:
    profile = available_peer(world.programme_a)
    response = client_of(profile).post(
        _capacity_url(profile), _window_post([row], modalities=["telephone"])
    )
    assert response.status_code == 422
    assert _fresh(profile).availability == []


def test_capacity_through_the_api(world: World) -> None:
    profile = available_peer(world.programme_a)
    url = f"/api/v1/workforce/profiles/{profile.pk}/capacity"
    response = _api(client_for("coordinator"), "patch", url, {"max_matches": 2, "max_groups": 0})
    assert response.status_code == 200, response.content
    assert (response.json()["max_matches"], response.json()["max_groups"]) == (2, 0)
    windows = [{"day": 2, "start": "10:00", "end": "11:30"}]
    response = _api(client_of(profile), "patch", url, {"availability": windows})
    assert response.status_code == 200 and response.json()["availability"] == windows
    offered = world.programme_a.modalities
    response = _api(client_of(profile), "patch", url, {"modalities": offered[:1]})
    assert response.status_code == 200 and response.json()["modalities"] == offered[:1]
    other = [m for m in ("telephone", "in_person", "video", "text") if m not in offered][0]
    response = _api(client_of(profile), "patch", url, {"modalities": [other]})
    assert response.status_code == 422
    assert "modalities" in response.json()["error"]["fields"]
    assert _api(client_for("supervisor"), "patch", url, {"availability": []}).status_code == 403


# ---------------------------------------------------------------------------------------
# The peer's own page


def test_my_page_shows_where_i_am_and_what_to_do_at_a_glance(world: World) -> None:
    profile = available_peer(world.programme_a)
    Announcement.objects.create(
        programme=world.programme_a,
        title="Team news for A",
        body="Hello.",
        published_by=user_of("coordinator"),
    )
    soon = timezone.now() + timedelta(days=3)
    event = TeamEvent.objects.create(
        programme=world.programme_a,
        kind="team_meeting",
        title="Monthly peer meeting",
        starts_at=soon,
        ends_at=soon + timedelta(hours=1),
    )
    response = client_of(profile).get(reverse("workforce:me"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert html.count("<h2") == 1  # one section per programme
    assert html.count("<h3") <= 3
    assert world.programme_a.name in html
    assert "Available" in html and "You can be matched with someone new." in html
    assert reverse("workforce:checkin", args=[profile.pk]) in html
    assert "Your burnout check-in is due." in html
    assert html.count('name="value"') == 5  # the pulse, one tap each
    assert reverse("workforce:pause", args=[profile.pk]) in html
    assert reverse("workforce:capacity", args=[profile.pk]) in html
    assert "Team news for A" in html and "Monthly peer meeting" in html
    assert reverse("workforce:event", args=[event.pk]) in html


def test_my_page_after_a_high_checkin_says_why_no_new_matches(world: World) -> None:
    profile = available_peer(world.programme_a)
    wellbeing.cbi_checkin_record(profile=profile, answers=HIGH, actor=None)
    html = client_of(profile).get(reverse("workforce:me")).content.decode()
    assert "No new matches for now: your supervisor will talk with you first." in html
    assert "Your burnout check-in is due." not in html


def test_my_page_reads_in_a_fixed_number_of_queries(world: World) -> None:
    profile = available_peer(world.programme_a)
    peer = client_of(profile)
    peer.get(reverse("workforce:me"))  # warm the session

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert peer.get(reverse("workforce:me")).status_code == 200
        return len(queries)

    one = count()
    assert one <= 30
    for n in range(8):
        Announcement.objects.create(
            programme=world.programme_a,
            title=f"News {n}",
            body="Hello.",
            published_by=user_of("coordinator"),
        )
        wellbeing.pulse_record(profile=profile, value=3, actor=None)
    profile_open(
        person=profile.person,
        programme=world.programme_b,
        actor=None,
        status=PeerProfile.Status.ACTIVE,
    )
    assert count() == one


def test_staff_do_not_have_a_peer_page(world: World) -> None:
    assert client_for("coordinator").get(reverse("workforce:me")).status_code == 403
