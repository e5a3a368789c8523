"""Who may do what with playbooks and work items.

Scope: a programme's playbooks are kept by its leaders (and admins); its work items are
worked by coordinators, leaders and admins, by supervisors for items addressed to the
supervisor role, and by a peer for the items assigned to them about their own matches.
"""

from __future__ import annotations

from peerbridge.core.access import role_policy
from peerbridge.organisations.roles import Role

R = Role
RUNNERS: set[str] = {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR}

PLAYBOOK_VIEW = role_policy(
    "followups.playbook_view",
    RUNNERS,
    "Those who run a programme read its playbook rules.",
)
PLAYBOOK_EDIT = role_policy(
    "followups.playbook_edit",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER},
    "Leaders and admins write a programme's playbook rules and apply presets.",
)
WORK_QUEUE = role_policy(
    "followups.work",
    {*RUNNERS, R.SUPERVISOR, R.PEER_SUPPORTER},
    "Coordinators work the programme's queue; supervisors and peers their own items.",
)
