from django.urls import URLPattern, URLResolver, path

from peerbridge.people import rights_views as views

app_name = "rights"

urlpatterns: list[URLPattern | URLResolver] = [
    path("me/data/", views.my_data, name="my_data"),
    path("me/data/export.json", views.my_data_json, name="my_data_json"),
    path("people/<int:person_id>/export/", views.person_export_page, name="person_export"),
    path("people/<int:person_id>/export.json", views.person_export_json, name="person_export_json"),
    path("people/<int:person_id>/erase/", views.person_erase_page, name="person_erase"),
]
