"""Matching: per-programme weights and requirements, a participant's wishes, the match
(dyad) with its lifecycle and history, batch runs with their proposals, participant
choice invitations and the first check-ins.

Scores and explanations come from the pure `matching.engine`; capacity is held through
`workforce.capacity` (a live match holds one "match:<id>" reservation)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.core.crypto import EncryptedTextField
from peerbridge.organisations.models import ChoiceListValidator, Programme
from peerbridge.people.models import Person
from peerbridge.referrals.models import Enrolment
from peerbridge.workforce.models import AvailabilityValidator, PeerProfile


class Preset(models.TextChoices):
    """Weightings taken from the seed programmes (see matching.presets)."""

    GENERAL = "general", _("Balanced: condition, issues, then the rest")
    SURGERY_FIRST = "surgery_first", _("Same surgery first, then reconstruction, then age")
    ISSUES_FIRST = "issues_first", _("Shared issues first, across age and gender")
    RARE_ISSUES = "rare_issues", _("Shared issues when the condition is rare")
    LANGUAGE_CULTURE = "language_culture", _("Language and culture first")


class Component(models.TextChoices):
    """The parts of a pair's score. Each has a weight per programme; some can also be a
    hard requirement (an absent pair rather than a low score)."""

    CONDITION = "condition", _("Condition")
    ISSUES = "issues", _("Shared issues")
    TEXT = "text", _("Similar experiences, in their words")
    AGE = "age", _("Closeness in age")
    GENDER = "gender", _("Gender")
    LANGUAGE = "language", _("Language")
    CULTURE = "culture", _("Cultural background")
    DISTANCE = "distance", _("Distance, for meeting in person")
    MODALITY = "modality", _("Ways of meeting")
    AVAILABILITY = "availability", _("Availability overlap")
    CAPACITY = "capacity", _("Room in the peer's caseload")
    CONTINUITY = "continuity", _("Previous peer")


# Components a programme may make a hard requirement.
REQUIRABLE = (
    Component.CONDITION,
    Component.GENDER,
    Component.LANGUAGE,
    Component.CULTURE,
    Component.DISTANCE,
    Component.MODALITY,
)


class WeightsValidator:
    def __call__(self, value: object) -> None:
        if not isinstance(value, dict):
            raise ValidationError(_("Give weights as an object of component: number."))
        unknown = sorted(set(value) - set(Component.values))
        if unknown:
            raise ValidationError(
                _("Unknown components: %(names)s."), params={"names": ", ".join(unknown)}
            )
        for weight in value.values():
            if isinstance(weight, bool) or not isinstance(weight, int | float):
                raise ValidationError(_("Each weight is a number from 0 to 100."))
            if not 0 <= weight <= 100:
                raise ValidationError(_("Each weight is a number from 0 to 100."))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WeightsValidator)

    def deconstruct(self) -> tuple[str, tuple[object, ...], dict[str, object]]:
        return ("peerbridge.matching.models.WeightsValidator", (), {})


class MatchSettings(models.Model):
    """How one programme matches: a preset, weights that override it, hard requirements
    and the numbers around offers and participant choice."""

    programme = models.OneToOneField(
        Programme, on_delete=models.PROTECT, related_name="match_settings"
    )
    preset = models.CharField(
        _("starting point"), max_length=20, choices=Preset.choices, default=Preset.GENERAL
    )
    weights = models.JSONField(
        _("weights"),
        default=dict,
        blank=True,
        validators=[WeightsValidator()],
        help_text=_("Overrides the preset's weight for each component named (0 to 100)."),
    )
    requirements = models.JSONField(
        _("hard requirements"),
        default=list,
        blank=True,
        validators=[ChoiceListValidator([c.value for c in REQUIRABLE], "requirement", True)],
    )
    suggestions = models.PositiveSmallIntegerField(
        _("peers suggested"), default=5, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    candidates_per_participant = models.PositiveSmallIntegerField(
        _("candidates kept per participant in batch runs"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
    )
    favour_longest_waiting = models.BooleanField(
        _("give the longest-waiting priority in batch runs"), default=False
    )
    choice_profiles = models.PositiveSmallIntegerField(
        _("peers offered when a participant chooses"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    choice_link_days = models.PositiveSmallIntegerField(
        _("days a choice link stays open"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    offer_response_days = models.PositiveSmallIntegerField(
        _("days a peer has to answer an offer"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    max_distance_km = models.PositiveSmallIntegerField(
        _("furthest distance for meeting in person (km)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(2000)],
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"match settings {self.pk}"


class MatchPreferences(models.Model):
    """What a waiting participant wants from a peer. Everything is optional; a wish adds
    to the score, a requirement removes peers who do not meet it."""

    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.CASCADE, related_name="match_preferences"
    )
    peer_gender = models.CharField(
        _("peer's gender"), max_length=20, choices=Person.Gender.choices, blank=True
    )
    gender_required = models.BooleanField(_("only a peer of this gender"), default=False)
    language = models.CharField(
        _("language to be supported in"),
        max_length=3,
        blank=True,
        help_text=_("ISO 639 code; empty means any of the participant's languages."),
    )
    language_required = models.BooleanField(_("needs this language"), default=False)
    same_culture = models.BooleanField(
        _("would like a peer from the same background"), default=False
    )
    modalities = models.JSONField(
        _("ways of meeting"),
        default=list,
        blank=True,
        validators=[ChoiceListValidator(Programme.Modality.values, "way of meeting", True)],
    )
    availability = models.JSONField(
        _("when they are free"), default=list, blank=True, validators=[AvailabilityValidator()]
    )
    max_distance_km = models.PositiveSmallIntegerField(
        _("furthest they can travel (km)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(2000)],
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"match preferences {self.pk}"

    def clean(self) -> None:
        if self.gender_required and not self.peer_gender:
            raise ValidationError({"peer_gender": _("Choose the gender that is required.")})
        if self.language_required and not self.language:
            raise ValidationError({"language": _("Choose the language that is needed.")})


class MatchStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    OFFERED = "offered", _("Offered to the peer")
    ACCEPTED = "accepted", _("Accepted by the peer")
    DECLINED = "declined", _("Declined by the peer")
    INTRODUCED = "introduced", _("Introduced")
    FIRST_CONTACT = "first_contact", _("First contact confirmed")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    ENDED = "ended", _("Ended early")
    CANCELLED = "cancelled", _("Withdrawn before the offer")


M = MatchStatus
MATCH_TRANSITIONS: dict[str, frozenset[str]] = {
    M.PROPOSED: frozenset({M.OFFERED, M.CANCELLED}),
    M.OFFERED: frozenset({M.ACCEPTED, M.DECLINED, M.CANCELLED}),
    M.ACCEPTED: frozenset({M.INTRODUCED, M.ENDED}),
    M.INTRODUCED: frozenset({M.FIRST_CONTACT, M.ENDED}),
    M.FIRST_CONTACT: frozenset({M.ACTIVE, M.ENDED}),
    M.ACTIVE: frozenset({M.COMPLETED, M.ENDED}),
    M.DECLINED: frozenset(),
    M.COMPLETED: frozenset(),
    M.ENDED: frozenset(),
    M.CANCELLED: frozenset(),
}
# A live match holds the peer's capacity and blocks another live match for the participant.
LIVE_MATCH_STATUSES = frozenset(
    {M.PROPOSED, M.OFFERED, M.ACCEPTED, M.INTRODUCED, M.FIRST_CONTACT, M.ACTIVE}
)
# Statuses in which the peer is working with the participant (their caseload).
WORKING_STATUSES = frozenset({M.ACCEPTED, M.INTRODUCED, M.FIRST_CONTACT, M.ACTIVE})


class DeclineReason(models.TextChoices):
    NO_ROOM = "no_room", _("I do not have room right now")
    NOT_A_FIT = "not_a_fit", _("I am not the right peer for this person")
    KNOW_THEM = "know_them", _("I know this person")
    TOO_CLOSE = "too_close", _("Too close to my own situation right now")
    OTHER = "other", _("Another reason")


class EndReason(models.TextChoices):
    NOT_A_FIT = "not_a_fit", _("Not a fit")
    PARTICIPANT_WITHDREW = "participant_withdrew", _("The participant withdrew")
    PEER_UNAVAILABLE = "peer_unavailable", _("The peer is unavailable")
    SAFETY = "safety", _("Safety")
    OTHER = "other", _("Another reason")


# Reasons after which the same peer is not suggested again to the participant.
EXCLUDING_END_REASONS = frozenset({EndReason.NOT_A_FIT, EndReason.SAFETY})
# Early ends that say nothing against the pair: with a completed match, the peer counts
# as the participant's previous peer (continuity) when they come back.
GOOD_END_REASONS = frozenset({EndReason.PEER_UNAVAILABLE, EndReason.PARTICIPANT_WITHDREW})


class BatchRun(models.Model):
    """An optimal assignment of a programme's waiting list, proposed for review. Nothing
    is matched until a coordinator publishes it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft for review")
        PUBLISHED = "published", _("Published")
        DISCARDED = "discarded", _("Discarded")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="batch_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    favour_longest_waiting = models.BooleanField(default=False)
    candidates_per_participant = models.PositiveSmallIntegerField(default=30)
    stats = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"batch run {self.pk}"


