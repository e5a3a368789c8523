"""Evaluation's routes: each area's own module."""

from django.urls import URLPattern, URLResolver

from peerbridge.evaluation import urls_fidelity, urls_realist, urls_reports

app_name = "evaluation"

urlpatterns: list[URLPattern | URLResolver] = [
    *urls_fidelity.urlpatterns,
    *urls_reports.urlpatterns,
    *urls_realist.urlpatterns,
]
