from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from peerbridge.core.access import PUBLIC, SIGNED_IN, view_policy
from peerbridge.web import home_views, views
from peerbridge.web.forms import QueuedPasswordResetForm

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("home/peer/", home_views.peer, name="home_peer"),
    path("home/coordinator/", home_views.coordinator, name="home_coordinator"),
    path("home/supervisor/", home_views.supervisor, name="home_supervisor"),
    path("home/participant/", home_views.participant, name="home_participant"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        view_policy(PUBLIC)(
            auth_views.LoginView.as_view(
                template_name="web/login.html", redirect_authenticated_user=True
            )
        ),
        name="login",
    ),
    path(
        "accounts/logout/",
        view_policy(PUBLIC)(auth_views.LogoutView.as_view()),
        name="logout",
    ),
    path(
        "accounts/password/reset/",
        view_policy(PUBLIC)(
            auth_views.PasswordResetView.as_view(
                form_class=QueuedPasswordResetForm,
                template_name="web/password_reset.html",
                success_url=reverse_lazy("web:password_reset_done"),
            )
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        view_policy(PUBLIC)(
            auth_views.PasswordResetDoneView.as_view(template_name="web/password_reset_done.html")
        ),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        view_policy(PUBLIC)(
            auth_views.PasswordResetConfirmView.as_view(
                template_name="web/password_reset_confirm.html",
                success_url=reverse_lazy("web:password_reset_complete"),
            )
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        view_policy(PUBLIC)(
            auth_views.PasswordResetCompleteView.as_view(
                template_name="web/password_reset_complete.html"
            )
        ),
        name="password_reset_complete",
    ),
    path(
        "accounts/password/change/",
        view_policy(SIGNED_IN)(
            auth_views.PasswordChangeView.as_view(
                template_name="web/password_change.html",
                success_url=reverse_lazy("web:account"),
            )
        ),
        name="password_change",
    ),
    path("accounts/", views.account, name="account"),
    path("accounts/tokens/", views.token_create, name="token_create"),
    path("accounts/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("accounts/two-factor/", views.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("audit/", views.audit_log, name="audit_log"),
]
