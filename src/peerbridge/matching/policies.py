"""Who may do what with matching.

Scope: matches, suggestions, batch runs and choice invitations are within reach of the
admins, leaders and coordinators over the programme; supervisors see their programme's
matches; a peer sees only the offers and matches that are theirs (through
`matching.selectors`), never suggestions about other peers. Participants answer choice
and check-in links without an account. Evaluators and referrers see nothing here.
"""

from __future__ import annotations

from peerbridge.core.access import role_policy
from peerbridge.organisations.roles import Role

R = Role
RUNNERS: set[str] = {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR}

MATCH_VIEW = role_policy(
    "matching.view",
    {*RUNNERS, R.SUPERVISOR, R.PEER_SUPPORTER},
    "Staff over the programme see its matches; a peer sees their own.",
)
MATCH_MAKE = role_policy(
    "matching.make",
    RUNNERS,
    "Coordinators, leaders and admins see suggestions, propose, offer, introduce, end and "
    "re-match, run and publish batch runs, and send choice links.",
)
MATCH_RESPOND = role_policy(
    "matching.respond",
    {*RUNNERS, R.PEER_SUPPORTER},
    "A peer accepts or declines an offer made to them and confirms first contact; "
    "coordinators may record it for them.",
)
MATCH_SETTINGS_EDIT = role_policy(
    "matching.settings",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER},
    "Leaders set the programme's matching weights and hard requirements.",
)