class BatchProposal(models.Model):
    """One waiting participant's line in a batch run: the proposed peer (none: stays
    waiting), with the score and reasons; the coordinator may change or drop it."""

    run = models.ForeignKey(BatchRun, on_delete=models.CASCADE, related_name="proposals")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="+")
    profile = models.ForeignKey(
        PeerProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    included = models.BooleanField(default=True)
    edited = models.BooleanField(default=False)

    class Meta:
        ordering = ["run_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "enrolment"], name="one_proposal_per_enrolment")
        ]

    def __str__(self) -> str:
        return f"proposal {self.pk}"


class Match(models.Model):
    """A participant and a peer supporter, from proposal to completion or an early end."""

    class Source(models.TextChoices):
        SUGGESTION = "suggestion", _("From the suggestions")
        CHOICE = "choice", _("Chosen by the participant")
        BATCH = "batch", _("From a batch run")
        MANUAL = "manual", _("Chosen by the coordinator")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="matches")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="matches")
    profile = models.ForeignKey(PeerProfile, on_delete=models.PROTECT, related_name="matches")
    status = models.CharField(
        _("status"), max_length=14, choices=MatchStatus.choices, default=M.PROPOSED
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(_("how it was made"), max_length=10, choices=Source.choices)
    batch = models.ForeignKey(
        BatchRun, null=True, blank=True, on_delete=models.PROTECT, related_name="matches"
    )
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(
        default=list, blank=True, help_text="The engine's plain-language reasons, as shown."
    )
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rematches"
    )
    offered_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    introduced_at = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    active_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the newest contact in the match happened: one that connected, and any
    # (attempts included). Kept by the contact services (support.contacts), so a stall
    # is read from the match row without scanning its contacts.
    last_contact_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    decline_reason = models.CharField(
        _("reason for declining"), max_length=12, choices=DeclineReason.choices, blank=True
    )
    end_reason = models.CharField(
        _("reason for ending"), max_length=20, choices=EndReason.choices, blank=True
    )
    note = EncryptedTextField(_("private note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["programme", "status"]),
            models.Index(fields=["profile", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=models.Q(status__in=sorted(LIVE_MATCH_STATUSES)),
                name="one_live_match_per_enrolment",
            )
        ]

    def __str__(self) -> str:
        return f"match {self.pk}"

    @property
    def reference(self) -> str:
        """What the peer's capacity reservation is held for."""
        return f"match:{self.pk}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_MATCH_STATUSES

    def allowed_next(self) -> list[tuple[str, str]]:
        return [(s.value, str(s.label)) for s in M if s in MATCH_TRANSITIONS[M(self.status)]]


class MatchStatusChange(models.Model):
    """The history of a match: every change with its reason, time and actor."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=14, choices=MatchStatus.choices, blank=True)
    to_status = models.CharField(max_length=14, choices=MatchStatus.choices)
    reason = models.CharField(max_length=20, blank=True)
    note = EncryptedTextField(blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} > {self.to_status}"


class ChoiceInvitation(models.Model):
    """A secure, expiring link through which a participant chooses among a few peers
    (alias, lived-experience summary, languages, availability; nothing identifying)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the participant")
        CHOSEN = "chosen", _("A peer was chosen")
        MORE = "more", _("Asked for other peers")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn by staff")

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, related_name="choice_invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    profiles = models.ManyToManyField(PeerProfile, related_name="+")
    # What the participant saw, frozen at sending: [{"profile": id, "alias": ..., ...}].
    shown = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)
    chosen = models.ForeignKey(
        PeerProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    match = models.ForeignKey(
        Match, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = EncryptedTextField(_("anything you would like us to know"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"choice invitation {self.pk}"


class MatchCheckIn(models.Model):
    """The short questions at the first follow-up, to each side of a match: is it
    comfortable, would you like a different peer (or participant). Answered through a
    link, or recorded by the coordinator."""

    class Side(models.TextChoices):
        PARTICIPANT = "participant", _("Participant")
        PEER = "peer", _("Peer supporter")

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="check_ins")
    side = models.CharField(max_length=12, choices=Side.choices)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    comfortable = models.BooleanField(_("feels comfortable"), null=True, blank=True)
    wants_change = models.BooleanField(_("would like a change"), null=True, blank=True)
    comment = EncryptedTextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["match", "side"], name="one_check_in_per_side")
        ]

    def __str__(self) -> str:
        return f"check-in {self.pk}"
