"""Routes for goals (included by support/urls.py, namespace "support")."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.support import goal_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("enrolments/<int:enrolment_id>/goals/", goal_views.goal_list, name="goals"),
    path("goals/<int:goal_id>/ratings/", goal_views.goal_rate, name="goal_rate"),
    path("goals/<int:goal_id>/status/", goal_views.goal_status, name="goal_status"),
]
