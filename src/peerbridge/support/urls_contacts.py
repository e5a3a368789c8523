"""Routes for contacts (included by support/urls.py, namespace "support"): the quick
log, a match's contact history, a contact's page, and the programme's support
settings."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.support import contact_views, settings_views

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "matches/<int:match_id>/contacts/new/",
        contact_views.contact_log,
        name="contact_log",
    ),
    path("matches/<int:match_id>/contacts/", contact_views.contact_history, name="contacts"),
    path("contacts/<int:contact_id>/", contact_views.contact_detail, name="contact"),
    path(
        "contacts/<int:contact_id>/next-contact.ics",
        contact_views.contact_next_calendar,
        name="contact_next_calendar",
    ),
    path(
        "programmes/<int:programme_id>/support-settings/",
        settings_views.support_settings_edit,
        name="settings",
    ),
]
