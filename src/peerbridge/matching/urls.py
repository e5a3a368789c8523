"""Matching's routes: each area's own module."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.matching import overview, urls_batch, urls_choice, urls_lifecycle, urls_suggestions

app_name = "matching"

urlpatterns: list[URLPattern | URLResolver] = [
    path("matching/", overview.overview, name="overview"),
    *urls_lifecycle.urlpatterns,
    *urls_suggestions.urlpatterns,
    *urls_batch.urlpatterns,
    *urls_choice.urlpatterns,
]
