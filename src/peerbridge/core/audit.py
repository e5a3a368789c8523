"""Writing the audit log. Call these from services and selectors, never with personal
values: an object type and id say which record, the record itself stays where it is."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db import models

from peerbridge.core.middleware import current_request
from peerbridge.core.models import AuditEvent, User

Action = AuditEvent.Action


def _actor_id(actor: User | AnonymousUser | None) -> int | None:
    if actor is None or not actor.is_authenticated:
        return None
    return int(actor.pk)


# Sign-in failures and lockouts keep the address: that is how an attack is traced. Any
# other anonymous event (a public self-referral) does not, because the row's object id
# would tie a person's record to their address, and audit rows are never erased.
_ADDRESS_KEPT_WHEN_ANONYMOUS = frozenset({Action.LOGIN_FAILED, Action.LOCKOUT})


def _source_ip(actor: User | AnonymousUser | None, action: str, address: str | None) -> str | None:
    if _actor_id(actor) is None and action not in _ADDRESS_KEPT_WHEN_ANONYMOUS:
        return None
    return address


def _event(
    *, actor: User | AnonymousUser | None, action: str, object_type: str, object_id: object
) -> AuditEvent:
    context = current_request.get()
    return AuditEvent(
        actor_id=_actor_id(actor),
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        request_id=context.request_id if context else "",
        source_ip=_source_ip(actor, action, context.source_ip if context else None),
        route=context.route if context else "",
    )


def audit(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    object_type: str,
    object_id: object = None,
) -> AuditEvent:
    event = _event(actor=actor, action=action, object_type=object_type, object_id=object_id)
    event.save(force_insert=True)
    return event


def audit_instance(
    *, actor: User | AnonymousUser | None, action: str, instance: models.Model
) -> AuditEvent:
    return audit(
        actor=actor, action=action, object_type=instance._meta.label_lower, object_id=instance.pk
    )


def audit_many(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    object_type: str,
    object_ids: Iterable[object],
) -> int:
    """One row per record shown, as a list page reads each person it lists."""
    events = [
        _event(actor=actor, action=action, object_type=object_type, object_id=object_id)
        for object_id in object_ids
    ]
    AuditEvent.objects.bulk_create(events)
    return len(events)
