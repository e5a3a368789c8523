"""Routes for matching's batch pages (included by matching/urls.py, namespace
"matching"): a programme's runs, reviewing one, changing a line, publishing and
discarding."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.matching import batch_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("programmes/<int:programme_id>/matching/batch/", views.runs, name="batch_runs"),
    path("matching/batch/<int:run_id>/", views.run_detail, name="batch_run"),
    path(
        "matching/batch/<int:run_id>/proposals/<int:proposal_id>/",
        views.proposal_edit,
        name="batch_proposal",
    ),
    path("matching/batch/<int:run_id>/publish/", views.publish, name="batch_publish"),
    path("matching/batch/<int:run_id>/discard/", views.discard, name="batch_discard"),
]
