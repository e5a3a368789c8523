"""Intake: referrals become enrolments with a validated status; contact attempts; the
resource directory and navigation referrals from participants to services."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.core.crypto import EncryptedTextField
from peerbridge.organisations.models import ChoiceListValidator, Organisation, Programme
from peerbridge.people.models import LanguageListValidator, Person


class EnrolmentStatus(models.TextChoices):
    REFERRED = "referred", _("Referred")
    CONTACTED = "contacted", _("Contacted")
    ENROLLED = "enrolled", _("Enrolled")
    WAITING = "waiting", _("Waiting for a match")
    MATCHED = "matched", _("Matched")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DECLINED = "declined", _("Declined")
    UNREACHABLE = "unreachable", _("Unreachable")


S = EnrolmentStatus
# Where each status may go next. Unreachable may reopen when the person calls back.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REFERRED: frozenset({S.CONTACTED, S.ENROLLED, S.DECLINED, S.WITHDRAWN, S.UNREACHABLE}),
    S.CONTACTED: frozenset({S.ENROLLED, S.DECLINED, S.WITHDRAWN, S.UNREACHABLE}),
    S.ENROLLED: frozenset({S.WAITING, S.WITHDRAWN}),
    S.WAITING: frozenset({S.MATCHED, S.WITHDRAWN}),
    S.MATCHED: frozenset({S.ACTIVE, S.WAITING, S.WITHDRAWN}),
    S.ACTIVE: frozenset({S.COMPLETED, S.WAITING, S.WITHDRAWN}),
    S.COMPLETED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.DECLINED: frozenset(),
    S.UNREACHABLE: frozenset({S.CONTACTED}),
}
OPEN_STATUSES = frozenset(
    {S.REFERRED, S.CONTACTED, S.ENROLLED, S.WAITING, S.MATCHED, S.ACTIVE, S.UNREACHABLE}
)
INTAKE_STATUSES = frozenset({S.REFERRED, S.CONTACTED})
REASON_REQUIRED = frozenset({S.WITHDRAWN, S.DECLINED, S.UNREACHABLE})


class ReferrerStatus(models.TextChoices):
    """The closed loop a referrer sees: nothing about the person's support itself."""

    RECEIVED = "received", _("Received")
    CONTACTED = "contacted", _("Contacted")
    ENROLLED = "enrolled", _("Enrolled")
    DECLINED = "declined", _("Declined")
    UNREACHABLE = "unreachable", _("Unreachable")


REFERRER_STATUS = {
    S.REFERRED: ReferrerStatus.RECEIVED,
    S.CONTACTED: ReferrerStatus.CONTACTED,
    S.ENROLLED: ReferrerStatus.ENROLLED,
    S.WAITING: ReferrerStatus.ENROLLED,
    S.MATCHED: ReferrerStatus.ENROLLED,
    S.ACTIVE: ReferrerStatus.ENROLLED,
    S.COMPLETED: ReferrerStatus.ENROLLED,
    S.WITHDRAWN: ReferrerStatus.DECLINED,
    S.DECLINED: ReferrerStatus.DECLINED,
    S.UNREACHABLE: ReferrerStatus.UNREACHABLE,
}


class DeclineReason(models.TextChoices):
    """Categories a referrer may see; details stay in the private note."""

    NOT_ELIGIBLE = "not_eligible", _("Not eligible for this programme")
    CHOSE_NOT = "chose_not", _("Chose not to take part")
    OTHER_SERVICE = "other_service", _("Better served elsewhere")
    NO_CAPACITY = "no_capacity", _("The programme has no capacity")
    OTHER = "other", _("Another reason")


