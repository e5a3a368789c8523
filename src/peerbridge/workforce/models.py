"""The peer workforce: how a person becomes a peer supporter and stays well doing it.

application > screening > accepted to training > agreements, modules and competency
checks > certification > available with a capacity > supervision and wellbeing check-ins
> recertification, or decertification with reasons. Whether a peer may take a new match
or facilitate a group is answered in one place, `workforce.eligibility`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.core.crypto import EncryptedTextField
from peerbridge.organisations.models import ChoiceListValidator, Organisation, Programme
from peerbridge.people.models import Person

HOURS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("999.9"))]


class Characteristic(models.TextChoices):
    """What the literature asks of a peer supporter (seeds 001-003)."""

    COMMUNICATION = "communication", _("Communication")
    AUTHENTICITY = "authenticity", _("Authenticity")
    MOTIVATION = "motivation", _("Motivation to help others")
    CALM = "calm", _("Calm under pressure")
    AGREEABLENESS = "agreeableness", _("Agreeableness")
    JUDGEMENT = "judgement", _("Good judgement")
    COMPASSION = "compassion", _("Compassion")
    OPTIMISM = "optimism", _("Optimism and hope")
    ACCEPTANCE = "acceptance", _("Acceptance of others")


class RatingsValidator:
    """Screening ratings: each characteristic at most once, rated 1 (concern) to 5
    (strength)."""

    def __call__(self, value: object) -> None:
        if not isinstance(value, dict):
            raise ValidationError(_("Ratings must be a mapping of characteristic to 1-5."))
        unknown = set(value) - set(Characteristic.values)
        if unknown:
            raise ValidationError(
                _("Unknown characteristics: %(names)s."), params={"names": ", ".join(unknown)}
            )
        for rating in value.values():
            if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
                raise ValidationError(_("Each rating is a whole number from 1 to 5."))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RatingsValidator)

    def deconstruct(self) -> tuple[str, tuple[object, ...], dict[str, object]]:
        return ("peerbridge.workforce.models.RatingsValidator", (), {})


class AvailabilityValidator:
    """Weekly availability windows: [{"day": 0-6 (Monday=0), "start": "HH:MM", "end":
    "HH:MM"}], each ending after it starts."""

    def __call__(self, value: object) -> None:
        if not isinstance(value, list):
            raise ValidationError(_("Availability must be a list of weekly windows."))
        if len(value) > 50:
            raise ValidationError(_("At most 50 availability windows."))
        for window in value:
            if not isinstance(window, dict) or set(window) != {"day", "start", "end"}:
                raise ValidationError(_("Each window has a day, a start and an end."))
            day = window["day"]
            if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
                raise ValidationError(_("The day is 0 (Monday) to 6 (Sunday)."))
            start, end = window["start"], window["end"]
            if not (_is_clock(start) and _is_clock(end)) or start >= end:
                raise ValidationError(_("Times are HH:MM and a window ends after it starts."))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AvailabilityValidator)

    def deconstruct(self) -> tuple[str, tuple[object, ...], dict[str, object]]:
        return ("peerbridge.workforce.models.AvailabilityValidator", (), {})


def _is_clock(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return False
    hours, minutes = value[:2], value[3:]
    return hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60


# ---------------------------------------------------------------------------------------
# Certification frameworks come first: a programme's settings may require one.


class CertificationFramework(models.Model):
    """A credential peers can hold, e.g. a state peer specialist certification or a
    national group facilitator credential."""

    class Kind(models.TextChoices):
        STATE = "state", _("State or regional certification")
        NATIONAL = "national", _("National credential")
        PROGRAMME = "programme", _("Programme's own certificate")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="certification_frameworks"
    )
    name = models.CharField(_("name"), max_length=200)
    issuer = models.CharField(_("issued by"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    validity_months = models.PositiveSmallIntegerField(
        _("valid for (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_("Leave empty when it does not expire."),
    )
    recertification_hours = models.DecimalField(
        _("continuing training hours to recertify"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("0"),
        validators=HOURS,
    )
    recertification_requirements = models.TextField(
        _("recertification requirements"), blank=True, max_length=4000
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="framework_unique_name_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.name


class WorkforceSettings(models.Model):
    """A programme's rules for its peer workforce."""

    programme = models.OneToOneField(
        Programme, on_delete=models.PROTECT, related_name="workforce_settings"
    )
    applications_open = models.BooleanField(
        _("accepts applications from peers"),
        default=True,
        help_text=_("Shows the public page where people apply to become a peer supporter."),
    )
    supervision_cadence_days = models.PositiveSmallIntegerField(
        _("days between supervision sessions"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
    )
    ongoing_training_hours = models.DecimalField(
        _("ongoing training hours expected"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("6"),
        validators=HOURS,
    )
    ongoing_training_period_days = models.PositiveSmallIntegerField(
        _("over this many days"),
        default=365,
        validators=[MinValueValidator(7), MaxValueValidator(1095)],
    )
    checkin_cadence_days = models.PositiveSmallIntegerField(
        _("days between wellbeing check-ins"),
        default=28,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    burnout_threshold = models.PositiveSmallIntegerField(
        _("burnout score that pauses new matches"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "A work- or client-related Copenhagen Burnout Inventory score at or above this "
            "sets the peer's capacity for new matches to zero until their supervisor reviews."
        ),
    )
    default_max_matches = models.PositiveSmallIntegerField(
        _("default number of people a peer supports at once"),
        default=5,
        validators=[MaxValueValidator(100)],
    )
    default_max_groups = models.PositiveSmallIntegerField(
        _("default number of groups a peer facilitates at once"),
        default=1,
        validators=[MaxValueValidator(20)],
    )
    required_framework = models.ForeignKey(
        CertificationFramework,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("certification peers must hold"),
        help_text=_("Leave empty when the programme does not require a certification."),
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "workforce settings"

    def __str__(self) -> str:
        return f"{self.programme.code} workforce"


# ---------------------------------------------------------------------------------------
# Applications and screening


class OtherRole(models.TextChoices):
    """Where an applicant not suited to one-to-one support can still contribute."""

    ADVISORY_GROUP = "advisory_group", _("Advisory group")
    EVENTS = "events", _("Events and fundraising")
    ADVOCACY = "advocacy", _("Advocacy and speaking")


class PeerApplication(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        SCREENING = "screening", _("Being screened")
        ACCEPTED = "accepted", _("Accepted to training")
        REDIRECTED = "redirected", _("Redirected to another role")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Source(models.TextChoices):
        PUBLIC = "public", _("Applied online")
        STAFF = "staff", _("Entered by staff")

    OPEN = (Status.SUBMITTED, Status.SCREENING)

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="peer_applications"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="peer_applications")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    motivation = EncryptedTextField(_("why I want to be a peer supporter"), blank=True)
    availability = models.CharField(_("when I am available"), max_length=300, blank=True)
    modalities = models.JSONField(
        _("ways I can meet people"),
        default=list,
        blank=True,
        validators=[ChoiceListValidator(Programme.Modality.values, "way of meeting", True)],
    )
    references = EncryptedTextField(
        _("references"),
        blank=True,
        help_text=_("Who can speak for you, and how to reach them."),
    )
    received_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = EncryptedTextField(_("reasons for the decision"), blank=True)
    redirected_to = models.CharField(
        _("other role offered"), max_length=20, choices=OtherRole.choices, blank=True
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "programme"],
                condition=models.Q(status__in=["submitted", "screening"]),
                name="one_open_peer_application",
            )
        ]
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self) -> str:
        return f"application {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class Screening(models.Model):
    """One screener's structured view of an applicant: characteristics, readiness and a
    role-play competency assessment."""

    class Readiness(models.TextChoices):
        READY = "ready", _("Ready: own recovery or loss is stable and worked through")
        NOT_YET = "not_yet", _("Not yet: too soon after their own experience")
        UNSURE = "unsure", _("Unsure: discuss with the supervisor")

    class RolePlay(models.TextChoices):
        PASSED = "passed", _("Passed")
        NOT_YET = "not_yet", _("Not yet")
        NOT_DONE = "not_done", _("Not done")

    application = models.ForeignKey(
        PeerApplication, on_delete=models.PROTECT, related_name="screenings"
    )
    ratings = models.JSONField(_("ratings"), default=dict, validators=[RatingsValidator()])
    readiness = models.CharField(_("readiness"), max_length=10, choices=Readiness.choices)
    readiness_notes = EncryptedTextField(_("readiness notes"), blank=True)
    role_play = models.CharField(
        _("role-play competency assessment"),
        max_length=10,
        choices=RolePlay.choices,
        default=RolePlay.NOT_DONE,
    )
    role_play_notes = EncryptedTextField(_("role-play notes"), blank=True)
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    screened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-screened_at", "-id"]

    def __str__(self) -> str:
        return f"screening {self.pk}"


# ---------------------------------------------------------------------------------------
# The peer's standing in a programme


class PeerProfile(models.Model):
    """A peer supporter's standing in one programme: from accepted to training, through
    being available with a capacity, to leaving."""

    class Status(models.TextChoices):
        TRAINING = "training", _("In training")
        ACTIVE = "active", _("Available to support people")
        LEFT = "left", _("Left the programme")

    class PauseReason(models.TextChoices):
        TIME_OFF = "time_off", _("Time off")
        UNWELL = "unwell", _("Not feeling well")
        PERSONAL = "personal", _("Personal reasons")
        REVIEW = "review", _("Paused by the programme for review")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="peer_profiles")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="peer_profiles")
    application = models.OneToOneField(
        PeerApplication,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="profile",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.TRAINING
    )
    alias = models.CharField(
        _("name shown to participants choosing a peer"),
        max_length=60,
        blank=True,
        help_text=_("A first name or chosen name; nothing that identifies you."),
    )
    started_on = models.DateField(_("started"), default=timezone.localdate)
    activated_on = models.DateField(_("available since"), null=True, blank=True)
    left_on = models.DateField(_("left"), null=True, blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervisees",
        verbose_name=_("supervisor"),
    )
    max_matches = models.PositiveSmallIntegerField(
        _("people supported at once"), default=5, validators=[MaxValueValidator(100)]
    )
    max_groups = models.PositiveSmallIntegerField(
        _("groups facilitated at once"), default=1, validators=[MaxValueValidator(20)]
    )
    availability = models.JSONField(
        _("weekly availability"), default=list, blank=True, validators=[AvailabilityValidator()]
    )
    modalities = models.JSONField(
        _("ways of meeting"),
        default=list,
        blank=True,
        validators=[ChoiceListValidator(Programme.Modality.values, "way of meeting", True)],
    )
    # A high burnout check-in holds new matches (capacity zero) until the supervisor
    # reviews; the hold is lifted by a person, never by time.
    capacity_hold = models.BooleanField(_("new matches on hold"), default=False)
    capacity_hold_since = models.DateTimeField(null=True, blank=True)
    paused_from = models.DateField(_("paused from"), null=True, blank=True)
    paused_until = models.DateField(
        _("back on"), null=True, blank=True, help_text=_("Leave empty if you are not sure yet.")
    )
    pause_reason = models.CharField(
        _("reason for the pause"), max_length=10, choices=PauseReason.choices, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["programme_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "programme"], name="one_profile_per_programme"
            )
        ]
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self) -> str:
        return f"peer profile {self.pk}"

    def is_paused(self, on: date | None = None) -> bool:
        day = on or timezone.localdate()
        if self.paused_from is None or self.paused_from > day:
            return False
        return self.paused_until is None or day < self.paused_until


