"""Who may do what with support work.

Scope: staff over the programme (admins, leaders, coordinators, supervisors) see its
contacts, goals and groups; a peer sees and logs only for the participants matched to
them and the groups they facilitate (through `support.selectors`). A participant sees
their own goals and groups on their home page. Private notes are read only by the peer
who wrote them and the peer's supervisor and leaders. Evaluators and referrers see
nothing here (evaluators get aggregates elsewhere).
"""

from __future__ import annotations

from peerbridge.core.access import role_policy
from peerbridge.organisations.roles import Role

R = Role
RUNNERS: set[str] = {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR}

CONTACT_VIEW = role_policy(
    "support.contact_view",
    {*RUNNERS, R.SUPERVISOR, R.PEER_SUPPORTER},
    "Staff over the programme see its contacts; a peer sees the contacts of their matches.",
)
CONTACT_LOG = role_policy(
    "support.contact_log",
    {*RUNNERS, R.PEER_SUPPORTER},
    "A peer logs and amends contacts in their own matches; coordinators may log for them.",
)
GOAL_EDIT = role_policy(
    "support.goal_edit",
    {*RUNNERS, R.PEER_SUPPORTER, R.PARTICIPANT},
    "A participant, their peer and coordinators set goals and rate them.",
)
GOAL_VIEW = role_policy(
    "support.goal_view",
    {*GOAL_EDIT.roles, R.SUPERVISOR},
    "A participant, their peer and staff over the programme see the participant's goals.",
)
GROUP_VIEW = role_policy(
    "support.group_view",
    {*RUNNERS, R.SUPERVISOR, R.PEER_SUPPORTER},
    "Staff see the programme's groups; a peer sees the groups they facilitate.",
)
GROUP_RUN = role_policy(
    "support.group_run",
    RUNNERS,
    "Coordinators set up groups, facilitators, sessions and enrolment.",
)
GROUP_RECORD = role_policy(
    "support.group_record",
    {*RUNNERS, R.PEER_SUPPORTER},
    "Facilitators (and coordinators) record attendance and session notes.",
)
CLOSURE = role_policy(
    "support.closure",
    RUNNERS,
    "Coordinators close a participant's time in the programme.",
)
SUPPORT_SETTINGS_EDIT = role_policy(
    "support.settings",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER},
    "Leaders set the contact edit window and when a match counts as stalled.",
)
