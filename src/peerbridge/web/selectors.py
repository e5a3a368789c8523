"""Reads for the role home pages and the audit log."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.organisations import policies
from peerbridge.organisations.models import RoleAssignment
from peerbridge.organisations.selectors import AnyUser, active_assignments


def audit_events(*, user: AnyUser, filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    """Audit rows an organisation admin may see: those of anyone who has held a role in
    an organisation they administer from its top site, and anonymous sign-in failures."""
    organisation_ids = {
        a.organisation_id
        for a in active_assignments(user)
        if a.role in policies.AUDIT_VIEW.roles and a.site is not None and a.site.parent_id is None
    }
    if not organisation_ids:
        return AuditEvent.objects.none()
    actors = RoleAssignment.objects.filter(organisation_id__in=organisation_ids).values("user_id")
    events = AuditEvent.objects.filter(Q(actor_id__in=actors) | Q(actor__isnull=True))
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("object_type"):
        events = events.filter(object_type=filters["object_type"])
    if filters.get("object_id"):
        events = events.filter(object_id=filters["object_id"])
    if filters.get("actor"):
        events = events.filter(actor_id=filters["actor"])
    if filters.get("request_id"):
        events = events.filter(request_id=filters["request_id"])
    zone = timezone.get_current_timezone()
    if filters.get("since"):
        events = events.filter(at__gte=datetime.combine(filters["since"], time.min, zone))
    if filters.get("until"):
        events = events.filter(at__lte=datetime.combine(filters["until"], time.max, zone))
    return events.order_by("-at", "-id")
