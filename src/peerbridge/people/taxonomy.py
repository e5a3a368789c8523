"""Lived experience and needs: the organisation's condition taxonomy, each programme's
issue tags, and what a peer has been through or a participant is facing.

Services (writes, audited) come first, then selectors (reads that authorise as they
fetch), then the seed data the demo loads. Nothing here is ever deleted: a condition or
an issue that falls out of use is retired, so the records that name it keep their
meaning.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.organisations.models import Organisation, Programme
from peerbridge.organisations.selectors import (
    AnyUser,
    access_organisation,
    access_programme,
    organisations_in_scope,
    programmes_in_scope,
)
from peerbridge.people import policies
from peerbridge.people.models import Condition, IssueTag, LivedExperience, Person
from peerbridge.people.selectors import access_person

NAME_MAX = 120
STORY_MAX = 10_000
LINEAGE_SEPARATOR = " > "


class _Unchanged(enum.Enum):
    UNCHANGED = "unchanged"


# "Leave the parent as it is": None already means "make it a top-level condition".
UNCHANGED = _Unchanged.UNCHANGED


def _clean_name(name: str) -> str:
    if "\x00" in name:
        raise ValidationError({"name": _("Null characters are not allowed.")})
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationError({"name": _("Give a name.")})
    if len(cleaned) > NAME_MAX:
        raise ValidationError(
            {"name": _("Keep the name to %(max)d characters.") % {"max": NAME_MAX}}
        )
    return cleaned


# ---------------------------------------------------------------------------------------
# The condition taxonomy


def _parent_map(organisation_id: int) -> dict[int, int | None]:
    """Every condition of the organisation and its parent, in one query."""
    rows = Condition.objects.filter(organisation_id=organisation_id).values_list("pk", "parent_id")
    return dict(rows)


def _ancestor_ids(pk: int, parents: dict[int, int | None]) -> list[int]:
    found: list[int] = []
    node = parents.get(pk)
    while node is not None and node not in found:
        found.append(node)
        node = parents.get(node)
    return found


def _descendant_ids(pk: int, parents: dict[int, int | None]) -> dict[int, int]:
    """Descendants of a condition and how many levels below it each sits."""
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    found: dict[int, int] = {}
    frontier = [(child, 1) for child in children.get(pk, [])]
    while frontier:
        node, level = frontier.pop()
        if node in found:
            continue
        found[node] = level
        frontier.extend((child, level + 1) for child in children.get(node, []))
    return found


def _refuse_duplicate_sibling(condition: Condition) -> None:
    # The unique constraint cannot catch top-level duplicates (NULL parents differ in
    # SQL), and names differing only in case would confuse the picker anyway.
    siblings = Condition.objects.filter(
        organisation_id=condition.organisation_id,
        parent_id=condition.parent_id,
        name__iexact=condition.name,
    ).exclude(pk=condition.pk)
    if siblings.exists():
        raise ValidationError({"name": _("There is already a condition with this name here.")})


def _check_parent(condition: Condition, parents: dict[int, int | None]) -> None:
    """Refuse a parent that would make a cycle or push the subtree past three levels."""
    parent = condition.parent
    if parent is None:
        return
    if parent.organisation_id != condition.organisation_id:
        raise ValidationError({"parent": _("Choose a condition of this organisation.")})
    below = _descendant_ids(condition.pk, parents) if condition.pk else {}
    if parent.pk == condition.pk or parent.pk in below:
        raise ValidationError({"parent": _("A condition cannot sit under itself.")})
    if not parent.is_active:
        raise ValidationError({"parent": _("That condition is retired: choose one in use.")})
    parent_depth = len(_ancestor_ids(parent.pk, parents)) + 1
    deepest = parent_depth + 1 + max(below.values(), default=0)
    if deepest > Condition.MAX_DEPTH:
        raise ValidationError(
            {"parent": _("Facets are the finest level: this would go deeper than three levels.")}
        )


def _parent_in_use(condition: Condition) -> bool:
    # Read afresh: the parent object on hand may predate its own restoring.
    if condition.parent_id is None:
        return True
    return Condition.objects.filter(pk=condition.parent_id, is_active=True).exists()


@transaction.atomic
def condition_create(
    *, organisation: Organisation, parent: Condition | None, name: str, created_by: User | None
) -> Condition:
    condition = Condition(organisation=organisation, parent=parent, name=_clean_name(name))
    _check_parent(condition, _parent_map(organisation.pk))
    _refuse_duplicate_sibling(condition)
    condition.full_clean()
    condition.save()
    audit_instance(actor=created_by, action=Action.CREATE, instance=condition)
    return condition


@transaction.atomic
def condition_update(
    *,
    condition: Condition,
    updated_by: User | None,
    name: str | None = None,
    parent: Condition | None | _Unchanged = UNCHANGED,
    is_active: bool | None = None,
) -> Condition:
    """Rename, move (parent=None makes it top level) or retire/restore a condition.
    Retiring retires everything under it too; restoring needs a parent in use."""
    parents = _parent_map(condition.organisation_id)
    if name is not None:
        condition.name = _clean_name(name)
    if parent is not UNCHANGED:
        condition.parent = parent
        _check_parent(condition, parents)
    retiring = is_active is False and condition.is_active
    if is_active is not None:
        if is_active and not _parent_in_use(condition):
            raise ValidationError({"is_active": _("Restore the condition above it first.")})
        condition.is_active = is_active
    _refuse_duplicate_sibling(condition)
    condition.full_clean()
    condition.save()
    audit_instance(actor=updated_by, action=Action.UPDATE, instance=condition)
    if retiring:
        below = Condition.objects.filter(
            pk__in=list(_descendant_ids(condition.pk, parents)), is_active=True
        )
        for descendant in below:
            descendant.is_active = False
            descendant.save(update_fields=["is_active"])
            audit_instance(actor=updated_by, action=Action.UPDATE, instance=descendant)
    return condition


def condition_retire(*, condition: Condition, retired_by: User | None) -> Condition:
    return condition_update(condition=condition, updated_by=retired_by, is_active=False)


# ---------------------------------------------------------------------------------------
# Issue tags


def _refuse_duplicate_issue(issue_tag: IssueTag) -> None:
    same = IssueTag.objects.filter(
        programme_id=issue_tag.programme_id, name__iexact=issue_tag.name
    ).exclude(pk=issue_tag.pk)
    if same.exists():
        raise ValidationError({"name": _("This programme already has an issue with this name.")})


@transaction.atomic
def issue_tag_create(*, programme: Programme, name: str, created_by: User | None) -> IssueTag:
    issue_tag = IssueTag(programme=programme, name=_clean_name(name))
    _refuse_duplicate_issue(issue_tag)
    issue_tag.full_clean()
    issue_tag.save()
    audit_instance(actor=created_by, action=Action.CREATE, instance=issue_tag)
    return issue_tag


@transaction.atomic
def issue_tag_update(
    *,
    issue_tag: IssueTag,
    updated_by: User | None,
    name: str | None = None,
    is_active: bool | None = None,
) -> IssueTag:
    if name is not None:
        issue_tag.name = _clean_name(name)
    if is_active is not None:
        issue_tag.is_active = is_active
    _refuse_duplicate_issue(issue_tag)
    issue_tag.full_clean()
    issue_tag.save()
    audit_instance(actor=updated_by, action=Action.UPDATE, instance=issue_tag)
    return issue_tag


def issue_tag_retire(*, issue_tag: IssueTag, retired_by: User | None) -> IssueTag:
    return issue_tag_update(issue_tag=issue_tag, updated_by=retired_by, is_active=False)


# ---------------------------------------------------------------------------------------
# Lived experience


def _experience_errors(
    *,
    experience: LivedExperience,
    relationship: str,
    condition: Condition | None,
    facets: list[Condition],
    issues: list[IssueTag],
    kept: tuple[int | None, set[int], set[int]],
) -> dict[str, str]:
    """What is wrong with the choices. A retired condition or issue may stay on a record
    that already names it, but cannot be newly chosen."""
    kept_condition, kept_facets, kept_issues = kept
    organisation_id = experience.programme.site.organisation_id
    errors: dict[str, str] = {}
    if condition is None:
        if relationship != LivedExperience.Relationship.SELF:
            errors["condition"] = _("Give the condition of the person you care for.")
        if facets:
            errors["facets"] = _("Choose the condition first, then its details.")
    elif condition.organisation_id != organisation_id:
        errors["condition"] = _("Choose a condition of this organisation.")
    elif not condition.is_active and condition.pk != kept_condition:
        errors["condition"] = _("That condition is retired: choose one in use.")
    elif facets:
        parents = _parent_map(organisation_id)
        for facet in facets:
            if condition.pk not in _ancestor_ids(facet.pk, parents):
                errors["facets"] = _("Choose details that belong under the chosen condition.")
            elif not facet.is_active and facet.pk not in kept_facets:
                errors["facets"] = _("A chosen detail is retired: choose one in use.")
    for issue in issues:
        if issue.programme_id != experience.programme_id:
            errors["issues"] = _("Choose issues of this programme.")
        elif not issue.is_active and issue.pk not in kept_issues:
            errors["issues"] = _("A chosen issue is retired: choose one in use.")
    return errors


def _when_errors(
    *, perspective: str, since: datetime.date | None, since_kind: str, story: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if perspective not in LivedExperience.Perspective.values:
        errors["perspective"] = _("Choose what the person has been through or is facing.")
    if since_kind and since is None:
        errors["since"] = _("Give the date, or leave both blank.")
    if len(story) > STORY_MAX:
        errors["story"] = _("Keep this to %(max)d characters.") % {"max": STORY_MAX}
    return errors


@transaction.atomic
def lived_experience_save(
    *,
    person: Person,
    programme: Programme,
    perspective: str,
    relationship: str,
    condition: Condition | None,
    facets: Iterable[Condition],
    issues: Iterable[IssueTag],
    since: datetime.date | None,
    since_kind: str,
    story: str,
    saved_by: User | None,
) -> LivedExperience:
    """Create or replace the person's one record for this programme and perspective.
    Caregivers (relationship other than self) record the care recipient's condition."""
    if person.is_erased:
        raise ValidationError(_("This person's record was erased and cannot change."))
    facets, issues = list(facets), list(issues)
    experience = (
        LivedExperience.objects.select_for_update()
        .filter(person=person, programme=programme, perspective=perspective)
        .first()
    )
    created = experience is None
    if experience is None:
        experience = LivedExperience(person=person, programme=programme, perspective=perspective)
    kept = (
        experience.condition_id,
        set() if created else set(experience.facets.values_list("pk", flat=True)),
        set() if created else set(experience.issues.values_list("pk", flat=True)),
    )
    errors = _when_errors(perspective=perspective, since=since, since_kind=since_kind, story=story)
    errors.update(
        _experience_errors(
            experience=experience,
            relationship=relationship,
            condition=condition,
            facets=facets,
            issues=issues,
            kept=kept,
        )
    )
    if errors:
        raise ValidationError(errors)
    experience.relationship = relationship
    experience.condition = condition
    experience.since = since
    experience.since_kind = since_kind
    experience.story = story.strip()
    experience.updated_at = timezone.now()
    experience.full_clean()
    experience.save()
    experience.facets.set(facets)
    experience.issues.set(issues)
    action = Action.CREATE if created else Action.UPDATE
    audit_instance(actor=saved_by, action=action, instance=experience)
    return experience


