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
        return found.user


class BrowserSession(SessionAuth):
    """The signed-in browser session; unsafe methods need the CSRF token (ninja checks)."""