# ---------------------------------------------------------------------------------------
# Agreements


class AgreementKind(models.TextChoices):
    CODE_OF_CONDUCT = "code_of_conduct", _("Code of conduct")
    CONFIDENTIALITY = "confidentiality", _("Confidentiality agreement")
    WELLBEING = "wellbeing", _("Wellbeing and relapse support agreement")


class AgreementText(models.Model):
    """A version of an agreement's wording. Publishing a new version asks every peer to
    sign again: only a signature of the newest version of each kind counts."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="agreement_texts"
    )
    kind = models.CharField(_("agreement"), max_length=20, choices=AgreementKind.choices)
    version = models.CharField(_("version"), max_length=20)
    body = models.TextField(_("wording"), max_length=20000)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["kind", "-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "kind", "version"], name="agreement_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class AgreementSignature(models.Model):
    profile = models.ForeignKey(PeerProfile, on_delete=models.PROTECT, related_name="signatures")
    text = models.ForeignKey(AgreementText, on_delete=models.PROTECT, related_name="signatures")
    signed_name = models.CharField(_("signed as"), max_length=200)
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "text"], name="sign_each_version_once")
        ]

    def __str__(self) -> str:
        return f"signature {self.pk}"


# ---------------------------------------------------------------------------------------
# Training


class TrainingModule(models.Model):
    class Audience(models.TextChoices):
        PEERS = "peers", _("Peer supporters")
        STAFF = "staff", _("Staff who work with peers")

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="training_modules"
    )
    title = models.CharField(_("title"), max_length=200)
    objectives = models.TextField(_("learning objectives"), blank=True, max_length=4000)
    hours = models.DecimalField(
        _("hours"), max_digits=4, decimal_places=1, validators=HOURS, default=Decimal("2")
    )
    required = models.BooleanField(_("required before supporting people"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    audience = models.CharField(
        _("for"), max_length=10, choices=Audience.choices, default=Audience.PEERS
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["programme_id", "audience", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "title"], name="module_unique_title")
        ]

    def __str__(self) -> str:
        return self.title


class TrainingSession(models.Model):
    class Modality(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        VIDEO = "video", _("Video call")
        SELF_PACED = "self_paced", _("Self-paced online")

    module = models.ForeignKey(TrainingModule, on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField(_("starts"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=4,
        decimal_places=1,
        validators=HOURS,
        null=True,
        blank=True,
        help_text=_("Leave empty to use the module's hours."),
    )
    trainer = models.CharField(_("trainer"), max_length=200)
    modality = models.CharField(_("how"), max_length=12, choices=Modality.choices)
    location = models.CharField(_("where or link"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.module} {self.starts_at:%Y-%m-%d}"

    @property
    def credit_hours(self) -> Decimal:
        return self.hours if self.hours is not None else self.module.hours


class TrainingAttendance(models.Model):
    """Who came to a training session. Peers and staff alike: staff training about
    working with peers is recorded the same way."""

    session = models.ForeignKey(
        TrainingSession, on_delete=models.PROTECT, related_name="attendance"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="training_attendance")
    attended = models.BooleanField(_("attended"), default=True)
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1, validators=HOURS)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="attend_session_once")
        ]

    def __str__(self) -> str:
        return f"attendance {self.pk}"


class Competency(models.Model):
    """A skill a peer shows before supporting people, checked by an assessor."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="competencies")
    name = models.CharField(_("competency"), max_length=200)
    description = models.TextField(_("what good looks like"), blank=True, max_length=4000)
    required = models.BooleanField(_("required before supporting people"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["programme_id", "order", "id"]
        verbose_name_plural = "competencies"
        constraints = [
            models.UniqueConstraint(fields=["programme", "name"], name="competency_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class CompetencyCheck(models.Model):
    class Result(models.TextChoices):
        PASSED = "passed", _("Competent")
        NOT_YET = "not_yet", _("Not yet competent")

    profile = models.ForeignKey(
        PeerProfile, on_delete=models.PROTECT, related_name="competency_checks"
    )
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="checks")
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    evidence = EncryptedTextField(
        _("evidence"), help_text=_("What you observed: the role-play, the scenario, the work.")
    )
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-assessed_at", "-id"]

    def __str__(self) -> str:
        return f"competency check {self.pk}"


# ---------------------------------------------------------------------------------------
# Certification


class Certification(models.Model):
    """A certification decision for a person under a framework: certified (with an
    expiry), not certified (with recommendations) or, later, decertified."""

    class Status(models.TextChoices):
        CERTIFIED = "certified", _("Certified")
        NOT_CERTIFIED = "not_certified", _("Not certified")
        DECERTIFIED = "decertified", _("Decertified")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="certifications")
    framework = models.ForeignKey(
        CertificationFramework, on_delete=models.PROTECT, related_name="certifications"
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="certifications"
    )
    status = models.CharField(_("decision"), max_length=15, choices=Status.choices)
    issued_on = models.DateField(_("issued"), null=True, blank=True)
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    recommendations = EncryptedTextField(
        _("recommendations"),
        blank=True,
        help_text=_("For a peer not certified: what to do next, e.g. retake the course."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["person", "framework"])]

    def __str__(self) -> str:
        return f"certification {self.pk}"


class Decertification(models.Model):
    class Appeal(models.TextChoices):
        NONE = "none", _("No appeal")
        LODGED = "lodged", _("Appeal lodged")
        UPHELD = "upheld", _("Appeal refused: decertification stands")
        OVERTURNED = "overturned", _("Appeal granted: certification restored")

    certification = models.OneToOneField(
        Certification, on_delete=models.PROTECT, related_name="decertification"
    )
    reason = EncryptedTextField(_("reason"))
    evidence = EncryptedTextField(
        _("evidence"),
        blank=True,
        help_text=_("Incidents, fidelity observations, supervision notes the decision rests on."),
    )
    supervision_sessions: models.ManyToManyField[SupervisionSession, Any] = models.ManyToManyField(
        "SupervisionSession", blank=True, related_name="+", verbose_name=_("supervision notes")
    )
    effective_on = models.DateField(_("effective from"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    appeal = models.CharField(
        _("appeal"), max_length=12, choices=Appeal.choices, default=Appeal.NONE
    )
    appeal_lodged_on = models.DateField(null=True, blank=True)
    appeal_decided_on = models.DateField(null=True, blank=True)
    appeal_notes = EncryptedTextField(_("appeal notes"), blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"decertification {self.pk}"


# ---------------------------------------------------------------------------------------
# Supervision


class SupervisionSession(models.Model):
    class Format(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        GROUP = "group", _("Group")

    class Kind(models.TextChoices):
        CLINICAL = "clinical", _("Clinical supervision")
        PEER = "peer", _("Peer supervision")

    class Topic(models.TextChoices):
        CASELOAD = "caseload", _("Caseload")
        BOUNDARIES = "boundaries", _("Boundaries and disclosure")
        RISK = "risk", _("Risk and safety")
        WELLBEING = "wellbeing", _("Own wellbeing")
        SKILLS = "skills", _("Skills and development")
        TEAM = "team", _("Team and programme")

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="supervision_sessions"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    peers = models.ManyToManyField(PeerProfile, related_name="supervision_sessions")
    held_at = models.DateTimeField(_("held"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("minutes"), default=60, validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    format = models.CharField(_("format"), max_length=12, choices=Format.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    topics = models.JSONField(
        _("topics"),
        default=list,
        blank=True,
        validators=[ChoiceListValidator(Topic.values, "topic", True)],
    )
    notes = EncryptedTextField(_("notes"), blank=True)
    agreed_actions = EncryptedTextField(_("agreed actions"), blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_at", "-id"]

    def __str__(self) -> str:
        return f"supervision {self.pk}"


# ---------------------------------------------------------------------------------------
# Wellbeing


class WellbeingCheckIn(models.Model):
    class Kind(models.TextChoices):
        CBI = "cbi", _("Burnout check-in (Copenhagen Burnout Inventory)")
        PULSE = "pulse", _("Quick pulse")

    class Pulse(models.IntegerChoices):
        STRUGGLING = 1, _("Struggling")
        LOW = 2, _("Low")
        OKAY = 3, _("Okay")
        GOOD = 4, _("Good")
        GREAT = 5, _("Great")

    profile = models.ForeignKey(PeerProfile, on_delete=models.PROTECT, related_name="checkins")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    answers = models.JSONField(default=dict, blank=True)
    instrument_version = models.CharField(max_length=20, blank=True)
    personal_score = models.FloatField(null=True, blank=True)
    work_score = models.FloatField(null=True, blank=True)
    client_score = models.FloatField(null=True, blank=True)
    pulse = models.PositiveSmallIntegerField(null=True, blank=True, choices=Pulse.choices)
    high = models.BooleanField(_("above the programme's threshold"), default=False)
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_at", "-id"]
        indexes = [models.Index(fields=["profile", "completed_at"])]

    def __str__(self) -> str:
        return f"check-in {self.pk}"


class WorkforceAlert(models.Model):
    """Something about a peer a supervisor or coordinator must look at. Alerts hold ids
    and scores only; the detail lives in the record they point to."""

    class Kind(models.TextChoices):
        BURNOUT = "burnout", _("High burnout: new matches on hold")
        PULSE_LOW = "pulse_low", _("Peer says they are struggling")
        MATCHES_REVIEW = "matches_review", _("Decertified or expired: matches need review")
        COVER = "cover", _("Paused: people supported need cover")

    profile = models.ForeignKey(PeerProfile, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(_("alert"), max_length=20, choices=Kind.choices)
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = EncryptedTextField(_("what was done"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["profile", "resolved_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "kind"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_alert_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"alert {self.pk}"


# ---------------------------------------------------------------------------------------
# Capacity


class CapacityReservation(models.Model):
    """One unit of a peer's capacity held for a match or a group. Load is the count of
    unreleased reservations; only `workforce.capacity` writes them, under a row lock."""

    class Kind(models.TextChoices):
        MATCH = "match", _("Match")
        GROUP = "group", _("Group")

    profile = models.ForeignKey(PeerProfile, on_delete=models.PROTECT, related_name="reservations")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reference = models.CharField(
        max_length=80, help_text="What holds the capacity, e.g. 'match:12' or 'group:3'."
    )
    reserved_at = models.DateTimeField(default=timezone.now)
    reserved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-reserved_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "kind", "reference"],
                condition=models.Q(released_at__isnull=True),
                name="one_live_reservation_per_reference",
            )
        ]
        indexes = [models.Index(fields=["profile", "kind", "released_at"])]

    def __str__(self) -> str:
        return f"reservation {self.pk}"


# ---------------------------------------------------------------------------------------
# Engagement and recognition


class Announcement(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="announcements")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), max_length=4000)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title


class TeamEvent(models.Model):
    class Kind(models.TextChoices):
        TEAM_MEETING = "team_meeting", _("Team meeting")
        TRAINING_DAY = "training_day", _("Training day")
        SOCIAL = "social", _("Social")
        CELEBRATION = "celebration", _("Celebration")
        OTHER = "other", _("Other")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="team_events")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    location = models.CharField(_("where or link"), max_length=300, blank=True)
    description = models.TextField(_("details"), blank=True, max_length=4000)
    attendees = models.ManyToManyField(
        PeerProfile, blank=True, related_name="team_events", verbose_name=_("attended")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("An event ends after it starts.")})
