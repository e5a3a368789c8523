"""Background work run by `peerbridge worker`. Tasks are thin wrappers around services.

Task arguments are stored in the database until the worker runs them, so they carry
ids, never email addresses or links with secrets in them.
"""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_tasks import task

from peerbridge.core.models import User

_MESSAGES = {
    "invitation": (
        gettext_noop("Your PeerBridge invitation"),
        gettext_noop(
            "You have been invited to PeerBridge.\n\nChoose your password here (the link works "
            "once, for two hours):\n%(link)s\n\nIf you did not expect this, ignore this email."
        ),
    ),
    "reset": (
        gettext_noop("Reset your PeerBridge password"),
        gettext_noop(
            "Someone asked to reset the password of this PeerBridge account.\n\nChoose a new "
            "password here (the link works once, for two hours):\n%(link)s\n\nIf it was not "
            "you, ignore this email: your password stays as it is."
        ),
    ),
}


def password_link(*, user: User, site_url: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_url.rstrip("/") + reverse("web:password_reset_confirm", args=[uid, token])


@task()
def send_password_email(*, user_id: int, kind: str, site_url: str) -> int:
    """Email a one-time link to choose a password: an invitation or a reset."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return 0
    subject, body = _MESSAGES[kind]
    return send_mail(
        subject=_(subject),
        message=_(body) % {"link": password_link(user=user, site_url=site_url)},
        from_email=None,
        recipient_list=[user.email],
    )
