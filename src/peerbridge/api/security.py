"""API authentication: personal access tokens (Bearer) or the browser session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer, SessionAuth

from peerbridge.core.models import ApiToken
from peerbridge.core.tokens import token_authenticate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class PersonalAccessToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_authenticate(token)
        if found is None:
            return None
        if request.method not in SAFE_METHODS and found.access != ApiToken.Access.READ_WRITE:
            raise AuthorizationError(message="This token is read-only.")
        request.user = found.user
        setattr(request, "api_token", found)  # noqa: B010 (operations ask how the caller came in)
        return found.user


def via_token(request: HttpRequest) -> bool:
    """Whether a personal access token, rather than the browser session, authenticated
    this request."""
    return getattr(request, "api_token", None) is not None


class BrowserSession(SessionAuth):
    """The signed-in browser session; unsafe methods need the CSRF token (ninja checks)."""
