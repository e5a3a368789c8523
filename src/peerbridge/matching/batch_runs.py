"""Batch runs: an optimal assignment of a programme's whole waiting list, proposed for
review. The coordinator changes or drops lines and publishes; nothing is matched until
then, and a line that can no longer be made when publishing is reported, never skipped
in silence.

The run reads the same data as the suggestions (`matching.loading`), keeps the best
candidates per participant (`engine.candidate_graph`), and solves the assignment with
the peers' remaining capacity (`matching.batch.solve`: most people matched first, then
the best total score)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.models import User
from peerbridge.matching import batch as solver
from peerbridge.matching import configuration, engine, lifecycle, loading, policies, selectors
from peerbridge.matching.models import LIVE_MATCH_STATUSES, BatchProposal, BatchRun, Match
from peerbridge.organisations import policies as organisation_policies
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.people.models import language_name
from peerbridge.referrals.models import Enrolment
from peerbridge.workforce.eligibility import standing, standings
from peerbridge.workforce.models import PeerProfile
from peerbridge.workforce.selectors import as_pk

MAX_CANDIDATES = 200
PRIORITY_POINTS = 20.0
Draft = BatchRun.Status.DRAFT


# ---------------------------------------------------------------------------------------
# Reads


def runs_in_scope(user: AnyUser) -> QuerySet[BatchRun]:
    programmes = programmes_in_scope(user=user, policy=policies.MATCH_MAKE)
    return BatchRun.objects.filter(programme__in=programmes).select_related(
        "programme", "created_by", "published_by"
    )


def access_batch_run(*, user: AnyUser, run_id: Any) -> BatchRun:
    """A run for those who make matches in its programme: 404 outside the user's reach,
    403 when they see the programme but may not match in it."""
    pk = as_pk(run_id)
    run = runs_in_scope(user).filter(pk=pk).first()
    if run is None:
        visible = programmes_in_scope(user=user, policy=organisation_policies.PROGRAMME_VIEW)
        if BatchRun.objects.filter(pk=pk, programme__in=visible).exists():
            raise PermissionDenied
        raise Http404
    return run


def access_proposal(*, run: BatchRun, proposal_id: Any) -> BatchProposal:
    proposal = (
        BatchProposal.objects.filter(run=run, pk=as_pk(proposal_id))
        .select_related("enrolment__person", "enrolment__programme", "profile__person")
        .first()
    )
    if proposal is None:
        raise Http404
    proposal.run = run
    return proposal


def run_peer(run: BatchRun, profile_id: int) -> PeerProfile | None:
    """A peer of the run's programme, for a line (None when there is no such peer)."""
    return (
        PeerProfile.objects.filter(programme_id=run.programme_id, pk=profile_id)
        .select_related("person", "programme")
        .first()
    )


def waiting_list(programme: Programme) -> QuerySet[Enrolment]:
    """Who a run is for: participants waiting with no match under way (one offered and
    not yet answered is under way)."""
    live = Match.objects.filter(enrolment=OuterRef("pk"), status__in=sorted(LIVE_MATCH_STATUSES))
    return selectors.waiting_enrolments(programme).filter(~Exists(live))


def programme_runs(programme: Programme) -> QuerySet[BatchRun]:
    return BatchRun.objects.filter(programme=programme).select_related("created_by", "published_by")


def run_proposals(run: BatchRun) -> list[BatchProposal]:
    """The run's lines with who they are about, in one query; reading them is a read of
    each person shown (audited by the caller through `audit_proposal_reads`)."""
    rows = list(
        BatchProposal.objects.filter(run=run)
        .select_related("enrolment__person", "profile__person")
        .order_by("-enrolment__priority", "enrolment__waiting_since", "id")
    )
    for row in rows:
        row.run = run
    return rows


def audit_proposal_reads(*, user: AnyUser, proposals: Sequence[BatchProposal]) -> None:
    people = {p.enrolment.person_id for p in proposals}
    people |= {p.profile.person_id for p in proposals if p.profile is not None}
    audit_many(
        actor=user, action=Action.READ, object_type="people.person", object_ids=sorted(people)
    )


