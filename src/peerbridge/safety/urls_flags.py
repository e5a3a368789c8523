"""Routes for risk flags: raising, the crisis resources, the flag page and its steps,
a programme's flags and "my flags"."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.safety import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("contacts/<int:contact_id>/flag/", views.flag_raise_contact, name="flag_raise_contact"),
    path("programmes/<int:programme_id>/flags/new/", views.flag_raise, name="flag_raise"),
    # The session's id is named for what it is: the matrix fills URL parameters by name,
    # and training sessions already use `session_id`.
    path(
        "groups/sessions/<int:group_session_id>/flag/",
        views.flag_raise_session,
        name="flag_raise_session",
    ),
    path("programmes/<int:programme_id>/crisis-resources/", views.crisis, name="crisis"),
    path("programmes/<int:programme_id>/flags/", views.flags, name="flags"),
    path("flags/", views.my_flags_page, name="my_flags"),
    path("flags/<int:flag_id>/", views.flag_detail, name="flag"),
    path("flags/<int:flag_id>/acknowledge/", views.flag_acknowledge, name="flag_acknowledge"),
    path("flags/<int:flag_id>/notes/", views.flag_note, name="flag_note"),
    path("flags/<int:flag_id>/resolve/", views.flag_resolve, name="flag_resolve"),
    path("flags/<int:flag_id>/reassign/", views.flag_reassign, name="flag_reassign"),
]
