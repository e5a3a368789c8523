"""Routes for the incident log."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.safety import incident_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("programmes/<int:programme_id>/incidents/", views.incidents, name="incidents"),
    path("programmes/<int:programme_id>/incidents/new/", views.incident_new, name="incident_log"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="incident"),
    path("incidents/<int:incident_id>/close/", views.incident_close, name="incident_close"),
]