@dataclass(frozen=True)
class PeerRoom:
    """A peer the coordinator may give a line to, and the room they have in this run."""

    profile: PeerProfile
    room: int  # matches they can still take, less the run's included lines for them
    given: int  # included lines of the run already proposing them


def peers_with_room(run: BatchRun) -> list[PeerRoom]:
    """Peers of the programme who may take a match now, with their room left in this
    run (a fixed number of queries, whatever the number of peers or lines)."""
    profiles = list(
        PeerProfile.objects.filter(programme_id=run.programme_id, status=PeerProfile.Status.ACTIVE)
        .select_related("person", "programme")
        .order_by("alias", "id")
    )
    found = standings(profiles)
    given = dict(
        BatchProposal.objects.filter(run=run, included=True, profile__isnull=False)
        .values("profile")
        .annotate(n=Count("id"))
        .values_list("profile", "n")
    )
    rooms = []
    for profile in profiles:
        now = found[profile.pk]
        if now.common_blockers:
            continue
        used = given.get(profile.pk, 0)
        rooms.append(PeerRoom(profile, max(0, now.remaining_matches - used), used))
    return rooms


# ---------------------------------------------------------------------------------------
# Creating a run


def _check_options(favour: object, top_k: object) -> None:
    errors: dict[str, str] = {}
    if not isinstance(favour, bool):
        errors["favour_longest_waiting"] = _("Say yes or no.")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_CANDIDATES:
        errors["candidates_per_participant"] = _(
            "Keep from 1 to %(max)d candidates per participant."
        ) % {"max": MAX_CANDIDATES}
    if errors:
        raise ValidationError(errors)


@dataclass
class _Instance:
    """Everything the solver and the explanations need, loaded once."""

    enrolments: list[Enrolment]
    seekers: list[engine.SeekerRecord]
    pool: loading.PeerPool
    table: engine.PeerTable
    labels: engine.Labels
    profiles: dict[int, PeerProfile]
    policy: engine.Policy
    text: NDArray[np.float64] | None

    def text_row(self, index: int) -> NDArray[np.float64] | None:
        return None if self.text is None else self.text[index]

    def capacities(self) -> NDArray[np.int64]:
        """Matches each peer row can still take (none for a peer who may not now)."""
        return np.array(
            [record.remaining if record.eligible else 0 for record in self.pool.records],
            dtype=np.int64,
        )


def _load(programme: Programme, enrolments: list[Enrolment]) -> _Instance:
    seekers = loading.seeker_records(enrolments)
    policy = loading.programme_policy(programme)
    # As for suggestions: peers' stories are read (and decrypted) only when free text
    # counts and a participant wrote something for it to be compared with.
    with_text = float(policy.weights.get("text", 0) or 0) > 0 and any(
        seeker.text.strip() for seeker in seekers
    )
    pool = loading.peer_pool(programme, stories=with_text)
    text = None
    if with_text and pool.records:
        text = np.asarray(loading.text_scores(seekers, pool), dtype=np.float64)
    return _Instance(
        enrolments=enrolments,
        seekers=seekers,
        pool=pool,
        table=pool.table(),
        labels=loading.seeker_labels(pool.labels, seekers),
        profiles={profile.pk: profile for profile in pool.profiles},
        policy=policy,
        text=text,
    )


def _reason_texts(reasons: Sequence[engine.Reason]) -> list[str]:
    translate: Callable[[str], str] = _
    return [reason.text(translate) for reason in reasons]


def _explain(
    instance: _Instance, indexes: Sequence[int], peer_ids: Sequence[int]
) -> list[tuple[float | None, list[str]]]:
    """The engine's score and plain-words reasons for each participant (by index) and
    peer, as the participant's suggestions give them, scoring that peer only. A peer the
    rules refuse (a coordinator's choice) gets the rules it fails instead."""
    rows = [instance.table.row_of.get(peer_id) for peer_id in peer_ids]
    text = None
    if instance.text is not None:
        text = [
            0.0 if row is None else float(instance.text[index, row])
            for index, row in zip(indexes, rows, strict=True)
        ]
    pairs = engine.score_pairs(
        [instance.seekers[index] for index in indexes],
        instance.table,
        instance.policy,
        peer_ids,
        labels=instance.labels,
        text_scores=text,
    )
    explained: list[tuple[float | None, list[str]]] = []
    for pair in pairs:
        if not pair.feasible:
            explained.append(
                (None, [_("Chosen by the coordinator."), *_reason_texts(pair.reasons)])
            )
            continue
        lead = [] if pair.fallback is None else _reason_texts([pair.fallback])
        explained.append((pair.score, lead + _reason_texts(pair.reasons)))
    return explained