# ---------------------------------------------------------------------------------------
# Selectors


@dataclass
class ConditionNode:
    """One condition in the tree, with its place: depth 1 condition, 2 sub-condition,
    3 facet."""

    condition: Condition
    depth: int
    lineage: str
    children: list[ConditionNode] = field(default_factory=list)

    @property
    def can_have_children(self) -> bool:
        return self.depth < Condition.MAX_DEPTH

    @property
    def kind(self) -> str:
        return {1: _("condition"), 2: _("sub-condition")}.get(self.depth, _("facet"))

    @property
    def picker_label(self) -> str:
        """An option label that reads well both indented on screen and aloud."""
        return "\u00a0\u00a0\u00a0" * (self.depth - 1) + self.lineage


def taxonomy_tree(
    *, organisation: Organisation, include_retired: bool = True
) -> list[ConditionNode]:
    """The organisation's taxonomy as nested nodes, siblings by name, in one query."""
    by_parent: dict[int | None, list[Condition]] = {}
    for condition in Condition.objects.filter(organisation=organisation).order_by("name", "pk"):
        by_parent.setdefault(condition.parent_id, []).append(condition)

    def grow(parent_id: int | None, depth: int, above: str) -> list[ConditionNode]:
        nodes: list[ConditionNode] = []
        for condition in sorted(by_parent.get(parent_id, []), key=lambda c: c.name.lower()):
            if not include_retired and not condition.is_active:
                continue
            lineage = f"{above}{LINEAGE_SEPARATOR}{condition.name}" if above else condition.name
            node = ConditionNode(condition, depth, lineage)
            node.children = grow(condition.pk, depth + 1, lineage)
            nodes.append(node)
        return nodes

    return grow(None, 1, "")


