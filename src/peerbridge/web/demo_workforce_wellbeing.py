"""The demo workforce's wellbeing and team life, per programme: burnout check-ins (the
CBI's work and client parts, scored by the instrument's own code from generated
answers), pulses, the hold and alert a high check-in or a struggling pulse raises, and
the team calendar and announcements."""

from __future__ import annotations

import datetime
from random import Random

from peerbridge.core.audit import Action
from peerbridge.core.models import User
from peerbridge.instruments import Instrument, Item, Score, get_instrument, score
from peerbridge.web.demo_identities import Demo, weighted
from peerbridge.web.demo_workforce_peers import Intakes, Peer, Plan, at, audit_created
from peerbridge.workforce.models import (
    Announcement,
    PeerProfile,
    TeamEvent,
    WellbeingCheckIn,
    WorkforceAlert,
)
from peerbridge.workforce.selectors import workforce_settings
from peerbridge.workforce.wellbeing import CHECKIN_PARTS, INSTRUMENT

days = datetime.timedelta
CHECKINS_KEPT = 4  # burnout check-ins back from today, at the programme's cadence
PULSES = {2: 1, 3: 3, 4: 4, 5: 2}  # a struggling pulse (1) only for those who raise it


# ---------------------------------------------------------------------------------------
# Wellbeing


class CheckIns:
    """Burnout check-ins drawn at a level (0 none to 100 constant burnout): answers
    scatter around it and are scored by the instrument; a draw that lands on the wrong
    side of the threshold is drawn again a little further from it."""

    def __init__(self, rng: Random, threshold: int) -> None:
        self.rng = rng
        self.threshold = threshold
        self.instrument: Instrument = get_instrument(INSTRUMENT)
        self.items: list[Item] = self.instrument.items_of(CHECKIN_PARTS)
        self.reverse = {
            item for code in CHECKIN_PARTS for item in self.instrument.scale(code).reverse
        }

    def _answers(self, level: float) -> dict[str, int]:
        answers: dict[str, int] = {}
        for item in self.items:
            raw = min(100.0, max(0.0, self.rng.gauss(level, 18)))
            value = int(round(raw / 25) * 25)
            answers[item.id] = 100 - value if item.id in self.reverse else value
        if self.rng.random() < 0.1:  # now and then a question left unanswered
            del answers[self.rng.choice(sorted(answers))]
        return answers

    def is_high(self, result: Score) -> bool:
        return any(
            value is not None and value >= self.threshold
            for value in (result.value(code) for code in CHECKIN_PARTS)
        )

    def draw(self, level: float, *, high: bool) -> tuple[dict[str, int], Score]:
        for _attempt in range(40):
            answers = self._answers(level)
            result = score(self.instrument, answers, scales=CHECKIN_PARTS)
            if self.is_high(result) == high:
                return answers, result
            level += 5 if high else -5
        raise RuntimeError("No CBI draw on the wanted side of the threshold.")

    def row(
        self, profile: PeerProfile, when: datetime.datetime, level: float, *, high: bool
    ) -> WellbeingCheckIn:
        answers, result = self.draw(level, high=high)
        return WellbeingCheckIn(
            profile=profile,
            kind=WellbeingCheckIn.Kind.CBI,
            answers=answers,
            instrument_version=result.version,
            work_score=result.value("work"),
            client_score=result.value("client"),
            high=self.is_high(result),
            completed_at=when,
        )


def _moment(rng: Random, day: datetime.date) -> datetime.datetime:
    return at(day, rng.randint(8, 21), rng.choice((0, 15, 30, 45)))


