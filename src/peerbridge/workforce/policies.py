"""Who may do what with the peer workforce.

Scope: a peer's workforce record is within reach of the admins, leaders, coordinators
and supervisors over its programme, and of the peer themself (their own profiles only,
through `own_profiles`). Evaluators see de-identified counts only; referrers and
participants never see workforce records.
"""

from __future__ import annotations

from peerbridge.core.access import role_policy
from peerbridge.organisations.roles import Role

R = Role
RUNNERS: set[str] = {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR}

WORKFORCE_VIEW = role_policy(
    "workforce.view",
    {*RUNNERS, R.SUPERVISOR},
    "Those who run or supervise a programme see its peer supporters' standing.",
)
WORKFORCE_MANAGE = role_policy(
    "workforce.manage",
    RUNNERS,
    "Coordinators, leaders and admins run recruitment, training and capacity.",
)
WORKFORCE_SETTINGS_EDIT = role_policy(
    "workforce.settings",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER},
    "Leaders set the programme's workforce rules (cadences, thresholds, certification).",
)
APPLICATION_SCREEN = role_policy(
    "workforce.screen",
    {*RUNNERS, R.SUPERVISOR},
    "Coordinators and supervisors interview and rate applicants.",
)
APPLICATION_DECIDE = role_policy(
    "workforce.decide",
    RUNNERS,
    "Coordinators, leaders and admins accept, redirect or decline applicants.",
)
AGREEMENT_TEXT_EDIT = role_policy(
    "workforce.agreement_text",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER},
    "Leaders publish new versions of the peer agreements.",
)
COMPETENCY_ASSESS = role_policy(
    "workforce.competency",
    {*RUNNERS, R.SUPERVISOR},
    "Trainers' assessors (coordinators, supervisors) record competency checks.",
)
CERTIFY = role_policy(
    "workforce.certify",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER},
    "Leaders decide certification, non-certification and decertification.",
)
FRAMEWORK_EDIT = role_policy(
    "workforce.framework",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER},
    "Admins and leaders keep the certification frameworks their organisation uses.",
)
SUPERVISE = role_policy(
    "workforce.supervise",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.SUPERVISOR},
    "Supervisors (and leaders) record supervision, read its notes and review wellbeing holds.",
)
PEER_SELF = role_policy(
    "workforce.self",
    {R.PEER_SUPPORTER},
    "Peer supporters see and act on their own workforce record only.",
)
TEAM_VIEW = role_policy(
    "workforce.team",
    {*RUNNERS, R.SUPERVISOR, R.PEER_SUPPORTER},
    "The programme's team (peers and staff) read announcements and the team calendar.",
)
ANNOUNCE = role_policy(
    "workforce.announce",
    RUNNERS,
    "Coordinators, leaders and admins post announcements and team events.",
)
WORKFORCE_SUMMARY_VIEW = role_policy(
    "workforce.summary",
    {*RUNNERS, R.SUPERVISOR, R.EVALUATOR},
    "De-identified workforce counts, small cells suppressed.",
)
PROFILE_VIEW = role_policy(
    "workforce.profile",
    {*RUNNERS, R.SUPERVISOR, R.PEER_SUPPORTER},
    "A peer's profile: staff over the programme, or the peer themself.",
)
ALERT_RESOLVE = role_policy(
    "workforce.alerts",
    {*RUNNERS, R.SUPERVISOR},
    "Supervisors and those who run a programme see and resolve alerts about its peers.",
)
SELF_OR_MANAGE = role_policy(
    "workforce.self_or_manage",
    {*RUNNERS, R.PEER_SUPPORTER},
    "A peer pauses themself and keeps their availability; coordinators do it for them "
    "and set their capacity.",
)
WELLBEING_VIEW = role_policy(
    "workforce.wellbeing",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.SUPERVISOR, R.PEER_SUPPORTER},
    "A peer's check-ins: the peer themself, and supervisors (scores; the raw answers "
    "only to the peer's own supervisor).",
)
APPEAL = role_policy(
    "workforce.appeal",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.PEER_SUPPORTER},
    "A peer appeals their own decertification; leaders lodge appeals for a peer and decide them.",
)
