"""Reads for the resource directory and navigation referrals, authorised as they fetch.

The directory belongs to organisations: a user reaches the services of the
organisations whose programmes they hold a role in under the policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_instance
from peerbridge.organisations.models import Organisation
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.people.models import language_name
from peerbridge.referrals import policies
from peerbridge.referrals.models import DirectoryService, Enrolment, NavigationReferral
from peerbridge.referrals.selectors import access_enrolment, enrolments_in_scope

# Peer supporters hold NAVIGATION_MANAGE so that, once matching exists, they can refer
# the participants matched to them. A peer's role covers the whole programme, though,
# so reaching enrolments through the programme would show a peer every participant in
# it. Until matches exist, navigation over an enrolment is for staff only: the peer
# role is left out of the enrolment scope here (peers get 404, like anyone outside it).
NAVIGATION_STAFF = Policy(
    policies.NAVIGATION_MANAGE.name + ".staff",
    "roles",
    policies.NAVIGATION_MANAGE.description,
    policies.NAVIGATION_MANAGE.roles - {Role.PEER_SUPPORTER},
)


@dataclass(frozen=True)
class DirectoryQuery:
    """What a directory search asks for; empty strings mean "any"."""

    need: str = ""
    language: str = ""
    area: str = ""
    text: str = ""
    include_retired: bool = False
    organisation_id: int | None = None


def directory_organisations(*, user: AnyUser, policy: Policy) -> QuerySet[Organisation]:
    """The organisations of the programmes the user holds a role in under the policy."""
    programmes = programmes_in_scope(user=user, policy=policy)
    return Organisation.objects.filter(pk__in=programmes.values("site__organisation_id"))


def services_in_scope(*, user: AnyUser, policy: Policy) -> QuerySet[DirectoryService]:
    organisation_ids = directory_organisations(user=user, policy=policy).values("pk")
    return DirectoryService.objects.filter(organisation_id__in=organisation_ids)


def _json_list_has(field: str, value: str) -> Q:
    """A JSON list of tokens holding this exact token. Matching the quoted token in the
    JSON text works on SQLite (which lacks JSON `contains`) and PostgreSQL alike; the
    values are checked codes (categories, ISO 639), so the quotes bound them exactly."""
    return Q(**{f"{field}__icontains": f'"{value}"'})


def directory_search(
    *, user: AnyUser, query: DirectoryQuery, policy: Policy = policies.DIRECTORY_VIEW
) -> QuerySet[DirectoryService]:
    services = services_in_scope(user=user, policy=policy)
    if not query.include_retired:
        services = services.filter(is_active=True)
    if query.organisation_id is not None:
        services = services.filter(organisation_id=query.organisation_id)
    if query.need:
        services = services.filter(_json_list_has("categories", query.need))
    if query.language:
        services = services.filter(_json_list_has("languages", query.language))
    if query.area:
        services = services.filter(area__icontains=query.area)
    if query.text:
        services = services.filter(
            Q(name__icontains=query.text)
            | Q(description__icontains=query.text)
            | Q(eligibility__icontains=query.text)
        )
    return services.order_by("name", "pk")


def directory_languages(*, user: AnyUser) -> list[tuple[str, str]]:
    """The languages the listed services offer, as (code, name) for a picker."""
    codes: set[str] = set()
    listed = services_in_scope(user=user, policy=policies.DIRECTORY_VIEW).filter(is_active=True)
    for languages in listed.values_list("languages", flat=True):
        codes.update(code for code in languages or [] if isinstance(code, str))
    return sorted(((code, language_name(code)) for code in codes), key=lambda pair: pair[1])


def access_service(*, user: AnyUser, service_id: Any, policy: Policy) -> DirectoryService:
    """A directory service under the policy; 404 outside the user's organisations,
    403 when the user may see it but not do what the policy says."""
    try:
        pk = int(service_id)
    except (TypeError, ValueError):
        raise Http404 from None
    service = (
        services_in_scope(user=user, policy=policy)
        .select_related("organisation")
        .filter(pk=pk)
        .first()
    )
    if service is None:
        if (
            policy is not policies.DIRECTORY_VIEW
            and services_in_scope(user=user, policy=policies.DIRECTORY_VIEW).filter(pk=pk).exists()
        ):
            raise PermissionDenied
        raise Http404
    return service


def access_directory_organisation(
    *, user: AnyUser, organisation_id: Any, policy: Policy
) -> Organisation:
    """The organisation whose directory the user acts on. Without an id, the user's only
    one; 404 when none is reachable, 403 when it is visible but not under the policy."""
    reachable = directory_organisations(user=user, policy=policy)
    visible = directory_organisations(user=user, policy=policies.DIRECTORY_VIEW)
    if organisation_id is None:
        candidates = list(reachable[:2])
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            raise ValidationError({"organisation_id": _("Choose the organisation.")})
        if visible.exists():
            raise PermissionDenied
        raise Http404
    try:
        pk = int(organisation_id)
    except (TypeError, ValueError):
        raise Http404 from None
    organisation = reachable.filter(pk=pk).first()
    if organisation is None:
        if visible.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return organisation


def access_navigation_enrolment(*, user: AnyUser, enrolment_id: Any) -> Enrolment:
    """An enrolment the user may make navigation referrals for (read-audited)."""
    return access_enrolment(user=user, enrolment_id=enrolment_id, policy=NAVIGATION_STAFF)


def navigation_referrals_for(*, enrolment: Enrolment) -> QuerySet[NavigationReferral]:
    """The enrolment's navigation referrals, newest first. The enrolment was fetched
    (and its person's read audited) by access_navigation_enrolment."""
    return (
        NavigationReferral.objects.filter(enrolment=enrolment)
        .select_related("service", "made_by")
        .order_by("-made_at", "-pk")
    )


def services_for_navigation(*, enrolment: Enrolment) -> QuerySet[DirectoryService]:
    """Listed services of the enrolment's organisation, the choices for a referral."""
    return DirectoryService.objects.filter(
        organisation_id=enrolment.programme.site.organisation_id, is_active=True
    ).order_by("name", "pk")


def access_navigation_referral(*, user: AnyUser, navigation_id: Any) -> NavigationReferral:
    """A navigation referral over an enrolment the user may act for; 404 otherwise.
    Reading it reads the person's record, so the read is audited."""
    try:
        pk = int(navigation_id)
    except (TypeError, ValueError):
        raise Http404 from None
    enrolments = enrolments_in_scope(user=user, policy=NAVIGATION_STAFF).values("pk")
    referral = (
        NavigationReferral.objects.filter(pk=pk, enrolment_id__in=enrolments)
        .select_related("service", "enrolment__person", "enrolment__programme__site")
        .first()
    )
    if referral is None:
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=referral.enrolment.person)
    return referral


def services_for_export(
    *, user: AnyUser, organisation_id: Any = None
) -> QuerySet[DirectoryService]:
    """Every service (retired ones too) of one organisation the user keeps the directory
    of, or of all of them; 404 or 403 as for access_directory_organisation."""
    if organisation_id is not None:
        organisation = access_directory_organisation(
            user=user, organisation_id=organisation_id, policy=policies.DIRECTORY_EDIT
        )
        services = DirectoryService.objects.filter(organisation=organisation)
    else:
        if not directory_organisations(user=user, policy=policies.DIRECTORY_EDIT).exists():
            if directory_organisations(user=user, policy=policies.DIRECTORY_VIEW).exists():
                raise PermissionDenied
            raise Http404
        services = services_in_scope(user=user, policy=policies.DIRECTORY_EDIT)
    return services.select_related("organisation").order_by("organisation_id", "name", "pk")
