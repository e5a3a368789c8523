"""Who may do what with organisations, sites, programmes and memberships.

Each policy names the roles that may act; the scope (which programmes, which sites) is
resolved by the access_* selectors from the user's active role assignments.
"""

from __future__ import annotations

from peerbridge.core.access import role_policy
from peerbridge.organisations.roles import Role

R = Role

ORGANISATION_VIEW = role_policy(
    "organisation.view",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR, R.SUPERVISOR, R.EVALUATOR},
    "Staff of the organisation see its name and site tree.",
)
ORGANISATION_EDIT = role_policy(
    "organisation.edit", {R.ORG_ADMIN}, "Organisation admins scoped at the root site."
)
SITE_VIEW = role_policy(
    "site.view",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR, R.SUPERVISOR, R.EVALUATOR},
    "Staff with a role over the site's subtree.",
)
SITE_EDIT = role_policy("site.edit", {R.ORG_ADMIN}, "Organisation admins over the subtree.")

PROGRAMME_VIEW = role_policy(
    "programme.view",
    {
        R.ORG_ADMIN,
        R.PROGRAMME_LEADER,
        R.COORDINATOR,
        R.SUPERVISOR,
        R.PEER_SUPPORTER,
        R.REFERRER,
        R.EVALUATOR,
    },
    "Anyone holding a staff role over the programme sees its model (no people).",
)
PROGRAMME_EDIT = role_policy(
    "programme.edit",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR},
    "Admins, leaders and coordinators change a programme's model.",
)
PROGRAMME_CREATE = role_policy(
    "programme.create",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER},
    "Admins and site-scoped leaders start programmes in their sites.",
)
# Being listed as a peer in, say, an HIV programme discloses the peer's own condition:
# the staff list is for the people who run the programme, not for every member.
STAFF_VIEW = role_policy(
    "programme.staff.view",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR, R.SUPERVISOR},
    "Those who run the programme see who works in it.",
)
MEMBERSHIP_MANAGE = role_policy(
    "membership.manage",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER},
    "Admins grant any role in their subtree; leaders grant programme roles in theirs.",
)
AUDIT_VIEW = role_policy("audit.view", {R.ORG_ADMIN}, "Organisation admins search the audit log.")
