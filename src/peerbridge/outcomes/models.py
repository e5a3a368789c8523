"""Outcomes: what a programme asks people (questionnaires at timepoints), what it records
about them (physiological and behavioural measures) and the licences that let a
deployment use a licensed instrument.

The raw answers are the record. Scores, bands and safety items are computed from them on
save by the pure `peerbridge.instruments` code of the instrument's version and stored
beside them, so reports read columns instead of re-scoring a million responses."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.organisations.models import Programme
from peerbridge.people.models import Person
from peerbridge.referrals.models import Enrolment
from peerbridge.workforce.models import PeerProfile


class InstrumentLicence(models.Model):
    """This deployment's licence for an instrument that needs one (WEMWBS, EPDS, ...).
    A licensed instrument can be scheduled or entered only while a licence is recorded
    and in date."""

    instrument = models.CharField(_("questionnaire"), max_length=40, unique=True)
    holder = models.CharField(_("licence holder"), max_length=200)
    reference = models.CharField(_("licence reference or agreement"), max_length=200)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["instrument"]

    def __str__(self) -> str:
        return self.instrument

    def in_force(self, on: date | None = None) -> bool:
        day = on or timezone.localdate()
        return self.withdrawn_at is None and (self.valid_until is None or self.valid_until >= day)


class Respondent(models.TextChoices):
    PARTICIPANT = "participant", _("The participant")
    PEER = "peer", _("The peer supporter")


class Timepoint(models.Model):
    """One point of a programme's questionnaire schedule (baseline, 4 weeks, 12 weeks,
    exit, 6-month follow-up): which questionnaires, for whom, and how long the window
    stays open. When it falls due is a playbook rule's business (followups), so a
    programme sets the day in the same place as its other follow-ups."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="timepoints")
    code = models.SlugField(_("short code"), max_length=30)
    label = models.CharField(_("name"), max_length=100)
    instruments = models.JSONField(_("questionnaires"), default=list)
    respondent = models.CharField(
        _("answered by"), max_length=12, choices=Respondent.choices, default=Respondent.PARTICIPANT
    )
    window_days = models.PositiveSmallIntegerField(
        _("days the questionnaire stays open"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
    )
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["programme_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="one_timepoint_code")
        ]

    def __str__(self) -> str:
        return self.label


class Mode(models.TextChoices):
    LINK = "link", _("By the participant, from a link")
    INTERVIEW = "interview", _("In an interview with a peer or staff member")
    PAPER = "paper", _("Entered from paper")


class Assessment(models.Model):
    """The questionnaires one person is asked at one timepoint, and the link that lets
    them answer without an account (only the token's digest is kept)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting")
        STARTED = "started", _("Started")
        COMPLETED = "completed", _("Completed")
        EXPIRED = "expired", _("Window closed")
        DECLINED = "declined", _("Declined")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="assessments")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assessments")
    enrolment = models.ForeignKey(
        Enrolment, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    profile = models.ForeignKey(
        PeerProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    timepoint = models.ForeignKey(
        Timepoint, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    instruments = models.JSONField(default=list)
    due_on = models.DateField(_("due"))
    closes_on = models.DateField(_("window closes"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    link_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    link_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["programme", "status", "due_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "timepoint"],
                condition=models.Q(enrolment__isnull=False, timepoint__isnull=False),
                name="one_assessment_per_enrolment_timepoint",
            ),
            models.UniqueConstraint(
                fields=["profile", "timepoint"],
                condition=models.Q(profile__isnull=False, timepoint__isnull=False),
                name="one_assessment_per_profile_timepoint",
            ),
            models.CheckConstraint(
                condition=models.Q(enrolment__isnull=False) | models.Q(profile__isnull=False),
                name="assessment_has_a_respondent",
            ),
        ]

    def __str__(self) -> str:
        return f"assessment {self.pk}"

    @property
    def is_done(self) -> bool:
        return self.status in {self.Status.COMPLETED, self.Status.EXPIRED, self.Status.DECLINED}


class Response(models.Model):
    """One questionnaire answered (or being answered) by one person."""

    class Status(models.TextChoices):
        STARTED = "started", _("Started")
        COMPLETE = "complete", _("Complete")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="responses")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="responses")
    enrolment = models.ForeignKey(
        Enrolment, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    profile = models.ForeignKey(
        PeerProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    instrument = models.CharField(max_length=40)
    version = models.CharField(max_length=20)
    mode = models.CharField(_("how it was completed"), max_length=10, choices=Mode.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STARTED)
    answers = models.JSONField(default=dict, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    bands = models.JSONField(default=dict, blank=True)
    safety_items = models.JSONField(default=list, blank=True)
    # The instrument's first scale, as a column for reports over many responses.
    score = models.FloatField(null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-completed_at", "-id"]
        indexes = [
            models.Index(fields=["programme", "instrument", "status"]),
            models.Index(fields=["enrolment", "instrument", "completed_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "instrument"],
                condition=models.Q(assessment__isnull=False),
                name="one_response_per_assessment_instrument",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} response {self.pk}"


class MeasureKind(models.TextChoices):
    # Physiological
    VIRAL_LOAD = "viral_load", _("HIV viral load")
    CD4 = "cd4", _("CD4 count")
    HBA1C = "hba1c", _("HbA1c")
    WEIGHT = "weight", _("Weight")
    BLOOD_PRESSURE = "blood_pressure", _("Blood pressure")
    # Behavioural
    APPOINTMENT_KEPT = "appointment_kept", _("Appointment kept")
    APPOINTMENT_MISSED = "appointment_missed", _("Appointment missed")
    ADHERENCE = "adherence", _("Medication adherence")
    PRESCRIPTION_COLLECTED = "prescription_collected", _("Prescription collected")
    ADMISSION = "admission", _("Hospital admission")
    BED_DAYS = "bed_days", _("Days in hospital")


class MeasureSource(models.TextChoices):
    SELF_REPORT = "self_report", _("Said by the participant")
    CLINIC_RECORD = "clinic_record", _("Clinic or hospital record")
    LABORATORY = "laboratory", _("Laboratory result")
    PHARMACY = "pharmacy", _("Pharmacy record")
    PEER_OBSERVED = "peer_observed", _("Seen by the peer")


class CurrentMeasures(models.Manager["Measure"]):
    """Measures not withdrawn: what every page, report and export reads."""

    def get_queryset(self) -> models.QuerySet[Measure]:
        return super().get_queryset().filter(withdrawn_at__isnull=True)


class Measure(models.Model):
    """One physiological or behavioural measurement of a participant, with its unit and
    where it came from. One entered in error is withdrawn, never deleted: the row stays
    (for the audit trail) and drops out of every list."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="measures")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="measures")
    kind = models.CharField(_("measure"), max_length=24, choices=MeasureKind.choices)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    # The second number of a pair (diastolic blood pressure).
    value_2 = models.DecimalField(
        _("second value"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=20)
    measured_on = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=16, choices=MeasureSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    every = models.Manager()
    objects = CurrentMeasures()

    class Meta:
        ordering = ["-measured_on", "-id"]
        default_manager_name = "objects"
        base_manager_name = "every"
        indexes = [
            models.Index(fields=["enrolment", "kind", "measured_on"]),
            models.Index(fields=["programme", "kind", "measured_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.measured_on}"