def flatten(nodes: list[ConditionNode]) -> list[ConditionNode]:
    """Depth first, parents before their children: the order of a picker."""
    flat: list[ConditionNode] = []
    for node in nodes:
        flat.append(node)
        flat.extend(flatten(node.children))
    return flat


def may_edit_taxonomy(*, user: AnyUser, organisation: Organisation) -> bool:
    in_scope = organisations_in_scope(user=user, policy=policies.TAXONOMY_EDIT)
    return in_scope.filter(pk=organisation.pk).exists()


def may_edit_issue_tags(*, user: AnyUser, programme: Programme) -> bool:
    in_scope = programmes_in_scope(user=user, policy=policies.ISSUE_TAGS_EDIT)
    return in_scope.filter(pk=programme.pk).exists()


def access_taxonomy(*, user: AnyUser, organisation_id: object, edit: bool = False) -> Organisation:
    """The organisation whose taxonomy the user may read (404 outside scope), and when
    `edit`, may change (403 for those who may only read it)."""
    organisation = access_organisation(
        user=user, organisation_id=organisation_id, policy=policies.TAXONOMY_VIEW
    )
    if edit and not may_edit_taxonomy(user=user, organisation=organisation):
        raise PermissionDenied
    return organisation


def _pk(value: object) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise Http404 from None


