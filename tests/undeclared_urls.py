"""A URLconf with one view that forgot its access policy (for the matrix's own test)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from peerbridge.core.access import PUBLIC, view_policy


@view_policy(PUBLIC)
def declared(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def forgotten(request: HttpRequest) -> HttpResponse:
    return HttpResponse("no policy")


urlpatterns = [path("declared/", declared), path("forgotten/", forgotten)]
