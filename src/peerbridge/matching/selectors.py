"""Reads of matches, scoped: staff reach the matches of the programmes they run or
supervise; a peer reaches only the offers and matches made to them (once offered). 404
outside the user's reach, 403 in reach without the right."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_many
from peerbridge.matching import policies
from peerbridge.matching.models import WORKING_STATUSES, Match
from peerbridge.organisations.models import Programme
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.people.models import Consent, ConsentScope, LivedExperience
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.workforce.selectors import as_pk

MATCH_RELATED = (
    "programme",
    "enrolment",
    "enrolment__person",
    "profile",
    "profile__person",
    "previous",
)


def staff_only(policy: Policy) -> Policy | None:
    """The policy's staff roles only: holding the peer role in a programme reaches the
    peer's own matches, never the programme's."""
    roles = frozenset(policy.roles - {Role.PEER_SUPPORTER})
    return replace(policy, roles=roles) if roles else None


# Staff over a programme who see its matches (the list page): MATCH_VIEW without peers.
STAFF_VIEW = replace(
    policies.MATCH_VIEW, roles=frozenset(policies.MATCH_VIEW.roles - {Role.PEER_SUPPORTER})
)


def _scope(user: AnyUser, policy: Policy) -> Q | None:
    if not user.is_authenticated:
        return None
    parts: list[Q] = []
    staff = staff_only(policy)
    if staff is not None:
        programmes = programmes_in_scope(user=user, policy=staff)
        programme_ids = list(programmes.values_list("pk", flat=True))
        if programme_ids:
            parts.append(Q(programme_id__in=programme_ids))
    if Role.PEER_SUPPORTER in policy.roles:
        parts.append(Q(profile__person__user_id=user.pk, offered_at__isnull=False))
    if not parts:
        return None
    scope = parts[0]
    for part in parts[1:]:
        scope |= part
    return scope


def matches_in_scope(user: AnyUser, *, policy: Policy = policies.MATCH_VIEW) -> QuerySet[Match]:
    """The matches `user` reaches under `policy`: the programmes' matches for staff, and
    a peer's own offers and matches."""
    scope = _scope(user, policy)
    if scope is None:
        return Match.objects.none()
    return Match.objects.filter(scope).select_related(*MATCH_RELATED)


def own_matches(user: AnyUser) -> QuerySet[Match]:
    """A peer's own offers and matches, across programmes; a proposal not yet offered is
    the coordinator's draft and stays out of sight."""
    if not user.is_authenticated:
        return Match.objects.none()
    return Match.objects.filter(
        profile__person__user_id=user.pk, offered_at__isnull=False
    ).select_related(*MATCH_RELATED)


def is_own(user: AnyUser, match: Match) -> bool:
    return bool(user.is_authenticated and match.profile.person.user_id == user.pk)


def access_match(user: AnyUser, match_id: Any, policy: Policy) -> Match:
    """Fetch a match for `policy`: 404 outside the user's reach, 403 when they may see
    it but not do this. Reading it is audited as a read of both people."""
    pk = as_pk(match_id)
    match = matches_in_scope(user, policy=policy).filter(pk=pk).first()
    if match is None:
        if policy is not policies.MATCH_VIEW and matches_in_scope(user).filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    audit_people(user, [match])
    return match


def audit_people(user: AnyUser, matches: list[Match]) -> None:
    """Each match shown is a read of the participant and of the peer."""
    person_ids = {m.enrolment.person_id for m in matches} | {m.profile.person_id for m in matches}
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=sorted(person_ids),
    )


def staff_over(user: AnyUser, programme: Programme, policy: Policy) -> bool:
    staff = staff_only(policy)
    return (
        staff is not None
        and programmes_in_scope(user=user, policy=staff).filter(pk=programme.pk).exists()
    )


def waiting_enrolments(programme: Programme) -> QuerySet[Enrolment]:
    """The programme's waiting list: the most urgent first, then the longest waiting."""
    return (
        Enrolment.objects.filter(programme=programme, status=EnrolmentStatus.WAITING)
        .select_related("person")
        .order_by("-priority", "waiting_since", "received_at", "pk")
    )


@dataclass(frozen=True)
class ParticipantBrief:
    """What a peer may know of a participant: a first name, what they are facing in
    brief, languages and preferred times; contact details only once the peer accepted
    and only the ways the participant agreed to be contacted."""

    first_name: str
    condition: str
    issues: tuple[str, ...]
    story: str
    languages: tuple[str, ...]
    preferred_times: str
    phone: str = ""
    email: str = ""

    @property
    def has_contact(self) -> bool:
        return bool(self.phone or self.email)


STORY_BRIEF = 280
PHONE_SCOPES = frozenset({ConsentScope.CONTACT_PHONE, ConsentScope.CONTACT_SMS})


def _brief_story(story: str) -> str:
    story = " ".join(story.split())
    if len(story) <= STORY_BRIEF:
        return story
    return story[: STORY_BRIEF - 1].rsplit(" ", 1)[0] + "…"


def _current_scopes(matches: list[Match]) -> dict[tuple[int, int], set[str]]:
    """The newest consent of each participant in each programme, in one query."""
    people = {m.enrolment.person_id for m in matches}
    programmes = {m.programme_id for m in matches}
    newest: dict[tuple[int, int], set[str]] = {}
    rows = Consent.objects.filter(person_id__in=people, programme_id__in=programmes).order_by(
        "-recorded_at", "-id"
    )
    for consent in rows.only("person_id", "programme_id", "scopes"):
        newest.setdefault((consent.person_id, consent.programme_id), set(consent.scopes or []))
    return newest


def participant_briefs(matches: list[Match]) -> dict[int, ParticipantBrief]:
    """The participant of each match as its peer may see them, in a fixed number of
    queries whatever the number of matches."""
    if not matches:
        return {}
    experiences = {
        (e.person_id, e.programme_id): e
        for e in LivedExperience.objects.filter(
            perspective=LivedExperience.Perspective.FACING,
            person_id__in={m.enrolment.person_id for m in matches},
            programme_id__in={m.programme_id for m in matches},
        )
        .select_related("condition__parent__parent")
        .prefetch_related("issues")
    }
    working_matches = [m for m in matches if m.status in WORKING_STATUSES]
    scopes = _current_scopes(working_matches) if working_matches else {}
    briefs: dict[int, ParticipantBrief] = {}
    for match in matches:
        person = match.enrolment.person
        experience = experiences.get((person.pk, match.programme_id))
        agreed = scopes.get((person.pk, match.programme_id), set())
        working = match.status in WORKING_STATUSES
        briefs[match.pk] = ParticipantBrief(
            first_name=person.preferred_name or person.given_name,
            condition=str(experience.condition) if experience and experience.condition else "",
            issues=tuple(i.name for i in experience.issues.all()) if experience else (),
            story=_brief_story(experience.story) if experience else "",
            languages=tuple(person.languages_display()),
            preferred_times=person.preferred_times,
            phone=person.phone if working and agreed & PHONE_SCOPES else "",
            email=person.email if working and ConsentScope.CONTACT_EMAIL in agreed else "",
        )
    return briefs
