"""Matrix rows for the peer agreements and training (workforce/urls_training.py and
workforce/api_training.py).

Those who run or supervise programme A see its agreements, curriculum and competencies;
coordinators, leaders and admins change the curriculum and record attendance; leaders
and admins publish agreements; assessors (runners, supervisors) record competency
checks. Only the peer themself signs their agreements: staff get 403, and persona
"peer_other" (programme B) gets 404 on peer.a's profile. The API has no role gate: in
programme A's scope without the right is 403 (peer, evaluator), outside it 404.

`module_id` is an optional peer module of programme A and `session_id` a past session
of it, so the rows leave persona "peer" (peer.a) able to take matches.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.matrix.common import RUNNERS, cells, expect, role_gate

MANAGERS = ("coordinator", "leader", "admin")
PUBLISHERS = ("leader", "admin")
IN_SCOPE_READ_ONLY = ("peer", "evaluator")

P = "programmes/<int:programme_id>/workforce/"
MODULE = "workforce/training/modules/<int:module_id>/"
PROFILE = "workforce/profiles/<int:profile_id>/"
API_P = "api/v1/programmes/<programme_id>/workforce/"
API_PROFILE = "api/v1/workforce/profiles/<profile_id>/"

MODULE_TITLE = "Matrix optional module"
COMPETENCY_NAME = "Matrix optional competency"


def _api_view(status: int) -> dict[str, int]:
    """Reading programme A's training: runners; peer and evaluator see the programme but
    not this (403); anyone else is outside it (404)."""
    return expect(404, anonymous=401, **cells(IN_SCOPE_READ_ONLY, 403), **cells(RUNNERS, status))


def _api_write(allowed: tuple[str, ...], status: int) -> dict[str, int]:
    in_scope = tuple(p for p in ("peer", "evaluator", *RUNNERS) if p not in allowed)
    return expect(404, anonymous=401, **cells(in_scope, 403), **cells(allowed, status))


def _own_profile(status: int, *, staff: int) -> dict[str, int]:
    """A peer's own profile route: peer.a gets `status`, staff `staff`, peer.b 404."""
    return role_gate({**cells(RUNNERS, staff), "peer": status, "peer_other": 404})


EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    (f"{P}agreements/", "GET"): role_gate(cells(RUNNERS, 200)),
    (f"{P}agreements/", "POST"): role_gate(cells(PUBLISHERS, 422)),
    (f"{PROFILE}agreements/", "GET"): _own_profile(200, staff=200),
    # Only the peer signs: staff 403; peer.a's empty form is refused.
    (f"{PROFILE}agreements/", "POST"): _own_profile(422, staff=403),
    (f"{P}training/", "GET"): role_gate(cells(RUNNERS, 200)),
    (f"{P}training/", "POST"): role_gate(cells(MANAGERS, 422)),
    (f"{P}training/overdue/", "GET"): role_gate(cells(RUNNERS, 200)),
    (f"{P}training/overdue/", "POST"): role_gate(cells(RUNNERS, 405)),
    (f"{P}competencies/", "GET"): role_gate(cells(RUNNERS, 200)),
    (f"{P}competencies/", "POST"): role_gate(cells(MANAGERS, 422)),
    (MODULE, "GET"): role_gate(cells(MANAGERS, 200)),
    (MODULE, "POST"): role_gate(cells(MANAGERS, 422)),
    (f"{MODULE}sessions/", "GET"): role_gate(cells(MANAGERS, 200)),
    (f"{MODULE}sessions/", "POST"): role_gate(cells(MANAGERS, 422)),
    # An empty attendance screen saves "nobody ticked" and goes back to the screen.
    ("workforce/training/sessions/<int:session_id>/", "GET"): role_gate(cells(MANAGERS, 200)),
    ("workforce/training/sessions/<int:session_id>/", "POST"): role_gate(cells(MANAGERS, 302)),
    (f"{PROFILE}training/", "GET"): _own_profile(200, staff=200),
    # Assessors record checks; the peer cannot assess themself.
    (f"{PROFILE}training/", "POST"): _own_profile(403, staff=422),
    (f"{API_P}agreements", "GET"): _api_view(200),
    (f"{API_P}agreements", "POST"): _api_write(PUBLISHERS, 201),
    # peer.a has signed every current text already: signing again is harmless (200).
    (f"{API_PROFILE}signatures", "POST"): expect(
        404, anonymous=401, peer=200, **cells(RUNNERS, 403)
    ),
    (f"{API_P}modules", "GET"): _api_view(200),
    (f"{API_P}modules", "POST"): _api_write(MANAGERS, 201),
    ("api/v1/workforce/modules/<module_id>", "PATCH"): _api_write(MANAGERS, 200),
    ("api/v1/workforce/modules/<module_id>/sessions", "GET"): _api_view(200),
    ("api/v1/workforce/modules/<module_id>/sessions", "POST"): _api_write(MANAGERS, 201),
    ("api/v1/workforce/sessions/<session_id>/attendance", "POST"): _api_write(MANAGERS, 200),
    (f"{API_PROFILE}training", "GET"): expect(404, anonymous=401, **cells((*RUNNERS, "peer"), 200)),
    (f"{API_PROFILE}competency-checks", "POST"): expect(
        404, anonymous=401, peer=403, **cells(RUNNERS, 201)
    ),
}


