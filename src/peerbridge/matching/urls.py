"""Matching's routes: each area's own module."""

from django.urls import URLPattern, URLResolver

from peerbridge.matching import urls_batch, urls_choice, urls_lifecycle, urls_suggestions

app_name = "matching"

urlpatterns: list[URLPattern | URLResolver] = [
    *urls_lifecycle.urlpatterns,
    *urls_suggestions.urlpatterns,
    *urls_batch.urlpatterns,
    *urls_choice.urlpatterns,
]
