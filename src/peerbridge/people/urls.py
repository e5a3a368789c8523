from django.urls import path

from peerbridge.people import views

app_name = "people"

urlpatterns = [
    path(
        "programmes/<int:programme_id>/staff/add/",
        views.programme_membership_add,
        name="programme_membership_add",
    ),
    path("sites/<int:site_id>/staff/add/", views.site_membership_add, name="site_membership_add"),
    path("memberships/<int:assignment_id>/end/", views.membership_end, name="membership_end"),
    path(
        "programmes/<int:programme_id>/consent-texts/",
        views.consent_texts,
        name="consent_texts",
    ),
]
