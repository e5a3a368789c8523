"""Notifications' routes."""

from django.urls import URLPattern, URLResolver

from peerbridge.notifications import urls_inbox

app_name = "notifications"

urlpatterns: list[URLPattern | URLResolver] = [*urls_inbox.urlpatterns]
