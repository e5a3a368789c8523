"""What the demo workforce loaders share: the stage each demo peer is put at (Plan), a
peer's dates as planned (Peer), a programme's training intakes, and auditing bulk
inserts per actor."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from random import Random

from django.db import models
from django.utils import timezone

from peerbridge.core.audit import Action, audit_many
from peerbridge.core.models import User
from peerbridge.people.models import Person
from peerbridge.web.demo_identities import Demo
from peerbridge.workforce.models import Certification, PeerApplication, PeerProfile

# Required modules run every four days from an intake's first day; the last of the
# seven is on day 24, the optional ones after it.
MODULE_SPACING_DAYS = 4
TRAINING_DAYS = 24
INTAKE_EVERY_DAYS = 182


class Plan(StrEnum):
    """The stage a demo peer is put at."""

    AVAILABLE = "available"
    BURNOUT = "burnout"  # a high burnout check-in: new matches on hold
    PULSE_LOW = "pulse_low"  # said they are struggling
    PAUSED = "paused"  # time off, with a return date
    HOURS_SHORT = "hours_short"  # ongoing training hours overdue
    DECERTIFIED = "decertified"  # with an appeal lodged
    EXPIRED = "expired"  # certification ran out last month
    READY = "ready"  # everything done, waiting to be made available
    UNSIGNED = "unsigned"  # trained, agreements not signed yet
    NOT_CERTIFIED = "not_certified"  # trained and signed, not certified
    TRAINING = "training"  # part way through the current intake
    ACCEPTED = "accepted"  # an applicant accepted to training
    LEFT = "left"

    @classmethod
    def working(cls) -> frozenset[Plan]:
        """Stages of peers who are available (status active)."""
        return frozenset(
            {
                cls.AVAILABLE,
                cls.BURNOUT,
                cls.PULSE_LOW,
                cls.PAUSED,
                cls.HOURS_SHORT,
                cls.DECERTIFIED,
                cls.EXPIRED,
            }
        )

    @classmethod
    def trained(cls) -> frozenset[Plan]:
        """Stages of peers who finished the required modules and competencies."""
        return cls.working() | {cls.READY, cls.UNSIGNED, cls.NOT_CERTIFIED, cls.LEFT}


@dataclass(eq=False)  # each peer is itself: compared and hashed by identity
class Peer:
    """One demo peer supporter in one programme, and the dates planned for them."""

    letter: str
    person: Person
    plan: Plan = Plan.AVAILABLE
    persona: int = 0  # 1 for the peer.X login, 2 for peer2.X, else 0
    role_start: datetime.date | None = None
    application: PeerApplication | None = None
    intake: datetime.date | None = None  # first day of the intake they trained in
    started: datetime.date | None = None
    activated: datetime.date | None = None
    left: datetime.date | None = None
    periods: list[tuple[datetime.date, datetime.date]] = field(default_factory=list)
    last_supervised: datetime.date | None = None  # set only when supervision is overdue
    profile: PeerProfile | None = None
    certification: Certification | None = None  # the one withdrawn, when decertified

    @property
    def user(self) -> User | None:
        return self.person.user

    @property
    def trained_on(self) -> datetime.date | None:
        return self.intake + datetime.timedelta(days=TRAINING_DAYS) if self.intake else None

    def opened_by(self, demo: Demo) -> User:
        """Who opened the peer's place: the decider of their application, else the
        programme's coordinator."""
        if self.application is not None and self.application.decided_by is not None:
            return self.application.decided_by
        return demo.coordinator(self.letter)

    def in_team_on(self, day: datetime.date) -> bool:
        """On the programme's team on `day` (in training or available, not paused):
        supervised from the day they start, and welcome at team events."""
        if self.started is None or day < self.started:
            return False
        if self.left is not None and day >= self.left:
            return False
        profile = self.profile
        return profile is None or not profile.is_paused(day)


@dataclass(frozen=True)
class Intakes:
    """A programme's training intakes: one every half year in the past (newest first),
    the one under way and the next one."""

    past: tuple[datetime.date, ...]
    current: datetime.date
    upcoming: datetime.date

    @classmethod
    def draw(cls, rng: Random, today: datetime.date) -> Intakes:
        offset = rng.randint(0, 20)
        past = tuple(
            today - datetime.timedelta(days=40 + offset + INTAKE_EVERY_DAYS * k) for k in range(16)
        )
        return cls(
            past=past,
            current=today - datetime.timedelta(days=rng.randint(10, 14)),
            upcoming=today + datetime.timedelta(days=rng.randint(18, 28)),
        )


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """A local moment on `day`."""
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )


def audit_created(
    rows: Iterable[tuple[User | None, models.Model]], action: str = Action.CREATE
) -> None:
    """Audit bulk-inserted rows: one audit_many per actor and kind of record."""
    grouped: dict[tuple[int | None, str], list[object]] = defaultdict(list)
    actors: dict[int | None, User | None] = {}
    for actor, row in rows:
        key = actor.pk if actor is not None else None
        actors[key] = actor
        grouped[(key, row._meta.label_lower)].append(row.pk)
    for (key, label), ids in grouped.items():
        audit_many(actor=actors[key], action=action, object_type=label, object_ids=ids)
