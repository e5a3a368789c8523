"""Delivering support: the contacts a peer logs, a participant's goals with their
Goal-Based Outcomes ratings, groups with their sessions, enrolment and attendance, and
the closure of a participant's time in a programme.

A contact can be changed freely within the programme's edit window; after that it is
locked and a change is an amendment that keeps what was there before."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.core.crypto import EncryptedTextField
from peerbridge.matching.models import Match
from peerbridge.organisations.models import Programme
from peerbridge.referrals.models import Enrolment, NavigationReferral
from peerbridge.workforce.models import PeerProfile


class SupportSettings(models.Model):
    """A programme's settings for delivering support."""

    programme = models.OneToOneField(
        Programme, on_delete=models.CASCADE, related_name="support_settings"
    )
    edit_window_hours = models.PositiveSmallIntegerField(
        _("contacts can be edited for (hours)"),
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
    )
    stall_grace_days = models.PositiveSmallIntegerField(
        _("days past the contact cadence before a match counts as stalled"),
        default=3,
        validators=[MaxValueValidator(90)],
    )
    count_attempts_as_contact = models.BooleanField(
        _("attempts that did not connect keep a match from stalling"), default=False
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"support settings {self.programme_id}"


class Mode(models.TextChoices):
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video")
    TEXT = "text", _("Text or chat")


class Setting(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    CLINIC = "clinic", _("Clinic")
    COMMUNITY = "community", _("Community")
    HOME = "home", _("Home")
    ONLINE = "online", _("Online or by phone")


class SupportType(models.TextChoices):
    """The five types of peer support (seed 000)."""

    INFORMATIONAL = "informational", _("Information and advice")
    INSTRUMENTAL = "instrumental", _("Practical help")
    EMOTIONAL = "emotional", _("Emotional support")
    AFFILIATIONAL = "affiliational", _("Belonging and connection")
    APPRAISAL = "appraisal", _("Feedback and perspective")


class Contact(models.Model):
    """One piece of one-to-one work in a match, or an attempt that did not connect."""

    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="contacts")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="contacts")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="contacts")
    profile = models.ForeignKey(PeerProfile, on_delete=models.PROTECT, related_name="contacts")
    occurred_at = models.DateTimeField(_("when"))
    connected = models.BooleanField(
        _("we spoke or met"),
        default=True,
        help_text=_("Untick for an attempt that did not connect."),
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("how long (minutes)"), default=0, validators=[MaxValueValidator(24 * 60)]
    )
    travel_minutes = models.PositiveSmallIntegerField(
        _("travel (minutes)"), default=0, validators=[MaxValueValidator(24 * 60)]
    )
    mode = models.CharField(_("how"), max_length=10, choices=Mode.choices)
    setting = models.CharField(_("where"), max_length=10, choices=Setting.choices)
    support_types = models.JSONField(_("support given"), default=list, blank=True)
    topics = models.JSONField(_("topics"), default=list, blank=True)
    navigation_referrals = models.ManyToManyField(
        NavigationReferral, blank=True, related_name="contacts", verbose_name=_("referrals made")
    )
    transport_provided = models.BooleanField(_("transport provided"), default=False)
    next_step = EncryptedTextField(_("next step"), blank=True)
    next_contact_on = models.DateField(_("next contact"), null=True, blank=True)
    private_note = EncryptedTextField(_("private note"), blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    locked_at = models.DateTimeField(
        help_text="Set at creation from the programme's edit window; later changes are amendments."
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["match", "-occurred_at"]),
            models.Index(fields=["profile", "-occurred_at"]),
            models.Index(fields=["programme", "-occurred_at"]),
            models.Index(fields=["enrolment", "-occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"contact {self.pk}"


class ContactAmendment(models.Model):
    """A change to a locked contact: what each field was and became (encrypted, since
    notes may be among them), why, by whom and when."""

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="amendments")
    reason = EncryptedTextField(_("why it changed"))
    changes = EncryptedTextField(help_text="JSON: {field: [before, after]}.")
    amended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amended_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["amended_at", "id"]

    def __str__(self) -> str:
        return f"amendment {self.pk}"


class Goal(models.Model):
    """A goal in the participant's own words, rated 0-10 over time (Goal-Based
    Outcomes: 0 = nowhere near, 10 = reached)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Working on it")
        REACHED = "reached", _("Reached")
        STOPPED = "stopped", _("No longer a goal")

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="goals")
    text = EncryptedTextField(_("goal"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"goal {self.pk}"


class GoalRating(models.Model):
    class By(models.TextChoices):
        PARTICIPANT = "participant", _("The participant")
        PEER = "peer", _("With the peer supporter")
        STAFF = "staff", _("With staff")

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="ratings")
    rating = models.PositiveSmallIntegerField(
        _("how close (0-10)"), validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    rated_on = models.DateField(_("date"), default=timezone.localdate)
    by = models.CharField(max_length=12, choices=By.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rated_on", "recorded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__lte=10), name="gbo_rating_0_to_10")
        ]

    def __str__(self) -> str:
        return f"rating {self.pk}"


class Group(models.Model):
    """A group programme: mutual support, a structured course of N sessions,
    self-management or education; in person, online or both."""

    class Kind(models.TextChoices):
        MUTUAL_SUPPORT = "mutual_support", _("Mutual support group")
        COURSE = "course", _("Structured course")
        SELF_MANAGEMENT = "self_management", _("Self-management programme")
        EDUCATION = "education", _("Education session")

    class Modality(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("In person and online")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="groups")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("what it offers"), blank=True, max_length=2000)
    modality = models.CharField(_("held"), max_length=10, choices=Modality.choices)
    place = models.CharField(_("place"), max_length=300, blank=True)
    online_link = models.URLField(_("online link"), blank=True)
    schedule = models.CharField(
        _("when it meets"), max_length=200, blank=True, help_text=_("e.g. Tuesdays 18:00-19:30")
    )
    session_count = models.PositiveSmallIntegerField(
        _("number of sessions"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
        help_text=_("For a course: completing it means attending enough of these."),
    )
    completion_sessions = models.PositiveSmallIntegerField(
        _("sessions needed to complete"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
    )
    capacity = models.PositiveSmallIntegerField(
        _("places"), validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="moderated_groups",
        verbose_name=_("moderator"),
        help_text=_("Required for an online group."),
    )
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["programme_id", "name", "id"]

    def __str__(self) -> str:
        return self.name


class Facilitator(models.Model):
    """One of a group's one to three facilitators: a peer who passes the workforce
    eligibility check (capacity reserved), or a professional co-facilitator."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="facilitators")
    profile = models.ForeignKey(
        PeerProfile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="facilitations",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="co_facilitations",
        help_text="A professional co-facilitator.",
    )
    added_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(profile__isnull=False, user__isnull=True)
                | models.Q(profile__isnull=True, user__isnull=False),
                name="facilitator_is_peer_or_professional",
            ),
            models.UniqueConstraint(
                fields=["group", "profile"],
                condition=models.Q(removed_at__isnull=True, profile__isnull=False),
                name="one_live_peer_facilitation",
            ),
            models.UniqueConstraint(
                fields=["group", "user"],
                condition=models.Q(removed_at__isnull=True, user__isnull=False),
                name="one_live_professional_facilitation",
            ),
        ]

    def __str__(self) -> str:
        return f"facilitator {self.pk}"


