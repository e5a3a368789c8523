"""Outcomes' routes: questionnaires (and their links), measures, progress."""

from django.urls import URLPattern, URLResolver

from peerbridge.outcomes import urls_measures, urls_questionnaires

app_name = "outcomes"

urlpatterns: list[URLPattern | URLResolver] = [
    *urls_questionnaires.urlpatterns,
    *urls_measures.urlpatterns,
]
