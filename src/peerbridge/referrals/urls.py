from django.urls import path

from peerbridge.referrals import views

app_name = "referrals"

urlpatterns = [
    path("refer/<slug:programme_code>/", views.self_referral, name="self_referral"),
    path(
        "refer/<slug:programme_code>/thanks/",
        views.self_referral_thanks,
        name="self_referral_thanks",
    ),
    path("referrals/new/", views.referral_create, name="referral_create"),
    path("referrals/mine/", views.my_referrals, name="my_referrals"),
    path("intake/", views.intake_overview, name="intake_overview"),
    path("programmes/<int:programme_id>/intake/", views.intake_queue, name="intake_queue"),
    path(
        "programmes/<int:programme_id>/intake/summary/",
        views.intake_summary,
        name="intake_summary",
    ),
    path("programmes/<int:programme_id>/waiting/", views.waiting_list, name="waiting_list"),
    path("enrolments/<int:enrolment_id>/", views.enrolment_detail, name="enrolment_detail"),
    path("enrolments/<int:enrolment_id>/attempts/", views.attempt_log, name="attempt_log"),
    path("enrolments/<int:enrolment_id>/status/", views.status_change, name="status_change"),
    path("enrolments/<int:enrolment_id>/update/", views.enrolment_update, name="enrolment_update"),
    path("enrolments/<int:enrolment_id>/enrol/", views.enrol, name="enrol"),
    path(
        "enrolments/<int:enrolment_id>/consent/withdraw/",
        views.consent_withdrawal,
        name="consent_withdraw",
    ),
    path("people/<int:person_id>/", views.person_detail, name="person_detail"),
    path("people/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:person_id>/merge/", views.person_merge, name="person_merge"),
]
