"""Routes for the workforce's supervision pages (mounted by workforce/urls.py, namespace
"workforce")."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
