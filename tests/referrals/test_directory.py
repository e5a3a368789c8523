"""The resource directory: search by need, language, area and text, scoped to the user's
organisations; keeping services (create, update, retire), audited; pages and API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from peerbridge.core.models import AuditEvent
from peerbridge.organisations.models import Organisation
from peerbridge.referrals import policies
from peerbridge.referrals.directory_selectors import (
    DirectoryQuery,
    access_service,
    directory_search,
)
from peerbridge.referrals.directory_services import service_create, service_retire
from peerbridge.referrals.models import DirectoryService
from tests.conftest import World, client_for, persona_user
from tests.referrals.directory_world import bridges, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere() -> Organisation:
    """Another organisation, whose directory no demo persona reaches."""
    return Organisation.objects.create(name="Elsewhere Trust", slug="elsewhere")


@pytest.fixture
def listed() -> dict[str, DirectoryService]:
    return {
        "housing_es": make_service(
            name="Casa Segura housing advice",
            categories=["housing"],
            languages=["es", "en"],
            area="Riverside North",
            eligibility="Adults at risk of losing their home",
        ),
        "food": make_service(
            name="Lakeside community pantry",
            categories=["food", "social"],
            languages=["en"],
            area="Lakeside",
            description="Weekly groceries, no referral letter needed.",
        ),
        "legal_vi": make_service(
            name="Tenancy law clinic",
            categories=["legal", "housing"],
            languages=["vi"],
            area="Harbour City",
        ),
    }


def _names(query: DirectoryQuery, persona: str = "coordinator") -> set[str]:
    return {s.name for s in directory_search(user=persona_user(persona), query=query)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (DirectoryQuery(need="housing"), {"housing_es", "legal_vi"}),
        (DirectoryQuery(need="food"), {"food"}),
        (DirectoryQuery(language="es"), {"housing_es"}),
        (DirectoryQuery(language="vi", need="housing"), {"legal_vi"}),
        (DirectoryQuery(area="riverside"), {"housing_es"}),
        (DirectoryQuery(text="GROCERIES"), {"food"}),
        (DirectoryQuery(text="losing their home"), {"housing_es"}),
        (DirectoryQuery(text="clinic", need="legal", area="harbour"), {"legal_vi"}),
        (DirectoryQuery(need="transport"), set()),
    ],
)
def test_search_by_need_language_area_and_text(
    listed: dict[str, DirectoryService], query: DirectoryQuery, expected: set[str]
) -> None:
    found = _names(query) & {s.name for s in listed.values()}
    assert found == {listed[key].name for key in expected}


def test_a_language_code_matches_whole_codes_only(listed: dict[str, DirectoryService]) -> None:
    make_service(name="Estonian desk", languages=["et"])
    assert "Estonian desk" not in _names(DirectoryQuery(language="e"))
    assert "Estonian desk" in _names(DirectoryQuery(language="et"))


def test_retired_services_leave_the_search(listed: dict[str, DirectoryService]) -> None:
    service_retire(service=listed["food"], retired_by=persona_user("coordinator"))  # type: ignore[arg-type]
    assert listed["food"].name not in _names(DirectoryQuery())
    assert listed["food"].name in _names(DirectoryQuery(include_retired=True))


@pytest.mark.parametrize("persona", ["peer", "peer_other", "referrer", "supervisor", "admin"])
def test_everyone_who_navigates_searches_their_organisations_directory(
    persona: str, listed: dict[str, DirectoryService], elsewhere: Organisation
) -> None:
    make_service(organisation=elsewhere, name="Elsewhere shelter")
    names = _names(DirectoryQuery(), persona)
    assert listed["housing_es"].name in names
    assert "Elsewhere shelter" not in names


@pytest.mark.parametrize("persona", ["participant", "evaluator", "stranger"])
def test_people_outside_the_directory_policy_find_nothing(
    persona: str, listed: dict[str, DirectoryService]
) -> None:
    assert _names(DirectoryQuery(), persona) == set()


def test_a_service_of_another_organisation_is_not_found(elsewhere: Organisation) -> None:
    other = make_service(organisation=elsewhere)
    with pytest.raises(Http404):
        access_service(
            user=persona_user("admin"), service_id=other.pk, policy=policies.DIRECTORY_VIEW
        )


def test_a_peer_sees_a_service_but_may_not_edit_it(listed: dict[str, DirectoryService]) -> None:
    peer = persona_user("peer")
    service = listed["food"]
    assert access_service(user=peer, service_id=service.pk, policy=policies.DIRECTORY_VIEW)
    with pytest.raises(PermissionDenied):
        access_service(user=peer, service_id=service.pk, policy=policies.DIRECTORY_EDIT)


def test_service_create_gives_an_hsds_id_and_audits() -> None:
    coordinator = persona_user("coordinator")
    service = service_create(
        organisation=bridges(),
        created_by=coordinator,
        name="  Job club  ",
        categories=["employment"],
        languages=[" EN "],
    )
    assert service.name == "Job club" and service.languages == ["en"]
    assert len(service.hsds_id) == 36
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE,
        object_type="referrals.directoryservice",
        object_id=str(service.pk),
        actor=coordinator,
    ).exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"categories": []}, "categories"),
        ({"categories": ["astrology"]}, "categories"),
        ({"languages": ["klingon"]}, "languages"),
        ({"email": "not-an-email"}, "email"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"name": ""}, "name"),
        ({"owner": "someone"}, "owner"),
    ],
)
def test_service_create_refuses_bad_values_by_field(fields: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {"name": "Valid", "categories": ["food"], **fields}
    with pytest.raises(ValidationError) as refused:
        service_create(organisation=bridges(), created_by=None, **values)
    assert field in refused.value.message_dict


def test_an_hsds_id_is_used_once_per_directory() -> None:
    make_service(hsds_id="same-id")
    with pytest.raises(ValidationError) as refused:
        make_service(hsds_id="same-id")
    assert "hsds_id" in refused.value.message_dict


# ------------------------------------------------------------------------- pages


def test_search_page_filters_with_a_get_form(listed: dict[str, DirectoryService]) -> None:
    response = client_for("peer").get("/directory/", {"need": "housing", "language": "es"})
    assert response.status_code == 200
    content = response.content.decode()
    assert listed["housing_es"].name in content
    assert listed["legal_vi"].name not in content
    assert 'role="search"' in content and 'method="get"' in content
    assert "Español" in content or "Spanish" in content


def test_search_page_shows_a_bad_filter_and_keeps_the_others(
    listed: dict[str, DirectoryService],
) -> None:
    response = client_for("peer").get("/directory/", {"need": "astrology", "area": "lakeside"})
    assert response.status_code == 200
    assert response.context["form"].errors["need"]
    shown = {s.name for s, _names in response.context["rows"]}
    assert listed["food"].name in shown
    assert not shown & {listed["housing_es"].name, listed["legal_vi"].name}


def test_search_page_is_paginated() -> None:
    for number in range(25):
        make_service(name=f"Paged service {number:02d}", area="Pagination Park")
    client = client_for("coordinator")
    first = client.get("/directory/", {"area": "pagination park"})
    second = client.get("/directory/", {"area": "pagination park", "page": 2})
    assert len(first.context["rows"]) == 20 and len(second.context["rows"]) == 5
    assert "area=pagination+park&amp;page=2" in first.content.decode()


def test_search_page_query_count_does_not_grow_with_results(
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for("coordinator")
    for number in range(3):
        make_service(name=f"Counted {number}", area="Query Town")
    with django_assert_max_num_queries(20) as few:
        client.get("/directory/", {"area": "query town"})
    for number in range(15):
        make_service(name=f"Counted more {number}", area="Query Town")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/directory/", {"area": "query town"})


def test_a_coordinator_adds_edits_and_retires_a_service() -> None:
    client = client_for("coordinator")
    created = client.post(
        "/directory/new/",
        {
            "name": "Peer employment hub",
            "categories": ["employment"],
            "languages": "en, es",
            "url": "example.org/jobs",
            "phone": "+44 20 7946 0000",
        },
    )
    service = DirectoryService.objects.get(name="Peer employment hub")
    assert created.status_code == 302
    assert service.languages == ["en", "es"] and service.url == "https://example.org/jobs"
    edited = client.post(
        f"/directory/{service.pk}/edit/",
        {"name": "Peer employment hub", "categories": ["employment", "income"], "languages": ""},
    )
    assert edited.status_code == 302
    service.refresh_from_db()
    assert service.categories == ["employment", "income"] and service.languages == []
    assert client.post(f"/directory/{service.pk}/retire/").status_code == 302
    service.refresh_from_db()
    assert not service.is_active
    actions = AuditEvent.objects.filter(
        object_type="referrals.directoryservice", object_id=str(service.pk)
    ).values_list("action", flat=True)
    assert sorted(actions) == ["create", "update", "update"]


def test_the_service_form_shows_field_errors(listed: dict[str, DirectoryService]) -> None:
    response = client_for("coordinator").post(
        f"/directory/{listed['food'].pk}/edit/",
        {"name": "", "categories": ["astrology"], "languages": "xx, en"},
    )
    assert response.status_code == 422
    assert set(response.context["form"].errors) >= {"name", "categories", "languages"}


def test_a_peer_cannot_open_the_edit_page(listed: dict[str, DirectoryService]) -> None:
    assert client_for("peer").get(f"/directory/{listed['food'].pk}/edit/").status_code == 403


def test_someone_elses_service_page_is_not_found(elsewhere: Organisation) -> None:
    other = make_service(organisation=elsewhere)
    assert client_for("admin").get(f"/directory/{other.pk}/").status_code == 404
    assert client_for("coordinator").get(f"/directory/{other.pk}/edit/").status_code == 404


# --------------------------------------------------------------------------- API


def test_api_lists_services_with_filters(listed: dict[str, DirectoryService]) -> None:
    response = client_for("referrer").get(
        "/api/v1/directory/services", {"need": "housing", "language": "vi"}
    )
    assert response.status_code == 200
    items = {item["name"]: item for item in response.json()["items"]}
    assert listed["legal_vi"].name in items
    assert not {listed["housing_es"].name, listed["food"].name} & set(items)
    assert items[listed["legal_vi"].name]["categories"] == ["legal", "housing"]


def test_api_refuses_a_language_filter_that_is_not_iso_639() -> None:
    response = client_for("referrer").get("/api/v1/directory/services", {"language": "zz"})
    assert response.status_code == 422
    assert "language" in response.json()["error"]["fields"]


def test_api_creates_and_updates_a_service(world: World) -> None:
    client = client_for("leader")
    created = client.post(
        "/api/v1/directory/services",
        data=json.dumps(
            {"name": "Carers' café", "categories": ["caregiving"], "languages": ["en", "pl"]}
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    service_id = created.json()["id"]
    assert created.json()["organisation_id"] == bridges().pk
    patched = client.patch(
        f"/api/v1/directory/services/{service_id}",
        data=json.dumps({"area": "Lakeside", "is_active": False}),
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()["area"] == "Lakeside" and patched.json()["is_active"] is False


def test_api_hides_another_organisations_service(elsewhere: Organisation) -> None:
    other = make_service(organisation=elsewhere)
    client = client_for("admin")
    assert client.get(f"/api/v1/directory/services/{other.pk}").status_code == 404
    patched = client.patch(
        f"/api/v1/directory/services/{other.pk}",
        data=json.dumps({"name": "Taken over"}),
        content_type="application/json",
    )
    assert patched.status_code == 404
    other.refresh_from_db()
    assert other.name != "Taken over"


def test_api_refuses_creating_in_an_organisation_out_of_reach(elsewhere: Organisation) -> None:
    response = client_for("admin").post(
        "/api/v1/directory/services",
        data=json.dumps({"organisation_id": elsewhere.pk, "name": "X", "categories": ["food"]}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not DirectoryService.objects.filter(organisation=elsewhere).exists()
