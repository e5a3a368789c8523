"""Writes for the resource directory and navigation referrals.

A navigation referral connects a participant with a directory service and follows it
through a closed loop: made > connected > outcome. Every write is validated whole and
audited (ids only)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.organisations.models import Organisation
from peerbridge.people.models import ConsentScope
from peerbridge.people.selectors import consent_allows
from peerbridge.referrals.models import DirectoryService, Enrolment, NavigationReferral

SERVICE_FIELDS = frozenset(
    {
        "name",
        "provider",
        "description",
        "categories",
        "eligibility",
        "languages",
        "area",
        "address",
        "opening_hours",
        "phone",
        "email",
        "url",
        "is_active",
    }
)

NavStatus = NavigationReferral.Status
NAVIGATION_TRANSITIONS: dict[str, frozenset[str]] = {
    NavStatus.MADE: frozenset({NavStatus.CONNECTED}),
    NavStatus.CONNECTED: frozenset({NavStatus.OUTCOME}),
    NavStatus.OUTCOME: frozenset(),
}


def _cleaned(name: str, value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if name == "languages" and isinstance(value, list):
        return [code.strip().lower() if isinstance(code, str) else code for code in value]
    return value


def _assign(service: DirectoryService, fields: dict[str, Any]) -> list[str]:
    unknown = set(fields) - SERVICE_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    changed = []
    for name, raw in fields.items():
        value = _cleaned(name, raw)
        if getattr(service, name) != value:
            setattr(service, name, value)
            changed.append(name)
    return changed


@transaction.atomic
def service_create(
    *, organisation: Organisation, created_by: User | None, hsds_id: str = "", **fields: Any
) -> DirectoryService:
    """List a new service. Each service gets a stable HSDS id (kept from an import, or
    a new UUID), so exports and later imports update it instead of copying it."""
    hsds_id = hsds_id.strip() or str(uuid.uuid4())
    if DirectoryService.objects.filter(organisation=organisation, hsds_id=hsds_id).exists():
        raise ValidationError({"hsds_id": _("Another service already has this HSDS id.")})
    service = DirectoryService(organisation=organisation, hsds_id=hsds_id)
    _assign(service, fields)
    service.full_clean()
    service.save()
    audit_instance(actor=created_by, action=Action.CREATE, instance=service)
    return service


@transaction.atomic
def service_update(
    *, service: DirectoryService, updated_by: User | None, **fields: Any
) -> DirectoryService:
    if _assign(service, fields):
        service.full_clean()
        service.updated_at = timezone.now()
        service.save()
        audit_instance(actor=updated_by, action=Action.UPDATE, instance=service)
    return service


@transaction.atomic
def service_retire(*, service: DirectoryService, retired_by: User) -> DirectoryService:
    """Take a service out of searches and new referrals. It stays in the directory,
    since past navigation referrals point at it."""
    return service_update(service=service, updated_by=retired_by, is_active=False)


def _refusal_to_share(enrolment: Enrolment) -> str | None:
    person, programme = enrolment.person, enrolment.programme
    if not consent_allows(
        person=person, programme_id=programme.pk, scope=ConsentScope.PARTICIPATION
    ):
        return _(
            "The participant has not consented to take part in this programme, so their "
            "details cannot be passed to a service."
        )
    if programme.needs_redisclosure_consent and not consent_allows(
        person=person, programme_id=programme.pk, scope=ConsentScope.REDISCLOSURE
    ):
        return _(
            "This programme needs the participant's consent to redisclosure (42 CFR Part 2) "
            "before their details are passed to another service."
        )
    return None


def _check_referral(enrolment: Enrolment, service: DirectoryService, need: str) -> None:
    if not enrolment.is_open:
        raise ValidationError({"enrolment": _("This enrolment is closed.")})
    if service.organisation_id != enrolment.programme.site.organisation_id:
        raise ValidationError(
            {"service": _("This service is not in the directory of the programme's organisation.")}
        )
    if not service.is_active:
        raise ValidationError({"service": _("This service is no longer listed.")})
    if need not in service.categories:
        raise ValidationError({"need": _("This service does not list that need.")})


@transaction.atomic
def navigation_referral_make(
    *,
    enrolment: Enrolment,
    service: DirectoryService,
    need: str,
    made_by: User,
    note: str = "",
) -> NavigationReferral:
    """Refer a participant to a service. A referral passes the participant's details to
    the service, so it needs their consent to take part and, in substance-use
    programmes, their consent to redisclosure; both are read fresh, so a withdrawal
    acts at once."""
    _check_referral(enrolment, service, need)
    refusal = _refusal_to_share(enrolment)
    if refusal is not None:
        raise ValidationError({"consent": refusal})
    referral = NavigationReferral(
        enrolment=enrolment, service=service, need=need, note=note.strip(), made_by=made_by
    )
    referral.full_clean()
    referral.save()
    audit_instance(actor=made_by, action=Action.CREATE, instance=referral)
    return referral


def _locked(referral: NavigationReferral, to_status: str) -> NavigationReferral:
    """The referral row, locked, once the move to `to_status` is known to be allowed."""
    current = NavigationReferral.objects.select_for_update().get(pk=referral.pk)
    if to_status not in NAVIGATION_TRANSITIONS[NavStatus(current.status)]:
        raise ValidationError(
            {
                "status": _("A referral that is “%(current)s” cannot become “%(next)s”.")
                % {
                    "current": current.get_status_display(),
                    "next": NavStatus(to_status).label,
                }
            }
        )
    return current


def _save_move(
    current: NavigationReferral, referral: NavigationReferral, note: str, actor: User
) -> NavigationReferral:
    if note.strip():
        current.note = f"{current.note}\n\n{note.strip()}".strip()
    current.full_clean()
    current.save()
    audit_instance(actor=actor, action=Action.UPDATE, instance=current)
    referral.refresh_from_db()
    return current


@transaction.atomic
def navigation_referral_connected(
    *, referral: NavigationReferral, recorded_by: User, note: str = ""
) -> NavigationReferral:
    """The participant and the service have connected (an appointment, a call)."""
    current = _locked(referral, NavStatus.CONNECTED)
    current.status = NavStatus.CONNECTED
    current.connected_at = timezone.now()
    return _save_move(current, referral, note, recorded_by)


@transaction.atomic
def navigation_referral_outcome(
    *, referral: NavigationReferral, outcome: str, recorded_by: User, note: str = ""
) -> NavigationReferral:
    """Close the loop: was the need met?"""
    current = _locked(referral, NavStatus.OUTCOME)
    if outcome not in NavigationReferral.Outcome.values:
        raise ValidationError({"outcome": _("Choose the outcome.")})
    current.status = NavStatus.OUTCOME
    current.outcome = outcome
    current.outcome_at = timezone.now()
    return _save_move(current, referral, note, recorded_by)


def navigation_referral_advance(
    *,
    referral: NavigationReferral,
    status: str,
    recorded_by: User,
    outcome: str = "",
    note: str = "",
) -> NavigationReferral:
    """Move a referral on to `status` (one form and one API call serve both steps)."""
    if status == NavStatus.CONNECTED:
        return navigation_referral_connected(referral=referral, recorded_by=recorded_by, note=note)
    if status == NavStatus.OUTCOME:
        return navigation_referral_outcome(
            referral=referral, outcome=outcome, recorded_by=recorded_by, note=note
        )
    raise ValidationError({"status": _("Choose the next step.")})
