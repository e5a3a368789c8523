"""Routes for groups (included by support/urls.py, namespace "support")."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.support import group_views as views

GROUP = "groups/<int:group_id>/"
# Sessions by their number in the group ("session 3 of group 5"); other areas name a
# session by its id under other names, and the matrix fills parameters by name.
SESSION = GROUP + "sessions/<int:session_number>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("programmes/<int:programme_id>/groups/", views.programme_groups, name="groups"),
    path("programmes/<int:programme_id>/groups/new/", views.group_create, name="group_create"),
    path("groups/", views.my_groups, name="my_groups"),
    path(GROUP, views.group_detail, name="group"),
    path(GROUP + "edit/", views.group_edit, name="group_edit"),
    path(GROUP + "status/", views.group_status, name="group_status"),
    path(GROUP + "completion/", views.group_complete, name="group_complete"),
    path(GROUP + "report/", views.group_report, name="group_report"),
    path(GROUP + "report.csv", views.group_report_csv, name="group_report_csv"),
    path(GROUP + "facilitators/new/", views.facilitator_add, name="group_facilitator_add"),
    path(
        GROUP + "facilitators/<int:group_facilitator_id>/remove/",
        views.facilitator_remove,
        name="group_facilitator_remove",
    ),
    path(GROUP + "members/new/", views.member_add, name="group_member_add"),
    path(
        GROUP + "members/<int:group_member_id>/leave/",
        views.member_leave,
        name="group_member_leave",
    ),
    path(GROUP + "sessions/new/", views.session_add, name="group_session_add"),
    path(GROUP + "sessions/generate/", views.sessions_generate, name="group_sessions_generate"),
    path(SESSION + "edit/", views.session_edit, name="group_session_edit"),
    path(SESSION + "cancel/", views.session_cancel, name="group_session_cancel"),
    path(SESSION + "record/", views.session_record, name="group_session_record"),
]
