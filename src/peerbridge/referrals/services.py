"""Writes for intake: referrals from every source, contact attempts, status changes,
duplicate detection and merging."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit, audit_instance
from peerbridge.core.crypto import normalise_email
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.people.models import Consent, ConsentScope, Person
from peerbridge.people.selectors import consent_allows, find_duplicates
from peerbridge.people.services import (
    consent_record,
    require_contact_consent,
    validate_email_field,
)
from peerbridge.referrals.models import (
    REASON_REQUIRED,
    TRANSITIONS,
    ContactAttempt,
    DeclineReason,
    Enrolment,
    EnrolmentStatus,
    EnrolmentStatusChange,
)

S = EnrolmentStatus


@dataclass
class ReferralDetails:
    """What a referral says about the person; the same shape from every source."""

    given_name: str
    family_name: str = ""
    preferred_name: str = ""
    date_of_birth: datetime.date | None = None
    age_band: str = ""
    gender: str = ""
    languages: list[str] = field(default_factory=list)
    area: str = ""
    phone: str = ""
    email: str = ""
    preferred_channels: list[str] = field(default_factory=list)
    preferred_times: str = ""
    accessibility_needs: str = ""

    def person_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _build_person(details: ReferralDetails, programme: Programme) -> Person:
    person = Person(organisation=programme.site.organisation, site=programme.site)
    for name, value in details.person_fields().items():
        setattr(person, name, value.strip() if isinstance(value, str) else value)
    if person.email:
        person.email = normalise_email(person.email)
        validate_email_field(person.email)
    if not person.given_name:
        raise ValidationError({"given_name": _("Give at least a first name.")})
    if not (person.phone or person.email):
        raise ValidationError(
            {
                "phone": _(
                    "Give a phone number or an email address, so the programme can reach them."
                )
            }
        )
    person.full_clean()
    return person


@dataclass
class ReferralResult:
    enrolment: Enrolment
    possible_duplicates: list[Person]


@transaction.atomic
def referral_create(
    *,
    programme: Programme,
    details: ReferralDetails,
    source: str,
    referred_by: User | None,
    kind: str = Enrolment.Kind.PATIENT,
    referral_reason: str = "",
    referrer_organisation: str = "",
    priority: int = Enrolment.Priority.ROUTINE,
    contact_scopes: list[str] | None = None,
    share_with_referrer: bool = False,
    consent_method: str = Consent.Method.VERBAL,
) -> ReferralResult:
    """Receive a referral: a new person record and an enrolment at "referred". Possible
    duplicates are reported (and shown in the queue to merge), never silently joined.
    `contact_scopes` records how the person agreed to be contacted."""
    if programme.status == Programme.Status.CLOSED:
        raise ValidationError({"programme_id": _("This programme is closed to referrals.")})
    if kind not in Enrolment.Kind.values:
        raise ValidationError({"kind": _("Choose patient or caregiver.")})
    person = _build_person(details, programme)
    duplicates = find_duplicates(
        organisation=programme.site.organisation,
        given_name=person.given_name,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
        phone=person.phone,
        email=person.email,
    )
    person.save()
    enrolment = Enrolment(
        person=person,
        programme=programme,
        kind=kind,
        source=source,
        referred_by=referred_by,
        referrer_organisation=referrer_organisation.strip(),
        referral_reason=referral_reason.strip(),
        priority=priority,
    )
    enrolment.full_clean()
    enrolment.save()
    EnrolmentStatusChange.objects.create(
        enrolment=enrolment, from_status="", to_status=S.REFERRED, changed_by=referred_by
    )
    scopes = list(contact_scopes or [])
    if share_with_referrer and referred_by is not None:
        scopes.append(ConsentScope.SHARE_WITH_REFERRER)
    if scopes:
        consent_record(
            person=person,
            programme=programme,
            scopes=scopes,
            method=consent_method,
            recorded_by=referred_by,
        )
    audit_instance(actor=referred_by, action=Action.CREATE, instance=person)
    audit_instance(actor=referred_by, action=Action.CREATE, instance=enrolment)
    return ReferralResult(enrolment=enrolment, possible_duplicates=duplicates)


def _set_status(
    enrolment: Enrolment, to_status: str, *, reason: str, changed_by: User | None
) -> None:
    now = timezone.now()
    EnrolmentStatusChange.objects.create(
        enrolment=enrolment,
        from_status=enrolment.status,
        to_status=to_status,
        reason=reason,
        changed_by=changed_by,
        changed_at=now,
    )
    enrolment.status = to_status
    enrolment.status_changed_at = now
    enrolment.updated_at = now
    if to_status == S.WAITING:
        enrolment.waiting_since = now


def failed_attempts(enrolment: Enrolment) -> int:
    return enrolment.contact_attempts.exclude(outcome=ContactAttempt.Outcome.CONNECTED).count()


@transaction.atomic
def enrolment_transition(
    *,
    enrolment: Enrolment,
    to_status: str,
    changed_by: User | None,
    reason: str = "",
    decline_reason: str = "",
) -> Enrolment:
    """Move an enrolment along its validated path, with reason and time."""
    enrolment = (
        Enrolment.objects.select_for_update().select_related("programme").get(pk=enrolment.pk)
    )
    if to_status not in S.values or to_status not in TRANSITIONS[S(enrolment.status)]:
        raise ValidationError(
            {
                "to_status": _("An enrolment that is %(now)s cannot become %(next)s.")
                % {"now": enrolment.get_status_display(), "next": to_status}
            }
        )
    reason = reason.strip()
    if to_status == S.DECLINED and decline_reason not in DeclineReason.values:
        raise ValidationError({"decline_reason": _("Choose why the referral was declined.")})
    if to_status in REASON_REQUIRED and to_status != S.DECLINED and not reason:
        raise ValidationError({"reason": _("Say why, in a few words.")})
    if to_status == S.UNREACHABLE and not enrolment.may_close_unreachable(
        failed_attempts(enrolment)
    ):
        raise ValidationError(
            {
                "to_status": _("Make %(n)s contact attempts before closing as unreachable.")
                % {"n": enrolment.programme.max_contact_attempts}
            }
        )
    if to_status == S.ENROLLED and not consent_allows(
        person=enrolment.person,
        programme_id=enrolment.programme_id,
        scope=ConsentScope.PARTICIPATION,
    ):
        raise ValidationError(
            {"to_status": _("Record the person's consent to take part before enrolling them.")}
        )
    if to_status == S.DECLINED:
        enrolment.decline_reason = decline_reason
    _set_status(enrolment, to_status, reason=reason, changed_by=changed_by)
    enrolment.save()
    audit_instance(actor=changed_by, action=Action.UPDATE, instance=enrolment)
    return enrolment


@transaction.atomic
def enrol_with_consent(
    *,
    enrolment: Enrolment,
    scopes: list[str],
    method: str,
    enrolled_by: User | None,
    given_by: str = Consent.GivenBy.SELF,
    guardian_name: str = "",
    add_to_waiting_list: bool = True,
) -> Enrolment:
    """The intake conversation's end: consent recorded, enrolled, and (usually) on the
    waiting list for a match."""
    if ConsentScope.PARTICIPATION not in scopes:
        raise ValidationError({"scopes": _("Taking part needs the person's consent.")})
    consent_record(
        person=enrolment.person,
        programme=enrolment.programme,
        scopes=scopes,
        method=method,
        given_by=given_by,
        guardian_name=guardian_name,
        recorded_by=enrolled_by,
    )
    enrolment = enrolment_transition(
        enrolment=enrolment, to_status=S.ENROLLED, changed_by=enrolled_by
    )
    if add_to_waiting_list:
        enrolment = enrolment_transition(
            enrolment=enrolment, to_status=S.WAITING, changed_by=enrolled_by
        )
    return enrolment


@transaction.atomic
def contact_attempt_log(
    *,
    enrolment: Enrolment,
    channel: str,
    outcome: str,
    attempted_by: User | None,
    note: str = "",
    attempted_at: datetime.datetime | None = None,
) -> ContactAttempt:
    """Log a try at reaching someone. The channel must be one they agreed to; the first
    attempt that connects moves a new referral to "contacted"."""
    if not enrolment.is_open:
        raise ValidationError({"outcome": _("This referral is closed.")})
    require_contact_consent(person=enrolment.person, programme=enrolment.programme, channel=channel)
    attempt = ContactAttempt(
        enrolment=enrolment,
        channel=channel,
        outcome=outcome,
        note=note.strip(),
        attempted_by=attempted_by,
        attempted_at=attempted_at or timezone.now(),
    )
    attempt.full_clean()
    attempt.save()
    audit_instance(actor=attempted_by, action=Action.CREATE, instance=attempt)
    if attempt.connected and enrolment.status in (S.REFERRED, S.UNREACHABLE):
        enrolment_transition(enrolment=enrolment, to_status=S.CONTACTED, changed_by=attempted_by)
    return attempt


@transaction.atomic
def enrolment_update(
    *,
    enrolment: Enrolment,
    updated_by: User | None,
    priority: int | None = None,
    next_action: str | None = None,
    next_action_due: datetime.date | None = None,
    kind: str | None = None,
) -> Enrolment:
    if priority is not None:
        enrolment.priority = priority
    if next_action is not None:
        enrolment.next_action = next_action.strip()
        enrolment.next_action_due = next_action_due
    if kind is not None:
        enrolment.kind = kind
    enrolment.updated_at = timezone.now()
    enrolment.full_clean()
    enrolment.save()
    audit_instance(actor=updated_by, action=Action.UPDATE, instance=enrolment)
    return enrolment


FILLABLE_ON_MERGE = (
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "age_band",
    "gender",
    "gender_described",
    "cultural_background",
    "area",
    "phone",
    "email",
    "preferred_times",
    "accessibility_needs",
)


@transaction.atomic
def person_merge(*, keep: Person, duplicate: Person, merged_by: User | None) -> Person:
    """Fold a duplicate record into the one kept. Every row pointing at the duplicate
    moves across, blanks on the kept record are filled, and the duplicate stays (marked
    merged) so its history is never lost. Refused when both are open in one programme."""
    if keep.pk == duplicate.pk:
        raise ValidationError({"duplicate_id": _("Choose a different person.")})
    if keep.organisation_id != duplicate.organisation_id:
        raise ValidationError({"duplicate_id": _("Both records must belong to one organisation.")})
    if keep.is_erased or duplicate.is_erased or duplicate.merged_into_id:
        raise ValidationError({"duplicate_id": _("This record can no longer be merged.")})
    for name in FILLABLE_ON_MERGE:
        if not getattr(keep, name) and getattr(duplicate, name):
            setattr(keep, name, getattr(duplicate, name))
    keep.languages = list(dict.fromkeys([*keep.languages, *duplicate.languages]))
    keep.updated_at = timezone.now()
    keep.save()
    try:
        with transaction.atomic():
            for relation in Person._meta.related_objects:
                if relation.one_to_one or relation.related_model is Person:
                    continue
                relation.related_model._default_manager.filter(  # type: ignore[union-attr]
                    **{relation.field.name: duplicate}
                ).update(**{relation.field.name: keep})
    except IntegrityError:
        raise ValidationError(
            {
                "duplicate_id": _(
                    "Both records have an open enrolment (or the same lived-experience "
                    "record) in one programme: close or remove one first."
                )
            }
        ) from None
    duplicate.merged_into = keep
    duplicate.updated_at = timezone.now()
    duplicate.save(update_fields=["merged_into", "updated_at"])
    audit_instance(actor=merged_by, action=Action.UPDATE, instance=keep)
    audit(
        actor=merged_by, action=Action.UPDATE, object_type="people.person", object_id=duplicate.pk
    )
    return keep
