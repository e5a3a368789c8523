"""Pages: programme analytics, the funder report (page, PDF, CSV, XLSX), the research
export and the quotes a programme may use in reports."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.audit import Action, audit_many
from peerbridge.evaluation import policies, quotes
from peerbridge.evaluation.analytics import programme_analytics, stage_label
from peerbridge.evaluation.funder_report import funder_report, report_csv
from peerbridge.evaluation.report_forms import (
    ExportForm,
    FunderReportForm,
    PeriodForm,
    QuoteForm,
    default_period,
)
from peerbridge.evaluation.report_pdf import report_pdf
from peerbridge.evaluation.report_xlsx import report_xlsx
from peerbridge.evaluation.research_export import export_csv, export_parquet, research_export
from peerbridge.organisations.selectors import access_programme

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(body: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@view_policy(policies.REPORT_VIEW)
@require_safe
def analytics_page(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.REPORT_VIEW
    )
    form = PeriodForm(request.GET or None, sites=quotes.programme_sites(programme))
    result = None
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        result = programme_analytics(
            programme, form.period() if form.is_bound else None, data.get("site")
        )
    return render(
        request,
        "evaluation/analytics.html",
        {
            "programme": programme,
            "form": form,
            "result": result,
            "flow": [(stage_label(step.stage), step) for step in result.flow] if result else [],
        },
        status=200 if result else 400,
    )


@view_policy(policies.REPORT_VIEW)
@require_safe
def funder_report_page(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.REPORT_VIEW
    )
    form = FunderReportForm(request.GET or None, sites=quotes.programme_sites(programme))
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "evaluation/funder_report.html",
            {"programme": programme, "form": form, "report": None},
            status=400,
        )
    data = form.cleaned_data if form.is_bound else {}
    report = funder_report(
        programme,
        form.period() if form.is_bound else default_period(),
        data.get("site"),
        include_quotes=bool(data.get("quotes")),
    )
    name = f"funder-report-{programme.code}-{timezone.localdate():%Y%m%d}"
    file_format = data.get("file_format") or ""
    if file_format == "pdf":
        return _download(report_pdf(report), "application/pdf", f"{name}.pdf")
    if file_format == "csv":
        return _download(report_csv(report), "text/csv; charset=utf-8", f"{name}.csv")
    if file_format == "xlsx":
        return _download(report_xlsx(report), XLSX, f"{name}.xlsx")
    return render(
        request,
        "evaluation/funder_report.html",
        {"programme": programme, "form": form, "report": report},
    )


@view_policy(policies.RESEARCH_EXPORT)
@require_safe
def export_page(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.RESEARCH_EXPORT
    )
    form = ExportForm(request.GET or None)
    if form.is_bound and form.is_valid():
        table, file_format = form.cleaned_data["table"], form.cleaned_data["file_format"]
        export = research_export(programme, actor=request.user)
        name = f"research-{programme.code}-{table}"
        if file_format == "parquet":
            return _download(
                export_parquet(export, table), "application/vnd.apache.parquet", f"{name}.parquet"
            )
        return _download(export_csv(export, table), "text/csv; charset=utf-8", f"{name}.csv")
    return render(
        request,
        "evaluation/export.html",
        {"programme": programme, "form": form},
        status=400 if form.is_bound else 200,
    )


@view_policy(policies.QUOTE_MANAGE)
@require_http_methods(["GET", "HEAD", "POST"])
def quotes_page(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.QUOTE_MANAGE
    )
    people = quotes.programme_people(programme)
    form = QuoteForm(
        request.POST if request.method == "POST" else None,
        people=people,
        sites=quotes.programme_sites(programme),
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                quotes.quote_create(
                    programme=programme,
                    person=data["person"],
                    speaker=data["speaker"],
                    text=data["text"],
                    consent_recorded_on=data["consent_recorded_on"],
                    site=data["site"],
                    actor=acting_user(request),
                )
            except ValidationError as error:
                form.apply_errors(error)
            else:
                messages.success(request, _("Quote recorded."))
                return redirect("evaluation:quotes", programme_id=programme.pk)
    choices = list(form.fields["person"].queryset)  # type: ignore[attr-defined]
    audit_many(
        actor=request.user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[person.pk for person in choices],
    )
    return render(
        request,
        "evaluation/quotes.html",
        {"programme": programme, "form": form, "quotes": quotes.quotes_for(programme)},
        status=422 if form.is_bound and form.errors else 200,
    )


@view_policy(policies.QUOTE_MANAGE)
@require_POST
def quote_withdraw(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = quotes.access_quote(user=request.user, quote_id=quote_id)
    try:
        quotes.quote_withdraw(quote=quote, actor=acting_user(request))
    except ValidationError:
        messages.info(request, _("This quote was already withdrawn."))
    else:
        messages.success(request, _("Quote withdrawn: it will not appear in new reports."))
    return redirect("evaluation:quotes", programme_id=quote.programme_id)
