"""Routes for measures and progress (included by outcomes/urls.py, namespace
"outcomes")."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.outcomes import measure_views, progress_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("enrolments/<int:enrolment_id>/measures/", measure_views.measure_list, name="measures"),
    path(
        "measures/<int:measure_id>/delete/",
        measure_views.measure_remove,
        name="measure_delete",
    ),
    path("enrolments/<int:enrolment_id>/progress/", progress_views.progress, name="progress"),
    path("progress/", progress_views.my_progress, name="my_progress"),
]
