"""Writes about people: their details, their consent, and inviting staff."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.crypto import normalise_email
from peerbridge.core.models import User
from peerbridge.core.tasks import send_password_email
from peerbridge.organisations.models import Programme, RoleAssignment, Site
from peerbridge.organisations.services import role_grant
from peerbridge.people.models import (
    CONTACT_SCOPE_FOR_CHANNEL,
    Consent,
    ConsentScope,
    ConsentText,
    Person,
)
from peerbridge.people.selectors import consent_allows, current_consent


@transaction.atomic
def person_create(
    *, given_name: str, family_name: str, created_by: User | None, user: User | None = None
) -> Person:
    person = Person(given_name=given_name.strip(), family_name=family_name.strip(), user=user)
    person.full_clean()
    person.save()
    audit_instance(actor=created_by, action=Action.CREATE, instance=person)
    return person


@transaction.atomic
def membership_grant(
    *,
    granted_by: User,
    email: str,
    role: str,
    given_name: str = "",
    family_name: str = "",
    site: Site | None = None,
    programme: Programme | None = None,
    site_url: str = "",
) -> RoleAssignment:
    """Give a role to the person with this email; a newcomer gets an account and an
    email inviting them to choose a password (sent after commit, by the worker)."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    user = User.objects.filter(email=email).first()
    invited = user is None
    if user is None:
        if not given_name.strip():
            raise ValidationError(
                {"given_name": _("This person has no account yet: give their name.")}
            )
        user = User.objects.create_user(email=email, password=None)
        person_create(
            given_name=given_name, family_name=family_name, created_by=granted_by, user=user
        )
        audit_instance(actor=granted_by, action=Action.CREATE, instance=user)
    assignment = role_grant(
        user=user, role=role, granted_by=granted_by, site=site, programme=programme
    )
    if invited:
        _send_invitation(user=user, site_url=site_url)
    return assignment


def _send_invitation(*, user: User, site_url: str) -> None:
    user_id = user.pk
    transaction.on_commit(
        lambda: send_password_email.enqueue(user_id=user_id, kind="invitation", site_url=site_url)
    )


# Fields a person's record may change through person_update (names included; the login,
# merge and erasure columns only through their own services).
PERSON_EDITABLE = frozenset(
    {
        "given_name",
        "family_name",
        "preferred_name",
        "pronouns",
        "date_of_birth",
        "age_band",
        "gender",
        "gender_described",
        "languages",
        "cultural_background",
        "cultural_groups",
        "site",
        "area",
        "latitude",
        "longitude",
        "accessibility_needs",
        "phone",
        "email",
        "preferred_channels",
        "preferred_times",
        "notes",
    }
)


def _clean_text(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


@transaction.atomic
def person_update(*, person: Person, updated_by: User | None, **changes: object) -> Person:
    unknown = set(changes) - PERSON_EDITABLE
    if unknown:
        raise ValueError(f"Not editable through person_update: {sorted(unknown)}")
    if person.is_erased:
        raise ValidationError(_("This person's record was erased and cannot change."))
    for name, value in changes.items():
        setattr(person, name, _clean_text(value))
    if person.email:
        person.email = normalise_email(person.email)
        validate_email_field(person.email)
    person.updated_at = timezone.now()
    person.full_clean()
    person.save()
    audit_instance(actor=updated_by, action=Action.UPDATE, instance=person)
    return person


def validate_email_field(value: str) -> None:
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None


@transaction.atomic
def consent_record(
    *,
    person: Person,
    programme: Programme,
    scopes: list[str],
    method: str,
    recorded_by: User | None,
    given_by: str = Consent.GivenBy.SELF,
    guardian_name: str = "",
    text: ConsentText | None = None,
) -> Consent:
    """Record what the person agrees to now. It replaces (never edits) what held before."""
    if ConsentScope.REDISCLOSURE in scopes and not programme.needs_redisclosure_consent:
        raise ValidationError(
            {"scopes": _("Redisclosure consent applies only to substance-use programmes.")}
        )
    if text is None:
        text = programme.consent_texts.order_by("-published_at", "-id").first()
    consent = Consent(
        person=person,
        programme=programme,
        scopes=sorted(set(scopes)),
        method=method,
        given_by=given_by,
        guardian_name=guardian_name.strip(),
        text=text,
        recorded_by=recorded_by,
    )
    consent.full_clean()
    consent.save()
    audit_instance(actor=recorded_by, action=Action.CREATE, instance=consent)
    return consent


@transaction.atomic
def consent_withdraw(
    *,
    person: Person,
    programme: Programme,
    scopes: list[str],
    reason: str,
    recorded_by: User | None,
    method: str = Consent.Method.VERBAL,
) -> Consent:
    """Withdraw some or all scopes: a new decision holding what remains. It acts on the
    very next request, because every check reads the newest decision."""
    current = current_consent(person=person, programme_id=programme.pk)
    if current is None:
        raise ValidationError({"scopes": _("There is no consent to withdraw.")})
    unknown = [scope for scope in scopes if scope not in current.scopes]
    if unknown or not scopes:
        raise ValidationError({"scopes": _("Choose items the person has agreed to.")})
    consent = Consent(
        person=person,
        programme=programme,
        scopes=[scope for scope in current.scopes if scope not in scopes],
        method=method,
        given_by=current.given_by,
        guardian_name=current.guardian_name,
        text=current.text,
        change=Consent.Change.WITHDRAWN,
        reason=reason.strip(),
        recorded_by=recorded_by,
    )
    consent.full_clean()
    consent.save()
    audit_instance(actor=recorded_by, action=Action.UPDATE, instance=consent)
    return consent


def require_contact_consent(*, person: Person, programme: Programme, channel: str) -> None:
    """Every service that contacts someone asks this first."""
    scope = (
        CONTACT_SCOPE_FOR_CHANNEL.get(Person.Channel(channel))
        if channel in Person.Channel.values
        else None
    )
    if scope is not None and not consent_allows(
        person=person, programme_id=programme.pk, scope=scope
    ):
        raise ValidationError(
            {"channel": _("This person has not agreed to be contacted this way.")}
        )


@transaction.atomic
def consent_text_publish(
    *, programme: Programme, version: str, body: str, published_by: User | None
) -> ConsentText:
    """A new wording. Consents already given keep pointing at the version they used."""
    text = ConsentText(programme=programme, version=version.strip(), body=body.strip())
    text.full_clean()
    text.save()
    audit_instance(actor=published_by, action=Action.CREATE, instance=text)
    return text
