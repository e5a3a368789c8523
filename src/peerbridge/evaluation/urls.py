"""Evaluation's routes: each area's own module."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.evaluation import index_views, urls_fidelity, urls_realist, urls_reports

app_name = "evaluation"

urlpatterns: list[URLPattern | URLResolver] = [
    path("evaluation/", index_views.index, name="index"),
    *urls_fidelity.urlpatterns,
    *urls_reports.urlpatterns,
    *urls_realist.urlpatterns,
]
