"""Persons, what they have lived through or are facing, and what they consent to.

Contact details, accessibility needs, notes and personal stories are encrypted at rest
(core.crypto); phone and email also carry a blind index so duplicates can be found.
"""

from __future__ import annotations

import datetime

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from peerbridge.core.crypto import (
    BlindIndexField,
    EncryptedTextField,
    normalise_email,
    normalise_phone,
)
from peerbridge.organisations.models import ChoiceListValidator, Organisation, Programme, Site


@deconstructible
class LanguageListValidator:
    """A list of ISO 639 codes (two letters where one exists, else three)."""

    def __call__(self, value: object) -> None:
        if not isinstance(value, list):
            raise ValidationError(_("Give languages as a list of ISO 639 codes."))
        unknown = [str(code) for code in value if not is_language_code(code)]
        if unknown:
            raise ValidationError(
                _("Unknown language code: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        if len(set(value)) != len(value):
            raise ValidationError(_("Each language may be listed once."))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LanguageListValidator)


def is_language_code(code: object) -> bool:
    if not isinstance(code, str) or len(code) not in (2, 3) or not code.islower():
        return False
    field = "alpha_2" if len(code) == 2 else "alpha_3"
    return pycountry.languages.get(**{field: code}) is not None


def language_name(code: str) -> str:
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    found = found or pycountry.languages.get(alpha_3=code)
    return str(found.name) if found is not None else code


# Offered in pickers; the API, imports and "other language" fields accept any ISO 639 code.
COMMON_LANGUAGES = [
    "en", "es", "pt", "fr", "pl", "zh", "ar", "ur", "pa", "bn", "hi", "so", "ro",
    "it", "de", "tr", "ru", "uk", "vi", "tl", "ko", "fa",
]  # fmt: skip


def language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in COMMON_LANGUAGES]


