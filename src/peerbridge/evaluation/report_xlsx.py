"""The funder report as an XLSX workbook (openpyxl): a sheet of figures, one of
outcomes and, when asked for, one of quotes. Hidden counts read "fewer than 5"."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from peerbridge.evaluation.funder_report import (
    FunderReport,
    figure_rows,
    outcome_rows,
    period_label,
)


def report_xlsx(report: FunderReport) -> bytes:
    book = Workbook()
    book.remove(book.worksheets[0])
    sheet = book.create_sheet(_("Figures")[:31])
    sheet.append([_("Programme"), report.programme.name])
    sheet.append([_("Period"), period_label(report.period)])
    if report.site is not None:
        sheet.append([_("Site"), report.site.name])
    sheet.append([_("Counts under 5 are hidden.")])
    sheet.append([])
    sheet.append([_("Section"), _("Table"), _("Item"), _("Value")])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    for row in figure_rows(report):
        sheet.append(row)
    outcomes = book.create_sheet(_("Outcomes")[:31])
    changes = outcome_rows(report)
    if changes:
        outcomes.append(list(changes[0]))
        for change in changes:
            outcomes.append(list(change.values()))
    else:
        outcomes.append([_("No questionnaires answered twice in the period.")])
    if report.quotes:
        quotes = book.create_sheet(_("Quotes")[:31])
        quotes.append([_("Who said it"), _("Quote")])
        for quote in report.quotes:
            quotes.append([quote.speaker, quote.text])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
