"""What the support demo's parts share: the scene (programmes, staff logins, the moment
and the seeded randomness) and the working matches with who acts for each."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from random import Random

from peerbridge.core.models import User
from peerbridge.matching.models import Match
from peerbridge.organisations.models import Programme
from peerbridge.support.contact_selectors import CONTACT_STATUSES
from peerbridge.support.models import Contact, Group

day_delta = datetime.timedelta


@dataclass
class Scene:
    programmes: dict[str, Programme]
    staff: dict[str, User]
    now: datetime.datetime
    rng: Random
    contacts: dict[int, list[Contact]] = field(default_factory=lambda: defaultdict(list))
    online_groups: dict[str, Group] = field(default_factory=dict)

    def user(self, local: str) -> User | None:
        return self.staff.get(local)

    def coordinator(self, letter: str) -> User:
        return self.staff[f"coordinator.{letter}"]

    def ago(self, days: float) -> datetime.datetime:
        return self.now - day_delta(days=days)


def working_matches(scene: Scene) -> list[Match]:
    return list(
        Match.objects.filter(
            programme__in=list(scene.programmes.values()),
            status__in=sorted(CONTACT_STATUSES),
        )
        .select_related("programme", "enrolment__person", "profile__person__user")
        .order_by("programme_id", "pk")
    )


def letter_of(scene: Scene, programme_id: int) -> str:
    return next(k for k, p in scene.programmes.items() if p.pk == programme_id)


def match_actor(scene: Scene, match: Match) -> User:
    """The match's peer logs their own contacts; the coordinator for a peer without a
    login."""
    user = match.profile.person.user
    return user if user is not None else scene.coordinator(letter_of(scene, match.programme_id))
