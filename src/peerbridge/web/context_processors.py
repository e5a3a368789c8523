from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from peerbridge.web.navigation import links_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None:
        return {"nav_links": []}
    return {"nav_links": links_for(user)}
