"""Routes for playbooks, the work queue and match check-ins."""

from django.urls import URLPattern, URLResolver, path

from peerbridge.followups import views

app_name = "followups"

urlpatterns: list[URLPattern | URLResolver] = [
    path("followups/", views.work_queue, name="queue"),
    path("followups/items/<int:work_item_id>/", views.work_item, name="item"),
    path(
        "followups/items/<int:work_item_id>/check-in-link/",
        views.check_in_link,
        name="check_in_link",
    ),
    path("programmes/<int:programme_id>/playbooks/", views.playbooks, name="playbooks"),
    path("playbooks/<int:playbook_id>/active/", views.playbook_active, name="playbook_active"),
    path("check-in/<str:token>/", views.check_in_answer_page, name="check_in_answer"),
    path("message/<str:token>/", views.message_read_page, name="message_read"),
]