def _cbi_history(
    demo: Demo, checkins: CheckIns, peer: Peer, profile: PeerProfile, cadence: int
) -> list[WellbeingCheckIn]:
    """The peer's recent burnout check-ins, newest first: low for most; for a peer on
    hold, a rise to a high one at the latest. Some are due for their next one."""
    rng, today = demo.rng, demo.now.date()
    burnt_out = peer.plan == Plan.BURNOUT
    base = rng.uniform(8, 32)
    skip = 0 if burnt_out or rng.random() > 0.15 else 1
    rows: list[WellbeingCheckIn] = []
    for j in range(skip, CHECKINS_KEPT):
        day = today - days(cadence * j + rng.randint(1, 6))
        if peer.activated is None or day < peer.activated:
            break
        high = burnt_out and j == 0
        level = rng.uniform(66, 80) if high else base + rng.gauss(0, 5) + (14 * burnt_out)
        rows.append(checkins.row(profile, _moment(rng, day), level, high=high))
    return rows


def _pulses(demo: Demo, peer: Peer, profile: PeerProfile) -> list[WellbeingCheckIn]:
    rng, today = demo.rng, demo.now.date()
    rows = [
        WellbeingCheckIn(
            profile=profile,
            kind=WellbeingCheckIn.Kind.PULSE,
            pulse=weighted(rng, PULSES),
            completed_at=_moment(rng, today - days(rng.randint(5, 45))),
        )
        for _ in range(rng.choice((0, 0, 1, 2)))
    ]
    if peer.plan == Plan.PULSE_LOW:
        rows.append(
            WellbeingCheckIn(
                profile=profile,
                kind=WellbeingCheckIn.Kind.PULSE,
                pulse=WellbeingCheckIn.Pulse.STRUGGLING,
                completed_at=demo.days_ago(0.2, 4),
            )
        )
    return rows


def _alert(profile: PeerProfile, checkin: WellbeingCheckIn) -> WorkforceAlert:
    """The alert the check-in service raises: the check-in's id, never its scores."""
    kind = (
        WorkforceAlert.Kind.PULSE_LOW
        if checkin.kind == WellbeingCheckIn.Kind.PULSE
        else WorkforceAlert.Kind.BURNOUT
    )
    return WorkforceAlert(
        profile=profile,
        kind=kind,
        detail=f"check-in {checkin.pk}",
        created_at=checkin.completed_at,
    )


def load_wellbeing(demo: Demo, letter: str, peers: list[Peer]) -> None:
    rules = workforce_settings(demo.programmes[letter])
    checkins = CheckIns(demo.rng, rules.burnout_threshold)
    rows: list[tuple[User | None, WellbeingCheckIn]] = []
    raising: list[tuple[User | None, PeerProfile, WellbeingCheckIn]] = []
    held: list[tuple[User | None, PeerProfile]] = []
    for peer in peers:
        profile = peer.profile
        if profile is None or profile.status != PeerProfile.Status.ACTIVE:
            continue
        mine = _cbi_history(demo, checkins, peer, profile, rules.checkin_cadence_days)
        mine += _pulses(demo, peer, profile)
        rows += [(peer.user, row) for row in mine]
        raised = [row for row in mine if row.high or row.pulse == WellbeingCheckIn.Pulse.STRUGGLING]
        # One open alert per kind: the newest check-in of each kind raises it.
        newest: dict[str, WellbeingCheckIn] = {}
        for row in sorted(raised, key=lambda r: r.completed_at):
            newest[row.kind] = row
        raising += [(peer.user, profile, row) for row in newest.values()]
        high = [row for row in mine if row.high]
        if high:
            profile.capacity_hold, profile.capacity_hold_since = True, high[0].completed_at
            held.append((peer.user, profile))
    WellbeingCheckIn.objects.bulk_create([row for _actor, row in rows])
    alerts = [(actor, _alert(profile, row)) for actor, profile, row in raising]
    WorkforceAlert.objects.bulk_create([alert for _actor, alert in alerts])
    PeerProfile.objects.bulk_update(
        [profile for _actor, profile in held], ["capacity_hold", "capacity_hold_since"]
    )
    audit_created(rows)
    audit_created(alerts)
    audit_created(held, action=Action.UPDATE)


# ---------------------------------------------------------------------------------------
# The team: calendar and announcements