def _language_of(seeker: engine.SeekerRecord) -> str:
    return seeker.language or (seeker.languages[0] if seeker.languages else "")


def _masks(prefix: str, keys: Sequence[str]) -> dict[str, NDArray[np.bool_]]:
    """Who is in each group ("language:es"), as the solver's summary takes them."""
    return {
        f"{prefix}:{key}": np.array([k == key for k in keys], dtype=np.bool_) for key in set(keys)
    }


def _group_rows(
    masks: dict[str, NDArray[np.bool_]],
    matched: NDArray[np.bool_],
    summary: dict[str, float],
    label: Callable[[str], str],
) -> list[dict[str, Any]]:
    rows = []
    for name, members in sorted(masks.items()):
        key = name.partition(":")[2]
        rows.append(
            {
                "group": key,
                "label": label(key),
                "waiting": int(members.sum()),
                "matched": int((members & matched).sum()),
                "share": _rounded(summary[f"matched_share_{name}"], 4),
            }
        )
    return rows


def _language_label(labels: engine.Labels) -> Callable[[str], str]:
    def label(code: str) -> str:
        if not code:
            return _("Not recorded")
        return labels.languages.get(code) or language_name(code)

    return label


def _stats(
    instance: _Instance,
    assignment: solver.Assignment,
    graph: engine.CandidateGraph,
    capacities: NDArray[np.int64],
) -> dict[str, Any]:
    """The figures every run reports: how many are matched, the score, who is served
    (matched share per language and per priority) and the worst-off matched scores."""
    matched = np.asarray(assignment.peer_of_seeker) != solver.UNMATCHED
    languages = _masks("language", [_language_of(seeker) for seeker in instance.seekers])
    priorities = _masks("priority", [str(e.priority) for e in instance.enrolments])
    summary = solver.summarise(assignment, languages | priorities)
    priority_label = {str(value): str(label) for value, label in Enrolment.Priority.choices}
    return {
        "waiting": len(instance.seekers),
        "matched": int(assignment.matched),
        "matched_share": _rounded(summary["matched_share"], 4),
        "total_score": round(float(assignment.total), 2),
        "min_score": _rounded(summary["score_min"]),
        "p10_score": _rounded(summary["score_p10"]),
        "peers": len(instance.table),
        "peers_with_room": int((capacities > 0).sum()),
        "capacity": int(capacities.sum()),
        "candidates": int(len(graph.score)),
        "by_language": _group_rows(languages, matched, summary, _language_label(instance.labels)),
        "by_priority": _group_rows(
            priorities, matched, summary, lambda key: priority_label.get(key, key)
        ),
    }


def _rounded(value: float, digits: int = 2) -> float | None:
    """JSON has no NaN: an empty figure is stored as null."""
    number = float(value)
    return None if np.isnan(number) else round(number, digits)


def _waiting_priority(seekers: Sequence[engine.SeekerRecord]) -> NDArray[np.float64]:
    """Waiting days scaled to 0..PRIORITY_POINTS score points: among the assignments that
    match the most people, those waiting longest are preferred, without letting a long
    wait outweigh a much better fit."""
    days = np.array([max(0.0, seeker.waiting_days) for seeker in seekers], dtype=np.float64)
    longest = float(days.max()) if days.size else 0.0
    if longest <= 0:
        return np.zeros_like(days)
    return days / longest * PRIORITY_POINTS


