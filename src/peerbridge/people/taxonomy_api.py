"""API for the condition taxonomy, programmes' issue tags and people's lived experience.

The taxonomy and issue lists are short and read whole (the taxonomy in tree order,
parents before children), so they are not paginated."""

from datetime import date, datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from peerbridge.core.access import acting_user, api_policy
from peerbridge.organisations.models import Organisation, Programme
from peerbridge.organisations.selectors import access_programme
from peerbridge.people import policies, taxonomy
from peerbridge.people.models import Condition, IssueTag, LivedExperience

router = Router(tags=["taxonomy"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Ids = Annotated[list[Id], Field(max_length=100)]


class ConditionOut(Schema):
    id: int
    organisation_id: int
    parent_id: int | None
    name: str
    depth: int
    lineage: str
    is_active: bool


class ConditionIn(Schema):
    name: str = Field(..., min_length=1, max_length=taxonomy.NAME_MAX)
    parent_id: Id | None = None


class ConditionPatch(Schema):
    """Send only what changes. parent_id null makes it a top-level condition;
    is_active false retires it and everything under it."""

    name: str | None = Field(None, min_length=1, max_length=taxonomy.NAME_MAX)
    parent_id: Id | None = None
    is_active: bool | None = None


class IssueTagOut(Schema):
    id: int
    programme_id: int
    name: str
    is_active: bool


class IssueTagIn(Schema):
    name: str = Field(..., min_length=1, max_length=taxonomy.NAME_MAX)


class IssueTagPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=taxonomy.NAME_MAX)
    is_active: bool | None = None


class ExperienceOut(Schema):
    id: int
    person_id: int
    programme_id: int
    perspective: LivedExperience.Perspective
    relationship: LivedExperience.Relationship
    condition_id: int | None
    condition: str | None
    facet_ids: list[int]
    issue_ids: list[int]
    since: date | None
    since_kind: str
    story: str
    updated_at: datetime

    @staticmethod
    def resolve_condition(obj: LivedExperience) -> str | None:
        return None if obj.condition is None else str(obj.condition)

    @staticmethod
    def resolve_facet_ids(obj: LivedExperience) -> list[int]:
        return sorted(facet.pk for facet in obj.facets.all())

    @staticmethod
    def resolve_issue_ids(obj: LivedExperience) -> list[int]:
        return sorted(issue.pk for issue in obj.issues.all())


class ExperienceIn(Schema):
    """The whole record for one programme and perspective: it replaces what was there."""

    programme_id: Id
    perspective: LivedExperience.Perspective
    relationship: LivedExperience.Relationship = LivedExperience.Relationship.SELF
    condition_id: Id | None = None
    facet_ids: Ids = []
    issue_ids: Ids = []
    since: date | None = None
    since_kind: LivedExperience.SinceKind | None = None
    story: str = Field("", max_length=taxonomy.STORY_MAX)


def _renamed(error: ValidationError, names: dict[str, str]) -> ValidationError:
    """A service's field errors under the API's field names (parent -> parent_id)."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {names.get(field, field): messages for field, messages in error.message_dict.items()}
    )


def _condition_out(condition: Condition) -> dict[str, object]:
    names = [node.name for node in condition.lineage()]
    return {
        "id": condition.pk,
        "organisation_id": condition.organisation_id,
        "parent_id": condition.parent_id,
        "name": condition.name,
        "depth": len(names),
        "lineage": taxonomy.LINEAGE_SEPARATOR.join(names),
        "is_active": condition.is_active,
    }


def _node_out(node: taxonomy.ConditionNode) -> dict[str, object]:
    return {
        "id": node.condition.pk,
        "organisation_id": node.condition.organisation_id,
        "parent_id": node.condition.parent_id,
        "name": node.condition.name,
        "depth": node.depth,
        "lineage": node.lineage,
        "is_active": node.condition.is_active,
    }


def _parent(organisation: Organisation, parent_id: int | None) -> Condition | None:
    if parent_id is None:
        return None
    parent = Condition.objects.filter(organisation=organisation, pk=parent_id).first()
    if parent is None:
        raise ValidationError({"parent_id": _("Choose a condition of this organisation.")})
    return parent


@router.get("/organisations/{organisation_id}/conditions", response=list[ConditionOut])
@api_policy(policies.TAXONOMY_VIEW)
def list_conditions(
    request: HttpRequest, organisation_id: int, include_retired: bool = False
) -> list[dict[str, object]]:
    organisation = taxonomy.access_taxonomy(user=request.user, organisation_id=organisation_id)
    tree = taxonomy.taxonomy_tree(organisation=organisation, include_retired=include_retired)
    return [_node_out(node) for node in taxonomy.flatten(tree)]


@router.post("/organisations/{organisation_id}/conditions", response={201: ConditionOut})
@api_policy(policies.TAXONOMY_EDIT)
def create_condition(
    request: HttpRequest, organisation_id: int, payload: ConditionIn
) -> Status[dict[str, object]]:
    organisation = taxonomy.access_taxonomy(
        user=request.user, organisation_id=organisation_id, edit=True
    )
    try:
        condition = taxonomy.condition_create(
            organisation=organisation,
            parent=_parent(organisation, payload.parent_id),
            name=payload.name,
            created_by=acting_user(request),
        )
    except ValidationError as error:
        raise _renamed(error, {"parent": "parent_id"}) from None
    return Status(201, _condition_out(condition))


@router.patch("/conditions/{condition_id}", response=ConditionOut)
@api_policy(policies.TAXONOMY_EDIT)
def update_condition(
    request: HttpRequest, condition_id: int, payload: ConditionPatch
) -> dict[str, object]:
    condition = taxonomy.access_condition(user=request.user, condition_id=condition_id, edit=True)
    sent = payload.model_dump(exclude_unset=True)
    try:
        taxonomy.condition_update(
            condition=condition,
            updated_by=acting_user(request),
            name=payload.name,
            parent=(
                _parent(condition.organisation, payload.parent_id)
                if "parent_id" in sent
                else taxonomy.UNCHANGED
            ),
            is_active=payload.is_active,
        )
    except ValidationError as error:
        raise _renamed(error, {"parent": "parent_id"}) from None
    return _condition_out(condition)


@router.get("/programmes/{programme_id}/issues", response=list[IssueTagOut])
@api_policy(policies.TAXONOMY_VIEW)
def list_issue_tags(
    request: HttpRequest, programme_id: int, include_retired: bool = False
) -> list[IssueTag]:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.TAXONOMY_VIEW
    )
    return taxonomy.issue_tags_for(programme=programme, include_retired=include_retired)


@router.post("/programmes/{programme_id}/issues", response={201: IssueTagOut})
@api_policy(policies.ISSUE_TAGS_EDIT)
def create_issue_tag(
    request: HttpRequest, programme_id: int, payload: IssueTagIn
) -> Status[IssueTag]:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.ISSUE_TAGS_EDIT
    )
    issue_tag = taxonomy.issue_tag_create(
        programme=programme, name=payload.name, created_by=acting_user(request)
    )
    return Status(201, issue_tag)


@router.patch("/issues/{issue_id}", response=IssueTagOut)
@api_policy(policies.ISSUE_TAGS_EDIT)
def update_issue_tag(request: HttpRequest, issue_id: int, payload: IssueTagPatch) -> IssueTag:
    issue_tag = taxonomy.access_issue_tag(user=request.user, issue_id=issue_id, edit=True)
    return taxonomy.issue_tag_update(
        issue_tag=issue_tag,
        updated_by=acting_user(request),
        name=payload.name,
        is_active=payload.is_active,
    )


@router.get("/people/{person_id}/experiences", response=list[ExperienceOut])
@api_policy(policies.PERSON_VIEW)
def list_experiences(request: HttpRequest, person_id: int) -> list[LivedExperience]:
    _person, experiences = taxonomy.experiences_for(user=request.user, person_id=person_id)
    return experiences


def _experience_choices(
    programme: Programme, payload: ExperienceIn
) -> tuple[Condition | None, list[Condition], list[IssueTag]]:
    """The chosen ids as rows, looked up only inside the programme's organisation, so an
    id elsewhere reads exactly like an unknown one. The service checks the rest (issues
    of this programme, details under the condition) and reports every field at once."""
    wanted = set(payload.facet_ids)
    if payload.condition_id is not None:
        wanted.add(payload.condition_id)
    conditions = (
        Condition.objects.select_related("parent__parent")
        .filter(organisation_id=programme.site.organisation_id)
        .in_bulk(sorted(wanted))
    )
    tags = IssueTag.objects.filter(
        programme__site__organisation_id=programme.site.organisation_id
    ).in_bulk(sorted(set(payload.issue_ids)))
    errors: dict[str, str] = {}
    if payload.condition_id is not None and payload.condition_id not in conditions:
        errors["condition_id"] = _("Choose a condition of this organisation.")
    if any(pk not in conditions for pk in payload.facet_ids):
        errors["facet_ids"] = _("Choose details from this organisation's conditions.")
    if any(pk not in tags for pk in payload.issue_ids):
        errors["issue_ids"] = _("Choose issues of this programme.")
    if errors:
        raise ValidationError(errors)
    condition = None if payload.condition_id is None else conditions[payload.condition_id]
    facets = [conditions[pk] for pk in sorted(set(payload.facet_ids))]
    return condition, facets, [tags[pk] for pk in sorted(tags)]


@router.put("/people/{person_id}/experiences", response=ExperienceOut)
@api_policy(policies.PERSON_EDIT)
def save_experience(request: HttpRequest, person_id: int, payload: ExperienceIn) -> LivedExperience:
    person, programme, _experience = taxonomy.access_experience(
        user=request.user,
        person_id=person_id,
        programme_id=payload.programme_id,
        perspective=payload.perspective.value,
    )
    condition, facets, issues = _experience_choices(programme, payload)
    try:
        return taxonomy.lived_experience_save(
            person=person,
            programme=programme,
            perspective=payload.perspective.value,
            relationship=payload.relationship.value,
            condition=condition,
            facets=facets,
            issues=issues,
            since=payload.since,
            since_kind=payload.since_kind.value if payload.since_kind else "",
            story=payload.story,
            saved_by=acting_user(request),
        )
    except ValidationError as error:
        names = {"condition": "condition_id", "facets": "facet_ids", "issues": "issue_ids"}
        raise _renamed(error, names) from None
