"""The support demo's safety: settings with crisis resources and this week's on-call
shift, risk flags in each state, and three incidents."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from peerbridge.matching.models import Match
from peerbridge.safety import configuration as safety_configuration
from peerbridge.safety.escalation import escalate_overdue
from peerbridge.safety.incidents import incident_close, incident_log
from peerbridge.safety.models import FlagEvent, Incident, RiskFlag, Severity
from peerbridge.safety.services import flag_acknowledge, flag_raise, flag_resolve
from peerbridge.support.models import Contact
from peerbridge.web.demo_support_scene import Scene, day_delta, match_actor, working_matches

CRISIS_RESOURCES = (
    "Crisis line (demo) 0800 000 000, day and night\n"
    "Emergency services (demo) 999\n"
    "Text SHOUT to 85258 (demo text line)"
)
OPEN_HIGH_FLAGS = "aeh"  # programmes with a high flag waiting, near its deadline


# ---------------------------------------------------------------------------------------
# Safety settings and the rota


def safety_settings(scene: Scene, letter: str) -> None:
    programme = scene.programmes[letter]
    leader = scene.user(f"leader.{letter}")
    safety_configuration.settings_update(
        programme=programme,
        data={
            "crisis_resources": CRISIS_RESOURCES,
            "working_weekdays": [1, 2, 3, 4, 5],
            "on_call": scene.user(f"supervisor.{letter}"),
        },
        actor=leader,
    )
    on_call = scene.user(f"oncall.{letter}")
    if on_call is None:
        return
    local = timezone.localtime(scene.now)
    monday = (local - day_delta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    safety_configuration.shift_add(
        programme=programme,
        user=on_call,
        starts_at=monday,
        ends_at=monday + day_delta(days=7),
        actor=leader,
    )


# ---------------------------------------------------------------------------------------
# Risk flags


FLAG_TEXTS = {
    "open": "Said on the call tonight that they cannot see a way forward.",
    "acknowledged": "Has stopped going out and sounds very low.",
    "resolved": "Mentioned a partner shouting during calls; said they felt unsafe.",
    "escalated": "Missed two appointments and has not answered since.",
}


def _retime_flag(flag: RiskFlag, raised: datetime.datetime, *, handled: float = 0.4) -> None:
    """Put a flag raised just now at `raised`, its deadline with it; it was
    acknowledged and resolved `handled` of the way to the deadline (and later)."""
    row = RiskFlag.objects.get(pk=flag.pk)
    shift = row.raised_at - raised
    deadline = row.acknowledge_by - shift
    acknowledged = raised + (deadline - raised) * handled
    changes: dict[str, Any] = {"raised_at": raised, "acknowledge_by": deadline}
    if row.acknowledged_at is not None:
        changes["acknowledged_at"] = acknowledged
    if row.resolved_at is not None:
        changes["resolved_at"] = acknowledged + day_delta(hours=3)
    RiskFlag.objects.filter(pk=flag.pk).update(**changes)
    kinds = {
        FlagEvent.Kind.ACKNOWLEDGED: changes.get("acknowledged_at"),
        FlagEvent.Kind.RESOLVED: changes.get("resolved_at"),
    }
    for event in FlagEvent.objects.filter(flag=flag):
        event.at = kinds.get(FlagEvent.Kind(event.kind)) or raised
        event.save(update_fields=["at"])


def _flag_targets(scene: Scene, letter: str) -> list[tuple[Match, Contact | None]]:
    """Each match with its latest contact that connected (a flag is raised from it):
    matches with one first, the persona peer's first among them (so peer.X sees a
    flag on their home)."""
    peer = scene.user(f"peer.{letter}")
    matches = [m for m in working_matches(scene) if m.programme_id == scene.programmes[letter].pk]
    found: list[tuple[Match, Contact | None]] = []
    for match in matches:
        spoke = [c for c in scene.contacts.get(match.pk, []) if c.connected]
        found.append((match, max(spoke, key=lambda c: c.occurred_at) if spoke else None))
    found.sort(
        key=lambda pair: (
            pair[1] is None,
            peer is None or pair[0].profile.person.user_id != peer.pk,
            pair[0].pk,
        )
    )
    return found


def raise_flags(scene: Scene) -> None:
    """In each programme: a medium flag acknowledged, a resolved one with the actions
    taken, one no one acknowledged in time (escalated to the leader by the scan), and
    in three, an open high flag raised from a contact 40 minutes ago."""
    overdue: list[RiskFlag] = []
    for letter, programme in scene.programmes.items():
        targets = _flag_targets(scene, letter)
        on_call = scene.user(f"oncall.{letter}") or scene.coordinator(letter)
        plans = [
            ("acknowledged", Severity.MEDIUM, scene.ago(1.2)),
            ("resolved", Severity.HIGH, scene.ago(9)),
            ("escalated", Severity.MEDIUM, scene.ago(4)),
        ]
        if letter in OPEN_HIGH_FLAGS:
            plans.insert(0, ("open", Severity.HIGH, scene.now - day_delta(minutes=40)))
        for (state, severity, raised), (match, contact) in zip(plans, targets, strict=False):
            actor = match_actor(scene, match)
            source = RiskFlag.Source.CONTACT if contact is not None else RiskFlag.Source.STAFF
            flag = flag_raise(
                programme=programme,
                person=match.enrolment.person,
                severity=severity,
                summary=FLAG_TEXTS[state],
                source=source,
                raised_by=actor if contact is not None else scene.coordinator(letter),
                enrolment=match.enrolment,
                contact=contact,
            )
            handler = flag.assigned_to or on_call
            if state in ("acknowledged", "resolved"):
                flag = flag_acknowledge(flag=flag, actor=handler, note="Called them back.")
            if state == "resolved":
                flag = flag_resolve(
                    flag=flag,
                    actor=handler,
                    actions=["called_participant", "safety_plan_reviewed", "supported_peer"],
                    resolution="Spoke with them the same evening; safety plan agreed with "
                    "their key worker; the peer was debriefed.",
                )
            _retime_flag(flag, raised)
            if state == "escalated":
                overdue.append(flag)
    if overdue:
        escalate_overdue(now=scene.now)
        for flag in RiskFlag.objects.filter(pk__in=[f.pk for f in overdue]):
            late = flag.acknowledge_by + day_delta(minutes=5)
            RiskFlag.objects.filter(pk=flag.pk).update(escalated_at=late)
            FlagEvent.objects.filter(flag=flag, kind=FlagEvent.Kind.ESCALATED).update(at=late)


# ---------------------------------------------------------------------------------------
# Incidents and preferences


def log_incidents(scene: Scene) -> None:
    """A boundary incident (programme A), an adverse event (programme E) and an
    incident in an online group (programme B), the first closed with its outcome."""
    plans: list[tuple[str, dict[str, Any], str]] = [
        (
            "a",
            {
                "kind": Incident.Kind.BOUNDARY,
                "category": Incident.Category.OUT_OF_HOURS,
                "severity": Severity.LOW,
                "description": "The peer and participant have been texting late at night.",
                "immediate_action": "Talked through the agreed hours with the peer.",
            },
            "Reviewed in supervision; hours agreed again with both.",
        ),
        (
            "e",
            {
                "kind": Incident.Kind.ADVERSE_EVENT,
                "category": Incident.Category.HARM_TO_PEER,
                "severity": Severity.MEDIUM,
                "description": "The mentor found a visit hard after their own news at clinic.",
                "immediate_action": "Debrief the same day; no new matches for two weeks.",
            },
            "",
        ),
        (
            "b",
            {
                "kind": Incident.Kind.ONLINE_GROUP,
                "category": Incident.Category.HARMFUL_CONTENT,
                "severity": Severity.MEDIUM,
                "description": "A member posted a link to a harmful site in the chat.",
                "immediate_action": "The moderator removed it and messaged the member.",
            },
            "",
        ),
    ]
    for letter, data, outcome in plans:
        programme = scene.programmes.get(letter)
        if programme is None:
            continue
        match = next((m for m in working_matches(scene) if m.programme_id == programme.pk), None)
        data = {**data, "occurred_at": scene.ago(scene.rng.uniform(3, 12))}
        if data["kind"] == Incident.Kind.ONLINE_GROUP:
            if letter not in scene.online_groups:
                continue
            data["group"] = scene.online_groups[letter]
        elif match is not None:
            data["profile"] = match.profile
            if data["kind"] == Incident.Kind.BOUNDARY:
                data["enrolment"] = match.enrolment
        reporter = scene.user(f"supervisor.{letter}") or scene.coordinator(letter)
        incident = incident_log(programme=programme, reported_by=reporter, data=data)
        Incident.objects.filter(pk=incident.pk).update(
            reported_at=data["occurred_at"] + day_delta(hours=2)
        )
        if outcome:
            incident_close(incident=incident, actor=reporter, outcome=outcome)
