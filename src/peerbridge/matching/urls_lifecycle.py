"""Routes for matching's lifecycle pages (included by matching/urls.py, namespace
"matching"): the match page and its actions, the peer's own page, a programme's
matches."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.matching import lifecycle_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("matching/my/", views.my_matches, name="my_matches"),
    path(
        "programmes/<int:programme_id>/matches/",
        views.programme_matches,
        name="programme_matches",
    ),
    path("matching/matches/<int:match_id>/", views.match_detail, name="match"),
    path("matching/matches/<int:match_id>/offer/", views.match_offer, name="match_offer"),
    path("matching/matches/<int:match_id>/accept/", views.match_accept, name="match_accept"),
    path("matching/matches/<int:match_id>/decline/", views.match_decline, name="match_decline"),
    path(
        "matching/matches/<int:match_id>/introduce/",
        views.match_introduce,
        name="match_introduce",
    ),
    path(
        "matching/matches/<int:match_id>/first-contact/",
        views.match_first_contact,
        name="match_first_contact",
    ),
    path("matching/matches/<int:match_id>/activate/", views.match_activate, name="match_activate"),
    path("matching/matches/<int:match_id>/complete/", views.match_complete, name="match_complete"),
    path("matching/matches/<int:match_id>/end/", views.match_end, name="match_end"),
    path("matching/matches/<int:match_id>/cancel/", views.match_cancel, name="match_cancel"),
]
