"""Routes for playbooks, the work queue and match check-ins."""

from django.urls import URLPattern, URLResolver

app_name = "followups"

urlpatterns: list[URLPattern | URLResolver] = []
