from django.urls import include, path

from peerbridge.api.api import api_urls

urlpatterns = [
    path("", include("peerbridge.web.urls")),
    path("", include("peerbridge.organisations.urls")),
    path("", include("peerbridge.people.urls")),
    path("api/v1/", api_urls),
]
