"""Writes about a peer's standing in a programme: opening a profile, making a ready peer
available, capacity and availability, and the programme's workforce rules."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme, RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.organisations.services import role_grant
from peerbridge.people.models import Person
from peerbridge.workforce.eligibility import Reason, standing
from peerbridge.workforce.models import (
    PeerApplication,
    PeerProfile,
    WorkforceAlert,
    WorkforceSettings,
)
from peerbridge.workforce.selectors import programme_supervisors, workforce_settings

PROFILE_EDITABLE = frozenset(
    {"alias", "max_matches", "max_groups", "availability", "modalities", "supervisor"}
)
SETTINGS_EDITABLE = frozenset(
    {
        "applications_open",
        "supervision_cadence_days",
        "ongoing_training_hours",
        "ongoing_training_period_days",
        "checkin_cadence_days",
        "burnout_threshold",
        "default_max_matches",
        "default_max_groups",
        "required_framework",
    }
)


def _full_clean(instance: Any) -> None:
    instance.full_clean()


@transaction.atomic
def profile_open(
    *,
    person: Person,
    programme: Programme,
    actor: User | None,
    application: PeerApplication | None = None,
    status: str = PeerProfile.Status.TRAINING,
) -> PeerProfile:
    """Start a person's standing as a peer in a programme (accepted to training, or an
    existing peer brought into PeerBridge), with the programme's default capacity."""
    if PeerProfile.objects.filter(person=person, programme=programme).exists():
        raise ValidationError({"person": _("This person already has a place in this programme.")})
    rules = workforce_settings(programme)
    profile = PeerProfile(
        person=person,
        programme=programme,
        application=application,
        status=status,
        alias=person.preferred_name or person.given_name,
        max_matches=rules.default_max_matches,
        max_groups=rules.default_max_groups,
        activated_on=timezone.localdate() if status == PeerProfile.Status.ACTIVE else None,
    )
    _full_clean(profile)
    profile.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=profile)
    return profile


def _ensure_peer_role(profile: PeerProfile, actor: User | None) -> None:
    user = profile.person.user
    if user is None:
        return
    held = RoleAssignment.objects.filter(
        user=user, role=Role.PEER_SUPPORTER, programme=profile.programme, ended_at__isnull=True
    ).exists()
    if not held:
        role_grant(
            user=user, role=Role.PEER_SUPPORTER, granted_by=actor, programme=profile.programme
        )


@transaction.atomic
def profile_activate(*, profile: PeerProfile, actor: User | None) -> PeerProfile:
    """Make a peer available to support people: only once trained, competent, signed
    and (where required) certified."""
    profile = PeerProfile.objects.select_for_update().select_related("person").get(pk=profile.pk)
    if profile.status == PeerProfile.Status.ACTIVE:
        return profile
    if profile.status == PeerProfile.Status.LEFT:
        raise ValidationError(_("This peer has left the programme."))
    blockers = [
        b
        for b in standing(profile).common_blockers
        if b.reason not in (Reason.NOT_ACTIVE, Reason.PAUSED, Reason.BURNT_OUT)
    ]
    if blockers:
        raise ValidationError({"__all__": [b.detail for b in blockers]})
    profile.status = PeerProfile.Status.ACTIVE
    profile.activated_on = timezone.localdate()
    profile.save(update_fields=["status", "activated_on"])
    _ensure_peer_role(profile, actor)
    audit_instance(actor=actor, action=Action.UPDATE, instance=profile)
    return profile


@transaction.atomic
def profile_update(*, profile: PeerProfile, actor: User | None, **changes: Any) -> PeerProfile:
    """Change a peer's capacity, availability, alias or supervisor."""
    unknown = set(changes) - PROFILE_EDITABLE
    if unknown:
        raise ValueError(f"Not editable through profile_update: {sorted(unknown)}")
    profile = PeerProfile.objects.select_for_update().get(pk=profile.pk)
    for name, value in changes.items():
        setattr(profile, name, value)
    supervisor = changes.get("supervisor")
    if (
        supervisor is not None
        and not programme_supervisors(profile.programme).filter(pk=supervisor.pk).exists()
    ):
        raise ValidationError({"supervisor": _("Choose a supervisor of this programme.")})
    _full_clean(profile)
    profile.save(update_fields=[*changes])
    audit_instance(actor=actor, action=Action.UPDATE, instance=profile)
    return profile


@transaction.atomic
def settings_update(
    *, programme: Programme, actor: User | None, **changes: Any
) -> WorkforceSettings:
    unknown = set(changes) - SETTINGS_EDITABLE
    if unknown:
        raise ValueError(f"Not editable through settings_update: {sorted(unknown)}")
    WorkforceSettings.objects.get_or_create(programme=programme)
    rules = WorkforceSettings.objects.select_for_update().get(programme=programme)
    programme.__dict__.pop("_workforce_settings_cache", None)
    framework = changes.get("required_framework")
    if framework is not None and framework.organisation_id != programme.site.organisation_id:
        raise ValidationError(
            {"required_framework": _("Choose a framework of this programme's organisation.")}
        )
    for name, value in changes.items():
        setattr(rules, name, value)
    rules.updated_at = timezone.now()
    _full_clean(rules)
    rules.save()
    audit_instance(actor=actor, action=Action.UPDATE, instance=rules)
    return rules


@transaction.atomic
def alert_raise(*, profile: PeerProfile, kind: str, detail: str = "") -> WorkforceAlert:
    """Open an alert of `kind` on the peer, or return the one already open (one open
    alert per kind; the peer's row is locked so parallel raisers agree). `detail` holds
    ids and short facts only, never free text about the person."""
    PeerProfile.objects.select_for_update().filter(pk=profile.pk).first()
    alert, created = WorkforceAlert.objects.get_or_create(
        profile=profile,
        kind=kind,
        resolved_at__isnull=True,
        defaults={"detail": detail[:200]},
    )
    if created:
        audit_instance(actor=None, action=Action.CREATE, instance=alert)
    return alert


@transaction.atomic
def alert_resolve(*, alert: WorkforceAlert, actor: User | None, resolution: str) -> WorkforceAlert:
    """Close an alert with what was done; an alert already closed stays as it was."""
    locked = WorkforceAlert.objects.select_for_update().get(pk=alert.pk)
    if locked.resolved_at is not None:
        return locked
    locked.resolved_at = timezone.now()
    locked.resolved_by = actor
    locked.resolution = resolution.strip()[:2000]
    locked.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=locked)
    return locked
