"""API for programme analytics, the funder report (JSON) and the research export."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Router

from peerbridge.core.access import api_policy
from peerbridge.evaluation import policies
from peerbridge.evaluation.analytics import Period, analytics_as_dict, programme_analytics
from peerbridge.evaluation.funder_report import funder_report, report_as_dict
from peerbridge.evaluation.quotes import programme_sites
from peerbridge.evaluation.report_forms import check_period, default_period
from peerbridge.evaluation.research_export import (
    export_csv,
    export_parquet,
    research_export,
)
from peerbridge.organisations.models import Programme, Site
from peerbridge.organisations.selectors import access_programme

router = Router(tags=["evaluation"])


def _period(start: date | None, end: date | None) -> Period:
    errors = check_period(start, end)
    if errors:
        raise ValidationError(errors)
    return Period(start, end)


def _site(programme: Programme, site_id: int | None) -> Site | None:
    if site_id is None:
        return None
    site = programme_sites(programme).filter(pk=site_id).first()
    if site is None:
        raise ValidationError({"site_id": "Choose a site of this programme."})
    return site


@router.get("/programmes/{programme_id}/analytics", response=dict[str, Any])
@api_policy(policies.REPORT_VIEW)
def analytics(
    request: HttpRequest,
    programme_id: int,
    start: date | None = None,
    end: date | None = None,
    site_id: int | None = None,
) -> dict[str, Any]:
    """Before-and-after change per questionnaire, the flow with attrition, stratified
    change and pooling across sites. Counts under 5 are null."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.REPORT_VIEW
    )
    period = _period(start, end)
    return analytics_as_dict(programme_analytics(programme, period, _site(programme, site_id)))


@router.get("/programmes/{programme_id}/funder-report", response=dict[str, Any])
@api_policy(policies.REPORT_VIEW)
def report(
    request: HttpRequest,
    programme_id: int,
    start: date | None = None,
    end: date | None = None,
    site_id: int | None = None,
    quotes: bool = False,
) -> dict[str, Any]:
    """The funder report for the period (the last twelve months when neither end is
    given). Counts under 5 are null."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.REPORT_VIEW
    )
    period = default_period() if start is None and end is None else _period(start, end)
    site = _site(programme, site_id)
    return report_as_dict(funder_report(programme, period, site, include_quotes=quotes))


@router.get("/programmes/{programme_id}/research-export", response={200: None})
@api_policy(policies.RESEARCH_EXPORT)
def export(
    request: HttpRequest,
    programme_id: int,
    table: Literal["responses", "measures", "summary"] = "responses",
    format: Literal["csv", "parquet"] = "csv",  # noqa: A002  (the query parameter's name)
) -> HttpResponse:
    """The de-identified research export as a file: pseudonymous ids (new for each
    export), months instead of dates, research-consented participants only."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.RESEARCH_EXPORT
    )
    data = research_export(programme, actor=request.user)
    name = f"research-{programme.code}-{table}"
    if format == "parquet":
        response = HttpResponse(
            export_parquet(data, table), content_type="application/vnd.apache.parquet"
        )
        name += ".parquet"
    else:
        response = HttpResponse(export_csv(data, table), content_type="text/csv; charset=utf-8")
        name += ".csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
