"""API for batch runs (mounted by matching/api.py): start a run for a programme's waiting
list, list and read runs with their lines, change or drop a line, publish (lines that
cannot be made now come back as `failures`) and discard. The same services as the
pages."""

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from peerbridge.api.pagination import Pages
from peerbridge.core.access import acting_user, api_policy
from peerbridge.matching import batch_runs, policies
from peerbridge.matching.models import BatchProposal, BatchRun
from peerbridge.organisations.selectors import access_programme
from peerbridge.workforce.models import PeerProfile

router = Router()

Id = Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)]
Flag = Annotated[bool, Field(strict=True)]


class RunIn(Schema):
    favour_longest_waiting: Flag | None = Field(
        None, description="Give the longest-waiting priority; the programme's setting if absent."
    )
    candidates_per_participant: (
        Annotated[int, Field(ge=1, le=batch_runs.MAX_CANDIDATES, strict=True)] | None
    ) = Field(
        None, description="Best peers kept per participant; the programme's setting if absent."
    )


class RunOut(Schema):
    id: int
    programme_id: int
    status: str
    favour_longest_waiting: bool
    candidates_per_participant: int
    stats: dict[str, Any] = Field(
        ...,
        description="waiting, matched, matched_share, total_score, min_score, p10_score, "
        "seconds, by_language and by_priority (waiting, matched, share per group), and "
        "after publishing `published` (offers, failures).",
    )
    created_at: datetime
    created_by_id: int | None
    published_at: datetime | None
    published_by_id: int | None


class ProposalOut(Schema):
    id: int
    enrolment_id: int
    participant: str
    profile_id: int | None = Field(..., description="null: the participant stays waiting.")
    peer: str
    score: float | None
    reasons: list[str]
    included: bool
    edited: bool


class RunDetailOut(RunOut):
    proposals: list[ProposalOut]


class ProposalPatch(Schema):
    profile_id: Id | None = Field(
        None, description="Another peer of the programme; null for nobody (stays waiting)."
    )
    included: Flag | None = Field(None, description="false drops the line from publishing.")


class FailureOut(Schema):
    proposal_id: int
    enrolment_id: int
    profile_id: int
    reasons: list[str]


class PublishOut(Schema):
    run: RunOut
    match_ids: list[int]
    failures: list[FailureOut]


def _proposal_payload(line: BatchProposal) -> dict[str, Any]:
    return {
        "id": line.pk,
        "enrolment_id": line.enrolment_id,
        "participant": str(line.enrolment.person),
        "profile_id": line.profile_id,
        "peer": str(line.profile.person) if line.profile is not None else "",
        "score": line.score,
        "reasons": list(line.reasons or []),
        "included": line.included,
        "edited": line.edited,
    }


def _detail(request: HttpRequest, run: BatchRun) -> dict[str, Any]:
    lines = batch_runs.run_proposals(run)
    batch_runs.audit_proposal_reads(user=request.user, proposals=lines)
    return RunOut.model_validate(run).model_dump() | {
        "proposals": [_proposal_payload(line) for line in lines]
    }


@router.post("/programmes/{programme_id}/batch-runs", response={201: RunDetailOut})
@api_policy(policies.MATCH_MAKE)
def create_run(request: HttpRequest, programme_id: int, payload: RunIn) -> Status[dict[str, Any]]:
    """Propose an assignment of the waiting list (participants waiting with no match
    under way). Nothing is matched until the run is published."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.MATCH_MAKE
    )
    run = batch_runs.batch_run_create(
        programme=programme,
        actor=acting_user(request),
        favour_longest_waiting=payload.favour_longest_waiting,
        candidates_per_participant=payload.candidates_per_participant,
    )
    return Status(201, _detail(request, run))


@router.get("/programmes/{programme_id}/batch-runs", response=list[RunOut])
@api_policy(policies.MATCH_MAKE)
@paginate(Pages)
def list_runs(request: HttpRequest, programme_id: int) -> object:
    """The programme's runs, newest first (without their lines)."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.MATCH_MAKE
    )
    return batch_runs.programme_runs(programme)


@router.get("/batch-runs/{run_id}", response=RunDetailOut)
@api_policy(policies.MATCH_MAKE)
def get_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    run = batch_runs.access_batch_run(user=request.user, run_id=run_id)
    return _detail(request, run)


@router.patch("/batch-runs/{run_id}/proposals/{proposal_id}", response=ProposalOut)
@api_policy(policies.MATCH_MAKE)
def update_proposal(
    request: HttpRequest, run_id: int, proposal_id: int, payload: ProposalPatch
) -> dict[str, Any]:
    """Change a draft's line: `profile_id` (null: nobody) and/or `included`. The peer
    must be of the programme, may take a match now, and keep within their room across
    the run's lines."""
    run = batch_runs.access_batch_run(user=request.user, run_id=run_id)
    line = batch_runs.access_proposal(run=run, proposal_id=proposal_id)
    sent = payload.model_dump(exclude_unset=True)
    profile = line.profile
    if "profile_id" in sent:
        profile = _peer(run, sent["profile_id"])
    included = line.included if sent.get("included") is None else bool(sent["included"])
    line = batch_runs.proposal_update(
        proposal=line, profile=profile, included=included, actor=acting_user(request)
    )
    batch_runs.audit_proposal_reads(user=request.user, proposals=[line])
    return _proposal_payload(line)


def _peer(run: BatchRun, profile_id: int | None) -> PeerProfile | None:
    if profile_id is None:
        return None
    found = batch_runs.run_peer(run, profile_id)
    if found is None:
        raise ValidationError({"profile_id": "Choose a peer supporter of this programme."})
    return found


@router.post("/batch-runs/{run_id}/publish", response=PublishOut)
@api_policy(policies.MATCH_MAKE)
def publish_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    """Offer each included line's peer their match. Lines that cannot be made now come
    back in `failures` with the reasons. A run is published once (422 after)."""
    run = batch_runs.access_batch_run(user=request.user, run_id=run_id)
    result = batch_runs.batch_run_publish(run=run, actor=acting_user(request))
    return {
        "run": result.run,
        "match_ids": [match.pk for match in result.matches],
        "failures": [
            {
                "proposal_id": f.proposal_id,
                "enrolment_id": f.enrolment_id,
                "profile_id": f.profile_id,
                "reasons": list(f.reasons),
            }
            for f in result.failures
        ],
    }


@router.post("/batch-runs/{run_id}/discard", response=RunOut)
@api_policy(policies.MATCH_MAKE)
def discard_run(request: HttpRequest, run_id: int) -> BatchRun:
    """Discard a draft: nobody is matched from it."""
    run = batch_runs.access_batch_run(user=request.user, run_id=run_id)
    return batch_runs.batch_run_discard(run=run, actor=acting_user(request))
