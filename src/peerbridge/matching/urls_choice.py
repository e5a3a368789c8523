"""Routes for participant choice (included by matching/urls.py, namespace "matching"):
the coordinator's page to send a choice link, withdrawing one, and the participant's
public page behind the link."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.matching import choice_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("matching/enrolments/<int:enrolment_id>/choice/", views.choice_send, name="choice_send"),
    path(
        "matching/choice-invitations/<int:invitation_id>/withdraw/",
        views.choice_withdraw,
        name="choice_withdraw",
    ),
    path("choose/<str:token>/", views.choose, name="choose"),
]
