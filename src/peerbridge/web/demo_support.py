"""The demo's support and safety (issue 6): for every working match, the contacts since
first contact at the programme's cadence (modes, settings, the five types of support,
topics, attempts that did not connect, next steps, a few private notes), one match in
five stalled; goals with Goal-Based Outcomes ratings, mostly rising; in the programmes
that run groups, a course of 6 to 8 sessions with attendance and a waiting list and/or a
moderated online mutual support group; safety settings with crisis resources (fictional
numbers), this week's on-call rota (the oncall.X login); in every programme a flag
acknowledged, one resolved with its actions and one escalated to the leader, and in
three an open high flag near its deadline; three incidents (boundary, adverse event,
online group); notification preferences for a few logins. Persona peers whose people
were all still to be introduced get one introduced, so every peer.X has someone to call.

Everything goes through the services (so it is checked and audited as in use), then is
put back at the moment it happened: contacts, goals and ratings, group members,
attendance and flags. The playbooks are scanned again at the end, so stalled matches
have their work item. Loaded once by load_demo() after matching; seeded, synthetic.
This module is the entry point (and the notification preferences); the parts are in
demo_support_contacts, _groups and _safety, sharing demo_support_scene."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from random import Random

from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.followups.scan import scan
from peerbridge.notifications.services import preference_update
from peerbridge.organisations.models import Organisation, Programme, Site
from peerbridge.safety.models import OnCallShift
from peerbridge.web.demo_cohorts import SEED
from peerbridge.web.demo_support_contacts import introduce_personas, log_contacts, set_goals
from peerbridge.web.demo_support_groups import run_groups
from peerbridge.web.demo_support_safety import log_incidents, raise_flags, safety_settings
from peerbridge.web.demo_support_scene import Scene

# ---------------------------------------------------------------------------------------
# Entry point


def demo_support_loaded(programmes: Iterable[Programme]) -> bool:
    """Loaded once: an on-call shift in the demo programmes marks it."""
    return OnCallShift.objects.filter(programme__in=list(programmes)).exists()


def load_demo_support_for(
    *,
    organisation: Organisation,
    programmes: dict[str, Programme],
    staff: dict[str, User],
    sites: dict[str, Site],
) -> None:
    """Called by load_demo() after matching: support and safety, once."""
    del organisation, sites  # the same signature as the other demo loaders
    if not programmes or demo_support_loaded(programmes.values()):
        return
    scene = Scene(
        programmes=programmes,
        staff=staff,
        now=timezone.now(),
        rng=Random(SEED + 6),  # noqa: S311  (seeded demo data, not security)
    )
    for letter in programmes:
        safety_settings(scene, letter)
    introduce_personas(scene)
    log_contacts(scene)
    set_goals(scene)
    for letter in programmes:
        run_groups(scene, letter)
    raise_flags(scene)
    log_incidents(scene)
    _preferences(scene)
    scan(today=timezone.localdate(scene.now))


def _preferences(scene: Scene) -> None:
    """Some people say how they like to be reached: email first with quiet hours, text
    messages first, in PeerBridge only, or no daily digest."""
    wishes: list[tuple[str, list[str], datetime.time | None, datetime.time | None, bool]] = [
        ("peer.a", ["sms", "email"], datetime.time(21), datetime.time(8), True),
        ("peer.h", ["sms"], datetime.time(22), datetime.time(7), True),
        ("coordinator.a", ["email"], None, None, True),
        ("coordinator.d", ["email", "sms"], datetime.time(20), datetime.time(7, 30), True),
        ("supervisor.b", [], None, None, False),
        ("oncall.a", ["sms", "email"], None, None, False),
        ("participant.h", ["sms"], datetime.time(21, 30), datetime.time(9), False),
    ]
    for local, channels, quiet_from, quiet_until, digest in wishes:
        user = scene.user(local)
        if user is None:
            continue
        preference_update(
            user=user,
            channels=channels,
            quiet_from=quiet_from,
            quiet_until=quiet_until,
            daily_digest=digest,
        )
