"""Notifications are personal: every signed-in person reads their own in-app messages
and sets their own channels and quiet hours (`core.access.SIGNED_IN`). Staff who run a
programme see its outbox's delivery state (never the bodies) to find a failed message."""

from __future__ import annotations

from peerbridge.core.access import role_policy
from peerbridge.organisations.roles import Role

OUTBOX_VIEW = role_policy(
    "notifications.outbox_view",
    {Role.ORG_ADMIN, Role.PROGRAMME_LEADER, Role.COORDINATOR},
    "Admins, leaders and coordinators see whether the programme's messages were delivered.",
)