def arguments(world: Any) -> dict[str, Any]:
    """Programme A's agreements (published if missing, and signed by peer.a), an optional
    module with a session held two days ago, and an optional competency."""
    from django.utils import timezone

    from peerbridge.workforce.models import Competency, TrainingModule, TrainingSession
    from tests.matrix.workforce import matrix_peer_profile
    from tests.workforce.world import sign_current_agreements

    programme = world.programme_a
    profile = matrix_peer_profile(world)
    _publish_missing_agreements(programme)
    sign_current_agreements(profile)
    module, _created = TrainingModule.objects.get_or_create(
        programme=programme, title=MODULE_TITLE, defaults={"required": False, "order": 90}
    )
    session = TrainingSession.objects.create(
        module=module,
        starts_at=timezone.now() - timedelta(days=2),
        trainer="Matrix trainer",
        modality=TrainingSession.Modality.VIDEO,
    )
    Competency.objects.get_or_create(
        programme=programme, name=COMPETENCY_NAME, defaults={"required": False, "order": 90}
    )
    return {"module_id": module.pk, "session_id": session.pk}


def _publish_missing_agreements(programme: Any) -> None:
    """Seed any agreement programme A lacks, signed by everyone already there, so no
    other area's peer loses its standing to a text published for these rows."""
    from peerbridge.workforce.curriculum_seed import seed_agreements
    from peerbridge.workforce.models import AgreementSignature, AgreementText, PeerProfile

    before = set(AgreementText.objects.filter(programme=programme).values_list("pk", flat=True))
    seed_agreements(programme)
    new = AgreementText.objects.filter(programme=programme).exclude(pk__in=before)
    AgreementSignature.objects.bulk_create(
        AgreementSignature(profile=profile, text=text, signed_name="Matrix")
        for profile in PeerProfile.objects.filter(programme=programme)
        for text in new
    )


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    from peerbridge.workforce.eligibility import latest_agreement_texts
    from peerbridge.workforce.models import Competency
    from tests.matrix.workforce import matrix_peer_profile

    programme = world.programme_a
    if pattern == f"{API_P}agreements":
        return {"kind": "code_of_conduct", "body": f"Be kind ({persona})."}
    if pattern == f"{API_PROFILE}signatures":
        text = latest_agreement_texts([programme.pk])[programme.pk]["code_of_conduct"]
        return {"text_id": text.pk, "signed_name": "Matrix Peer"}
    if pattern == f"{API_P}modules":
        return {"title": f"Matrix module ({persona})", "hours": "1.5"}
    if pattern == "api/v1/workforce/modules/<module_id>":
        return {"objectives": "Listen well."}
    if pattern == "api/v1/workforce/modules/<module_id>/sessions":
        return {
            "starts_at": "2030-01-15T10:00:00+00:00",
            "trainer": "Matrix trainer",
            "modality": "in_person",
        }
    if pattern == "api/v1/workforce/sessions/<session_id>/attendance":
        return {"person_ids": [matrix_peer_profile(world).person_id], "attended": True}
    if pattern == f"{API_PROFILE}competency-checks":
        competency = Competency.objects.get(programme=programme, name=COMPETENCY_NAME)
        return {"competency_id": competency.pk, "result": "passed", "evidence": "Role-play."}
    return None
