"""The workforce's routes: the lead pages (pipeline, profile, settings) plus each area's
own module."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.workforce import (
    urls_applications,
    urls_supervision,
    urls_training,
    urls_wellbeing,
    views,
)

app_name = "workforce"

urlpatterns: list[URLPattern | URLResolver] = [
    path("workforce/", views.overview, name="overview"),
    path("programmes/<int:programme_id>/workforce/", views.pipeline, name="pipeline"),
    path(
        "programmes/<int:programme_id>/workforce/settings/",
        views.settings_edit,
        name="settings_edit",
    ),
    path("workforce/profiles/<int:profile_id>/", views.profile_detail, name="profile"),
    path(
        "workforce/profiles/<int:profile_id>/activate/",
        views.profile_activate,
        name="profile_activate",
    ),
    *urls_applications.urlpatterns,
    *urls_training.urlpatterns,
    *urls_supervision.urlpatterns,
    *urls_wellbeing.urlpatterns,
]
