"""Safety: risk flags with an acknowledgement deadline by severity, escalation of a
missed deadline to the programme leader, and the log of boundary incidents and
adverse events (which includes incidents in online groups).

No flag is ever lost: a flag stays open until someone resolves it with the actions
taken, every step is a row in its trail, and the escalation scan is idempotent."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.core.crypto import EncryptedTextField
from peerbridge.organisations.models import Programme
from peerbridge.people.models import Person
from peerbridge.referrals.models import Enrolment
from peerbridge.support.models import Contact, Group, GroupSession
from peerbridge.workforce.models import PeerProfile


class Severity(models.TextChoices):
    HIGH = "high", _("High: someone may be in danger now")
    MEDIUM = "medium", _("Medium: needs attention soon")
    LOW = "low", _("Low: keep an eye on it")


class SafetySettings(models.Model):
    """A programme's acknowledgement deadlines, working hours, default on-call person
    and the crisis resources shown to a peer who raises a high flag."""

    programme = models.OneToOneField(
        Programme, on_delete=models.CASCADE, related_name="safety_settings"
    )
    high_within_minutes = models.PositiveSmallIntegerField(
        _("acknowledge a high flag within (minutes)"),
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
    )
    medium_within_working_days = models.PositiveSmallIntegerField(
        _("acknowledge a medium flag within (working days)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    low_within_working_days = models.PositiveSmallIntegerField(
        _("acknowledge a low flag within (working days)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    working_day_starts = models.TimeField(_("working day starts"), default="09:00")
    working_day_ends = models.TimeField(_("working day ends"), default="17:00")
    working_weekdays = models.JSONField(
        _("working days"), default=list, blank=True, help_text="ISO weekdays, 1 = Monday."
    )
    on_call = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("on call when no one is on the rota"),
    )
    crisis_resources = models.TextField(
        _("crisis resources"),
        blank=True,
        max_length=4000,
        help_text=_("One per line: who to call and how, shown at once with a high flag."),
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"safety settings {self.programme_id}"


class OnCallShift(models.Model):
    """Who is the programme's on-call clinician or supervisor from when to when."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="on_call")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))

    class Meta:
        ordering = ["programme_id", "starts_at", "id"]
        indexes = [models.Index(fields=["programme", "starts_at", "ends_at"])]

    def __str__(self) -> str:
        return f"on-call shift {self.pk}"


class RiskFlag(models.Model):
    class Source(models.TextChoices):
        CONTACT = "contact", _("A contact")
        GROUP_SESSION = "group_session", _("A group session")
        QUESTIONNAIRE = "questionnaire", _("A questionnaire answer")
        STAFF = "staff", _("Raised by staff")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for acknowledgement")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="risk_flags")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="risk_flags")
    enrolment = models.ForeignKey(
        Enrolment, null=True, blank=True, on_delete=models.PROTECT, related_name="risk_flags"
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    source = models.CharField(max_length=15, choices=Source.choices)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="risk_flags"
    )
    group_session = models.ForeignKey(
        GroupSession, null=True, blank=True, on_delete=models.PROTECT, related_name="risk_flags"
    )
    source_reference = models.CharField(
        max_length=80, blank=True, help_text="e.g. 'response:12:item:phq9_9' for a questionnaire."
    )
    summary = EncryptedTextField(_("what happened"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_flags",
        help_text="The on-call clinician or supervisor when it was raised.",
    )
    acknowledge_by = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actions = models.JSONField(_("actions taken"), default=list, blank=True)
    resolution = EncryptedTextField(_("what was done"), blank=True)

    class Meta:
        ordering = ["acknowledge_by", "id"]
        indexes = [
            models.Index(fields=["programme", "status", "acknowledge_by"]),
            models.Index(fields=["status", "escalated_at", "acknowledge_by"]),
            models.Index(fields=["person", "status"]),
        ]

    def __str__(self) -> str:
        return f"risk flag {self.pk}"


class FlagEvent(models.Model):
    """The flag's trail: raised, notified, acknowledged, escalated, note, resolved."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("Raised")
        NOTIFIED = "notified", _("Notified")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ESCALATED = "escalated", _("Escalated")
        NOTE = "note", _("Note")
        RESOLVED = "resolved", _("Resolved")

    flag = models.ForeignKey(RiskFlag, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            # The escalation scan may run in several workers: one escalation per flag.
            models.UniqueConstraint(
                fields=["flag"],
                condition=models.Q(kind="escalated"),
                name="one_escalation_per_flag",
            )
        ]

    def __str__(self) -> str:
        return f"flag event {self.pk}"


class Incident(models.Model):
    """A boundary incident, an adverse event, or an incident in an online group."""

    class Kind(models.TextChoices):
        BOUNDARY = "boundary", _("Boundary incident")
        ADVERSE_EVENT = "adverse_event", _("Adverse event")
        ONLINE_GROUP = "online_group", _("Online group incident")

    class Category(models.TextChoices):
        DUAL_RELATIONSHIP = "dual_relationship", _("Dual relationship")
        MONEY_OR_GIFTS = "money_or_gifts", _("Money or gifts")
        OUT_OF_HOURS = "out_of_hours", _("Contact outside agreed hours")
        OVERSHARING = "oversharing", _("Disclosure beyond what helps")
        CONFIDENTIALITY = "confidentiality", _("Confidentiality breach")
        HARM_TO_PARTICIPANT = "harm_to_participant", _("Harm to a participant")
        HARM_TO_PEER = "harm_to_peer", _("Harm to a peer supporter")
        PEER_RELAPSE = "peer_relapse", _("Peer supporter became unwell")
        DEATH = "death", _("Death")
        HARMFUL_CONTENT = "harmful_content", _("Harmful content posted")
        HARASSMENT = "harassment", _("Harassment or bullying")
        HEAVY_USE = "heavy_use", _("Worrying pattern of heavy use")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="incidents")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    category = models.CharField(_("what kind"), max_length=20, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    occurred_at = models.DateTimeField(_("when"))
    profile = models.ForeignKey(
        PeerProfile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name=_("peer supporter involved"),
    )
    enrolment = models.ForeignKey(
        Enrolment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name=_("participant involved"),
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    group_session = models.ForeignKey(
        GroupSession, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    description = EncryptedTextField(_("what happened"))
    immediate_action = EncryptedTextField(_("what was done at once"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = EncryptedTextField(_("outcome"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["programme", "status", "-occurred_at"])]

    def __str__(self) -> str:
        return f"incident {self.pk}"
