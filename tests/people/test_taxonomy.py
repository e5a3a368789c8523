"""The condition taxonomy and programmes' issue tags: services, pages and API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peerbridge.core.models import AuditEvent, User
from peerbridge.organisations.models import Organisation, Programme
from peerbridge.people import taxonomy, taxonomy_seed
from peerbridge.people.models import Condition, IssueTag
from tests.conftest import World, client_for, persona_user

WITH_RECONSTRUCTION = "Breast cancer > Mastectomy > With reconstruction"


def _user(persona: str) -> User:
    user = persona_user(persona)
    assert user is not None
    return user


@pytest.fixture
def bridges(db: None) -> Organisation:
    return Organisation.objects.get(slug="bridges")


@pytest.fixture
def seeded(bridges: Organisation) -> dict[str, Condition]:
    return taxonomy_seed.seed_taxonomy(bridges)


@pytest.fixture
def elsewhere(db: None) -> Organisation:
    return Organisation.objects.create(name="Another network", slug="another-network")


# Seed data


def test_seeding_twice_adds_nothing_and_holds_mastectomy_with_reconstruction(
    bridges: Organisation,
) -> None:
    first = taxonomy_seed.seed_taxonomy(bridges)
    count = Condition.objects.filter(organisation=bridges).count()
    second = taxonomy_seed.seed_taxonomy(bridges)
    assert Condition.objects.filter(organisation=bridges).count() == count
    assert {k: v.pk for k, v in first.items()} == {k: v.pk for k, v in second.items()}
    facet = second[WITH_RECONSTRUCTION]
    assert str(facet) == WITH_RECONSTRUCTION
    assert facet.depth == 3
    assert facet.parent is not None and facet.parent.name == "Mastectomy"
    for lineage in (
        "Breast cancer > Lumpectomy",
        "Transplant > Lung",
        "Child disability > G-tube",
        "Child disability > Cognitive delay",
        "Substance use > Opioids",
        "HIV > Newly diagnosed",
        "Obesity and weight > Bariatric surgery",
    ):
        assert lineage in second


def test_issue_tags_are_seeded_for_every_demo_programme_once(world: World) -> None:
    for programme in Programme.objects.filter(code__in=list(taxonomy_seed.ISSUE_TAGS)):
        first = taxonomy_seed.seed_issue_tags(programme)
        assert first, programme.code
        taxonomy_seed.seed_issue_tags(programme)
        assert IssueTag.objects.filter(programme=programme).count() == len(first)
    assert set(taxonomy_seed.ISSUE_TAGS) == set(Programme.objects.values_list("code", flat=True)), (
        "every demo programme has issue tags"
    )
    names = set(world.programme_a.issue_tags.values_list("name", flat=True))
    assert "Relapse prevention" in names
    transplant = Programme.objects.get(code="transplant-mentors")
    assert transplant.issue_tags.filter(name="Rejection after transplant").exists()


# Depth, cycles, organisations


def test_a_fourth_level_is_refused(seeded: dict[str, Condition], bridges: Organisation) -> None:
    with pytest.raises(ValidationError) as caught:
        taxonomy.condition_create(
            organisation=bridges,
            parent=seeded[WITH_RECONSTRUCTION],
            name="Implant",
            created_by=None,
        )
    assert "parent" in caught.value.message_dict


def test_moving_a_subtree_below_the_third_level_is_refused(seeded: dict[str, Condition]) -> None:
    # Breast cancer has facets two levels down: under HIV they would sit at level four.
    with pytest.raises(ValidationError) as caught:
        taxonomy.condition_update(
            condition=seeded["Breast cancer"], updated_by=None, parent=seeded["HIV"]
        )
    assert "parent" in caught.value.message_dict
    # Transplant's children are one level down, so it may become a sub-condition.
    moved = taxonomy.condition_update(
        condition=seeded["Transplant"], updated_by=None, parent=seeded["Cystic fibrosis"]
    )
    assert str(moved) == "Cystic fibrosis > Transplant"
    heart = Condition.objects.get(pk=seeded["Transplant > Heart"].pk)
    assert heart.depth == 3


@pytest.mark.parametrize(
    "target", ["Breast cancer", "Breast cancer > Mastectomy", WITH_RECONSTRUCTION]
)
def test_a_condition_cannot_move_under_itself_or_its_descendants(
    seeded: dict[str, Condition], target: str
) -> None:
    breast = seeded["Breast cancer"]
    with pytest.raises(ValidationError) as caught:
        taxonomy.condition_update(condition=breast, updated_by=None, parent=seeded[target])
    assert "parent" in caught.value.message_dict
    breast.refresh_from_db()
    assert breast.parent_id is None


def test_a_parent_from_another_organisation_is_refused(
    seeded: dict[str, Condition], bridges: Organisation, elsewhere: Organisation
) -> None:
    foreign = Condition.objects.create(organisation=elsewhere, name="Breast cancer")
    with pytest.raises(ValidationError) as caught:
        taxonomy.condition_create(
            organisation=bridges, parent=foreign, name="Mastectomy", created_by=None
        )
    assert "parent" in caught.value.message_dict
    with pytest.raises(ValidationError):
        taxonomy.condition_update(condition=seeded["HIV"], updated_by=None, parent=foreign)


def test_an_admin_cannot_reach_another_organisations_taxonomy(
    elsewhere: Organisation, bridges: Organisation
) -> None:
    foreign = Condition.objects.create(organisation=elsewhere, name="Secret")
    client = client_for("admin")
    assert client.get(f"/organisations/{elsewhere.pk}/conditions/").status_code == 404
    assert client.get(f"/conditions/{foreign.pk}/edit/").status_code == 404
    patch = client.patch(
        f"/api/v1/conditions/{foreign.pk}",
        data=json.dumps({"name": "Mine"}),
        content_type="application/json",
    )
    assert patch.status_code == 404
    created = client.post(
        f"/api/v1/organisations/{bridges.pk}/conditions",
        data=json.dumps({"name": "Under a stranger", "parent_id": foreign.pk}),
        content_type="application/json",
    )
    assert created.status_code == 422
    assert set(created.json()["error"]["fields"]) == {"parent_id"}


def test_sibling_names_are_unique_ignoring_case(
    seeded: dict[str, Condition], bridges: Organisation
) -> None:
    with pytest.raises(ValidationError) as caught:
        taxonomy.condition_create(
            organisation=bridges, parent=None, name="breast  CANCER", created_by=None
        )
    assert "name" in caught.value.message_dict
    # The same name under another parent is fine.
    taxonomy.condition_create(
        organisation=bridges, parent=seeded["Transplant"], name="Mastectomy", created_by=None
    )


# Retire, never delete


def test_retiring_keeps_the_rows_and_retires_everything_under_them(
    seeded: dict[str, Condition], bridges: Organisation
) -> None:
    count = Condition.objects.count()
    admin = _user("admin")
    taxonomy.condition_retire(condition=seeded["Breast cancer"], retired_by=admin)
    assert Condition.objects.count() == count
    retired = Condition.objects.filter(
        pk__in=[seeded[k].pk for k in seeded if k.startswith("Breast cancer")]
    )
    assert retired.count() == 5 and not retired.filter(is_active=True).exists()
    assert (
        AuditEvent.objects.filter(
            actor=admin, action=AuditEvent.Action.UPDATE, object_type="people.condition"
        ).count()
        == 5
    )
    in_use = taxonomy.flatten(taxonomy.taxonomy_tree(organisation=bridges, include_retired=False))
    assert not any(node.lineage.startswith("Breast cancer") for node in in_use)


def test_restoring_needs_the_parent_in_use(seeded: dict[str, Condition]) -> None:
    taxonomy.condition_retire(condition=seeded["Breast cancer"], retired_by=None)
    mastectomy = Condition.objects.get(pk=seeded["Breast cancer > Mastectomy"].pk)
    with pytest.raises(ValidationError) as caught:
        taxonomy.condition_update(condition=mastectomy, updated_by=None, is_active=True)
    assert "is_active" in caught.value.message_dict
    breast = Condition.objects.get(pk=seeded["Breast cancer"].pk)
    taxonomy.condition_update(condition=breast, updated_by=None, is_active=True)
    taxonomy.condition_update(condition=mastectomy, updated_by=None, is_active=True)
    assert Condition.objects.get(pk=mastectomy.pk).is_active


def test_issue_tags_are_retired_not_deleted_and_unique_per_programme(world: World) -> None:
    name = "Transport to meetings"
    tag = taxonomy.issue_tag_create(programme=world.programme_a, name=name, created_by=None)
    with pytest.raises(ValidationError):
        taxonomy.issue_tag_create(programme=world.programme_a, name=name.upper(), created_by=None)
    taxonomy.issue_tag_create(programme=world.programme_b, name=name, created_by=None)
    count = IssueTag.objects.count()
    taxonomy.issue_tag_retire(issue_tag=tag, retired_by=None)
    tag.refresh_from_db()
    assert not tag.is_active and IssueTag.objects.count() == count
    assert tag not in taxonomy.issue_tags_for(programme=world.programme_a, include_retired=False)
    assert tag in taxonomy.issue_tags_for(programme=world.programme_a)


# Pages


def test_the_admin_adds_renames_and_retires_conditions_on_the_tree_page(
    seeded: dict[str, Condition], bridges: Organisation
) -> None:
    client = client_for("admin")
    url = f"/organisations/{bridges.pk}/conditions/"
    page = client.get(url)
    assert page.status_code == 200
    assert b"With reconstruction" in page.content and b"Retire" in page.content
    added = client.post(url, {"name": "Implant", "parent": seeded["Breast cancer > Mastectomy"].pk})
    assert added.status_code == 302
    implant = Condition.objects.get(organisation=bridges, name="Implant")
    assert str(implant) == "Breast cancer > Mastectomy > Implant"
    edit_url = f"/conditions/{implant.pk}/edit/"
    parent = implant.parent_id
    assert (
        client.post(
            edit_url, {"name": "Implant reconstruction", "parent": parent, "is_active": "on"}
        ).status_code
        == 302
    )
    assert (
        client.post(edit_url, {"name": "Implant reconstruction", "parent": parent}).status_code
        == 302
    )
    implant.refresh_from_db()
    assert implant.name == "Implant reconstruction" and not implant.is_active


def test_a_fourth_level_through_the_page_is_a_form_error(
    seeded: dict[str, Condition], bridges: Organisation
) -> None:
    response = client_for("admin").post(
        f"/conditions/{seeded['HIV'].pk}/edit/",
        {"name": "HIV", "parent": seeded["Breast cancer > Mastectomy"].pk, "is_active": "on"},
    )
    # HIV's children would sit at level four.
    assert response.status_code == 422
    assert response.context["form"].errors["parent"]


def test_staff_read_the_taxonomy_but_only_admins_change_it(
    seeded: dict[str, Condition], bridges: Organisation
) -> None:
    client = client_for("coordinator")
    page = client.get(f"/organisations/{bridges.pk}/conditions/")
    assert page.status_code == 200
    assert b"With reconstruction" in page.content
    assert b"Retire" not in page.content
    assert client.post(f"/organisations/{bridges.pk}/conditions/", {"name": "X"}).status_code == 403
    assert client.get(f"/conditions/{seeded['HIV'].pk}/edit/").status_code == 403
    with pytest.raises(PermissionDenied):
        taxonomy.access_taxonomy(user=_user("leader"), organisation_id=bridges.pk, edit=True)


def test_the_tree_page_reads_the_taxonomy_in_a_fixed_number_of_queries(
    seeded: dict[str, Condition], bridges: Organisation
) -> None:
    client = client_for("admin")
    url = f"/organisations/{bridges.pk}/conditions/"
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    for n in range(10):
        taxonomy.condition_create(
            organisation=bridges, parent=seeded["Diabetes"], name=f"Kind {n}", created_by=None
        )
    with CaptureQueriesContext(connection) as after:
        assert client.get(url).status_code == 200
    assert len(after) == len(before)


def test_a_coordinator_keeps_the_programme_issue_list(world: World) -> None:
    client = client_for("coordinator")
    url = f"/programmes/{world.programme_a.pk}/issues/"
    assert client.post(url, {"name": "Transport to meetings"}).status_code == 302
    duplicate = client.post(url, {"name": "transport to MEETINGS"})
    assert duplicate.status_code == 422
    assert duplicate.context["form"].errors["name"]
    tag = IssueTag.objects.get(programme=world.programme_a, name="Transport to meetings")
    retire = client.post(f"/issues/{tag.pk}/edit/", {"name": tag.name})
    assert retire.status_code == 302
    tag.refresh_from_db()
    assert not tag.is_active
    page = client.get(url)
    assert b"Transport to meetings" in page.content and b"Retired" in page.content
    # The supervisor reads the list but may not add to it.
    supervisor = client_for("supervisor")
    assert supervisor.get(url).status_code == 200
    assert supervisor.post(url, {"name": "Sleep"}).status_code == 403
    # A peer of another programme does not reach programme A's list.
    assert client_for("peer_other").get(url).status_code == 404


def test_the_issue_list_page_costs_the_same_however_long_the_list(world: World) -> None:
    client = client_for("coordinator")
    url = f"/programmes/{world.programme_a.pk}/issues/"
    taxonomy_seed.seed_issue_tags(world.programme_a)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for n in range(10):
        taxonomy.issue_tag_create(programme=world.programme_a, name=f"Issue {n}", created_by=None)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before)


# API


def _json(client: Any, method: str, url: str, body: dict[str, object]) -> Any:
    send = getattr(client, method)
    return send(url, data=json.dumps(body), content_type="application/json")


def test_the_api_lists_the_taxonomy_parents_first(
    seeded: dict[str, Condition], bridges: Organisation
) -> None:
    response = client_for("peer").get(f"/api/v1/organisations/{bridges.pk}/conditions")
    assert response.status_code == 200
    rows = response.json()
    seen: set[int] = set()
    for row in rows:
        assert row["parent_id"] is None or row["parent_id"] in seen
        seen.add(row["id"])
    facet = next(row for row in rows if row["lineage"] == WITH_RECONSTRUCTION)
    assert facet["depth"] == 3


def test_the_api_creates_moves_and_retires_conditions(
    seeded: dict[str, Condition], bridges: Organisation
) -> None:
    client = client_for("admin")
    created = _json(
        client, "post", f"/api/v1/organisations/{bridges.pk}/conditions", {"name": "Lupus"}
    )
    assert created.status_code == 201
    lupus = created.json()
    assert lupus["depth"] == 1 and lupus["parent_id"] is None
    moved = _json(
        client, "patch", f"/api/v1/conditions/{lupus['id']}", {"parent_id": seeded["HIV"].pk}
    )
    assert moved.json()["lineage"] == "HIV > Lupus"
    top = _json(client, "patch", f"/api/v1/conditions/{lupus['id']}", {"parent_id": None})
    assert top.json()["parent_id"] is None
    retired = _json(client, "patch", f"/api/v1/conditions/{lupus['id']}", {"is_active": False})
    assert retired.json()["is_active"] is False
    listed = client.get(f"/api/v1/organisations/{bridges.pk}/conditions").json()
    assert lupus["id"] not in {row["id"] for row in listed}
    everything = client.get(
        f"/api/v1/organisations/{bridges.pk}/conditions?include_retired=true"
    ).json()
    assert lupus["id"] in {row["id"] for row in everything}
    too_deep = _json(
        client,
        "patch",
        f"/api/v1/conditions/{lupus['id']}",
        {"parent_id": seeded[WITH_RECONSTRUCTION].pk},
    )
    assert too_deep.status_code == 422
    assert "parent_id" in too_deep.json()["error"]["fields"]


def test_the_api_keeps_issue_tags(world: World) -> None:
    client = client_for("leader")
    url = f"/api/v1/programmes/{world.programme_a.pk}/issues"
    created = _json(client, "post", url, {"name": "Transport costs"})
    assert created.status_code == 201
    tag = created.json()
    duplicate = _json(client, "post", url, {"name": "transport COSTS"})
    assert duplicate.status_code == 422
    renamed = _json(client, "patch", f"/api/v1/issues/{tag['id']}", {"name": "Bus fares"})
    assert renamed.json()["name"] == "Bus fares"
    _json(client, "patch", f"/api/v1/issues/{tag['id']}", {"is_active": False})
    assert tag["id"] not in {t["id"] for t in client.get(url).json()}
    assert tag["id"] in {t["id"] for t in client.get(f"{url}?include_retired=true").json()}
