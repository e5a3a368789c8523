"""Routes of programme analytics, funder reports, the research export and quotes."""

from django.urls import URLPattern, path

from peerbridge.evaluation import report_views as views

urlpatterns: list[URLPattern] = [
    path("programmes/<int:programme_id>/analytics/", views.analytics_page, name="analytics"),
    path(
        "programmes/<int:programme_id>/funder-report/",
        views.funder_report_page,
        name="funder_report",
    ),
    path(
        "programmes/<int:programme_id>/research-export/",
        views.export_page,
        name="research_export",
    ),
    path("programmes/<int:programme_id>/quotes/", views.quotes_page, name="quotes"),
    path("quotes/<int:quote_id>/withdraw/", views.quote_withdraw, name="quote_withdraw"),
]
