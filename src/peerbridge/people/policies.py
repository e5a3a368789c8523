"""Who may do what with people's records, their lived experience and consent.

Scope: a person is within reach of staff whose roles cover a programme the person is
enrolled in, or holds a role in. Peer supporters reach only the participants matched to
them (matching arrives in a later capability, so today they reach none). Evaluators
never reach a person: they see de-identified counts only.
"""

from __future__ import annotations

from peerbridge.core.access import role_policy
from peerbridge.organisations.roles import Role

R = Role

PERSON_VIEW = role_policy(
    "person.view",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR, R.SUPERVISOR, R.PEER_SUPPORTER},
    "Staff over a programme the person is in; peers only for their matched participants.",
)
PERSON_EDIT = role_policy(
    "person.edit",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR},
    "Those who run intake change a person's details, experience and consent.",
)
PERSON_MERGE = role_policy(
    "person.merge",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR},
    "Duplicates are merged by those who run intake, in a programme they both share.",
)
PERSON_ERASE = role_policy(
    "person.erase",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER},
    "Erasure cannot be undone: admins and leaders only, on the person's request.",
)
TAXONOMY_VIEW = role_policy(
    "taxonomy.view",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR, R.SUPERVISOR, R.PEER_SUPPORTER},
    "Anyone who records lived experience reads the condition taxonomy and issue tags.",
)
TAXONOMY_EDIT = role_policy(
    "taxonomy.edit",
    {R.ORG_ADMIN},
    "Organisation admins edit the condition taxonomy.",
)
ISSUE_TAGS_EDIT = role_policy(
    "issue_tags.edit",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR},
    "Those who run a programme keep its list of issues.",
)
CONSENT_TEXT_EDIT = role_policy(
    "consent_text.edit",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER},
    "Leaders publish new versions of their programme's consent wording.",
)
CONSENT_TEXT_VIEW = role_policy(
    "consent_text.view",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR, R.SUPERVISOR},
    "Those who take consent read the wording they take it with.",
)
