"""API for playbooks and work items: the caller's work queue, completing an item with
its outcome, a programme's playbooks, applying a preset and switching a playbook."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import StrictBool

from peerbridge.api.pagination import Pages
from peerbridge.core.access import acting_user, api_policy
from peerbridge.followups import policies, selectors, services
from peerbridge.followups.models import Action, Playbook, WorkItem
from peerbridge.followups.presets import preset_apply
from peerbridge.followups.wording import rule_sentence
from peerbridge.matching.models import MatchCheckIn
from peerbridge.organisations.selectors import access_programme

router = Router(tags=["follow-ups"])

Id = Annotated[int, Field(ge=1, le=2**53)]


class WorkItemOut(Schema):
    id: int
    programme_id: int
    rule_id: int
    subject: str = Field(..., description="'match:<id>' or 'enrolment:<id>'.")
    occurrence: int
    enrolment_id: int
    match_id: int | None
    action: str
    role: str
    assignee_id: int | None
    title: str
    due_on: date
    overdue_on: date = Field(..., description="The last day in the window; later is overdue.")
    overdue: bool
    attention: bool = Field(
        ..., description="A check-in answer is not comfortable or asks for a change."
    )
    status: str
    outcome: dict[str, Any]
    created_at: datetime
    completed_at: datetime | None


class QueueFilters(Schema):
    status: WorkItem.Status | None = None
    due_before: date | None = None
    programme_id: Id | None = None


class CompleteIn(Schema):
    status: Literal["done", "cancelled"]
    note: str = Field("", max_length=services.NOTE_MAX)
    side: MatchCheckIn.Side = MatchCheckIn.Side.PARTICIPANT
    first_call: StrictBool | None = Field(
        None, description="Check-in items done: whether the first call happened."
    )
    comfortable: StrictBool | None = Field(
        None, description="Check-in items done: whether the match feels comfortable."
    )
    end_match: StrictBool = Field(
        False,
        description="Required with comfortable=false: confirms the match ends as not a fit "
        "and the participant goes back on the waiting list without this peer.",
    )


class RuleOut(Schema):
    id: int
    title: str
    event: str
    offset_days: int
    window_days: int
    repeat_every_days: int | None
    repeat_times: int
    unless: str
    action: str
    role: str
    recipient: str
    message: str
    sentence: str


class PlaybookOut(Schema):
    id: int
    programme_id: int
    name: str
    preset: str
    is_active: bool
    created_at: datetime
    rules: list[RuleOut]


class PresetIn(Schema):
    preset: str = Field(..., min_length=1, max_length=40)


class PlaybookPatch(Schema):
    is_active: StrictBool


def _item_payload(item: WorkItem) -> dict[str, Any]:
    names = WorkItemOut.model_fields.keys() - {"overdue", "attention"}
    return {name: getattr(item, name) for name in names} | {
        "overdue": item.status == WorkItem.Status.OPEN and item.overdue_on < timezone.localdate(),
        "attention": bool(item.outcome.get("attention")),
    }


def _playbook_payload(playbook: Playbook) -> dict[str, Any]:
    rules = [
        {name: getattr(rule, name) for name in RuleOut.model_fields.keys() - {"sentence"}}
        | {"sentence": rule_sentence(rule)}
        for rule in playbook.rules.all()
    ]
    names = PlaybookOut.model_fields.keys() - {"rules"}
    return {name: getattr(playbook, name) for name in names} | {"rules": rules}


class _QueuePage(list):  # type: ignore[type-arg]
    """Audits the people a page of the queue names (only the page sliced)."""

    def __init__(self, rows: Any, request: HttpRequest) -> None:
        super().__init__()
        self.rows = rows
        self.request = request

    def __len__(self) -> int:
        return int(self.rows.count())

    def __getitem__(self, key: Any) -> Any:
        items = list(self.rows[key])
        selectors.audit_item_people(self.request.user, items)
        return [_item_payload(item) for item in items]


@router.get("/work-items", response=list[WorkItemOut])
@api_policy(policies.WORK_QUEUE)
@paginate(Pages)
def list_work_items(request: HttpRequest, filters: Query[QueueFilters]) -> Any:
    """The caller's queue: by default what still needs doing (open items and messages
    that could not be sent), needing attention first, then overdue, then by due date.
    Coordinators, leaders and admins see their programmes' items; supervisors and
    peers the items assigned to them."""
    rows = selectors.work_queue(
        request.user,
        selectors.QueueFilter(
            status=filters.status.value if filters.status else "",
            due_before=filters.due_before,
            programme_id=filters.programme_id,
        ),
    )
    return _QueuePage(rows, request)


@router.get("/work-items/{work_item_id}", response=WorkItemOut)
@api_policy(policies.WORK_QUEUE)
def get_work_item(request: HttpRequest, work_item_id: int) -> dict[str, Any]:
    return _item_payload(selectors.access_work_item(request.user, work_item_id))


@router.post("/work-items/{work_item_id}/complete", response=WorkItemOut)
@api_policy(policies.WORK_QUEUE)
def complete_work_item(
    request: HttpRequest, work_item_id: int, payload: CompleteIn
) -> dict[str, Any]:
    """Close an item as `done` or `cancelled` (no longer needed), with a note. A
    check-in item done needs `first_call` and `comfortable`; `comfortable: false` ends
    the match as not a fit with a re-match, and needs `end_match: true` to confirm.
    Check-in items are for those who run the programme (403 for others)."""
    item = selectors.access_work_item(request.user, work_item_id, change=True)
    outcome = None
    if item.action == Action.CHECK_IN and payload.status == "done":
        missing = {
            name: ["Required for a check-in that is done."]
            for name in ("first_call", "comfortable")
            if getattr(payload, name) is None
        }
        if missing:
            raise ValidationError(missing)
        outcome = services.CheckInOutcome(
            side=payload.side.value,
            first_call=bool(payload.first_call),
            comfortable=bool(payload.comfortable),
            end_match=payload.end_match,
        )
    item = services.work_item_complete(
        item=item,
        status=payload.status,
        note=payload.note,
        actor=acting_user(request),
        check_in=outcome,
    )
    return _item_payload(item)


@router.get("/programmes/{programme_id}/playbooks", response=list[PlaybookOut])
@api_policy(policies.PLAYBOOK_VIEW)
def list_playbooks(request: HttpRequest, programme_id: int) -> list[dict[str, Any]]:
    """The programme's playbooks with their rules, each also in plain words."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.PLAYBOOK_VIEW
    )
    return [_playbook_payload(p) for p in selectors.programme_playbooks(programme)]


