"""The support demo's contacts and goals: persona peers introduced, contacts at each
programme's cadence (one match in five stalled) and goals with their ratings."""

from __future__ import annotations

import datetime
from collections import defaultdict
from random import Random
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.matching import lifecycle
from peerbridge.matching.models import Match, MatchStatus, MatchStatusChange
from peerbridge.support.configuration import support_settings
from peerbridge.support.contact_selectors import CONTACT_STATUSES
from peerbridge.support.contacts import contact_log
from peerbridge.support.goals import goal_add, goal_rate
from peerbridge.support.models import Contact, Goal, GoalRating, Mode, Setting, SupportType
from peerbridge.web.demo_support_scene import (
    Scene,
    day_delta,
    letter_of,
    match_actor,
    working_matches,
)

M = MatchStatus
MAX_CONTACTS = 12  # per match: the oldest matches are thinned to about every few weeks
STALLED_EVERY = 5  # one match in five (by id, within each programme) has stalled
ATTEMPT_SHARE = 0.12  # a call that did not connect before a planned contact
NOTE_SHARE = 0.15
GOAL_SHARE = 0.5  # private notes, written only by the peer themself
MODES: dict[str, str] = {
    "telephone": Mode.PHONE,
    "in_person": Mode.IN_PERSON,
    "video": Mode.VIDEO,
    "text": Mode.TEXT,
}
IN_PERSON_SETTINGS: dict[str, tuple[str, ...]] = {
    "a": (Setting.COMMUNITY, Setting.HOME),
    "b": (Setting.COMMUNITY,),
    "c": (Setting.HOSPITAL, Setting.HOME),
    "d": (Setting.HOME,),
    "e": (Setting.HOSPITAL, Setting.CLINIC),
    "f": (Setting.CLINIC, Setting.HOME),
    "g": (Setting.COMMUNITY,),
    "h": (Setting.CLINIC, Setting.COMMUNITY),
}
TOPICS: dict[str, tuple[str, ...]] = {
    "a": ("housing", "benefits", "meetings", "work", "family", "cravings"),
    "b": ("family", "the course", "work", "sleep", "stigma"),
    "c": ("feeding", "sleep", "mood", "visitors", "going home"),
    "d": ("school", "therapies", "equipment", "siblings", "respite", "G-tube"),
    "e": ("clinic visits", "medication", "fatigue", "going back to work", "family"),
    "f": ("surgery", "reconstruction", "treatment", "family", "work"),
    "g": ("meals", "walking group", "weigh-in", "motivation"),
    "h": ("appointments", "medication", "disclosure", "housing", "stigma", "benefits"),
}
NEXT_STEPS = (
    "Call after the clinic appointment on Thursday.",
    "Meet at the community centre next week.",
    "Send the number of the advice line by text.",
    "Ask how the first week at home went.",
    "Go together to the benefits office.",
    "Talk about joining the group on Tuesday.",
)
PRIVATE_NOTES = (
    "Seemed more settled than last week.",
    "Came back twice to worries about money.",
    "Quiet today; we kept the call short.",
)
GOALS = (
    "Get to every clinic appointment this month",
    "Sleep through most nights",
    "Go back to work part time",
    "Feel able to talk to my family about it",
    "Walk to the shops and back on my own",
    "Sort out the housing forms",
)


# ---------------------------------------------------------------------------------------
# Contacts


def introduce_personas(scene: Scene) -> None:
    """A persona peer (peer.X) whose people are all still to be introduced has one
    introduced two days ago, so every peer login has someone to call."""
    for letter, programme in scene.programmes.items():
        peer = scene.user(f"peer.{letter}")
        mine = Match.objects.filter(programme=programme, profile__person__user=peer)
        if peer is None or mine.filter(status__in=CONTACT_STATUSES).exists():
            continue
        match = mine.filter(status=M.ACCEPTED).order_by("pk").first()
        if match is None or match.accepted_at is None:
            continue
        lifecycle.match_introduce(match, actor=scene.coordinator(letter))
        at = min(max(match.accepted_at + day_delta(hours=3), scene.ago(2)), scene.now)
        Match.objects.filter(pk=match.pk).update(introduced_at=at, status_changed_at=at)
        MatchStatusChange.objects.filter(match=match, to_status=M.INTRODUCED).update(changed_at=at)


