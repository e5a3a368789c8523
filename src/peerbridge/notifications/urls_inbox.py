"""Routes of the inbox, preferences and a programme's outbox (mounted by
notifications/urls.py, namespace "notifications")."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.notifications import inbox_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/preferences/", views.preferences, name="preferences"),
    path("messages/read-all/", views.messages_read_all, name="read_all"),
    path("messages/<int:notification_id>/read/", views.message_read, name="read"),
    path("programmes/<int:programme_id>/outbox/", views.outbox, name="outbox"),
]
