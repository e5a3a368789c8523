"""The roles a user can hold, each in a scope (a site subtree or one programme)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", _("Organisation admin")
    PROGRAMME_LEADER = "programme_leader", _("Programme leader")
    COORDINATOR = "coordinator", _("Coordinator")
    SUPERVISOR = "supervisor", _("Supervisor")
    PEER_SUPPORTER = "peer_supporter", _("Peer supporter")
    REFERRER = "referrer", _("Referrer (clinician)")
    EVALUATOR = "evaluator", _("Evaluator")
    PARTICIPANT = "participant", _("Participant")


STAFF_ROLES = frozenset(
    {
        Role.ORG_ADMIN,
        Role.PROGRAMME_LEADER,
        Role.COORDINATOR,
        Role.SUPERVISOR,
        Role.PEER_SUPPORTER,
        Role.REFERRER,
        Role.EVALUATOR,
    }
)

# Roles that see identifiable participants: a deployment may require two-factor for them.
ROLES_SEEING_PARTICIPANTS = frozenset(
    {
        Role.ORG_ADMIN,
        Role.PROGRAMME_LEADER,
        Role.COORDINATOR,
        Role.SUPERVISOR,
        Role.PEER_SUPPORTER,
        Role.REFERRER,
    }
)

# Which roles a programme leader may grant inside their own programme.
GRANTABLE_BY_LEADER = frozenset(
    {
        Role.COORDINATOR,
        Role.SUPERVISOR,
        Role.PEER_SUPPORTER,
        Role.REFERRER,
        Role.EVALUATOR,
        Role.PARTICIPANT,
    }
)
