"""The demo's people: about 80 peer supporters and 300 participants across the eight
demo programmes, a resource directory and navigation referrals, loaded once by
load_demo(). The pieces: demo_cohorts (who each programme serves, as data),
demo_identities (seeded synthetic people), demo_intake (referrals walked to every
enrolment status by the services), demo_directory (services and navigation referrals).

Everyone is synthetic (Faker, seeded); emails sit on example domains and phone numbers
in ranges reserved for drama."""

from __future__ import annotations

from django.utils import timezone

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.organisations.models import Organisation, Programme, RoleAssignment, Site
from peerbridge.organisations.roles import Role
from peerbridge.organisations.services import role_grant
from peerbridge.people.models import ConsentScope, LivedExperience, Person
from peerbridge.referrals.models import NavigationReferral
from peerbridge.web.demo_cohorts import COHORTS, PEER_STORIES, TOWNS, Rel, S
from peerbridge.web.demo_directory import NavigationCandidate, load_directory, load_navigation
from peerbridge.web.demo_identities import Demo, Drawer, Taxonomy, record_experience, weighted
from peerbridge.web.demo_intake import (
    Walk,
    backdate,
    enrol_participant_login,
    load_participants,
)

PEOPLE_DOMAIN = "people.demo.peerbridge.test"  # the peer supporters' login-less accounts
Perspective = LivedExperience.Perspective


# ---------------------------------------------------------------------------------------
# Peer supporters


def _peer(demo: Demo, letter: str, number: int) -> RoleAssignment:
    """A peer supporter: a login-less account holding the role, a person record and what
    they have been through. Rare experiences are rarer still among peers."""
    rng, cohort, programme = demo.rng, COHORTS[letter], demo.programmes[letter]
    leader = demo.staff[f"leader.{letter}"]
    user = User.objects.create_user(
        email=f"peer{number:02d}.{programme.code}@{PEOPLE_DOMAIN}", password=None
    )
    lineage = weighted(rng, cohort.conditions)
    if rng.random() < 0.4:
        lineage = cohort.conditions[0][0]
    caregiver = rng.random() < cohort.caregivers
    gender = demo.drawer.gender(cohort.women, "" if caregiver else lineage)
    fields = demo.drawer.identity(ages=(25, 75), gender=gender)
    fields |= demo.drawer.place(programme, demo.sites)
    fields |= demo.drawer.extras(gender=gender, language=fields["languages"][0])
    person = Person(user=user, organisation=demo.organisation, **fields)
    person.full_clean()
    person.save()
    audit_instance(actor=leader, action=Action.CREATE, instance=person)
    assignment = role_grant(
        user=user, role=Role.PEER_SUPPORTER, granted_by=leader, programme=programme
    )
    years = rng.randint(2, 15)
    record_experience(
        demo,
        person=person,
        letter=letter,
        perspective=Perspective.BEEN_THROUGH,
        relationship=weighted(rng, cohort.relationships) if caregiver else Rel.SELF,
        lineage=lineage,
        since_days=(years * 365, years * 365 + 300),
        story=PEER_STORIES[letter].format(years=years),
        saved_by=user,
    )
    assignment.started_at = demo.days_ago(60, 6 * 365)
    return assignment


def _load_peers(demo: Demo) -> None:
    assignments = [
        _peer(demo, letter, number)
        for letter, cohort in COHORTS.items()
        for number in range(1, cohort.peers + 1)
    ]
    RoleAssignment.objects.bulk_update(assignments, ["started_at"])


# ---------------------------------------------------------------------------------------
# Loading


def demo_people_loaded() -> bool:
    """The demo's people are loaded once: their peer supporters' accounts mark it."""
    return User.objects.filter(email__endswith=f"@{PEOPLE_DOMAIN}").exists()


def _navigation_candidates(demo: Demo, walks: list[Walk]) -> list[NavigationCandidate]:
    """Open enrolments whose consent lets their details pass to a service."""
    weight: dict[str, int] = {S.ACTIVE: 3, S.MATCHED: 1, S.WAITING: 1}
    return [
        NavigationCandidate(
            enrolment=walk.enrolment,
            since=walk.change_times[-1],
            made_by=demo.coordinator(walk.letter),
            weight=weight[walk.enrolment.status],
        )
        for walk in walks
        if walk.enrolment.status in weight
        and (
            not walk.enrolment.programme.needs_redisclosure_consent
            or ConsentScope.REDISCLOSURE in walk.enrol_scopes
        )
    ]


def load_demo_people(
    *,
    organisation: Organisation,
    programmes: dict[str, Programme],
    staff: dict[str, User],
    sites: dict[str, Site],
) -> None:
    """Seed the taxonomy and issue tags (idempotent), then, once, the demo's peer
    supporters, participants, resource directory and navigation referrals.
    `programmes` are keyed by demo letter (a to h), `staff` by login name."""
    taxonomy = Taxonomy(organisation, programmes.values())
    if demo_people_loaded():
        return
    now = timezone.now()
    demo = Demo(
        organisation, programmes, staff, sites, Drawer(timezone.localdate(now)), taxonomy, now
    )
    _load_peers(demo)
    walks = load_participants(demo)
    login = enrol_participant_login(demo)
    walks += [login] if login else []
    backdate(walks)
    services = load_directory(
        organisation=organisation, created_by=staff["admin"], rng=demo.rng, towns=sorted(TOWNS)
    )
    candidates = _navigation_candidates(demo, walks)
    pinned = [
        (candidate, NavigationReferral.Status.CONNECTED)
        for candidate in candidates
        if login and candidate.enrolment is login.enrolment
    ]
    load_navigation(candidates=candidates, services=services, rng=demo.rng, now=now, pinned=pinned)