def access_condition(*, user: AnyUser, condition_id: object, edit: bool = False) -> Condition:
    condition = (
        Condition.objects.select_related("parent__parent").filter(pk=_pk(condition_id)).first()
    )
    if condition is None:
        raise Http404
    condition.organisation = access_taxonomy(
        user=user, organisation_id=condition.organisation_id, edit=edit
    )
    return condition


def access_issue_tag(*, user: AnyUser, issue_id: object, edit: bool = False) -> IssueTag:
    issue_tag = IssueTag.objects.filter(pk=_pk(issue_id)).first()
    if issue_tag is None:
        raise Http404
    policy = policies.ISSUE_TAGS_EDIT if edit else policies.TAXONOMY_VIEW
    issue_tag.programme = access_programme(
        user=user, programme_id=issue_tag.programme_id, policy=policy
    )
    return issue_tag


def issue_tags_for(*, programme: Programme, include_retired: bool = True) -> list[IssueTag]:
    tags = IssueTag.objects.filter(programme=programme)
    if not include_retired:
        tags = tags.filter(is_active=True)
    return list(tags.order_by("-is_active", "name", "pk"))


def takes_part(*, person: Person, programme: Programme) -> bool:
    """Enrolled in the programme, or holding a role in it (peer supporters). The
    enrolment relation is read by name, since referrals sits above people."""
    return (
        Person.objects.filter(pk=person.pk)
        .filter(Q(enrolments__programme=programme) | Q(user__role_assignments__programme=programme))
        .exists()
    )


def experiences_for(*, user: AnyUser, person_id: object) -> tuple[Person, list[LivedExperience]]:
    """A person's lived experience in the programmes the user reaches (the read of the
    person is audited by access_person)."""
    person = access_person(user=user, person_id=person_id, policy=policies.PERSON_VIEW)
    programme_ids = programmes_in_scope(user=user, policy=policies.PERSON_VIEW).values("pk")
    experiences = list(
        LivedExperience.objects.filter(person=person, programme_id__in=programme_ids)
        .select_related("programme", "condition__parent__parent")
        .prefetch_related("facets", "issues")
        .order_by("programme__name", "perspective", "pk")
    )
    return person, experiences


def access_experience(
    *, user: AnyUser, person_id: object, programme_id: object, perspective: str
) -> tuple[Person, Programme, LivedExperience | None]:
    """The person and programme whose record for this perspective the user may write,
    and the record if there is one yet. 404 unless the person takes part in the
    programme; 403 for those who may only read the person."""
    if perspective not in LivedExperience.Perspective.values:
        raise Http404
    person = access_person(user=user, person_id=person_id, policy=policies.PERSON_EDIT)
    programme = access_programme(user=user, programme_id=programme_id, policy=policies.PERSON_EDIT)
    if not takes_part(person=person, programme=programme):
        raise Http404
    experience = (
        LivedExperience.objects.filter(person=person, programme=programme, perspective=perspective)
        .prefetch_related("facets", "issues")
        .first()
    )
    return person, programme, experience