def _moments(scene: Scene, match: Match, stalled: bool) -> list[datetime.datetime]:
    """When the contacts happened: the first at first contact, then at about the
    programme's cadence (thinned for long matches) up to a day or two ago, or up to
    well past the cadence for a stalled match."""
    start = match.first_contact_at
    if start is None:
        return []
    cadence = match.programme.contact_cadence_days
    grace = support_settings(match.programme).stall_grace_days
    if stalled:
        end = scene.ago(cadence + grace + scene.rng.uniform(2, 9))
    else:
        end = scene.ago(scene.rng.uniform(0.2, min(cadence - 1, 4)))
    if end <= start:
        return [start]
    count = min(MAX_CONTACTS, int((end - start) / day_delta(days=cadence)) + 1)
    if count <= 1:
        return [start]
    step = (end - start) / (count - 1)
    jitter = min(step / 4, day_delta(days=1))
    moments = [start]
    for number in range(1, count - 1):
        moments.append(start + step * number + jitter * scene.rng.uniform(-1, 1))
    return [*moments, end]


def _contact_data(
    scene: Scene, match: Match, at: datetime.datetime, *, connected: bool, last: bool, own: bool
) -> dict[str, Any]:
    rng = scene.rng
    letter = letter_of(scene, match.programme_id)
    modes = [MODES[m] for m in match.programme.modalities or [] if m in MODES] or [Mode.PHONE]
    mode = rng.choice(modes)
    setting: str = Setting.ONLINE
    if mode == Mode.IN_PERSON:
        setting = rng.choice(IN_PERSON_SETTINGS.get(letter, (Setting.COMMUNITY,)))
    data: dict[str, Any] = {
        "occurred_at": at,
        "connected": connected,
        "mode": mode,
        "setting": setting,
    }
    if not connected:
        data["next_step"] = "Try again tomorrow evening."
        return data
    types = list(SupportType.values)
    next_on = timezone.localdate(at) + day_delta(days=match.programme.contact_cadence_days)
    data.update(
        duration_minutes=rng.choice((15, 20, 30, 30, 45, 60, 90 if mode == Mode.IN_PERSON else 40)),
        travel_minutes=rng.choice((10, 20, 30)) if mode == Mode.IN_PERSON else 0,
        transport_provided=mode == Mode.IN_PERSON and letter in "ah" and rng.random() < 0.3,
        support_types=rng.sample(types, 5 if letter == "h" and rng.random() < 0.3 else 2),
        topics=rng.sample(TOPICS.get(letter, ("family",)), 2),
        next_step=rng.choice(NEXT_STEPS) if last or rng.random() < 0.4 else "",
        next_contact_on=next_on if last and next_on >= timezone.localdate(scene.now) else None,
    )
    if own and rng.random() < NOTE_SHARE:
        data["private_note"] = rng.choice(PRIVATE_NOTES)
    return data


def _log(scene: Scene, match: Match, actor: User, data: dict[str, Any]) -> None:
    try:
        contact = contact_log(match=match, actor=actor, data=data)
    except ValidationError:
        return  # a moment the match does not allow (before it was made): left out
    scene.contacts[match.pk].append(contact)


