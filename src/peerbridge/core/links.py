"""Secret links that work without an account (a participant's choice of peer, a match
check-in): a random token travels in the link and only its SHA-256 digest is stored, so
a copy of the database holds no working link. The page behind such a link keeps its
address out of caches, referrers and search engines (`link_page`)."""

from __future__ import annotations

import hashlib
import secrets

from django.http import HttpResponse

TOKEN_BYTES = 32
TOKEN_MAX = 200  # longer than any token issued here: not worth a query


def token_digest(token: str) -> str:
    """What is stored for a link's token (and looked up by)."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_new() -> tuple[str, str]:
    """A fresh token for a link, and the digest to store in its place."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_digest(token)


def token_lookup(token: str) -> str | None:
    """The digest to look a token from an address up by; None for one no link can have
    (empty or overlong), so the caller answers "unknown" without a query."""
    if not token or len(token) > TOKEN_MAX:
        return None
    return token_digest(token)


def link_page(response: HttpResponse) -> HttpResponse:
    """The link's token is in the address: keep the page out of caches, referrers and
    search engines."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
