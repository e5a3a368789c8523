"""Escalating flags nobody acknowledged in time to the programme's leaders.

The worker's "safety-escalate" job runs `escalate_overdue` every few minutes. It is
safe to run as often as anyone likes and in several workers at once: each flag is
escalated under a row lock, and the unique constraint `one_escalation_per_flag` on
its ESCALATED event turns a second attempt into a no-op. A flag with nobody to
escalate to (no leader, no admin) stays overdue and is tried again on the next scan.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from peerbridge.core.audit import Action, audit_instance
from peerbridge.safety import alerts
from peerbridge.safety.configuration import programme_leaders
from peerbridge.safety.models import FlagEvent, RiskFlag

logger = logging.getLogger(__name__)


def overdue(now: datetime) -> QuerySet[RiskFlag]:
    """Flags still waiting for acknowledgement past their deadline, not yet escalated."""
    return RiskFlag.objects.filter(
        status=RiskFlag.Status.OPEN, acknowledge_by__lt=now, escalated_at__isnull=True
    )


def _escalate_one(flag_id: int, now: datetime) -> bool:
    with transaction.atomic():
        flag = overdue(now).select_for_update(skip_locked=True).filter(pk=flag_id).first()
        if flag is None:
            return False  # acknowledged, escalated or being escalated meanwhile
        leaders = programme_leaders(flag.programme)
        if not leaders:
            logger.warning("Risk flag %s is overdue with no leader to escalate to.", flag.pk)
            return False
        try:
            with transaction.atomic():
                FlagEvent.objects.create(
                    flag=flag, kind=FlagEvent.Kind.ESCALATED, at=now, to=leaders[0]
                )
        except IntegrityError:
            return False  # another worker escalated it first
        flag.escalated_at = now
        flag.escalated_to = leaders[0]
        flag.save(update_fields=["escalated_at", "escalated_to"])
        for leader in leaders[1:]:
            FlagEvent.objects.create(flag=flag, kind=FlagEvent.Kind.NOTIFIED, at=now, to=leader)
        alerts.send_flag_escalated(flag, leaders)
        audit_instance(actor=None, action=Action.UPDATE, instance=flag)
    return True


def escalate_overdue(*, now: datetime) -> int:
    """Escalate every overdue, unacknowledged flag to its programme's leaders (else the
    organisation's admins), exactly once; answer how many were escalated now."""
    escalated = 0
    ids = list(overdue(now).order_by("acknowledge_by", "pk").values_list("pk", flat=True))
    for flag_id in ids:
        if _escalate_one(flag_id, now):
            escalated += 1
    return escalated