def log_contacts(scene: Scene) -> None:
    by_programme: dict[int, int] = defaultdict(int)
    for match in working_matches(scene):
        actor = match_actor(scene, match)
        own = match.profile.person.user_id == actor.pk
        if match.first_contact_at is None:  # introduced: a first call that did not connect
            if match.introduced_at is not None:
                at = min(match.introduced_at + day_delta(days=1), scene.ago(0.1))
                _log(
                    scene,
                    match,
                    actor,
                    _contact_data(scene, match, at, connected=False, last=True, own=own),
                )
            continue
        stalled = by_programme[match.programme_id] % STALLED_EVERY == 2
        by_programme[match.programme_id] += 1
        moments = _moments(scene, match, stalled)
        for index, at in enumerate(moments):
            if index and scene.rng.random() < ATTEMPT_SHARE:
                tried = at - day_delta(hours=scene.rng.uniform(20, 30))
                data = _contact_data(scene, match, tried, connected=False, last=False, own=own)
                _log(scene, match, actor, data)
            last = index == len(moments) - 1
            _log(
                scene,
                match,
                actor,
                _contact_data(scene, match, at, connected=True, last=last, own=own),
            )
    _retime_contacts(scene)


def _retime_contacts(scene: Scene) -> None:
    """Each contact was logged within hours of happening and locked after the
    programme's edit window."""
    windows = {
        p.pk: day_delta(hours=support_settings(p).edit_window_hours)
        for p in scene.programmes.values()
    }
    rows: list[Contact] = []
    for contacts in scene.contacts.values():
        for contact in contacts:
            logged = min(
                contact.occurred_at + day_delta(minutes=scene.rng.randint(10, 300)), scene.now
            )
            contact.created_at = contact.updated_at = logged
            contact.locked_at = logged + windows[contact.programme_id]
            rows.append(contact)
    Contact.objects.bulk_update(rows, ["created_at", "updated_at", "locked_at"], batch_size=500)


# ---------------------------------------------------------------------------------------
# Goals


def set_goals(scene: Scene) -> None:
    """Half the participants with a first contact set a goal (some two) a week or two
    in, rated 2 to 5 times since (with the peer), mostly rising."""
    for match in working_matches(scene):
        start = match.first_contact_at
        if start is None or scene.rng.random() > GOAL_SHARE:
            continue
        actor = match_actor(scene, match)
        for text in scene.rng.sample(GOALS, scene.rng.choice((1, 1, 1, 2))):
            set_at = min(start + day_delta(days=scene.rng.uniform(3, 14)), scene.ago(1))
            goal = goal_add(enrolment=match.enrolment, actor=actor, text=text)
            Goal.objects.filter(pk=goal.pk).update(created_at=set_at)
            goal.created_at = set_at
            _ratings(scene, goal, actor, set_at)


def _ratings(scene: Scene, goal: Goal, actor: User, set_at: datetime.datetime) -> None:
    first = timezone.localdate(set_at)
    days = (timezone.localdate(scene.now) - first).days
    count = min(scene.rng.randint(2, 5), days + 1)
    made: list[GoalRating] = []
    for number, rating in enumerate(_rating_path(scene.rng, count)):
        on = first + day_delta(days=round(days * number / max(count - 1, 1)))
        made.append(goal_rate(goal=goal, actor=actor, rating=rating, rated_on=on))
    for row in made:
        afternoon = timezone.make_aware(datetime.datetime.combine(row.rated_on, datetime.time(15)))
        row.recorded_at = min(max(afternoon, set_at), scene.now)
    GoalRating.objects.bulk_update(made, ["recorded_at"])


def _rating_path(rng: Random, count: int) -> list[int]:
    """GBO ratings over time: from 1-4, up by 0 to 3 or down by 1 each time; most end
    higher than they started (one in eight stays level or falls back)."""
    ratings = [rng.randint(1, 4)]
    for _ in range(count - 1):
        ratings.append(max(0, min(10, ratings[-1] + rng.choice((-1, 0, 1, 1, 2, 2, 3)))))
    if ratings[-1] <= ratings[0] and rng.random() < 7 / 8:
        ratings[-1] = min(10, ratings[0] + rng.randint(1, 3))
    return ratings
