"""Reads of playbooks and work items, scoped: 404 outside the user's reach, 403 in reach
without the right.

Who reaches a work item: those who run its programme (coordinators, leaders, admins)
reach all of the programme's items; anyone else reaches the items assigned to them (a
peer's weekly calls, a supervisor's items) while they still hold a role in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action as AuditAction
from peerbridge.core.audit import audit_many
from peerbridge.followups import policies
from peerbridge.followups.models import Action, Playbook, WorkItem
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.workforce.selectors import as_pk

# Statuses a person still has to act on: open work, and messages that could not go.
ACTIONABLE = (WorkItem.Status.OPEN, WorkItem.Status.FAILED)
ITEM_RELATED = (
    "rule",
    "programme",
    "enrolment__person",
    "match__profile__person",
    "assignee__person",
)


def runner_programmes(user: AnyUser) -> QuerySet[Programme]:
    """The programmes the user runs (coordinator, leader or admin over them)."""
    return programmes_in_scope(user=user, policy=policies.PLAYBOOK_VIEW)


def _scope(user: AnyUser) -> Q | None:
    if not user.is_authenticated:
        return None
    runs = list(runner_programmes(user).values_list("pk", flat=True))
    member = list(
        programmes_in_scope(user=user, policy=policies.WORK_QUEUE).values_list("pk", flat=True)
    )
    scope = Q(assignee_id=user.pk, programme_id__in=member)
    if runs:
        scope |= Q(programme_id__in=runs)
    return scope


def work_items_in_scope(user: AnyUser) -> QuerySet[WorkItem]:
    scope = _scope(user)
    if scope is None:
        return WorkItem.objects.none()
    return WorkItem.objects.filter(scope).select_related(*ITEM_RELATED)


@dataclass(frozen=True)
class QueueFilter:
    status: str = ""  # "" = what still needs doing (open, and messages not sent)
    due_before: date | None = None
    programme_id: int | None = None


def work_queue(user: AnyUser, filters: QueueFilter | None = None) -> QuerySet[WorkItem]:
    """The user's queue: items needing attention first (a check-in answer that is not
    comfortable, a message that could not go), then overdue, then by due date."""
    found = filters or QueueFilter()
    today = timezone.localdate()
    rows = work_items_in_scope(user)
    if found.status:
        rows = rows.filter(status=found.status)
    else:
        rows = rows.filter(status__in=ACTIONABLE)
    if found.due_before is not None:
        rows = rows.filter(due_on__lt=found.due_before)
    if found.programme_id is not None:
        rows = rows.filter(programme_id=found.programme_id)
    return rows.annotate(
        attention_first=Case(
            When(outcome__attention=True, then=Value(0)),
            When(status=WorkItem.Status.FAILED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        overdue_first=Case(
            When(overdue_on__lt=today, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
    ).order_by("attention_first", "overdue_first", "due_on", "id")


def audit_item_people(user: AnyUser, items: list[WorkItem]) -> None:
    """Each item shown names the participant (and the peer): a read of each."""
    people = {item.enrolment.person_id for item in items} | {
        item.match.profile.person_id for item in items if item.match is not None
    }
    audit_many(
        actor=user,
        action=AuditAction.READ,
        object_type="people.person",
        object_ids=sorted(people),
    )


def runs_programme(user: AnyUser, programme_id: int) -> bool:
    return runner_programmes(user).filter(pk=programme_id).exists()


def access_work_item(user: AnyUser, item_id: Any, *, change: bool = False) -> WorkItem:
    """Fetch a work item in the user's reach (404 otherwise). To change a check-in item
    one must run the programme: it records answers and may end the match (403)."""
    pk = as_pk(item_id)
    item = work_items_in_scope(user).filter(pk=pk).first()
    if item is None:
        raise Http404
    if change and item.action == Action.CHECK_IN and not runs_programme(user, item.programme_id):
        raise PermissionDenied
    audit_item_people(user, [item])
    return item


def may_change(user: AnyUser, item: WorkItem) -> bool:
    if item.status not in ACTIONABLE:
        return False
    return item.action != Action.CHECK_IN or runs_programme(user, item.programme_id)


def programme_playbooks(programme: Programme) -> list[Playbook]:
    return list(
        Playbook.objects.filter(programme=programme)
        .prefetch_related("rules")
        .order_by("name", "id")
    )


def access_playbook(*, user: AnyUser, playbook_id: Any, policy: Policy) -> Playbook:
    pk = as_pk(playbook_id)
    playbook = (
        Playbook.objects.filter(pk=pk, programme__in=programmes_in_scope(user=user, policy=policy))
        .select_related("programme")
        .first()
    )
    if playbook is None:
        visible = (
            policy is not policies.PLAYBOOK_VIEW
            and Playbook.objects.filter(pk=pk, programme__in=runner_programmes(user)).exists()
        )
        if visible:
            raise PermissionDenied
        raise Http404
    return playbook
