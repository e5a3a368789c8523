"""Reads of contacts, scoped as matches are: staff over the programme reach its
contacts; a peer reaches the contacts of their own matches. 404 outside the user's
reach, 403 in reach without the right.

A private note is read only by the peer who logged it, the peer's supervisor (holding
the supervisor role over the programme) and the programme's leaders and admins; never
by coordinators. `NoteReach` answers that for the contacts of one match in at most two
queries, so list pages stay constant in their rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from peerbridge.core.access import Policy, role_policy
from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.matching.selectors import audit_people, is_own, matches_in_scope, staff_over
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.referrals.models import NavigationReferral
from peerbridge.support import policies
from peerbridge.support.models import Contact, ContactAmendment, Mode, Setting
from peerbridge.workforce.selectors import as_pk

M = MatchStatus
# A contact is logged in a match that is under way: introduced, first contact, active.
CONTACT_STATUSES = frozenset({M.INTRODUCED, M.FIRST_CONTACT, M.ACTIVE})

# Who reads private notes besides the peer who wrote them (scopes, not route policies).
NOTE_LEADERS = role_policy(
    "support.private_note_leaders",
    {Role.ORG_ADMIN, Role.PROGRAMME_LEADER},
    "Leaders and admins over the programme read private notes.",
)
NOTE_SUPERVISORS = role_policy(
    "support.private_note_supervisors",
    {Role.SUPERVISOR},
    "A peer's supervisor over the programme reads the peer's private notes.",
)

CONTACT_RELATED = (
    "programme",
    "match",
    "match__programme",
    "match__enrolment",
    "match__enrolment__person",
    "match__profile",
    "match__profile__person",
    "logged_by",
    "logged_by__person",
)


def contacts_in_scope(
    user: AnyUser, *, policy: Policy = policies.CONTACT_VIEW
) -> QuerySet[Contact]:
    """The contacts of the matches `user` reaches under `policy`."""
    matches = matches_in_scope(user, policy=policy).values("pk")
    return Contact.objects.filter(match_id__in=matches).select_related(*CONTACT_RELATED)


def access_contact(user: AnyUser, contact_id: Any, policy: Policy) -> Contact:
    """Fetch a contact for `policy`: 404 outside the user's reach, 403 when they may
    see it but not do this. Reading it is audited (the contact and both people)."""
    pk = as_pk(contact_id)
    contact = contacts_in_scope(user, policy=policy).filter(pk=pk).first()
    if contact is None:
        if policy is not policies.CONTACT_VIEW and contacts_in_scope(user).filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    audit_people(user, [contact.match])
    audit_instance(actor=user, action=Action.READ, instance=contact)
    return contact


def audit_contacts(user: AnyUser, contacts: list[Contact]) -> None:
    """Each contact shown on a list is a read of it (one query for the page)."""
    audit_many(
        actor=user,
        action=Action.READ,
        object_type=Contact._meta.label_lower,
        object_ids=[contact.pk for contact in contacts],
    )


def match_contacts(match: Match) -> QuerySet[Contact]:
    """A match's contacts, newest first, with what a list shows pre-joined."""
    return (
        Contact.objects.filter(match=match)
        .select_related("logged_by", "logged_by__person")
        .prefetch_related(
            Prefetch(
                "navigation_referrals",
                queryset=NavigationReferral.objects.select_related("service").order_by("pk"),
            )
        )
        .annotate(amendment_count=Count("amendments"))
        .order_by("-occurred_at", "-pk")
    )


def may_log(user: AnyUser, match: Match) -> bool:
    """The match's peer, or staff who log over the programme."""
    return is_own(user, match) or staff_over(user, match.programme, policies.CONTACT_LOG)


def may_change(user: AnyUser, contact: Contact) -> bool:
    """The contact's author, or staff who log over the programme, may edit or amend."""
    if not user.is_authenticated:
        return False
    if contact.logged_by_id == user.pk:
        return True
    return staff_over(user, contact.match.programme, policies.CONTACT_LOG)


@dataclass(frozen=True)
class NoteReach:
    """Whether one user reads the private notes of one match's contacts."""

    user_id: int | None
    is_peer: bool
    is_leader: bool
    is_supervisor: bool

    def may_read(self, contact: Contact) -> bool:
        if self.is_leader or self.is_supervisor:
            return True
        return self.is_peer and contact.logged_by_id == self.user_id

    @property
    def may_write(self) -> bool:
        """Who may keep a note (a coordinator may not: they would not read it back)."""
        return self.is_peer or self.is_leader or self.is_supervisor


def note_reach(user: AnyUser, match: Match) -> NoteReach:
    if not user.is_authenticated:
        return NoteReach(None, False, False, False)
    programme_id = match.programme_id
    leader = programmes_in_scope(user=user, policy=NOTE_LEADERS).filter(pk=programme_id).exists()
    supervisor = (
        not leader
        and match.profile.supervisor_id == user.pk
        and programmes_in_scope(user=user, policy=NOTE_SUPERVISORS).filter(pk=programme_id).exists()
    )
    return NoteReach(int(user.pk), is_own(user, match), leader, supervisor)


def last_contact_defaults(match: Match) -> dict[str, str]:
    """Mode and setting of this peer's last contact with this person, so the next log
    starts where the last one was (a phone call is usually followed by a phone call)."""
    last = (
        Contact.objects.filter(enrolment_id=match.enrolment_id, profile_id=match.profile_id)
        .order_by("-occurred_at", "-pk")
        .values("mode", "setting")
        .first()
    )
    if last is None:
        return {"mode": Mode.PHONE, "setting": Setting.ONLINE}
    return {"mode": last["mode"], "setting": last["setting"]}


@dataclass(frozen=True)
class AmendmentLine:
    field: str
    before: Any
    after: Any
    hidden: bool  # a private note the reader may not see: only that it changed


@dataclass(frozen=True)
class AmendmentEntry:
    amendment: ContactAmendment
    lines: list[AmendmentLine]


def amendment_trail(contact: Contact, reach: NoteReach) -> list[AmendmentEntry]:
    """The contact's amendments, oldest first; a changed private note shows its values
    only to those who read the note."""
    entries = []
    shows_note = reach.may_read(contact)
    for amendment in contact.amendments.select_related("amended_by").order_by("amended_at", "pk"):
        try:
            changes = json.loads(amendment.changes or "{}")
        except ValueError:
            changes = {}
        lines = []
        for field, (before, after) in sorted(changes.items()):
            hidden = field == "private_note" and not shows_note
            lines.append(
                AmendmentLine(
                    field=field,
                    before=None if hidden else before,
                    after=None if hidden else after,
                    hidden=hidden,
                )
            )
        entries.append(AmendmentEntry(amendment=amendment, lines=lines))
    return entries
