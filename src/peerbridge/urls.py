from django.urls import include, path

from peerbridge.api.api import api_urls

urlpatterns = [
    path("", include("peerbridge.web.urls")),
    path("", include("peerbridge.organisations.urls")),
    path("", include("peerbridge.people.urls")),
    path("", include("peerbridge.people.taxonomy_urls")),
    path("", include("peerbridge.people.rights_urls")),
    path("", include("peerbridge.referrals.urls")),
    path("", include("peerbridge.referrals.directory_urls")),
    path("", include("peerbridge.referrals.imports_urls")),
    path("", include("peerbridge.workforce.urls")),
    path("", include("peerbridge.matching.urls")),
    path("", include("peerbridge.followups.urls")),
    path("", include("peerbridge.support.urls")),
    path("", include("peerbridge.safety.urls")),
    path("", include("peerbridge.notifications.urls")),
    path("", include("peerbridge.outcomes.urls")),
    path("", include("peerbridge.evaluation.urls")),
    path("api/v1/", api_urls),
]
