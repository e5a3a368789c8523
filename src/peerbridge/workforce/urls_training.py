"""Routes for the workforce's agreements and training pages (mounted by
workforce/urls.py, namespace "workforce")."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.workforce import training_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "programmes/<int:programme_id>/workforce/agreements/",
        views.agreements,
        name="agreements",
    ),
    path(
        "workforce/profiles/<int:profile_id>/agreements/",
        views.profile_agreements,
        name="profile_agreements",
    ),
    path(
        "programmes/<int:programme_id>/workforce/training/",
        views.curriculum,
        name="training",
    ),
    path(
        "programmes/<int:programme_id>/workforce/training/overdue/",
        views.training_overdue,
        name="training_overdue",
    ),
    path(
        "programmes/<int:programme_id>/workforce/competencies/",
        views.competencies,
        name="competencies",
    ),
    path(
        "workforce/training/modules/<int:module_id>/",
        views.module_edit,
        name="training_module",
    ),
    path(
        "workforce/training/modules/<int:module_id>/sessions/",
        views.session_new,
        name="training_session_new",
    ),
    path(
        "workforce/training/sessions/<int:session_id>/",
        views.session_attendance,
        name="training_session",
    ),
    path(
        "workforce/profiles/<int:profile_id>/training/",
        views.profile_training,
        name="profile_training",
    ),
]
