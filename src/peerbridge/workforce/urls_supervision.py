"""Routes for the workforce's certification and supervision pages (mounted by
workforce/urls.py, namespace "workforce")."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.workforce import supervision_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "organisations/<int:organisation_id>/certification-frameworks/",
        views.frameworks,
        name="frameworks",
    ),
    path(
        "workforce/certification-frameworks/<int:framework_id>/",
        views.framework_edit,
        name="framework_edit",
    ),
    path(
        "workforce/profiles/<int:profile_id>/certification/",
        views.certification,
        name="certification",
    ),
    path(
        "workforce/certifications/<int:certification_id>/decertify/",
        views.decertify,
        name="decertify",
    ),
    path(
        "workforce/certifications/<int:certification_id>/appeal/",
        views.appeal,
        name="certification_appeal",
    ),
    path(
        "programmes/<int:programme_id>/workforce/certification/",
        views.certification_overview,
        name="certification_overview",
    ),
    path(
        "workforce/profiles/<int:profile_id>/supervisor/",
        views.supervisor_assign,
        name="supervisor_assign",
    ),
    path(
        "programmes/<int:programme_id>/workforce/supervision/new/",
        views.session_new,
        name="supervision_new",
    ),
    path(
        "workforce/supervision/<int:supervision_id>/",
        views.session_detail,
        name="supervision",
    ),
    path("workforce/supervisor/", views.supervisor_home, name="supervisor"),
]
