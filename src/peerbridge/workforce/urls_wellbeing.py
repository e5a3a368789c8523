"""Routes for the workforce's wellbeing pages (mounted by workforce/urls.py, namespace
"workforce"): check-ins, pulse, the supervisor's review, alerts, pausing, capacity, the
peer's own page, announcements and the team calendar."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.workforce import wellbeing_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("workforce/me/", views.me, name="me"),
    path("workforce/profiles/<int:profile_id>/checkin/", views.checkin, name="checkin"),
    path("workforce/profiles/<int:profile_id>/pulse/", views.pulse, name="pulse"),
    path("workforce/profiles/<int:profile_id>/hold/", views.hold_release, name="hold_release"),
    path("workforce/profiles/<int:profile_id>/pause/", views.pause, name="pause"),
    path("workforce/profiles/<int:profile_id>/capacity/", views.capacity, name="capacity"),
    path("workforce/alerts/<int:alert_id>/resolve/", views.alert_resolve, name="alert_resolve"),
    path(
        "programmes/<int:programme_id>/workforce/announcements/",
        views.announcements,
        name="announcements",
    ),
    path("programmes/<int:programme_id>/workforce/events/", views.events, name="events"),
    path("workforce/events/<int:event_id>/", views.event_detail, name="event"),
]