def batch_run_create(
    *,
    programme: Programme,
    actor: User,
    favour_longest_waiting: bool | None = None,
    candidates_per_participant: int | None = None,
) -> BatchRun:
    """Propose an assignment of the programme's waiting list (participants waiting with
    no live match) and store it as a draft: one line per participant, a peer or none."""
    started = time.perf_counter()
    rules = configuration.match_settings(programme)
    favour = (
        rules.favour_longest_waiting if favour_longest_waiting is None else favour_longest_waiting
    )
    top_k = (
        rules.candidates_per_participant
        if candidates_per_participant is None
        else candidates_per_participant
    )
    _check_options(favour, top_k)
    enrolments = list(waiting_list(programme))
    if not enrolments:
        raise ValidationError(_("Nobody is waiting for a match in this programme."))
    instance = _load(programme, enrolments)
    graph = engine.candidate_graph(
        instance.seekers, instance.table, instance.policy, top_k=top_k, text_scores=instance.text
    )
    capacities = instance.capacities()
    priority = _waiting_priority(instance.seekers) if favour else None
    assignment = solver.solve(graph, capacities, priority=priority)
    lines = _proposals(instance, assignment)
    stats = _stats(instance, assignment, graph, capacities)
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return _store(programme, actor, favour, top_k, stats, lines)


def _proposals(instance: _Instance, assignment: solver.Assignment) -> list[BatchProposal]:
    peer_rows = np.asarray(assignment.peer_of_seeker)
    matched = np.flatnonzero(peer_rows >= 0).tolist()
    peer_ids = instance.table.ids[peer_rows[matched]].tolist()
    reasons_of = {
        index: reasons
        for index, (_score, reasons) in zip(
            matched, _explain(instance, matched, peer_ids), strict=True
        )
    }
    lines = []
    for index, enrolment in enumerate(instance.enrolments):
        if index not in reasons_of:
            lines.append(BatchProposal(enrolment=enrolment, profile=None, score=None, reasons=[]))
            continue
        peer_id = int(instance.table.ids[peer_rows[index]])
        lines.append(
            BatchProposal(
                enrolment=enrolment,
                profile=instance.profiles[peer_id],
                score=round(float(assignment.score_of_seeker[index]), 2),
                reasons=reasons_of[index],
            )
        )
    return lines


@transaction.atomic
def _store(
    programme: Programme,
    actor: User,
    favour: bool,
    top_k: int,
    stats: dict[str, Any],
    lines: list[BatchProposal],
) -> BatchRun:
    run = BatchRun.objects.create(
        programme=programme,
        favour_longest_waiting=favour,
        candidates_per_participant=top_k,
        stats=stats,
        created_by=actor,
    )
    for line in lines:
        line.run = run
    created = BatchProposal.objects.bulk_create(lines)
    audit_instance(actor=actor, action=Action.CREATE, instance=run)
    audit_many(
        actor=actor,
        action=Action.CREATE,
        object_type=BatchProposal._meta.label_lower,
        object_ids=[line.pk for line in created],
    )
    return run


# ---------------------------------------------------------------------------------------
# Reviewing a run


def _draft_locked(run: BatchRun) -> BatchRun:
    locked = BatchRun.objects.select_for_update().get(pk=run.pk)
    if locked.status != Draft:
        raise ValidationError(
            _("This run is %(status)s: only a draft can change.")
            % {"status": locked.get_status_display().lower()}
        )
    return locked


def _check_peer(run: BatchRun, proposal: BatchProposal, profile: PeerProfile) -> None:
    if profile.programme_id != run.programme_id:
        raise ValidationError({"profile": _("Choose a peer supporter of this programme.")})
    now = standing(profile)
    if now.common_blockers:
        raise ValidationError({"profile": [b.detail for b in now.common_blockers]})
    if profile.pk in lifecycle.excluded_profiles(proposal.enrolment):
        raise ValidationError(
            {"profile": _("This peer is not to be suggested to this participant again.")}
        )
    given = (
        BatchProposal.objects.filter(run=run, included=True, profile=profile)
        .exclude(pk=proposal.pk)
        .count()
    )
    room = now.remaining_matches
    if given + 1 > room:
        raise ValidationError(
            {
                "profile": _(
                    "This peer can take %(room)d more and this run already gives them %(given)d."
                )
                % {"room": room, "given": given}
            }
        )


def line_scores(run: BatchRun, proposal: BatchProposal) -> dict[int, float]:
    """Each feasible peer's score for this line's participant, to order the choices."""
    instance = _load(run.programme, [proposal.enrolment])
    if not len(instance.table):
        return {}
    result = engine.suggest(
        instance.seekers[0],
        instance.table,
        instance.policy,
        labels=instance.labels,
        k=len(instance.table),
        text_scores=instance.text_row(0),
    )
    return {s.peer_id: float(s.score) for s in result.suggestions}


