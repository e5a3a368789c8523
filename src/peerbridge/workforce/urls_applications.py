"""Routes for the workforce's applications pages (mounted by workforce/urls.py, namespace
"workforce")."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.workforce import application_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("apply/<slug:programme_code>/", views.apply, name="apply"),
    path("apply/<slug:programme_code>/thanks/", views.apply_thanks, name="apply_thanks"),
    path(
        "programmes/<int:programme_id>/workforce/applications/",
        views.application_list,
        name="applications",
    ),
    path(
        "programmes/<int:programme_id>/workforce/applications/new/",
        views.application_new,
        name="application_new",
    ),
    path(
        "workforce/applications/<int:application_id>/",
        views.application_detail,
        name="application",
    ),
    path(
        "workforce/applications/<int:application_id>/screen/",
        views.application_screen,
        name="application_screen",
    ),
    path(
        "workforce/applications/<int:application_id>/decide/",
        views.application_decide,
        name="application_decide",
    ),
]
