"""What every page anyone may post to carries: a honeypot and a signed time stamp on the
form, and an hourly limit per address in the view.

Bots fill in fields people never see and post back faster than a human could type; a
page that answers them the same way it answers people tells them nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

HOUR = 3600


class PublicFormProtection(forms.Form):
    """Mix into a public form. `website` is a honeypot people never see; `stamp` is a
    signed time, so forms posted back faster than a human could type are ignored. Each
    form names its own `stamp_salt`, so a stamp issued for one page is no good on
    another."""

    stamp_salt = "peerbridge.public-form"

    website = forms.CharField(required=False, widget=forms.HiddenInput)
    stamp = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["stamp"] = signing.dumps(timezone.now().timestamp(), salt=self.stamp_salt)

    def looks_automated(self, *, min_seconds: float = 3.0, max_age: int = 7200) -> bool:
        if self.data.get("website"):
            return True
        try:
            started = float(
                signing.loads(self.data.get("stamp", ""), salt=self.stamp_salt, max_age=max_age)
            )
        except (signing.BadSignature, TypeError, ValueError):
            return True
        return timezone.now().timestamp() - started < min_seconds


def throttled(request: HttpRequest, *, prefix: str, limit: int, scope: object = "") -> bool:
    """Count one submission from the request's address (within `scope`, e.g. a
    programme) and say whether it is past `limit` this hour. The address is hashed into
    the cache key, never stored."""
    address = request.META.get("REMOTE_ADDR", "")
    key = f"{prefix}:" + hashlib.sha256(f"{address}:{scope}".encode()).hexdigest()
    count = int(cache.get_or_set(key, 0, timeout=HOUR) or 0)
    if count >= limit:
        return True
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=HOUR)
    return False
