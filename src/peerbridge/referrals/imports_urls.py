from django.urls import path

from peerbridge.referrals import imports_views as views

app_name = "imports"

urlpatterns = [
    path("programmes/<int:programme_id>/import/", views.upload, name="upload"),
    path("programmes/<int:programme_id>/import/template.csv", views.template, name="template"),
    path("imports/<int:batch_id>/", views.batch_detail, name="batch_detail"),
    path("imports/<int:batch_id>/errors.csv", views.errors_csv, name="errors_csv"),
    path("imports/<int:batch_id>/commit/", views.commit, name="commit"),
    path("imports/<int:batch_id>/discard/", views.discard, name="discard"),
]
