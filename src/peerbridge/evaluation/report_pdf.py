"""The funder report as a PDF, drawn with reportlab: tables for every figure and a bar
chart (reportlab.graphics) where a chart reads better. Hidden counts show as
"fewer than 5" and draw no bar."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart  # type: ignore[import-untyped]
from reportlab.graphics.shapes import Drawing  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import getSampleStyleSheet  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    Paragraph,
    SimpleDocTemplate,
    Spacer,
)
from reportlab.platypus import Table as PdfTable

from peerbridge.evaluation.funder_report import (
    FunderReport,
    Table,
    outcome_rows,
    period_label,
    shown,
)

WIDTH = 170 * mm
GRID = [
    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
]


def _chart(table: Table) -> Drawing | None:
    rows = [row for row in table.rows if row.value is not None]
    if not rows:
        return None
    height = 14 * len(rows) + 20
    drawing = Drawing(WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 70 * mm, 10
    chart.width, chart.height = WIDTH - 75 * mm, height - 20
    chart.data = [[row.value for row in reversed(rows)]]
    chart.categoryAxis.categoryNames = [row.label[:40] for row in reversed(rows)]
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = colors.HexColor("#2a6f97")
    drawing.add(chart)
    return drawing


def report_pdf(report: FunderReport) -> bytes:
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["Italic"]
    story: list[Any] = [
        Paragraph(
            _("Funder report: %(name)s") % {"name": _escape(report.programme.name)}, styles["Title"]
        ),
        Paragraph(_("Period: %(period)s") % {"period": period_label(report.period)}, body),
    ]
    if report.site is not None:
        story.append(Paragraph(_("Site: %(site)s") % {"site": _escape(report.site.name)}, body))
    story.append(
        Paragraph(_("Counts under 5 are hidden so that no person can be recognised."), small)
    )
    for section in report.sections:
        story.append(Paragraph(section.title, styles["Heading2"]))
        for table in section.tables:
            story.append(Paragraph(table.title, styles["Heading4"]))
            data = [[_("Item"), _("Number")]] + [
                [Paragraph(_escape(row.label), body), str(shown(row.value))] for row in table.rows
            ]
            grid = PdfTable(data, colWidths=[120 * mm, 40 * mm])
            grid.setStyle(GRID)
            story.append(grid)
            if table.chart:
                drawing = _chart(table)
                if drawing is not None:
                    story.extend([Spacer(1, 4), drawing])
            story.append(Spacer(1, 6))
    story.append(Paragraph(_("Outcomes"), styles["Heading2"]))
    story.append(Paragraph(_("Single group before and after: does not show cause."), small))
    outcomes = outcome_rows(report)
    if not outcomes:
        story.append(Paragraph(_("No questionnaires answered twice in the period."), body))
    for row in outcomes:
        story.append(Paragraph(_escape(row["title"]), styles["Heading4"]))
        figures: list[tuple[str, object]] = [
            (_("People"), shown(row["people"])),
            (_("Mean before"), row["mean_before"] if row["mean_before"] is not None else "—"),
            (_("Mean after"), row["mean_after"] if row["mean_after"] is not None else "—"),
            (
                _("Hedges' g (95% CI)"),
                f"{row['hedges_g']} ({row['ci_lower']} to {row['ci_upper']})"
                if row["hedges_g"] is not None
                else "—",
            ),
            (
                _("Reliable improvement"),
                f"{row['reliable_improvement_percent']}%"
                if row["reliable_improvement_percent"] is not None
                else "—",
            ),
        ]
        grid = PdfTable(
            [[_("Figure"), _("Value")]] + [[a, str(b)] for a, b in figures],
            colWidths=[80 * mm, 80 * mm],
        )
        grid.setStyle(GRID)
        story.extend([grid, Paragraph(_escape(row["evidence"]), body), Spacer(1, 6)])
    if report.quotes:
        story.append(Paragraph(_("In their words"), styles["Heading2"]))
        for quote in report.quotes:
            story.append(Paragraph(f"“{_escape(quote.text)}” — {_escape(quote.speaker)}", body))
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        title=_("Funder report"),
        author="PeerBridge",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
    ).build(story)
    return out.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
