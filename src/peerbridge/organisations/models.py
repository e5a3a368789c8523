"""Organisations, their tree of sites, the programmes they run, and who holds which
role where."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from peerbridge.organisations.roles import Role


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A node in an organisation's tree: national office > state or region > local
    affiliate, to any depth. `path` holds the ids from the root ("/1/4/9/") so a
    subtree is one indexed prefix query on any database."""

    class Level(models.TextChoices):
        NATIONAL = "national", _("National")
        REGIONAL = "regional", _("State or region")
        LOCAL = "local", _("Local affiliate")
        SERVICE = "service", _("Service location (hospital, clinic)")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="sites")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=60)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    path = models.CharField(max_length=255, db_index=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="site_code_per_org"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this site, inclusive."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


@deconstructible
class ChoiceListValidator:
    """A JSON list of distinct values, at least one, each from a fixed set."""

    def __init__(self, values: list[str], label: str, allow_empty: bool = False) -> None:
        self.values = list(values)
        self.label = label
        self.allow_empty = allow_empty

    def __call__(self, value: object) -> None:
        if isinstance(value, list) and not value and self.allow_empty:
            return
        if not isinstance(value, list) or not value:
            raise ValidationError(_("Choose at least one %(label)s.") % {"label": self.label})
        unknown = [str(item) for item in value if item not in self.values]
        if unknown:
            raise ValidationError(
                _("Unknown %(label)s: %(values)s.")
                % {"label": self.label, "values": ", ".join(unknown)}
            )
        if len(set(value)) != len(value):
            raise ValidationError(_("Each %(label)s may be chosen once.") % {"label": self.label})

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ChoiceListValidator)
            and other.values == self.values
            and other.label == self.label
            and other.allow_empty == self.allow_empty
        )


class Programme(models.Model):
    """A peer support programme and its model: who it serves, how support is delivered,
    how often peers are expected to be in touch, and whether peers are paid."""

    class ConditionArea(models.TextChoices):
        MENTAL_HEALTH = "mental_health", _("Mental health")
        SUBSTANCE_USE = "substance_use", _("Substance use and addiction recovery")
        HIV = "hiv", _("HIV")
        DIABETES = "diabetes", _("Diabetes")
        CANCER = "cancer", _("Cancer")
        TRANSPLANT = "transplant", _("Transplant")
        NEW_MOTHERHOOD = "new_motherhood", _("New motherhood")
        CHILD_DISABILITY = "child_disability", _("A child's disability")
        BEREAVEMENT = "bereavement", _("Bereavement")
        WEIGHT = "weight", _("Weight management")
        MILITARY = "military", _("Military service")
        SEVERAL = "several", _("Several conditions")
        OTHER = "other", _("Other")

    class Audience(models.TextChoices):
        PATIENTS = "patients", _("Patients")
        CAREGIVERS = "caregivers", _("Family caregivers")
        BOTH = "both", _("Patients and family caregivers")

    class Format(models.TextChoices):
        ONE_TO_ONE = "one_to_one", _("One-to-one")
        GROUP = "group", _("Group")

    class Modality(models.TextChoices):
        TELEPHONE = "telephone", _("Telephone")
        IN_PERSON = "in_person", _("In person")
        VIDEO = "video", _("Video")
        TEXT = "text", _("Text messages")

    class PeerPay(models.TextChoices):
        PAID = "paid", _("Paid staff")
        STIPEND = "stipend", _("Stipended volunteers")
        VOLUNTEER = "volunteer", _("Unpaid volunteers")
        MIXED = "mixed", _("A mix of paid and volunteer peers")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="programmes")
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    summary = models.TextField(_("summary"), blank=True, max_length=4000)
    condition_area = models.CharField(
        _("health condition focus"), max_length=30, choices=ConditionArea.choices
    )
    condition_detail = models.CharField(
        _("conditions in detail"),
        max_length=300,
        blank=True,
        help_text=_("For example: heart, liver and lung transplant; cystic fibrosis."),
    )
    audience = models.CharField(_("who it serves"), max_length=20, choices=Audience.choices)
    formats = models.JSONField(
        _("formats"),
        default=list,
        validators=[ChoiceListValidator(Format.values, "format")],
    )
    modalities = models.JSONField(
        _("ways of meeting"),
        default=list,
        validators=[ChoiceListValidator(Modality.values, "way of meeting")],
    )
    duration_weeks = models.PositiveSmallIntegerField(
        _("duration in weeks"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(520)],
        help_text=_("Leave empty when support is open-ended."),
    )
    contact_cadence_days = models.PositiveSmallIntegerField(
        _("expected days between contacts"),
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("A match with no contact for longer than this is flagged as stalled."),
    )
    peer_pay = models.CharField(_("peer supporters are"), max_length=20, choices=PeerPay.choices)
    max_contact_attempts = models.PositiveSmallIntegerField(
        _("contact attempts before unreachable"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_(
            "After this many attempts that did not connect, a referral may be closed "
            "as unreachable."
        ),
    )
    self_referral_open = models.BooleanField(
        _("accepts self-referrals"),
        default=True,
        help_text=_("Shows the public self-referral page for this programme."),
    )
    cultural_groups = models.JSONField(
        _("cultural backgrounds offered as choices"),
        default=list,
        blank=True,
        help_text=_("Optional list people may pick from, besides describing their own."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_redisclosure_consent(self) -> bool:
        """Substance-use programmes ask a separate consent before any redisclosure, in the
        spirit of 42 CFR Part 2."""
        return self.condition_area == self.ConditionArea.SUBSTANCE_USE

    @property
    def is_open_ended(self) -> bool:
        return self.duration_weeks is None

    def get_formats_display(self) -> list[str]:
        return [str(self.Format(value).label) for value in self.formats]

    def get_modalities_display(self) -> list[str]:
        return [str(self.Modality(value).label) for value in self.modalities]


class RoleAssignment(models.Model):
    """A role held by a user in a scope, over a period. Ending a role sets `ended_at`;
    rows are never deleted, so the history of who held what stays."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="role_assignments"
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="role_assignments"
    )
    programme = models.ForeignKey(
        Programme,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(site__isnull=False, programme__isnull=True)
                    | models.Q(site__isnull=True, programme__isnull=False)
                ),
                name="role_scope_is_site_or_programme",
            ),
        ]
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()} ({self.pk})"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None or self.ended_at > timezone.now()

    @property
    def scope_label(self) -> str:
        return str(self.programme) if self.programme_id else str(self.site)
