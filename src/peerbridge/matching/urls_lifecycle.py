"""Routes for matching's lifecycle pages (included by matching/urls.py)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
