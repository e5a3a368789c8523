from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from peerbridge.core.access import undeclared_routes


@register("security")
def check_every_route_declares_a_policy(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    return [
        Error(
            f"Route {route.pattern!r} ({route.name or 'unnamed'}, {'/'.join(route.methods)}) "
            "declares no access policy.",
            hint="Decorate the view with core.access.view_policy or api_policy.",
            id="peerbridge.E001",
        )
        for route in undeclared_routes()
    ]
