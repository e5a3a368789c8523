from django.urls import URLPattern, URLResolver, path

from peerbridge.people import taxonomy_views as views

app_name = "taxonomy"

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "organisations/<int:organisation_id>/conditions/",
        views.condition_tree,
        name="condition_tree",
    ),
    path("conditions/<int:condition_id>/edit/", views.condition_edit, name="condition_edit"),
    path("programmes/<int:programme_id>/issues/", views.issue_list, name="issue_list"),
    path("issues/<int:issue_id>/edit/", views.issue_edit, name="issue_edit"),
    # <perspective> (a plain str): "been_through" or "facing"; anything else is a 404.
    path(
        "people/<int:person_id>/experience/<int:programme_id>/<perspective>/",
        views.experience_edit,
        name="experience_edit",
    ),
]
