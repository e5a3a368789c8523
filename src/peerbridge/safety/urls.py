"""Safety's routes: each area's own module."""

from django.urls import URLPattern, URLResolver

from peerbridge.safety import urls_flags, urls_incidents, urls_settings

app_name = "safety"

urlpatterns: list[URLPattern | URLResolver] = [
    *urls_flags.urlpatterns,
    *urls_incidents.urlpatterns,
    *urls_settings.urlpatterns,
]
