"""The home pages people live in: what each role sees first when they sign in.

One home per role: a peer's "my people today", a coordinator's programme board, a
supervisor's supervisees and flags, a participant's own support. Each is built by its
module (`homes_peer`, `homes_coordinator`, `homes_supervisor`, `homes_participant`)
from set-based queries, so a home answers in a number of queries that does not grow
with its rows. This module holds what they share: who may see which home, the match
statuses that make a caseload, and the reads every home needs (the newest contact of
each match).

A home shows people; the page that renders it audits them in one `audit_many` call
(each home says which person ids it shows)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.core.access import Policy, role_policy
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.organisations.roles import Role
from peerbridge.people.models import Person
from peerbridge.support.models import Contact

R = Role

# Statuses in which a peer and participant are in touch: a match the coordinator has
# introduced, up to its end. (Accepted but not yet introduced: the peer cannot call yet.)
CASELOAD_STATUSES = (MatchStatus.INTRODUCED, MatchStatus.FIRST_CONTACT, MatchStatus.ACTIVE)
# How many rows a home section lists before pointing at its full list page.
LIST_LIMIT = 10

PEER = "peer"
COORDINATOR = "coordinator"
SUPERVISOR = "supervisor"
PARTICIPANT = "participant"

PEER_HOME = role_policy(
    "web.home_peer",
    {R.PEER_SUPPORTER},
    "A peer supporter's people today: their caseload, offers, groups and own wellbeing.",
)
COORDINATOR_HOME = role_policy(
    "web.home_coordinator",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR},
    "Those who run programmes see who is waiting, due, stalled or at risk in them.",
)
SUPERVISOR_HOME = role_policy(
    "web.home_supervisor",
    {R.SUPERVISOR},
    "Supervisors see their supervisees, the flags awaiting their acknowledgement and "
    "wellbeing alerts.",
)
PARTICIPANT_HOME = role_policy(
    "web.home_participant",
    {R.PARTICIPANT},
    "A participant sees their own peer, next contact, goals, groups, consent and data.",
)
# In the order a user holding several roles sees the homes when all are equally urgent.
HOME_POLICIES: dict[str, Policy] = {
    PEER: PEER_HOME,
    COORDINATOR: COORDINATOR_HOME,
    SUPERVISOR: SUPERVISOR_HOME,
    PARTICIPANT: PARTICIPANT_HOME,
}
HOME_TITLES = {
    PEER: _("My people today"),
    COORDINATOR: _("Your programmes today"),
    SUPERVISOR: _("Supervision and safety"),
    PARTICIPANT: _("My support"),
}


def homes_for(roles: Iterable[str]) -> list[str]:
    """The homes a user with these (current) roles sees, in the default order."""
    held = set(roles)
    return [key for key, policy in HOME_POLICIES.items() if held & policy.roles]


@dataclass(frozen=True)
class Urgency:
    """How much a home asks of its reader today, to put the most urgent home first:
    safety first (flags past or near their deadline), then what is due or overdue."""

    safety: int = 0
    due: int = 0

    def key(self) -> tuple[int, int]:
        return (self.safety, self.due)


def first_name(person: Person) -> str:
    """What a home calls someone: their preferred name, else their given name."""
    return str(person.preferred_name or person.given_name)


def start_of(day: date) -> datetime:
    """Local midnight at the start of `day` (compare datetimes, not dates, in SQL)."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def with_last_contact(matches: QuerySet[Match]) -> QuerySet[Match]:
    """Annotate each match with the id of its newest contact (the index on
    (match, -occurred_at) answers it); `last_contacts` then fetches them in one query."""
    newest = Contact.objects.filter(match=OuterRef("pk")).order_by("-occurred_at", "-id")
    return matches.annotate(last_contact_id=Subquery(newest.values("pk")[:1]))


def last_contacts(matches: Iterable[Match]) -> dict[int, Contact]:
    """The newest contact of each match (annotated by `with_last_contact`), keyed by
    match id, in one query. Notes are decrypted only for the rows read."""
    ids = [m.last_contact_id for m in matches if getattr(m, "last_contact_id", None)]  # type: ignore[attr-defined]
    if not ids:
        return {}
    return {contact.match_id: contact for contact in Contact.objects.filter(pk__in=ids)}


def absolute(path: str) -> str:
    """A link for a message: absolute when the deployment names its address."""
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else path
