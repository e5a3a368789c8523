"""Reserving and releasing a peer's capacity: the only writer of CapacityReservation.

A reservation locks the peer's profile row (SELECT ... FOR UPDATE on PostgreSQL; SQLite
runs write transactions one at a time, BEGIN IMMEDIATE), then asks the eligibility
service with the lock held, so two coordinators matching at the same moment can never
push a peer past their capacity.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.workforce.eligibility import Blocker, standing
from peerbridge.workforce.models import CapacityReservation, PeerProfile


class CapacityRefused(ValidationError):
    """The peer may not take this work; `blockers` say why."""

    def __init__(self, blockers: tuple[Blocker, ...]) -> None:
        super().__init__({"peer": [b.detail for b in blockers]}, code="not_eligible")
        self.blockers = blockers


@transaction.atomic
def capacity_reserve(
    *, profile: PeerProfile, kind: str, reference: str, actor: User | None
) -> CapacityReservation:
    """Hold one unit of the peer's capacity for `reference` (e.g. "match:12"). Reserving
    the same reference again returns the live reservation rather than a second one."""
    kind = CapacityReservation.Kind(kind)
    reference = reference.strip()
    if not reference or len(reference) > 80:
        raise ValidationError({"reference": "A reference of 1 to 80 characters is required."})
    locked = PeerProfile.objects.select_for_update().get(pk=profile.pk)
    live = CapacityReservation.objects.filter(
        profile=locked, kind=kind, reference=reference, released_at__isnull=True
    ).first()
    if live is not None:
        return live
    now = standing(locked)
    blockers = now.match_blockers if kind == CapacityReservation.Kind.MATCH else now.group_blockers
    if blockers:
        raise CapacityRefused(blockers)
    reservation = CapacityReservation.objects.create(
        profile=locked, kind=kind, reference=reference, reserved_by=actor
    )
    audit_instance(actor=actor, action=Action.CREATE, instance=reservation)
    return reservation


@transaction.atomic
def capacity_release(
    *, profile: PeerProfile, kind: str, reference: str, actor: User | None
) -> CapacityReservation | None:
    """Give back the capacity held for `reference`; None when nothing was held."""
    reservation = (
        CapacityReservation.objects.select_for_update()
        .filter(profile=profile, kind=kind, reference=reference, released_at__isnull=True)
        .first()
    )
    if reservation is None:
        return None
    reservation.released_at = timezone.now()
    reservation.released_by = actor
    reservation.save(update_fields=["released_at", "released_by"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=reservation)
    return reservation
