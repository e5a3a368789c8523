from django.urls import URLPattern, URLResolver, path

from peerbridge.referrals import directory_views as views

app_name = "directory"

urlpatterns: list[URLPattern | URLResolver] = [
    path("directory/", views.service_search, name="service_search"),
    path("directory/new/", views.service_create, name="service_create"),
    path("directory/import/", views.directory_import, name="directory_import"),
    path("directory/export/", views.directory_export, name="directory_export"),
    path("directory/<int:service_id>/", views.service_detail, name="service_detail"),
    path("directory/<int:service_id>/edit/", views.service_edit, name="service_edit"),
    path("directory/<int:service_id>/retire/", views.service_retire, name="service_retire"),
    path(
        "enrolments/<int:enrolment_id>/navigation/",
        views.navigation_list,
        name="navigation_list",
    ),
    path(
        "enrolments/<int:enrolment_id>/navigation/new/",
        views.navigation_create,
        name="navigation_create",
    ),
    path(
        "navigation/<int:navigation_id>/update/",
        views.navigation_update,
        name="navigation_update",
    ),
]
