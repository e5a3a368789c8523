"""The root API at /api/v1/: mounts each app's router, one auth, one error shape."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI

from peerbridge.api.errors import install_error_handlers
from peerbridge.api.parsers import JsonWithoutNul
from peerbridge.api.security import BrowserSession, PersonalAccessToken
from peerbridge.core.access import PUBLIC
from peerbridge.evaluation.api import router as evaluation_router
from peerbridge.followups.api import router as followups_router
from peerbridge.matching.api import router as matching_router
from peerbridge.notifications.api import router as notifications_router
from peerbridge.organisations.api import router as organisations_router
from peerbridge.outcomes.api import router as outcomes_router
from peerbridge.people.api import router as people_router
from peerbridge.people.rights_api import router as rights_router
from peerbridge.people.taxonomy_api import router as taxonomy_router
from peerbridge.referrals.api import router as referrals_router
from peerbridge.referrals.directory_api import router as directory_router
from peerbridge.referrals.imports_api import router as imports_router
from peerbridge.referrals.people_api import router as intake_people_router
from peerbridge.safety.api import router as safety_router
from peerbridge.support.api import router as support_router
from peerbridge.workforce.api import router as workforce_router


def _public_docs(view: Any) -> Any:
    view.access_policy = PUBLIC
    return view


api = NinjaAPI(
    title="PeerBridge API",
    version="1",
    urls_namespace="api",
    auth=[PersonalAccessToken(), BrowserSession()],
    docs_url=None,
    docs_decorator=_public_docs,
    parser=JsonWithoutNul(),
    description=(
        "Authenticate with a personal access token (`Authorization: Bearer pb_...`), created "
        "on your account page. Errors share one shape: "
        '`{"error": {"code", "message", "fields"}}`. Lists are paginated with '
        "`?page=&page_size=`."
    ),
)
install_error_handlers(api)
api.add_router("", organisations_router)
api.add_router("", people_router)
api.add_router("", taxonomy_router)
api.add_router("", rights_router)
api.add_router("", referrals_router)
api.add_router("", intake_people_router)
api.add_router("", directory_router)
api.add_router("", imports_router)
api.add_router("", workforce_router)
api.add_router("", matching_router)
api.add_router("", followups_router)
api.add_router("", support_router)
api.add_router("", safety_router)
api.add_router("", notifications_router)
api.add_router("", outcomes_router)
api.add_router("", evaluation_router)


def _routes() -> list[URLPattern | URLResolver]:
    patterns, _app, _namespace = api.urls
    for pattern in patterns:
        # ninja's root view answers 404; it exists so the schema knows the API's prefix.
        if getattr(pattern, "name", None) == "api-root":
            _public_docs(pattern.callback)
    return list(patterns)


api_urls = (_routes(), "api", "api")
