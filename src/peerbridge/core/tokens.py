"""Personal access tokens for the API: issued once, stored as a digest, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import ApiToken, User

TOKEN_PREFIX = "pb_"  # noqa: S105  (a public marker, not a secret)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_issue(*, user: User, name: str, access: str, days: int) -> tuple[ApiToken, str]:
    """Create a token and return it with its one-time plaintext."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Give the token a name so you can recognise it later.")
    if access not in ApiToken.Access.values:
        errors["access"] = _("Choose read only, or read and write.")
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        errors["days"] = _("A token lasts from 1 to %(max)d days.") % {
            "max": settings.API_TOKEN_MAX_DAYS
        }
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=prefix,
        secret_hash=_digest(secret),
        access=access,
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit_instance(actor=user, action=Action.CREATE, instance=token)
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


@transaction.atomic
def token_revoke(*, token: ApiToken, revoked_by: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_instance(actor=revoked_by, action=Action.UPDATE, instance=token)
    return token


def token_authenticate(raw: str) -> ApiToken | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix, _sep, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    if not prefix or not secret:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(secret)):
        return None
    now = timezone.now()
    if not token.is_usable(now):
        return None
    # Touch at most once a minute: a busy client should not write on every call.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