class Person(models.Model):
    """A person known to the organisation: staff, peer supporter or participant.
    One person may hold several roles over time; a login (`user`) is optional."""

    class AgeBand(models.TextChoices):
        UNDER_18 = "under_18", _("Under 18")
        FROM_18 = "18_24", _("18 to 24")
        FROM_25 = "25_34", _("25 to 34")
        FROM_35 = "35_44", _("35 to 44")
        FROM_45 = "45_54", _("45 to 54")
        FROM_55 = "55_64", _("55 to 64")
        FROM_65 = "65_74", _("65 to 74")
        FROM_75 = "75_plus", _("75 or over")

    class Gender(models.TextChoices):
        WOMAN = "woman", _("Woman")
        MAN = "man", _("Man")
        NON_BINARY = "non_binary", _("Non-binary")
        SELF_DESCRIBED = "self_described", _("In another way")
        NOT_SAID = "not_said", _("Prefer not to say")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone call")
        SMS = "sms", _("Text message")
        EMAIL = "email", _("Email")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="person",
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    given_name = models.CharField(_("given name"), max_length=120)
    family_name = models.CharField(_("family name"), max_length=120, blank=True)
    preferred_name = models.CharField(_("preferred name"), max_length=120, blank=True)
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    age_band = models.CharField(
        _("age band"),
        max_length=10,
        choices=AgeBand.choices,
        blank=True,
        help_text=_("When the date of birth is not given."),
    )
    gender = models.CharField(_("gender"), max_length=20, choices=Gender.choices, blank=True)
    gender_described = models.CharField(_("gender, in their words"), max_length=80, blank=True)
    languages = models.JSONField(
        _("languages"),
        default=list,
        blank=True,
        validators=[LanguageListValidator()],
        help_text=_("ISO 639 codes, the preferred language first (for example es, en)."),
    )
    cultural_background = models.CharField(
        _("cultural background, in their words"), max_length=200, blank=True
    )
    cultural_groups = models.JSONField(_("cultural backgrounds"), default=list, blank=True)
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    area = models.CharField(_("postcode or area"), max_length=80, blank=True)
    latitude = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    accessibility_needs = EncryptedTextField(_("accessibility needs"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_index = BlindIndexField(source="phone", normaliser=normalise_phone)
    email = EncryptedTextField(_("email"), blank=True)
    email_index = BlindIndexField(source="email", normaliser=normalise_email)
    preferred_channels = models.JSONField(
        _("preferred ways to be contacted"),
        default=list,
        blank=True,
        validators=[ChoiceListValidator(Channel.values, "way to be contacted", allow_empty=True)],
    )
    preferred_times = models.CharField(_("best times to contact"), max_length=120, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        indexes = [models.Index(fields=["family_name", "given_name", "date_of_birth"])]

    def __str__(self) -> str:
        first = self.preferred_name or self.given_name
        return f"{first} {self.family_name}".strip()

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            errors["date_of_birth"] = str(_("The date of birth is in the future."))
        if self.date_of_birth and self.date_of_birth < datetime.date(1900, 1, 1):
            errors["date_of_birth"] = str(_("Check the year of birth."))
        if (self.latitude is None) != (self.longitude is None):
            errors["latitude"] = str(_("Give both latitude and longitude, or neither."))
        if errors:
            raise ValidationError(errors)

    @property
    def age(self) -> int | None:
        if self.date_of_birth is None:
            return None
        today = timezone.localdate()
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    def channels_display(self) -> str:
        return ", ".join(str(self.Channel(c).label) for c in self.preferred_channels or [])

    def languages_display(self) -> list[str]:
        return [language_name(code) for code in self.languages or []]


class Condition(models.Model):
    """The organisation's condition taxonomy: condition > sub-condition > facet
    (for example breast cancer > mastectomy > with reconstruction)."""

    MAX_DEPTH = 3

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="conditions"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "parent", "name"], name="condition_unique_name"
            )
        ]

    def __str__(self) -> str:
        return " > ".join(node.name for node in self.lineage())

    def lineage(self) -> list[Condition]:
        nodes: list[Condition] = []
        node: Condition | None = self
        while node is not None:
            nodes.append(node)
            node = node.parent
        return list(reversed(nodes))

    @property
    def depth(self) -> int:
        return len(self.lineage())

    @property
    def kind(self) -> str:
        return {1: str(_("condition")), 2: str(_("sub-condition"))}.get(self.depth, str(_("facet")))

    def clean(self) -> None:
        if self.parent is not None:
            if self.parent.organisation_id != self.organisation_id:
                raise ValidationError({"parent": _("Choose a condition of this organisation.")})
            if self.parent.depth >= self.MAX_DEPTH:
                raise ValidationError(
                    {"parent": _("Facets are the finest level: add this under a sub-condition.")}
                )
            ancestor: Condition | None = self.parent
            while ancestor is not None:
                if self.pk is not None and ancestor.pk == self.pk:
                    raise ValidationError({"parent": _("A condition cannot sit under itself.")})
                ancestor = ancestor.parent


