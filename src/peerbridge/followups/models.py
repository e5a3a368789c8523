"""Programme playbooks: rules as data ("N days after event X, unless Y, create a work
item for role R or send message M") and the work items a scan creates from them.

The scan (followups.scan) reads state and creates what is due; the unique constraint on
(rule, subject, occurrence) makes it idempotent, and a worker that was down catches up on
its next run."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.core.crypto import EncryptedTextField
from peerbridge.matching.models import Match
from peerbridge.organisations.models import Programme
from peerbridge.outcomes.models import Timepoint
from peerbridge.referrals.models import Enrolment


class Event(models.TextChoices):
    """What a rule counts days from."""

    WAITING = "waiting", _("Placed on the waiting list")
    DISCHARGE = "discharge", _("Discharge or surgery date")
    MATCH_ACCEPTED = "match_accepted", _("The peer accepted the match")
    MATCH_INTRODUCED = "match_introduced", _("Introduced")
    FIRST_CONTACT = "first_contact", _("First contact confirmed")
    STALLED = "stalled", _("Last contact, once the programme's contact cadence has passed")
    PROGRAMME_END = "programme_end", _("End of the programme's duration (from first contact)")


# Events that belong to a match (the subject is the match) rather than an enrolment.
MATCH_EVENTS = frozenset(
    {
        Event.MATCH_ACCEPTED,
        Event.MATCH_INTRODUCED,
        Event.FIRST_CONTACT,
        Event.STALLED,
        Event.PROGRAMME_END,
    }
)


class Unless(models.TextChoices):
    """A condition that, when true at scan time, means the rule has nothing to do."""

    NOTHING = "", _("Always")
    MATCHED = "matched", _("The participant is already matched")
    FIRST_CONTACT = "first_contact", _("First contact has been confirmed")
    CHECK_IN_ANSWERED = "check_in_answered", _("Both sides answered the check-in")
    MATCH_CLOSED = "match_closed", _("The match has ended")
    CLOSED = "closed", _("The participant's closure is recorded")


class Action(models.TextChoices):
    WORK_ITEM = "work_item", _("Create a work item")
    CHECK_IN = "check_in", _("Ask both sides how the match feels")
    MESSAGE = "message", _("Send a message")
    QUESTIONNAIRE = "questionnaire", _("Ask for a questionnaire")


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    PEER = "peer", _("The peer supporter")
    SUPERVISOR = "supervisor", _("The peer's supervisor")


class Recipient(models.TextChoices):
    PEER = "peer", _("The peer supporter")
    PARTICIPANT = "participant", _("The participant")


class Playbook(models.Model):
    """A programme's set of follow-up rules; presets from the seed programmes."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="playbooks")
    name = models.CharField(_("name"), max_length=200)
    preset = models.CharField(_("made from preset"), max_length=40, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["programme_id", "name", "id"]

    def __str__(self) -> str:
        return self.name


class Rule(models.Model):
    """N days after an event (negative: before it), unless a condition holds, create a
    work item for a role, ask for a check-in, or send a message; optionally repeated."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="rules")
    title = models.CharField(_("what to do"), max_length=200)
    event = models.CharField(_("counted from"), max_length=20, choices=Event.choices)
    offset_days = models.SmallIntegerField(
        _("days after"), validators=[MinValueValidator(-365), MaxValueValidator(730)]
    )
    window_days = models.PositiveSmallIntegerField(
        _("days allowed before it is overdue"),
        default=0,
        validators=[MaxValueValidator(365)],
    )
    repeat_every_days = models.PositiveSmallIntegerField(
        _("repeat every (days)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    repeat_times = models.PositiveSmallIntegerField(
        _("times in all"), default=1, validators=[MinValueValidator(1), MaxValueValidator(104)]
    )
    unless = models.CharField(
        _("unless"), max_length=20, choices=Unless.choices, blank=True, default=Unless.NOTHING
    )
    action = models.CharField(_("action"), max_length=14, choices=Action.choices)
    role = models.CharField(_("for"), max_length=12, choices=Role.choices, default=Role.COORDINATOR)
    recipient = models.CharField(
        _("message to"), max_length=12, choices=Recipient.choices, blank=True
    )
    message = models.TextField(
        _("message"),
        max_length=1000,
        blank=True,
        help_text=_(
            "Shown in PeerBridge. An email or text message only says that a message is "
            "waiting; still, write no health details."
        ),
    )
    timepoint = models.ForeignKey(
        Timepoint,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rules",
        verbose_name=_("questionnaire timepoint"),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["playbook_id", "position", "id"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.action == Action.MESSAGE:
            if not self.recipient:
                errors["recipient"] = str(_("Choose who receives the message."))
            if not self.message.strip():
                errors["message"] = str(_("Write the message."))
        if self.repeat_times > 1 and not self.repeat_every_days:
            errors["repeat_every_days"] = str(_("Say how often it repeats."))
        if self.action == Action.QUESTIONNAIRE:
            if self.timepoint_id is None:
                errors["timepoint"] = str(_("Choose the questionnaire timepoint."))
            elif (
                self.timepoint is not None
                and self.playbook_id is not None
                and (self.timepoint.programme_id != self.playbook.programme_id)
            ):
                errors["timepoint"] = str(_("Choose a timepoint of this programme."))
        if self.action == Action.CHECK_IN and self.event not in MATCH_EVENTS:
            errors["event"] = str(_("A check-in follows a match event."))
        if errors:
            raise ValidationError(errors)


class WorkItem(models.Model):
    """One thing a rule made due for one subject (a match or an enrolment)."""

    class Status(models.TextChoices):
        OPEN = "open", _("To do")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("No longer needed")
        SENT = "sent", _("Message sent")
        FAILED = "failed", _("Message not sent")

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="work_items")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="work_items")
    subject = models.CharField(max_length=40, help_text="'match:12' or 'enrolment:4'.")
    occurrence = models.PositiveSmallIntegerField(default=1)
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="work_items")
    match = models.ForeignKey(
        Match, null=True, blank=True, on_delete=models.PROTECT, related_name="work_items"
    )
    action = models.CharField(max_length=14, choices=Action.choices)
    role = models.CharField(max_length=12, choices=Role.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=200)
    due_on = models.DateField()
    overdue_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.JSONField(default=dict, blank=True)
    # A message to someone without a login carries a link to read it without an
    # account (core.links): only the token's digest is kept, and the link works until
    # `read_until`.
    read_token_digest = models.CharField(max_length=64, blank=True, editable=False)
    read_until = models.DateTimeField(null=True, blank=True, editable=False)
    note = EncryptedTextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["programme", "status", "due_on"]),
            models.Index(fields=["assignee", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject", "occurrence"], name="one_work_item_per_occurrence"
            ),
            models.UniqueConstraint(
                fields=["read_token_digest"],
                condition=~models.Q(read_token_digest=""),
                name="one_work_item_per_read_link",
            ),
        ]

    def __str__(self) -> str:
        return f"work item {self.pk}"