EVENTS = (
    # kind, title, days from today (low, high), hour, minutes long, description
    (TeamEvent.Kind.TEAM_MEETING, "Team meeting", (-20, -10), 18, 90, "News, cases, questions."),
    (
        TeamEvent.Kind.CELEBRATION,
        "Thank-you evening for our peer supporters",
        (-70, -40),
        18,
        120,
        "Food, certificates for those who passed a year with us, and stories.",
    ),
    (TeamEvent.Kind.TEAM_MEETING, "Team meeting", (3, 10), 18, 90, "News, cases, questions."),
    (TeamEvent.Kind.SOCIAL, "Coffee morning", (14, 28), 10, 90, "Bring a friend from the team."),
    (TeamEvent.Kind.TEAM_MEETING, "Team meeting", (30, 40), 18, 90, "News, cases, questions."),
)
ANNOUNCEMENTS = (
    # days ago (low, high), by the leader?, title, body
    (
        (3, 8),
        True,
        "Welcome to our new peer supporters",
        "A warm welcome to everyone who started training this month. Come and say hello at "
        "the next team meeting; your supervisor is there for you from the first day.",
    ),
    (
        (20, 40),
        False,
        "Training dates for the coming weeks",
        "The next intake starts on {intake}. Refresher sessions are open to every peer: "
        "they count towards your ongoing training hours.",
    ),
    (
        (60, 90),
        True,
        "Thank you",
        "Thank you for the time and the care you give. Supervision and the wellbeing "
        "check-in are there for you: use them, especially after a hard week.",
    ),
)


def _events(demo: Demo, letter: str, peers: list[Peer], intakes: Intakes) -> None:
    rng, today, programme = demo.rng, demo.now.date(), demo.programmes[letter]
    coordinator = demo.coordinator(letter)
    specs = [*EVENTS]
    course_day = (intakes.upcoming - today).days
    specs.append(
        (
            TeamEvent.Kind.TRAINING_DAY,
            "First training day for the new intake",
            (course_day, course_day),
            9,
            420,
            "Introductions and the first module, with lunch.",
        )
    )
    events: list[tuple[TeamEvent, list[Peer]]] = []
    for kind, title, (low, high), hour, minutes, description in specs:
        day = today + days(rng.randint(low, high))
        starts = at(day, hour, 30 if kind == TeamEvent.Kind.SOCIAL else 0)
        event = TeamEvent(
            programme=programme,
            kind=kind,
            title=title,
            starts_at=starts,
            ends_at=starts + days(minutes=minutes),
            location=programme.site.name if rng.random() < 0.7 else "Video call",
            description=description,
            created_by=coordinator,
        )
        came = [p for p in peers if day < today and p.in_team_on(day) and rng.random() < 0.7]
        events.append((event, came))
    TeamEvent.objects.bulk_create([event for event, _came in events])
    through = TeamEvent.attendees.through
    through.objects.bulk_create(
        [
            through(teamevent_id=event.pk, peerprofile_id=peer.profile.pk)
            for event, came in events
            for peer in came
            if peer.profile is not None
        ]
    )
    audit_created((coordinator, event) for event, _came in events)
    audit_created(((coordinator, event) for event, came in events if came), action=Action.UPDATE)


def _announcements(demo: Demo, letter: str, intakes: Intakes) -> None:
    programme = demo.programmes[letter]
    rows: list[tuple[User, Announcement]] = []
    for (low, high), by_leader, title, body in ANNOUNCEMENTS:
        author = demo.staff[f"leader.{letter}"] if by_leader else demo.coordinator(letter)
        announcement = Announcement(
            programme=programme,
            title=title,
            body=body.format(intake=f"{intakes.upcoming.day} {intakes.upcoming:%B}"),
            published_at=demo.days_ago(low, high),
            published_by=author,
        )
        rows.append((author, announcement))
    Announcement.objects.bulk_create([row for _author, row in rows])
    audit_created(rows)


def load_team(demo: Demo, letter: str, peers: list[Peer], intakes: Intakes) -> None:
    _events(demo, letter, peers, intakes)
    _announcements(demo, letter, intakes)
