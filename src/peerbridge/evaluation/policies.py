"""Who may see and do what in evaluation.

Everything an evaluator or funder sees is de-identified and aggregated, with counts
under five suppressed (core.disclosure). Runners of a programme see the same pages for
their programmes. Fidelity observations name a peer: supervisors record and see them for
their supervisees, leaders for the programme, and a peer sees their own; an evaluator
sees fidelity only as scores by site and period.
"""

from __future__ import annotations

from peerbridge.core.access import role_policy
from peerbridge.organisations.roles import Role

R = Role
RUNNERS: set[str] = {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.COORDINATOR}

REPORT_VIEW = role_policy(
    "evaluation.report_view",
    {*RUNNERS, R.EVALUATOR},
    "Runners and evaluators see de-identified analytics, dashboards and funder reports for "
    "programmes in their scope.",
)
RESEARCH_EXPORT = role_policy(
    "evaluation.research_export",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.EVALUATOR},
    "Leaders and evaluators download the de-identified research export.",
)
QUOTE_MANAGE = role_policy(
    "evaluation.quote_manage",
    RUNNERS,
    "Runners record quotes a participant or peer agreed to share in reports.",
)
FIDELITY_CONFIGURE = role_policy(
    "evaluation.fidelity_configure",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER},
    "Leaders set the programme's fidelity checklist.",
)
FIDELITY_OBSERVE = role_policy(
    "evaluation.fidelity_observe",
    {R.ORG_ADMIN, R.PROGRAMME_LEADER, R.SUPERVISOR},
    "Supervisors record fidelity observations of their supervisees; leaders of anyone in "
    "the programme.",
)
FIDELITY_VIEW = role_policy(
    "evaluation.fidelity_view",
    {*RUNNERS, R.SUPERVISOR, R.PEER_SUPPORTER, R.EVALUATOR},
    "Staff see fidelity scores over time by peer and site; a peer sees their own "
    "observations; an evaluator sees only scores by site.",
)