@router.post("/programmes/{programme_id}/playbooks", response={200: PlaybookOut, 201: PlaybookOut})
@api_policy(policies.PLAYBOOK_EDIT)
def apply_preset(
    request: HttpRequest, programme_id: int, payload: PresetIn
) -> Status[dict[str, Any]]:
    """Apply a ready-made playbook (`parent_to_parent`, `before_discharge`,
    `crisis_transition`): 201 with the new playbook, or 200 with the one already made
    from this preset."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.PLAYBOOK_EDIT
    )
    existed = Playbook.objects.filter(programme=programme, preset=payload.preset).exists()
    playbook = preset_apply(programme=programme, key=payload.preset, actor=acting_user(request))
    found = Playbook.objects.prefetch_related("rules").get(pk=playbook.pk)
    return Status(200 if existed else 201, _playbook_payload(found))


@router.patch("/playbooks/{playbook_id}", response=PlaybookOut)
@api_policy(policies.PLAYBOOK_EDIT)
def update_playbook(request: HttpRequest, playbook_id: int, payload: PlaybookPatch) -> Any:
    """Switch a playbook on (`is_active: true`) or off."""
    playbook = selectors.access_playbook(
        user=request.user, playbook_id=playbook_id, policy=policies.PLAYBOOK_EDIT
    )
    playbook = services.playbook_set_active(
        playbook=playbook, is_active=payload.is_active, actor=acting_user(request)
    )
    return _playbook_payload(Playbook.objects.prefetch_related("rules").get(pk=playbook.pk))
