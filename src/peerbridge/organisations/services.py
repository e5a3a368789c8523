"""Writes for organisations, sites, programmes and role assignments.

Services validate the whole object (model validators and constraints) and raise
ValidationError with field names, so pages and the API report the same errors.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.organisations.models import Organisation, Programme, RoleAssignment, Site

PROGRAMME_FIELDS = frozenset(
    {
        "code",
        "name",
        "summary",
        "condition_area",
        "condition_detail",
        "audience",
        "formats",
        "modalities",
        "duration_weeks",
        "contact_cadence_days",
        "peer_pay",
        "max_contact_attempts",
        "self_referral_open",
        "status",
    }
)
SITE_FIELDS = frozenset({"name", "code", "level", "is_active"})
ORGANISATION_FIELDS = frozenset({"name", "slug"})


def _assign(instance: Any, fields: dict[str, Any], allowed: frozenset[str]) -> list[str]:
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    changed = []
    for name, value in fields.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


@transaction.atomic
def organisation_create(*, name: str, slug: str, created_by: User | None) -> Organisation:
    organisation = Organisation(name=name, slug=slug)
    organisation.full_clean()
    organisation.save()
    audit_instance(actor=created_by, action=Action.CREATE, instance=organisation)
    return organisation


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, updated_by: User, **fields: Any
) -> Organisation:
    if _assign(organisation, fields, ORGANISATION_FIELDS):
        organisation.full_clean()
        organisation.save()
        audit_instance(actor=updated_by, action=Action.UPDATE, instance=organisation)
    return organisation


@transaction.atomic
def site_create(
    *,
    organisation: Organisation,
    parent: Site | None,
    name: str,
    code: str,
    level: str,
    created_by: User | None,
) -> Site:
    if parent is not None and parent.organisation_id != organisation.pk:
        raise ValidationError({"parent": _("The parent site belongs to another organisation.")})
    if parent is None and organisation.sites.filter(parent__isnull=True).exists():
        raise ValidationError({"parent": _("This organisation already has its top site.")})
    site = Site(organisation=organisation, parent=parent, name=name, code=code, level=level)
    site.path = "/pending/"
    site.full_clean(exclude=["path"])
    site.save()
    site.path = f"{parent.path if parent else '/'}{site.pk}/"
    site.save(update_fields=["path"])
    audit_instance(actor=created_by, action=Action.CREATE, instance=site)
    return site


@transaction.atomic
def site_update(*, site: Site, updated_by: User, **fields: Any) -> Site:
    if _assign(site, fields, SITE_FIELDS):
        site.full_clean()
        site.save()
        audit_instance(actor=updated_by, action=Action.UPDATE, instance=site)
    return site


@transaction.atomic
def programme_create(*, site: Site, created_by: User | None, **fields: Any) -> Programme:
    programme = Programme(site=site)
    _assign(programme, fields, PROGRAMME_FIELDS)
    programme.full_clean()
    programme.save()
    audit_instance(actor=created_by, action=Action.CREATE, instance=programme)
    return programme


@transaction.atomic
def programme_update(*, programme: Programme, updated_by: User, **fields: Any) -> Programme:
    if _assign(programme, fields, PROGRAMME_FIELDS):
        programme.full_clean()
        programme.updated_at = timezone.now()
        programme.save()
        audit_instance(actor=updated_by, action=Action.UPDATE, instance=programme)
    return programme


@transaction.atomic
def role_grant(
    *,
    user: User,
    role: str,
    granted_by: User | None,
    site: Site | None = None,
    programme: Programme | None = None,
) -> RoleAssignment:
    """Give `user` a role in one scope. Granting a role already held there is refused,
    so the history shows one period per holding."""
    if (site is None) == (programme is None):
        raise ValidationError({"scope": _("Choose either a site or a programme.")})
    organisation_id = programme.site.organisation_id if programme else site.organisation_id  # type: ignore[union-attr]
    assignment = RoleAssignment(
        user=user,
        role=role,
        organisation_id=organisation_id,
        site=site,
        programme=programme,
        granted_by=granted_by,
    )
    assignment.full_clean(exclude=["organisation"])
    already = RoleAssignment.objects.filter(
        user=user, role=role, site=site, programme=programme, ended_at__isnull=True
    )
    if already.exists():
        raise ValidationError({"role": _("This person already holds this role here.")})
    assignment.save()
    audit_instance(actor=granted_by, action=Action.CREATE, instance=assignment)
    return assignment


@transaction.atomic
def role_end(*, assignment: RoleAssignment, ended_by: User, reason: str = "") -> RoleAssignment:
    if assignment.ended_at is not None:
        raise ValidationError({"ended_at": _("This role has already ended.")})
    assignment.ended_at = timezone.now()
    assignment.ended_by = ended_by
    assignment.end_reason = reason[:200]
    assignment.save(update_fields=["ended_at", "ended_by", "end_reason"])
    audit_instance(actor=ended_by, action=Action.UPDATE, instance=assignment)
    return assignment
