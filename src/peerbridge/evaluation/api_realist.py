"""API for the realist (context-mechanism-outcome) report (mounted by evaluation/api.py):
the same aggregates as the page, with small counts as null and the "exploratory" wording.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from peerbridge.core.access import api_policy, require_roles
from peerbridge.evaluation import policies, realist
from peerbridge.organisations.selectors import access_programme

router = Router()


class RealistQuery(Schema):
    outcome: str | None = Field(
        None,
        max_length=40,
        description="The outcome questionnaire's code (its first scale is the outcome); "
        "by default the first questionnaire of the programme's default schedule.",
    )
    start: date | None = Field(None, description="Only responses completed on or after.")
    end: date | None = Field(None, description="Only responses completed on or before.")


class OutcomeOut(Schema):
    code: str
    title: str
    scale: str
    higher_is_worse: bool


class CellOut(Schema):
    band: str
    band_label: str
    n: int | None = Field(..., description="null: fewer than five, or hidden beside one.")
    mean_change: float | None = Field(..., description="Follow-up minus baseline.")
    hedges_g: float | None
    ci_lower: float | None
    ci_upper: float | None


class MechanismOut(Schema):
    scale: str
    label: str
    cells: list[CellOut]


class ContextOut(Schema):
    site: str
    format: str
    condition: str
    n: int | None
    mechanisms: list[MechanismOut]


class RealistOut(Schema):
    programme_id: int
    wording: str
    outcome: OutcomeOut
    start: date | None
    end: date | None
    participants: int | None
    contexts: list[ContextOut]


def _payload(report: realist.RealistReport) -> dict[str, Any]:
    return {
        "programme_id": report.programme_id,
        "wording": report.wording,
        "outcome": {
            "code": report.outcome,
            "title": report.outcome_title,
            "scale": report.outcome_scale,
            "higher_is_worse": report.higher_is_worse,
        },
        "start": report.start,
        "end": report.end,
        "participants": report.participants,
        "contexts": [
            {
                **asdict(block.context),
                "n": block.n,
                "mechanisms": [asdict(row) for row in block.mechanisms],
            }
            for block in report.contexts
        ],
    }


@router.get("/programmes/{programme_id}/realist", response=RealistOut)
@api_policy(policies.REPORT_VIEW)
def get_realist_report(
    request: HttpRequest, programme_id: int, query: Query[RealistQuery]
) -> dict[str, Any]:
    """Outcome change by mechanism strength within each context (site, format,
    condition): n, mean change and Hedges' g per cell; exploratory, association only."""
    require_roles(request.user, policies.REPORT_VIEW)
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.REPORT_VIEW
    )
    report = realist.realist_report(
        programme=programme,
        outcome=query.outcome or realist.default_outcome(programme),
        start=query.start,
        end=query.end,
    )
    return _payload(report)
