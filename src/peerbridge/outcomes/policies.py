"""Who may do what with questionnaires and measures.

Scope: staff over the programme (admins, leaders, coordinators, supervisors) see its
questionnaires and measures; a peer sees and enters them only for the participants
matched to them; a participant sees their own answers, measures and progress. Answering
from a link needs no account (the link is the authority, core.links). Evaluators see
only de-identified aggregates (evaluation), never a response.
"""

from __future__ import annotations

from peerbridge.core.access import role_policy
from peerbridge.organisations.roles import Role

R = Role
RUNNERS: set[str] = {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR}

QUESTIONNAIRE_VIEW = role_policy(
    "outcomes.questionnaire_view",
    {*RUNNERS, R.SUPERVISOR, R.PEER_SUPPORTER, R.PARTICIPANT},
    "Staff over the programme see its questionnaires; a peer those of their participants; "
    "a participant their own.",
)
QUESTIONNAIRE_ENTER = role_policy(
    "outcomes.questionnaire_enter",
    {*RUNNERS, R.SUPERVISOR, R.PEER_SUPPORTER, R.PARTICIPANT},
    "A participant answers their own; a peer or staff member enters answers given in an "
    "interview or on paper.",
)
SCHEDULE_EDIT = role_policy(
    "outcomes.schedule_edit",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER},
    "Leaders set the programme's questionnaire timepoints.",
)
LICENCE_RECORD = role_policy(
    "outcomes.licence_record",
    {R.ORG_ADMIN},
    "The organisation's administrator records the licences of licensed questionnaires.",
)
MEASURE_RECORD = role_policy(
    "outcomes.measure_record",
    {*RUNNERS, R.SUPERVISOR, R.PEER_SUPPORTER},
    "A peer records measures for their participants; staff over the programme for anyone in it.",
)
MEASURE_VIEW = role_policy(
    "outcomes.measure_view",
    {*MEASURE_RECORD.roles, R.PARTICIPANT},
    "As for recording, and a participant sees their own measures.",
)
PROGRESS_VIEW = role_policy(
    "outcomes.progress_view",
    {*RUNNERS, R.SUPERVISOR, R.PEER_SUPPORTER, R.PARTICIPANT},
    "A participant and their peer (and staff over the programme) see the participant's progress.",
)
QUESTIONNAIRE_ASK = role_policy(
    "outcomes.questionnaire_ask",
    {*RUNNERS, R.SUPERVISOR, R.PEER_SUPPORTER},
    "A peer (for their participants) or staff member asks for a questionnaire, sends its "
    "link, or enters answers given in an interview or on paper.",
)
