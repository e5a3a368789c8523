"""Routes for the realist (context-mechanism-outcome) report (included by
evaluation/urls.py, namespace "evaluation")."""

from django.urls import URLPattern, path

from peerbridge.evaluation import realist_views as views

urlpatterns: list[URLPattern] = [
    path(
        "programmes/<int:programme_id>/evaluation/realist/",
        views.realist_report,
        name="realist",
    ),
]