class Enrolment(models.Model):
    """A person's path through one programme, from referral to completion."""

    class Source(models.TextChoices):
        SELF = "self", _("Self-referral")
        CLINICIAN = "clinician", _("Clinician or professional")
        STAFF = "staff", _("Entered by staff")
        API = "api", _("Partner system (API)")
        IMPORT = "import", _("Bulk import")

    class Kind(models.TextChoices):
        PATIENT = "patient", _("Patient")
        CAREGIVER = "caregiver", _("Family caregiver")

    class Priority(models.IntegerChoices):
        ROUTINE = 0, _("Routine")
        SOON = 1, _("Soon")
        URGENT = 2, _("Urgent")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="enrolments")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="enrolments")
    kind = models.CharField(
        _("taking part as"), max_length=10, choices=Kind.choices, default=Kind.PATIENT
    )
    status = models.CharField(
        _("status"), max_length=12, choices=EnrolmentStatus.choices, default=S.REFERRED
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    decline_reason = models.CharField(
        _("reason category"), max_length=20, choices=DeclineReason.choices, blank=True
    )
    source = models.CharField(_("referred by"), max_length=10, choices=Source.choices)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals_made",
    )
    referrer_organisation = models.CharField(_("referring service"), max_length=200, blank=True)
    referral_reason = EncryptedTextField(_("reason for referral"), blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.ROUTINE
    )
    next_action = models.CharField(_("next action"), max_length=200, blank=True)
    next_action_due = models.DateField(_("next action due"), null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    waiting_since = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-priority", "received_at", "id"]
        indexes = [models.Index(fields=["programme", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "programme"],
                condition=models.Q(status__in=sorted(OPEN_STATUSES)),
                name="one_open_enrolment_per_programme",
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme.code}: {self.get_status_display()}"

    @property
    def referrer_status(self) -> ReferrerStatus:
        return REFERRER_STATUS[S(self.status)]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def may_close_unreachable(self, failed_attempts: int) -> bool:
        """Unreachable is allowed once the programme's attempts have all failed."""
        return (
            S.UNREACHABLE in TRANSITIONS[S(self.status)]
            and failed_attempts >= self.programme.max_contact_attempts
        )

    def allowed_next(self) -> list[tuple[str, str]]:
        return [(s.value, str(s.label)) for s in S if s in TRANSITIONS[S(self.status)]]


class EnrolmentStatusChange(models.Model):
    """The history of an enrolment's status: every change with reason, time and actor."""

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=12, choices=EnrolmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=EnrolmentStatus.choices)
    reason = EncryptedTextField(_("reason"), blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} > {self.to_status}"


class ContactAttempt(models.Model):
    """A try at reaching a referred person; attempts that did not connect count towards
    the programme's limit before the referral may close as unreachable."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone call")
        SMS = "sms", _("Text message")
        EMAIL = "email", _("Email")
        IN_PERSON = "in_person", _("In person")

    class Outcome(models.TextChoices):
        CONNECTED = "connected", _("Spoke with them")
        NO_ANSWER = "no_answer", _("No answer")
        LEFT_MESSAGE = "left_message", _("Left a message")
        WRONG_NUMBER = "wrong_number", _("Wrong number or address")

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="contact_attempts"
    )
    attempted_at = models.DateTimeField(_("when"), default=timezone.now)
    channel = models.CharField(_("how"), max_length=10, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices)
    note = EncryptedTextField(_("note"), blank=True)
    attempted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.get_outcome_display()}"

    @property
    def connected(self) -> bool:
        return self.outcome == self.Outcome.CONNECTED


class ServiceCategory(models.TextChoices):
    """Needs a navigation referral can meet (instrumental support)."""

    HOUSING = "housing", _("Housing")
    FOOD = "food", _("Food")
    INCOME = "income", _("Money and benefits")
    EMPLOYMENT = "employment", _("Work and training")
    TRANSPORT = "transport", _("Transport")
    LEGAL = "legal", _("Legal help")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    SUBSTANCE_USE = "substance_use", _("Substance use treatment")
    MEDICAL = "medical", _("Medical care")
    CAREGIVING = "caregiving", _("Help for carers")
    CHILDCARE = "childcare", _("Childcare and parenting")
    SOCIAL = "social", _("Social connection")
    CRISIS = "crisis", _("Crisis support")
    OTHER = "other", _("Other")


class DirectoryService(models.Model):
    """A service in the resource directory (Open Referral HSDS: a service with its
    organisation, location, phone and schedule flattened into one row)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="directory_services"
    )
    hsds_id = models.CharField(max_length=64, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    provider = models.CharField(_("provided by"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    categories = models.JSONField(
        _("needs it meets"),
        default=list,
        validators=[ChoiceListValidator(ServiceCategory.values, "category")],
    )
    eligibility = models.CharField(_("who can use it"), max_length=500, blank=True)
    languages = models.JSONField(
        _("languages"), default=list, blank=True, validators=[LanguageListValidator()]
    )
    area = models.CharField(_("area served"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    url = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("listed"), default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def category_labels(self) -> list[str]:
        return [str(ServiceCategory(value).label) for value in self.categories]


class NavigationReferral(models.Model):
    """A participant connected to a directory service, followed until the outcome."""

    class Status(models.TextChoices):
        MADE = "made", _("Referral made")
        CONNECTED = "connected", _("Connected with the service")
        OUTCOME = "outcome", _("Outcome recorded")

    class Outcome(models.TextChoices):
        MET = "met", _("Need met")
        PARTLY = "partly", _("Need partly met")
        NOT_MET = "not_met", _("Need not met")
        DID_NOT_ATTEND = "did_not_attend", _("Did not go")

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, related_name="navigation_referrals"
    )
    service = models.ForeignKey(
        DirectoryService, on_delete=models.PROTECT, related_name="navigation_referrals"
    )
    need = models.CharField(_("need"), max_length=20, choices=ServiceCategory.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.MADE
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    note = EncryptedTextField(_("note"), blank=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)
    connected_at = models.DateTimeField(null=True, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-made_at", "-id"]

    def __str__(self) -> str:
        return f"{self.service}: {self.get_status_display()}"

    def clean(self) -> None:
        if self.status == self.Status.OUTCOME and not self.outcome:
            raise ValidationError({"outcome": _("Choose the outcome.")})


class ImportBatch(models.Model):
    """An uploaded file of people and referrals, kept (encrypted) between the dry-run
    preview and the decision to commit, so nothing has to be uploaded twice."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Checked, not imported")
        COMMITTED = "committed", _("Imported")
        DISCARDED = "discarded", _("Discarded")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(max_length=200)
    content = EncryptedTextField(help_text="The rows as CSV text (XLSX is converted on upload).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    imported_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename
