"""Sign-in, sign-out, failed sign-ins and lockouts go to the audit log (no usernames)."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from peerbridge.core.audit import Action, audit


@receiver(user_logged_in)
def _audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit(actor=user, action=Action.LOGIN, object_type="core.user", object_id=user.pk)


@receiver(user_logged_out)
def _audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit(actor=user, action=Action.LOGOUT, object_type="core.user", object_id=user.pk)


@receiver(user_login_failed)
def _audit_failed_login(sender: Any, credentials: Any, request: Any = None, **kw: Any) -> None:
    # The attempted username is personal data and may be a typo of a password: not kept.
    audit(actor=None, action=Action.LOGIN_FAILED, object_type="core.user")


@receiver(user_locked_out)
def _audit_lockout(sender: Any, request: Any = None, **kwargs: Any) -> None:
    audit(actor=None, action=Action.LOCKOUT, object_type="core.user")
