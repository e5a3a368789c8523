"""Builders for workforce tests: peers at any stage, made through the real services
where one exists. Each builder satisfies whatever the programme requires at the time it
runs (the demo seeds curricula, competencies and agreements)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone
from faker import Faker

from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.people.models import Person
from peerbridge.people.services import person_create
from peerbridge.workforce.eligibility import standing
from peerbridge.workforce.models import (
    AgreementSignature,
    AgreementText,
    Certification,
    CertificationFramework,
    Competency,
    CompetencyCheck,
    PeerProfile,
    TrainingAttendance,
    TrainingModule,
    TrainingSession,
)
from peerbridge.workforce.selectors import workforce_settings
from peerbridge.workforce.services import profile_open

_faker = Faker()
Faker.seed(4242)
_serial = count(1)


def make_peer_person(programme: Programme, *, with_login: bool = True) -> Person:
    n = next(_serial)
    user = (
        User.objects.create_user(email=f"wf-test-{n}@example.org", password=None)
        if with_login
        else None
    )
    person = person_create(
        given_name=_faker.first_name(), family_name=_faker.last_name(), created_by=None, user=user
    )
    person.organisation_id = programme.site.organisation_id
    person.save(update_fields=["organisation"])
    return person


def make_profile(
    programme: Programme,
    *,
    status: str = PeerProfile.Status.TRAINING,
    ready: bool = False,
    person: Person | None = None,
    max_matches: int | None = None,
) -> PeerProfile:
    """A peer's profile; `ready=True` completes every requirement the programme has now
    (modules, competencies, agreements, certification)."""
    profile = profile_open(
        person=person or make_peer_person(programme), programme=programme, actor=None
    )
    if ready:
        complete_requirements(profile)
    if status != PeerProfile.Status.TRAINING:
        profile.status = status
        profile.activated_on = timezone.localdate()
        profile.save(update_fields=["status", "activated_on"])
    if max_matches is not None:
        profile.max_matches = max_matches
        profile.save(update_fields=["max_matches"])
    return profile


def assessor() -> User:
    return User.objects.get(email="coordinator.a@demo.peerbridge.test")


def complete_requirements(profile: PeerProfile) -> None:
    programme = profile.programme
    when = timezone.now() - timedelta(days=30)
    for module in TrainingModule.objects.filter(
        programme=programme, required=True, is_active=True, audience="peers"
    ):
        session = TrainingSession.objects.create(
            module=module, starts_at=when, trainer="Test trainer", modality="video"
        )
        TrainingAttendance.objects.create(
            session=session, person=profile.person, attended=True, hours=module.hours
        )
    for competency in Competency.objects.filter(programme=programme, required=True):
        CompetencyCheck.objects.create(
            profile=profile,
            competency=competency,
            result=CompetencyCheck.Result.PASSED,
            evidence="Role-play observed.",
            assessed_by=assessor(),
        )
    sign_current_agreements(profile)
    framework = workforce_settings(programme).required_framework
    if framework is not None:
        certify(profile, framework)


def sign_current_agreements(profile: PeerProfile) -> None:
    newest: dict[str, AgreementText] = {}
    for text in AgreementText.objects.filter(programme=profile.programme).order_by(
        "-published_at", "-id"
    ):
        newest.setdefault(text.kind, text)
    for text in newest.values():
        AgreementSignature.objects.get_or_create(
            profile=profile, text=text, defaults={"signed_name": str(profile.person)}
        )


def certify(
    profile: PeerProfile, framework: CertificationFramework, *, months: int = 24
) -> Certification:
    today = timezone.localdate()
    return Certification.objects.create(
        person=profile.person,
        framework=framework,
        programme=profile.programme,
        status=Certification.Status.CERTIFIED,
        issued_on=today - timedelta(days=10),
        expires_on=today + timedelta(days=30 * months),
        decided_by=User.objects.get(email="leader.a@demo.peerbridge.test"),
    )


def add_required_module(programme: Programme, title: str = "Test module") -> TrainingModule:
    return TrainingModule.objects.create(
        programme=programme, title=title, hours=Decimal("3"), required=True, order=99
    )


def reasons_for_match(profile: PeerProfile) -> set[str]:
    return {b.reason.value for b in standing(profile).match_blockers}
