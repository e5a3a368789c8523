"""Builders for the follow-up tests: participants on a waiting list, available peers
and matches moved along through the real lifecycle services."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count

from django.core import mail
from django.core.mail import EmailMessage
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.followups.models import Action, Event, Playbook, Recipient, Role, Rule
from peerbridge.matching import lifecycle
from peerbridge.matching.models import Match
from peerbridge.notifications.delivery import deliver_due
from peerbridge.organisations.models import Programme, Site
from peerbridge.organisations.roles import Role as StaffRole
from peerbridge.organisations.services import programme_create, role_grant
from peerbridge.people.models import ConsentScope, LivedExperience
from peerbridge.people.services import consent_record, person_create
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.support.models import Contact
from peerbridge.support.stalls import last_contacts_refresh
from peerbridge.workforce.models import PeerProfile
from tests.workforce.world import make_profile

_serial = count(1)
DEMO = "demo.peerbridge.test"


def fresh_programme(code: str = "") -> Programme:
    """An active programme of the demo organisation with no matches or playbooks yet, so
    a test sees only what it makes."""
    n = next(_serial)
    return programme_create(
        site=Site.objects.get(code="riverside"),
        created_by=None,
        code=code or f"followups-test-{n}",
        name=f"Follow-ups test {n}",
        condition_area="diabetes",
        audience="patients",
        formats=["one_to_one"],
        modalities=["telephone"],
        contact_cadence_days=14,
        peer_pay="volunteer",
        status="active",
    )


def quiet_other_playbooks() -> None:
    """Switch off the demo's playbooks: a scan then makes only what the test set up."""
    Playbook.objects.update(is_active=False)


def quiet_programme() -> Programme:
    """A fresh programme, with the demo's playbooks switched off."""
    made = fresh_programme()
    quiet_other_playbooks()
    return made


def staff(local: str) -> User:
    return User.objects.get(email=f"{local}@{DEMO}")


def programme(code: str) -> Programme:
    return Programme.objects.get(code=code)


def participant(programme: Programme, *, email: str = "", consent_email: bool = False) -> Enrolment:
    """A synthetic participant waiting for a match."""
    n = next(_serial)
    person = person_create(given_name=f"Pat{n}", family_name="Example", created_by=None)
    person.organisation_id = programme.site.organisation_id
    person.email = email
    person.save(update_fields=["organisation", "email"])
    scopes = [ConsentScope.PARTICIPATION]
    if consent_email:
        scopes.append(ConsentScope.CONTACT_EMAIL)
    consent_record(
        person=person, programme=programme, scopes=scopes, method="verbal", recorded_by=None
    )
    now = timezone.now()
    return Enrolment.objects.create(
        person=person,
        programme=programme,
        status=EnrolmentStatus.WAITING,
        source=Enrolment.Source.STAFF,
        waiting_since=now,
    )


def peer(programme: Programme, *, consent_email: bool = False) -> PeerProfile:
    """An available peer with a login (wf-test-N@example.org) holding the peer role in
    the programme, as activation gives it (so work messages reach them as team)."""
    profile = make_profile(programme, ready=True, status=PeerProfile.Status.ACTIVE, max_matches=10)
    user = profile.person.user
    assert user is not None
    role_grant(user=user, role=StaffRole.PEER_SUPPORTER, granted_by=None, programme=programme)
    if consent_email:
        consent_record(
            person=profile.person,
            programme=programme,
            scopes=[ConsentScope.CONTACT_EMAIL],
            method="online",
            recorded_by=None,
        )
    return profile


def accepted_match(
    enrolment: Enrolment, profile: PeerProfile, *, actor: User | None = None
) -> Match:
    """Proposed, offered and accepted now (travel in time first to set the day)."""
    match = lifecycle.match_create(
        enrolment=enrolment, profile=profile, source=Match.Source.MANUAL, actor=actor
    )
    return lifecycle.match_accept(match, actor=actor)


def new_match(programme: Programme) -> Match:
    """A new participant accepted by a new peer (now)."""
    return accepted_match(participant(programme), peer(programme))


def under_way(programme: Programme) -> Match:
    """A new match with its first contact confirmed now (travel in time first)."""
    match = new_match(programme)
    lifecycle.match_introduce(match, actor=None)
    return lifecycle.match_confirm_first_contact(match, actor=None)


def contact(match: Match, *, connected: bool = True, minutes: int = 30) -> Contact:
    """A call logged now in the match (or an attempt that did not connect)."""
    now = timezone.now()
    made = Contact.objects.create(
        match=match,
        programme_id=match.programme_id,
        enrolment_id=match.enrolment_id,
        profile_id=match.profile_id,
        occurred_at=now,
        connected=connected,
        duration_minutes=minutes if connected else 0,
        mode="phone",
        setting="online",
        locked_at=now + timedelta(hours=48),
    )
    last_contacts_refresh([made.match_id])
    return made


def discharge(enrolment: Enrolment, on: date) -> LivedExperience:
    """The participant's discharge date (written directly: a planned date may lie ahead,
    which the form does not accept)."""
    return LivedExperience.objects.create(
        person=enrolment.person,
        programme=enrolment.programme,
        perspective=LivedExperience.Perspective.FACING,
        since=on,
        since_kind=LivedExperience.SinceKind.DISCHARGE,
    )


def playbook_with(programme: Programme, *rules: Rule, name: str = "Test playbook") -> Playbook:
    playbook = Playbook.objects.create(programme=programme, name=name)
    for position, rule in enumerate(rules):
        rule.playbook = playbook
        rule.position = position
        rule.full_clean()
        rule.save()
    return playbook


def moment(day: int, hour: int = 10, *, start: datetime) -> datetime:
    return start + timedelta(days=day, hours=hour - 10)


def check_rule(*, offset_days: int = 7, window_days: int = 7) -> Rule:
    """The coordinator asks both sides how the match feels."""
    return Rule(
        title="Check the match",
        event=Event.MATCH_ACCEPTED,
        offset_days=offset_days,
        window_days=window_days,
        action=Action.CHECK_IN,
    )


def call_rule() -> Rule:
    """The peer's call, due the day after the match, with no window."""
    return Rule(
        title="Weekly call",
        event=Event.MATCH_ACCEPTED,
        offset_days=1,
        action=Action.WORK_ITEM,
        role=Role.PEER,
    )


def hello_rule(*, offset_days: int) -> Rule:
    """An email to the participant after the match."""
    return Rule(
        title="Say hello",
        event=Event.MATCH_ACCEPTED,
        offset_days=offset_days,
        action=Action.MESSAGE,
        recipient=Recipient.PARTICIPANT,
        message="Hello from your programme.",
    )


def mail_to(*addresses: str) -> list[EmailMessage]:
    """Emails sent so far to any of these addresses (the demo's own outbox is sent by
    the same worker round, so tests look only at their own people)."""
    wanted = set(addresses)
    return [m for m in mail.outbox if wanted & set(m.to)]


def deliver() -> int:
    """Send everything due in the outbox (the demo's messages too), as the worker does."""
    return deliver_due(limit=100_000)
