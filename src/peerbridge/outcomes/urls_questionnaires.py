"""Questionnaire routes: the link (no account), a participant's questionnaires, entry
from an interview or paper, the schedule and the licences."""

from django.urls import URLPattern, path

from peerbridge.outcomes import questionnaire_views as views

urlpatterns: list[URLPattern] = [
    path("q/<str:token>/", views.answer, name="answer"),
    path("enrolments/<int:enrolment_id>/questionnaires/", views.assessments, name="assessments"),
    path(
        "enrolments/<int:enrolment_id>/questionnaires/new/",
        views.assessment_new,
        name="assessment_new",
    ),
    path("questionnaires/<int:assessment_id>/", views.assessment, name="assessment"),
    path("questionnaires/<int:assessment_id>/enter/<str:code>/", views.enter, name="enter"),
    path("questionnaires/<int:assessment_id>/send-link/", views.link_send, name="link_send"),
    path("questionnaires/<int:assessment_id>/answer-now/", views.answer_now, name="answer_now"),
    path("questionnaires/<int:assessment_id>/decline/", views.decline, name="decline"),
    path(
        "programmes/<int:programme_id>/questionnaire-schedule/",
        views.schedule,
        name="schedule",
    ),
    path("questionnaire-timepoints/<int:timepoint_id>/", views.timepoint_edit, name="timepoint"),
    path("questionnaire-licences/", views.licence_list, name="licences"),
]