class IssueTag(models.Model):
    """An issue a programme's people commonly face (rejection after transplant,
    returning to work, relapse prevention), shared by peers and participants."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="issue_tags")
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "name"], name="issue_tag_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class LivedExperience(models.Model):
    """What a peer has been through, or what a participant is facing, in one programme."""

    class Perspective(models.TextChoices):
        BEEN_THROUGH = "been_through", _("What I have been through (peer supporter)")
        FACING = "facing", _("What I am facing (participant)")

    class Relationship(models.TextChoices):
        SELF = "self", _("My own experience")
        PARENT = "parent", _("Parent of the person")
        PARTNER = "partner", _("Partner or spouse")
        CHILD = "child", _("Son or daughter")
        SIBLING = "sibling", _("Brother or sister")
        OTHER_FAMILY = "other_family", _("Other family member")
        FRIEND = "friend", _("Friend or other carer")

    class SinceKind(models.TextChoices):
        DIAGNOSIS = "diagnosis", _("Diagnosis")
        DISCHARGE = "discharge", _("Discharge or surgery")
        EVENT = "event", _("Birth, loss or other event")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="experiences")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="experiences")
    perspective = models.CharField(_("perspective"), max_length=20, choices=Perspective.choices)
    relationship = models.CharField(
        _("whose experience"),
        max_length=20,
        choices=Relationship.choices,
        default=Relationship.SELF,
        help_text=_("Caregivers say who they care for; the condition is then theirs."),
    )
    condition = models.ForeignKey(
        Condition,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="experiences",
        help_text=_("The most specific level known: condition, sub-condition or facet."),
    )
    facets = models.ManyToManyField(Condition, blank=True, related_name="faceted_experiences")
    issues = models.ManyToManyField(IssueTag, blank=True, related_name="experiences")
    since = models.DateField(_("since"), null=True, blank=True)
    since_kind = models.CharField(
        _("since what"), max_length=20, choices=SinceKind.choices, blank=True
    )
    story = EncryptedTextField(_("in their words"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "programme", "perspective"],
                name="one_experience_per_person_programme_perspective",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_perspective_display()}: {self.condition or '-'}"

    @property
    def is_caregiver(self) -> bool:
        return self.relationship != self.Relationship.SELF

    def clean(self) -> None:
        if self.since and self.since > timezone.localdate():
            raise ValidationError({"since": _("This date is in the future.")})


class ConsentText(models.Model):
    """A version of the consent wording a programme shows."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="consent_texts")
    version = models.CharField(_("version"), max_length=20)
    body = models.TextField(_("wording"))
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "version"], name="consent_text_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme.code} v{self.version}"


class ConsentScope(models.TextChoices):
    PARTICIPATION = "participation", _("Taking part in the programme")
    CONTACT_PHONE = "contact_phone", _("Being contacted by phone")
    CONTACT_SMS = "contact_sms", _("Being contacted by text message")
    CONTACT_EMAIL = "contact_email", _("Being contacted by email")
    SHARE_WITH_REFERRER = "share_with_referrer", _("Sharing my progress with who referred me")
    RESEARCH = "research", _("De-identified use for research and evaluation")
    REDISCLOSURE = (
        "redisclosure",
        _("Passing on my substance-use records to others (42 CFR Part 2)"),
    )


CONTACT_SCOPE_FOR_CHANNEL = {
    Person.Channel.PHONE: ConsentScope.CONTACT_PHONE,
    Person.Channel.SMS: ConsentScope.CONTACT_SMS,
    Person.Channel.EMAIL: ConsentScope.CONTACT_EMAIL,
}


class Consent(models.Model):
    """One recorded consent decision: the scopes granted at that moment. The newest row
    for a person and programme is what holds now; older rows are the history."""

    class Method(models.TextChoices):
        ONLINE = "online", _("Online, by the person")
        WRITTEN = "written", _("Written form")
        VERBAL = "verbal", _("Verbal, recorded by staff")

    class GivenBy(models.TextChoices):
        SELF = "self", _("The person")
        GUARDIAN = "guardian", _("A parent or legal guardian")

    class Change(models.TextChoices):
        GIVEN = "given", _("Given")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="consents")
    scopes = models.JSONField(
        _("agreed to"),
        default=list,
        blank=True,
        validators=[ChoiceListValidator(ConsentScope.values, "consent item", allow_empty=True)],
    )
    text = models.ForeignKey(
        ConsentText, null=True, blank=True, on_delete=models.PROTECT, related_name="consents"
    )
    method = models.CharField(_("how it was given"), max_length=10, choices=Method.choices)
    given_by = models.CharField(
        _("given by"), max_length=10, choices=GivenBy.choices, default=GivenBy.SELF
    )
    guardian_name = models.CharField(_("guardian's name"), max_length=200, blank=True)
    change = models.CharField(max_length=10, choices=Change.choices, default=Change.GIVEN)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["person", "programme", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.get_change_display()} {self.recorded_at:%Y-%m-%d}"

    def clean(self) -> None:
        if self.given_by == self.GivenBy.GUARDIAN and not self.guardian_name.strip():
            raise ValidationError({"guardian_name": _("Give the guardian's name.")})

    def scope_labels(self) -> list[str]:
        return [str(ConsentScope(scope).label) for scope in self.scopes]
