"""The unread-message count for the page header (a template context processor).

The count is lazy: a page that does not show it costs no query, and a page that does
costs one COUNT, whatever else it lists."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from peerbridge.notifications.selectors import unread_count as count_unread


def unread_count(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_message_count": SimpleLazyObject(lambda: count_unread(user))}