class GroupMember(models.Model):
    """A participant's place in a group, or on its waiting list."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        WAITING = "waiting", _("On the waiting list")
        COMPLETED = "completed", _("Completed")
        LEFT = "left", _("Left")

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="members")
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, related_name="group_memberships"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    joined_at = models.DateTimeField(default=timezone.now)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]
        indexes = [models.Index(fields=["group", "status", "joined_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "enrolment"],
                condition=models.Q(status__in=["enrolled", "waiting"]),
                name="one_live_place_per_group",
            )
        ]

    def __str__(self) -> str:
        return f"group member {self.pk}"


class GroupSession(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveSmallIntegerField(_("session"))
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"), default=90, validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    notes = EncryptedTextField(_("session notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["group_id", "starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "number"], name="one_session_number_per_group")
        ]

    def __str__(self) -> str:
        return f"session {self.pk}"


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Attended")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Sent apologies")

    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(GroupMember, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(max_length=10, choices=Status.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session_id", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="one_attendance_per_member")
        ]

    def __str__(self) -> str:
        return f"attendance {self.pk}"


class Closure(models.Model):
    """The end of a participant's time in the programme: a summary, the exit
    questionnaire when the programme measures outcomes, and thanks."""

    class ExitQuestionnaire(models.TextChoices):
        NOT_USED = "not_used", _("The programme has no exit questionnaire")
        OFFERED = "offered", _("Offered")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")

    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT, related_name="closure")
    summary = EncryptedTextField(_("summary"))
    exit_questionnaire = models.CharField(
        _("exit questionnaire"),
        max_length=10,
        choices=ExitQuestionnaire.choices,
        default=ExitQuestionnaire.NOT_USED,
    )
    thanks_sent_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"closure {self.pk}"
