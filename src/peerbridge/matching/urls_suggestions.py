"""Routes for matching's suggestions pages (included by matching/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.matching import suggestion_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("programmes/<int:programme_id>/matching/", views.waiting_list, name="waiting_list"),
    path(
        "programmes/<int:programme_id>/matching/settings/",
        views.settings_edit,
        name="settings_edit",
    ),
    path("matching/enrolments/<int:enrolment_id>/", views.enrolment_matching, name="enrolment"),
    path(
        "matching/enrolments/<int:enrolment_id>/preferences/",
        views.preferences_edit,
        name="preferences_edit",
    ),
    path(
        "matching/enrolments/<int:enrolment_id>/offer/",
        views.suggestion_offer,
        name="suggestion_offer",
    ),
]
