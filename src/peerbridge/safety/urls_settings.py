"""Routes for a programme's safety settings and on-call rota."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.safety import configuration_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("programmes/<int:programme_id>/safety-settings/", views.settings_edit, name="settings"),
    path("programmes/<int:programme_id>/safety-settings/on-call/", views.on_call, name="on_call"),
    path("on-call/<int:shift_id>/remove/", views.shift_remove, name="shift_remove"),
]
