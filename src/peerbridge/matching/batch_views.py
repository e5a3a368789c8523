"""Pages for batch runs: a programme's runs and starting one, reviewing a run (its lines,
the reasons, the figures), changing or dropping a line, publishing and discarding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.matching import batch_runs, configuration, policies
from peerbridge.matching.batch_forms import BatchRunForm, ProposalForm
from peerbridge.matching.models import BatchProposal, BatchRun
from peerbridge.organisations.selectors import access_programme
from peerbridge.workforce.models import PeerProfile

RUNS_SHOWN = 50


@view_policy(policies.MATCH_MAKE)
@require_http_methods(["GET", "POST"])
def runs(request: HttpRequest, programme_id: int) -> HttpResponse:
    """The programme's batch runs, newest first, and the form to start one."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.MATCH_MAKE
    )
    rules = configuration.match_settings(programme)
    form = BatchRunForm.for_settings(rules, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            run = batch_runs.batch_run_create(
                programme=programme,
                actor=acting_user(request),
                favour_longest_waiting=form.cleaned_data["favour_longest_waiting"],
                candidates_per_participant=form.cleaned_data["candidates_per_participant"],
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            return redirect("matching:batch_run", run_id=run.pk)
    return render(
        request,
        "matching/batch_runs.html",
        {
            "programme": programme,
            "form": form,
            "runs": list(batch_runs.programme_runs(programme)[:RUNS_SHOWN]),
            "waiting": batch_runs.waiting_list(programme).count(),
        },
        status=422 if form.is_bound else 200,
    )


@dataclass(frozen=True)
class ReviewRow:
    proposal: BatchProposal
    failure: dict[str, Any] | None


@view_policy(policies.MATCH_MAKE)
@require_safe
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    """Review a run: who would be matched with whom and why, the figures, and what
    happened when it was published."""
    run = batch_runs.access_batch_run(user=request.user, run_id=run_id)
    proposals = batch_runs.run_proposals(run)
    batch_runs.audit_proposal_reads(user=request.user, proposals=proposals)
    published = run.stats.get("published") or {}
    failures = {row["proposal"]: row for row in published.get("failures", [])}
    return render(
        request,
        "matching/batch_run.html",
        {
            "run": run,
            "programme": run.programme,
            "rows": [ReviewRow(p, failures.get(p.pk)) for p in proposals],
            "stats": run.stats,
            "groups": [
                (_("By language"), run.stats.get("by_language", [])),
                (_("By priority"), run.stats.get("by_priority", [])),
            ],
            "published": published,
            "failure_count": len(failures),
            "is_draft": run.status == BatchRun.Status.DRAFT,
        },
    )


def _line_profile(proposal: BatchProposal, profile_id: int | None) -> PeerProfile | None:
    if profile_id is None:
        return None
    if proposal.profile is not None and proposal.profile.pk == profile_id:
        return proposal.profile
    return batch_runs.run_peer(proposal.run, profile_id)


@view_policy(policies.MATCH_MAKE)
@require_http_methods(["GET", "POST"])
def proposal_edit(request: HttpRequest, run_id: int, proposal_id: int) -> HttpResponse:
    """Change a line's peer (from those who may take a match now) or drop the line."""
    run = batch_runs.access_batch_run(user=request.user, run_id=run_id)
    proposal = batch_runs.access_proposal(run=run, proposal_id=proposal_id)
    batch_runs.audit_proposal_reads(user=request.user, proposals=[proposal])
    rooms = batch_runs.peers_with_room(run)
    if proposal.profile is not None and proposal.profile.pk not in {r.profile.pk for r in rooms}:
        rooms.insert(0, batch_runs.PeerRoom(proposal.profile, 0, 1))
    scores = batch_runs.line_scores(run, proposal) if request.method == "GET" else {}
    rooms.sort(key=lambda room: -scores.get(room.profile.pk, -1.0))
    data = request.POST if request.method == "POST" else None
    form = ProposalForm(
        data,
        rooms=rooms,
        scores=scores,
        initial={"profile": proposal.profile_id, "included": proposal.included},
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch_runs.proposal_update(
                proposal=proposal,
                profile=_line_profile(proposal, form.cleaned_data["profile"]),
                included=form.cleaned_data["included"],
                actor=acting_user(request),
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The line is saved."))
            url = reverse("matching:batch_run", kwargs={"run_id": run.pk})
            return redirect(f"{url}#line-{proposal.pk}")
    return render(
        request,
        "matching/batch_line.html",
        {
            "run": run,
            "proposal": proposal,
            "form": form,
            "is_draft": run.status == BatchRun.Status.DRAFT,
        },
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.MATCH_MAKE)
@require_POST
def publish(request: HttpRequest, run_id: int) -> HttpResponse:
    """Offer every included line's peer their match; lines that fail now are listed."""
    run = batch_runs.access_batch_run(user=request.user, run_id=run_id)
    try:
        result = batch_runs.batch_run_publish(run=run, actor=acting_user(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            ngettext(
                "Published: %(n)d peer was offered a match.",
                "Published: %(n)d peers were offered a match.",
                len(result.matches),
            )
            % {"n": len(result.matches)},
        )
        if result.failures:
            messages.warning(
                request,
                ngettext(
                    "%(n)d line could not be made now; see below why.",
                    "%(n)d lines could not be made now; see below why.",
                    len(result.failures),
                )
                % {"n": len(result.failures)},
            )
    return redirect("matching:batch_run", run_id=run.pk)


@view_policy(policies.MATCH_MAKE)
@require_POST
def discard(request: HttpRequest, run_id: int) -> HttpResponse:
    run = batch_runs.access_batch_run(user=request.user, run_id=run_id)
    try:
        batch_runs.batch_run_discard(run=run, actor=acting_user(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("matching:batch_run", run_id=run.pk)
    messages.success(request, _("The run is discarded; nobody was matched from it."))
    return redirect("matching:batch_runs", programme_id=run.programme_id)