def _pair(
    programme: Programme, enrolment: Enrolment, profile: PeerProfile
) -> tuple[float | None, list[str]]:
    instance = _load(programme, [enrolment])
    if profile.pk not in instance.profiles:
        return None, [_("Chosen by the coordinator.")]
    return _explain(instance, [0], [profile.pk])[0]


@transaction.atomic
def proposal_update(
    *, proposal: BatchProposal, profile: PeerProfile | None, included: bool, actor: User
) -> BatchProposal:
    """Change the peer of a draft's line (none: the participant stays waiting) or drop
    the line. The peer must be of the programme, may take a match now, is not excluded
    for this participant, and keeps within their room across the run's lines."""
    run = _draft_locked(proposal.run)
    if not isinstance(included, bool):
        raise ValidationError({"included": _("Say yes or no.")})
    changed = (profile.pk if profile else None) != proposal.profile_id
    if profile is not None and included and (changed or not proposal.included):
        _check_peer(run, proposal, profile)
    if changed:
        proposal.score, proposal.reasons = (
            _pair(run.programme, proposal.enrolment, profile) if profile else (None, [])
        )
    proposal.profile = profile
    proposal.included = included
    proposal.edited = True
    proposal.save(update_fields=["profile", "score", "reasons", "included", "edited"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=proposal)
    return proposal


@transaction.atomic
def batch_run_discard(*, run: BatchRun, actor: User) -> BatchRun:
    locked = _draft_locked(run)
    locked.status = BatchRun.Status.DISCARDED
    locked.save(update_fields=["status"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=locked)
    return locked


# ---------------------------------------------------------------------------------------
# Publishing


@dataclass(frozen=True)
class PublishFailure:
    """A line that could not be made when publishing, and why (the services' words)."""

    proposal_id: int
    enrolment_id: int
    profile_id: int
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal_id,
            "enrolment": self.enrolment_id,
            "profile": self.profile_id,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class PublishResult:
    run: BatchRun
    matches: tuple[Match, ...]
    failures: tuple[PublishFailure, ...]


def _offer(
    run: BatchRun, line: BatchProposal, profile: PeerProfile, actor: User
) -> Match | PublishFailure:
    try:
        with transaction.atomic():
            return lifecycle.match_create(
                enrolment=line.enrolment,
                profile=profile,
                source=Match.Source.BATCH,
                actor=actor,
                score=line.score,
                reasons=list(line.reasons),
                batch=run,
                offer=True,
            )
    except ValidationError as error:
        reasons = tuple(error.messages)
    except IntegrityError:
        # Another coordinator matched the participant between the check and the insert.
        reasons = (_("The participant already has a match in progress."),)
    return PublishFailure(line.pk, line.enrolment_id, profile.pk, reasons)


@transaction.atomic
def batch_run_publish(*, run: BatchRun, actor: User) -> PublishResult:
    """Offer each included line's peer a match with its participant, each in its own
    savepoint. Lines that fail now (the peer may no longer take a match, the participant
    is no longer waiting) are returned and kept in the run's stats. A run is published
    once."""
    locked = _draft_locked(run)
    lines = (
        BatchProposal.objects.filter(run=locked, included=True, profile__isnull=False)
        .select_related("enrolment__programme", "enrolment__person", "profile__programme")
        .order_by("-enrolment__priority", "enrolment__waiting_since", "id")
    )
    matches: list[Match] = []
    failures: list[PublishFailure] = []
    for line in lines:
        if line.profile is None:
            continue
        made = _offer(locked, line, line.profile, actor)
        if isinstance(made, Match):
            matches.append(made)
        else:
            failures.append(made)
    locked.status = BatchRun.Status.PUBLISHED
    locked.published_by = actor
    locked.published_at = timezone.now()
    locked.stats = {
        **locked.stats,
        "published": {"offers": len(matches), "failures": [f.as_dict() for f in failures]},
    }
    locked.save(update_fields=["status", "published_by", "published_at", "stats"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=locked)
    return PublishResult(locked, tuple(matches), tuple(failures))
