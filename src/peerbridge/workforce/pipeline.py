"""The programme's peer pipeline: every peer with their stage, what is next and what
needs attention, read in a fixed number of queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from peerbridge.core.audit import Action, audit_many
from peerbridge.core.disclosure import SMALL_CELL, suppress_small_cells
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.workforce import policies
from peerbridge.workforce.eligibility import Standing, standings
from peerbridge.workforce.models import PeerApplication, PeerProfile, WorkforceAlert
from peerbridge.workforce.selectors import profiles_in_scope
from peerbridge.workforce.supervision import SupervisionDue, supervision_due

STAGES = [
    ("training", _("In training")),
    ("agreements", _("Agreements to sign")),
    ("certification", _("Awaiting certification")),
    ("ready", _("Ready to make available")),
    ("available", _("Available")),
    ("decertified", _("Decertified")),
    ("left", _("Left")),
]
STAGE_LABELS = dict(STAGES)


@dataclass(frozen=True)
class PipelineRow:
    profile: PeerProfile
    standing: Standing
    supervision: SupervisionDue | None = None

    @property
    def stage_label(self) -> str:
        return str(STAGE_LABELS[self.standing.stage])

    @property
    def next_step(self) -> str:
        s = self.standing
        if s.stage == "training":
            return "; ".join([*s.missing_modules, *s.missing_competencies])
        if s.stage == "agreements":
            return "; ".join(s.unsigned_agreements)
        if s.stage in ("certification", "decertified"):
            return s.certification.detail
        if s.stage == "ready":
            return str(_("Make available"))
        return ""


def pipeline_rows(*, user: AnyUser, programme: Programme) -> list[PipelineRow]:
    profiles = list(
        profiles_in_scope(user=user, policy=policies.WORKFORCE_VIEW)
        .filter(programme=programme)
        .order_by("person__family_name", "person__given_name", "pk")
    )
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[p.person_id for p in profiles],
    )
    found = standings(profiles)
    due = supervision_due([p for p in profiles if p.status == PeerProfile.Status.ACTIVE])
    return [
        PipelineRow(profile=p, standing=found[p.pk], supervision=due.get(p.pk)) for p in profiles
    ]


@dataclass(frozen=True)
class ProgrammeOverview:
    programme: Programme
    detailed: bool  # the user runs or supervises it (else: de-identified, small cells hidden)
    stages: list[tuple[str, str, int | None]]
    open_applications: int | None
    open_alerts: int
    needs_cover: int


def programme_overview(*, user: AnyUser) -> list[ProgrammeOverview]:
    """Counts only (no person is shown): peers by stage, open applications and alerts,
    per programme in reach. Evaluators get the same counts with small cells hidden."""
    programmes = list(
        programmes_in_scope(user=user, policy=policies.WORKFORCE_SUMMARY_VIEW).exclude(
            status=Programme.Status.CLOSED
        )
    )
    detailed = set(
        programmes_in_scope(user=user, policy=policies.WORKFORCE_VIEW)
        .filter(pk__in=[p.pk for p in programmes])
        .values_list("pk", flat=True)
    )
    profiles = list(PeerProfile.objects.filter(programme__in=programmes))
    found = standings(profiles)
    stage_counts: Counter[tuple[int, str]] = Counter(
        (p.programme_id, found[p.pk].stage) for p in profiles
    )
    cover: Counter[int] = Counter(p.programme_id for p in profiles if found[p.pk].needs_cover)
    applications: Counter[int] = Counter(
        PeerApplication.objects.filter(
            programme__in=programmes, status__in=PeerApplication.OPEN
        ).values_list("programme_id", flat=True)
    )
    alerts: Counter[int] = Counter(
        WorkforceAlert.objects.filter(
            profile__programme_id__in=detailed, resolved_at__isnull=True
        ).values_list("profile__programme_id", flat=True)
    )
    rows = []
    for programme in programmes:
        shown = [(code, str(label)) for code, label in STAGES if code != "left"]
        counts: dict[str, int | None] = {
            code: stage_counts[(programme.pk, code)] for code, _label in shown
        }
        waiting: int | None = applications[programme.pk]
        is_detailed = programme.pk in detailed
        if not is_detailed:
            counts = suppress_small_cells({k: v or 0 for k, v in counts.items()})
            waiting = waiting if waiting is not None and waiting >= SMALL_CELL else None
        rows.append(
            ProgrammeOverview(
                programme=programme,
                detailed=is_detailed,
                stages=[(code, label, counts[code]) for code, label in shown],
                open_applications=waiting,
                open_alerts=alerts[programme.pk],
                needs_cover=cover[programme.pk] if is_detailed else 0,
            )
        )
    return rows
