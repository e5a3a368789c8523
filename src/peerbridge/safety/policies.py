"""Who may do what with risk flags and incidents.

Anyone working in a programme (staff and peers) can raise a flag; a peer sees the flags
they raised and those about their own participants. Supervisors, leaders, admins and
coordinators see the programme's flags; the flag's assignee (the on-call clinician or
supervisor), any supervisor or leader in scope acknowledges and resolves. Incidents are
logged by staff and peers and closed by supervisors and leaders.
"""

from __future__ import annotations

from peerbridge.core.access import role_policy
from peerbridge.organisations.roles import Role

R = Role
LEADS: set[str] = {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.SUPERVISOR}

FLAG_RAISE = role_policy(
    "safety.flag_raise",
    {*LEADS, R.COORDINATOR, R.PEER_SUPPORTER},
    "Anyone working in the programme raises a risk flag.",
)
FLAG_VIEW = role_policy(
    "safety.flag_view",
    {*LEADS, R.COORDINATOR, R.PEER_SUPPORTER},
    "Staff see the programme's flags; a peer sees the flags they raised or about their "
    "participants.",
)
FLAG_HANDLE = role_policy(
    "safety.flag_handle",
    LEADS,
    "The on-call supervisor or clinician, supervisors and leaders acknowledge and resolve.",
)
INCIDENT_LOG = role_policy(
    "safety.incident_log",
    {*LEADS, R.COORDINATOR, R.PEER_SUPPORTER},
    "Staff and peers log boundary incidents, adverse events and online group incidents.",
)
INCIDENT_VIEW = role_policy(
    "safety.incident_view",
    {*LEADS, R.COORDINATOR},
    "Staff over the programme see its incident log.",
)
INCIDENT_CLOSE = role_policy(
    "safety.incident_close",
    LEADS,
    "Supervisors and leaders close an incident with its outcome.",
)
SAFETY_SETTINGS_EDIT = role_policy(
    "safety.settings",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER},
    "Leaders set deadlines, working hours, the on-call rota and crisis resources.",
)
