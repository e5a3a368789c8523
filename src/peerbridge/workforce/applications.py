"""Becoming a peer supporter: the application (online or entered by staff), screening
interviews, and the decision: accept to training, redirect to another role, or decline.

Services (writes, audited) come first, then selectors (reads that authorise as they
fetch). Accepting an applicant opens their place in training (`services.profile_open`)
and gives the applicant's own person record a sign-in, so they can see their training
and sign the agreements.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import Case, Count, F, IntegerField, QuerySet, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.crypto import normalise_email
from peerbridge.core.models import User
from peerbridge.core.tasks import send_password_email
from peerbridge.organisations.models import Programme, RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.organisations.services import role_grant
from peerbridge.people.models import Condition, LivedExperience, Person
from peerbridge.people.taxonomy import lived_experience_save
from peerbridge.workforce import policies
from peerbridge.workforce.models import (
    Characteristic,
    OtherRole,
    PeerApplication,
    PeerProfile,
    Screening,
)
from peerbridge.workforce.selectors import as_pk, workforce_settings
from peerbridge.workforce.services import profile_open

Status = PeerApplication.Status

MOTIVATION_MAX = 4000
REFERENCES_MAX = 2000
NOTES_MAX = 4000
REASON_MAX = 4000


class Decision(models.TextChoices):
    ACCEPT = "accept", gettext_lazy("Accept to training")
    REDIRECT = "redirect", gettext_lazy("Offer another role")
    DECLINE = "decline", gettext_lazy("Decline")


DECISION_STATUS = {
    Decision.ACCEPT: Status.ACCEPTED,
    Decision.REDIRECT: Status.REDIRECTED,
    Decision.DECLINE: Status.DECLINED,
}


@dataclass(frozen=True)
class Applicant:
    """Who is applying. The email becomes their sign-in if they are accepted."""

    given_name: str
    family_name: str
    email: str
    phone: str = ""
    languages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Experience:
    """What the applicant has been through in the programme's area (their own, or as a
    carer of someone with the condition)."""

    relationship: str = LivedExperience.Relationship.SELF
    condition: Condition | None = None
    since: datetime.date | None = None
    since_kind: str = ""
    story: str = ""


@dataclass(frozen=True)
class Answers:
    """Why they apply, when they can give time, how they can meet, who speaks for them."""

    motivation: str
    availability: str = ""
    modalities: list[str] = field(default_factory=list)
    references: str = ""


def is_bereavement(programme: Programme) -> bool:
    return programme.condition_area == Programme.ConditionArea.BEREAVEMENT


def readiness_label(programme: Programme) -> str:
    """What readiness means here: peers of a bereavement programme have worked through
    their own loss; elsewhere their own recovery is stable."""
    if is_bereavement(programme):
        return _("Readiness: own loss worked through")
    return _("Readiness: own recovery stable")


# ---------------------------------------------------------------------------------------
# Services


def _text(value: str, *, name: str, limit: int, required: bool = False) -> str:
    value = value.strip()
    if "\x00" in value:
        raise ValidationError({name: _("Null characters are not allowed.")})
    if required and not value:
        raise ValidationError({name: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError({name: _("Keep this to %(max)d characters.") % {"max": limit}})
    return value


def _open_for(programme: Programme, source: str) -> None:
    if programme.status == Programme.Status.CLOSED:
        raise ValidationError({"programme_id": _("This programme is closed.")})
    if source == PeerApplication.Source.PUBLIC and not (
        programme.status == Programme.Status.ACTIVE
        and workforce_settings(programme).applications_open
    ):
        raise ValidationError(
            {"programme_id": _("This programme is not taking applications just now.")}
        )


def _applicant_person(applicant: Applicant, programme: Programme, actor: User | None) -> Person:
    email = normalise_email(applicant.email)
    if not email:
        raise ValidationError({"email": _("Give an email address: it becomes your sign-in.")})
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    person = Person(
        organisation=programme.site.organisation,
        site=programme.site,
        given_name=_text(applicant.given_name, name="given_name", limit=120, required=True),
        family_name=_text(applicant.family_name, name="family_name", limit=120),
        email=email,
        phone=_text(applicant.phone, name="phone", limit=40),
        languages=list(applicant.languages),
    )
    person.full_clean()
    person.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=person)
    return person


@transaction.atomic
def application_submit(
    *,
    programme: Programme,
    applicant: Applicant,
    experience: Experience,
    answers: Answers,
    source: str,
    created_by: User | None,
) -> PeerApplication:
    """Receive an application to become a peer supporter: a new person record in the
    programme's organisation, what they have been through (people taxonomy, perspective
    "been through") and the application at "submitted". No account yet: that comes
    with acceptance."""
    if source not in PeerApplication.Source.values:
        raise ValidationError({"source": _("Choose online or staff entry.")})
    _open_for(programme, source)
    person = _applicant_person(applicant, programme, created_by)
    lived_experience_save(
        person=person,
        programme=programme,
        perspective=LivedExperience.Perspective.BEEN_THROUGH,
        relationship=experience.relationship,
        condition=experience.condition,
        facets=[],
        issues=[],
        since=experience.since,
        since_kind=experience.since_kind,
        story=_text(experience.story, name="story", limit=10_000),
        saved_by=created_by,
    )
    application = PeerApplication(
        programme=programme,
        person=person,
        source=source,
        motivation=_text(
            answers.motivation, name="motivation", limit=MOTIVATION_MAX, required=True
        ),
        availability=_text(answers.availability, name="availability", limit=300),
        modalities=list(dict.fromkeys(answers.modalities)),
        references=_text(answers.references, name="references", limit=REFERENCES_MAX),
        created_by=created_by,
    )
    application.full_clean()
    application.save()
    audit_instance(actor=created_by, action=Action.CREATE, instance=application)
    return application


def _locked(application: PeerApplication) -> PeerApplication:
    return (
        PeerApplication.objects.select_for_update()
        .select_related("person", "programme__site")
        .get(pk=application.pk)
    )


@transaction.atomic
def screening_record(
    *,
    application: PeerApplication,
    ratings: dict[str, int],
    readiness: str,
    role_play: str,
    screened_by: User,
    readiness_notes: str = "",
    role_play_notes: str = "",
) -> Screening:
    """One screener's structured view: each characteristic rated 1 (concern) to 5
    (strength), readiness, and the role-play assessment. The application moves to
    "being screened"."""
    application = _locked(application)
    if not application.is_open:
        raise ValidationError({"application": _("Only open applications can be screened.")})
    missing = [str(c.label) for c in Characteristic if c.value not in ratings]
    if missing:
        raise ValidationError(
            {"ratings": _("Rate each characteristic: %(names)s.") % {"names": ", ".join(missing)}}
        )
    screening = Screening(
        application=application,
        ratings=dict(ratings),
        readiness=readiness,
        readiness_notes=_text(readiness_notes, name="readiness_notes", limit=NOTES_MAX),
        role_play=role_play,
        role_play_notes=_text(role_play_notes, name="role_play_notes", limit=NOTES_MAX),
        screened_by=screened_by,
    )
    screening.full_clean()
    screening.save()
    audit_instance(actor=screened_by, action=Action.CREATE, instance=screening)
    if application.status == Status.SUBMITTED:
        application.status = Status.SCREENING
        application.save(update_fields=["status"])
        audit_instance(actor=screened_by, action=Action.UPDATE, instance=application)
    return screening


def _decision_errors(decision: str, reason: str, redirected_to: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if decision not in Decision.values:
        errors["decision"] = _("Choose accept, another role or decline.")
    if decision == Decision.REDIRECT and redirected_to not in OtherRole.values:
        errors["redirected_to"] = _("Choose the role you offer instead.")
    if decision in (Decision.REDIRECT, Decision.DECLINE) and not reason:
        errors["reason"] = _("Give the reasons for this decision.")
    return errors


@transaction.atomic
def application_decide(
    *,
    application: PeerApplication,
    decision: str,
    decided_by: User,
    reason: str = "",
    redirected_to: str = "",
    site_url: str = "",
) -> PeerApplication:
    """Decide an open application, once. Accepting opens the applicant's place in
    training and gives them a sign-in (an invitation to choose a password is emailed
    after commit); redirecting offers another role; both redirecting and declining need
    reasons."""
    application = _locked(application)
    if not application.is_open:
        raise ValidationError({"decision": _("This application has already been decided.")})
    reason = _text(reason, name="reason", limit=REASON_MAX)
    errors = _decision_errors(decision, reason, redirected_to)
    if errors:
        raise ValidationError(errors)
    if decision == Decision.ACCEPT:
        _accept(application, actor=decided_by, site_url=site_url)
    application.status = DECISION_STATUS[Decision(decision)]
    application.decided_at = timezone.now()
    application.decided_by = decided_by
    application.decision_reason = reason
    application.redirected_to = redirected_to if decision == Decision.REDIRECT else ""
    application.full_clean()
    application.save()
    audit_instance(actor=decided_by, action=Action.UPDATE, instance=application)
    return application


def _accept(application: PeerApplication, *, actor: User, site_url: str) -> PeerProfile:
    person, programme = application.person, application.programme
    if person.is_erased:
        raise ValidationError({"decision": _("This person's record was erased.")})
    held = PeerProfile.objects.filter(person=person, programme=programme).exclude(
        status=PeerProfile.Status.LEFT
    )
    if held.exists():
        raise ValidationError(
            {"decision": _("This person is already a peer supporter of this programme.")}
        )
    user, invited = _give_sign_in(person, actor=actor)
    if not RoleAssignment.objects.filter(
        user=user, role=Role.PEER_SUPPORTER, programme=programme, ended_at__isnull=True
    ).exists():
        role_grant(user=user, role=Role.PEER_SUPPORTER, granted_by=actor, programme=programme)
    profile = profile_open(person=person, programme=programme, actor=actor, application=application)
    if invited:
        user_id = user.pk
        transaction.on_commit(
            lambda: send_password_email.enqueue(
                user_id=user_id, kind="invitation", site_url=site_url
            )
        )
    return profile


def _give_sign_in(person: Person, *, actor: User) -> tuple[User, bool]:
    """Give the applicant's own person record a new login for their email (invited: they
    are asked to choose a password). An account that already uses the email is never
    linked: the email was typed on a form and nobody has shown it is theirs, so its
    owner would silently get this peer record. Staff check with the person first."""
    if person.user is not None:
        return person.user, False
    email = normalise_email(person.email)
    if not email:
        raise ValidationError({"email": _("The applicant has no email address to sign in with.")})
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        if Person.objects.filter(user=existing).exclude(pk=person.pk).exists():
            message = _(
                "An account with this email already belongs to another person's record. "
                "Check with the applicant: merge the two records if they are the same "
                "person, or correct the applicant's email, then decide."
            )
        else:
            message = _(
                "An account with this email already exists, and nothing shows it is the "
                "applicant's. Check with the applicant before going on: correct their "
                "email, or have an administrator link the account they confirm is theirs."
            )
        raise ValidationError({"email": message})
    user = User.objects.create_user(email=email, password=None)
    audit_instance(actor=actor, action=Action.CREATE, instance=user)
    person.user = user
    person.updated_at = timezone.now()
    person.save(update_fields=["user", "updated_at"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=person)
    return user, True


# ---------------------------------------------------------------------------------------
# Selectors


def applications_in_scope(*, user: AnyUser, policy: Policy) -> QuerySet[PeerApplication]:
    programmes = programmes_in_scope(user=user, policy=policy)
    return PeerApplication.objects.filter(programme__in=programmes).select_related(
        "person", "programme__site", "decided_by__person"
    )


def access_application(*, user: AnyUser, application_id: Any, policy: Policy) -> PeerApplication:
    """Fetch an application for `policy`: 404 outside the user's reach, 403 when they
    reach it but may not do this. Reading it is audited as a read of the person."""
    pk = as_pk(application_id)
    application = applications_in_scope(user=user, policy=policy).filter(pk=pk).first()
    if application is None:
        visible = (
            policy is not policies.WORKFORCE_VIEW
            and applications_in_scope(user=user, policy=policies.WORKFORCE_VIEW)
            .filter(pk=pk)
            .exists()
        )
        if visible:
            raise PermissionDenied
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=application.person)
    return application


def may_decide(*, user: AnyUser, application: PeerApplication) -> bool:
    return (
        programmes_in_scope(user=user, policy=policies.APPLICATION_DECIDE)
        .filter(pk=application.programme_id)
        .exists()
    )


def programme_applications(*, programme: Programme, status: str = "") -> QuerySet[PeerApplication]:
    """A programme's applications, open ones first (longest waiting first), then the
    decided ones, newest decision first. Not audited: callers audit the page they show
    (`audit_listed`)."""
    rows = (
        PeerApplication.objects.filter(programme=programme)
        .select_related("person")
        .annotate(
            screening_count=Count("screenings"),
            open_rank=Case(
                When(status__in=PeerApplication.OPEN, then=0),
                default=1,
                output_field=IntegerField(),
            ),
        )
        .order_by("open_rank", F("decided_at").desc(nulls_first=True), "received_at", "pk")
    )
    if status:
        rows = rows.filter(status=status)
    return rows


def status_counts(programme: Programme) -> dict[str, int]:
    counted = (
        PeerApplication.objects.filter(programme=programme)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["status"]: row["n"] for row in counted}


def audit_listed(*, user: AnyUser, applications: list[PeerApplication]) -> None:
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[application.person_id for application in applications],
    )


def days_waiting(application: PeerApplication, *, now: datetime.datetime | None = None) -> int:
    """Whole days an open application has waited for a decision (0 once decided)."""
    if not application.is_open:
        return 0
    return max(0, ((now or timezone.now()) - application.received_at).days)


def experience_of(application: PeerApplication) -> LivedExperience | None:
    return (
        LivedExperience.objects.filter(
            person_id=application.person_id,
            programme_id=application.programme_id,
            perspective=LivedExperience.Perspective.BEEN_THROUGH,
        )
        .select_related("condition__parent__parent")
        .first()
    )


@dataclass(frozen=True)
class ScreeningView:
    screening: Screening
    ratings: list[tuple[str, int | None]]
    average: float | None


def screenings_of(application: PeerApplication) -> list[ScreeningView]:
    """Every screening with its ratings in the characteristics' order, newest first."""
    views = []
    for screening in application.screenings.select_related("screened_by__person"):
        given = [v for v in screening.ratings.values() if isinstance(v, int)]
        views.append(
            ScreeningView(
                screening=screening,
                ratings=[(str(c.label), screening.ratings.get(c.value)) for c in Characteristic],
                average=round(sum(given) / len(given), 1) if given else None,
            )
        )
    return views


def condition_in_taxonomy(*, programme: Programme, condition_id: int | None) -> Condition | None:
    """A condition of the programme's organisation, for the API (field error if not)."""
    if condition_id is None:
        return None
    found = (
        Condition.objects.select_related("parent__parent")
        .filter(pk=condition_id, organisation_id=programme.site.organisation_id)
        .first()
    )
    if found is None:
        raise ValidationError({"condition_id": _("Choose a condition of this organisation.")})
    return found
