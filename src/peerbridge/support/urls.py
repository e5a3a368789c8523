"""Support's routes: each area's own module."""

from django.urls import URLPattern, URLResolver

from peerbridge.support import urls_closure, urls_contacts, urls_goals, urls_groups

app_name = "support"

urlpatterns: list[URLPattern | URLResolver] = [
    *urls_contacts.urlpatterns,
    *urls_goals.urlpatterns,
    *urls_groups.urlpatterns,
    *urls_closure.urlpatterns,
]
