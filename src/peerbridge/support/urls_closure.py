"""Routes for closure (included by support/urls.py, namespace "support")."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.support import closure_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("enrolments/<int:enrolment_id>/closure/", views.closure, name="closure"),
]
