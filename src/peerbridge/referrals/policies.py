"""Who may do what with referrals, enrolments, the directory and imports."""

from __future__ import annotations

from peerbridge.core.access import role_policy
from peerbridge.organisations.roles import Role

R = Role
RUNNERS: set[str] = {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR}

INTAKE_MANAGE = role_policy(
    "intake.manage",
    RUNNERS,
    "Coordinators, leaders and admins work the intake queue and waiting list.",
)
ENROLMENT_VIEW = role_policy(
    "enrolment.view",
    {*RUNNERS, R.SUPERVISOR},
    "Those who run or supervise a programme see its enrolments.",
)
REFERRAL_CREATE = role_policy(
    "referral.create",
    {*RUNNERS, R.REFERRER},
    "Referrers (clinicians) and intake staff refer people to a programme.",
)
REFERRAL_STATUS_VIEW = role_policy(
    "referral.status",
    {R.REFERRER},
    "A referrer sees the closed-loop status of their own referrals while consent allows.",
)
INTAKE_SUMMARY_VIEW = role_policy(
    "intake.summary",
    {*RUNNERS, R.SUPERVISOR, R.EVALUATOR},
    "De-identified intake counts, small cells suppressed.",
)
IMPORT_MANAGE = role_policy(
    "import.manage",
    RUNNERS,
    "Bulk import of people and referrals into a programme.",
)
DIRECTORY_VIEW = role_policy(
    "directory.view",
    {*RUNNERS, R.SUPERVISOR, R.PEER_SUPPORTER, R.REFERRER},
    "Everyone who connects people to services searches the resource directory.",
)
DIRECTORY_EDIT = role_policy(
    "directory.edit",
    RUNNERS,
    "Coordinators, leaders and admins keep the directory and import or export it.",
)
NAVIGATION_MANAGE = role_policy(
    "navigation.manage",
    {*RUNNERS, R.SUPERVISOR, R.PEER_SUPPORTER},
    "Staff and matched peers refer a participant to a service and record the outcome.",
)
