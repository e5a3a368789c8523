"""Matrix rows for certification (frameworks, decisions, decertification, appeals, the
expiry overview) and supervision (supervisor assignment, sessions, the supervisor's
page).

`framework_id` is a framework of the demo organisation "bridges"; `certification_id` a
current certification of persona "peer" (peer.a) in programme A under it (it blocks
nothing: programme A does not require that framework); `supervision_id` a session of
supervisor.a with peer.a in programme A."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.matrix.common import RUNNERS, cells, expect, role_gate

MANAGERS = ("coordinator", "leader", "admin")
CERTIFIERS = ("leader", "admin")
SUPERVISORS = ("supervisor", "leader", "admin")
VIEW_ONLY = ("supervisor", "coordinator")

PROFILE = "workforce/profiles/<int:profile_id>/"
CERT = "workforce/certifications/<int:certification_id>/"
API = "api/v1/"

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    # Frameworks: read by those who run or supervise, kept by leaders and admins.
    ("organisations/<int:organisation_id>/certification-frameworks/", "GET"): role_gate(
        cells(RUNNERS, 200)
    ),
    ("organisations/<int:organisation_id>/certification-frameworks/", "POST"): role_gate(
        cells(CERTIFIERS, 422)
    ),
    ("workforce/certification-frameworks/<int:framework_id>/", "GET"): role_gate(
        cells(CERTIFIERS, 200)
    ),
    ("workforce/certification-frameworks/<int:framework_id>/", "POST"): role_gate(
        cells(CERTIFIERS, 422)
    ),
    # A peer's decisions: staff over the programme and the peer themself; leaders decide.
    (PROFILE + "certification/", "GET"): role_gate(
        {**cells((*RUNNERS, "peer"), 200), "peer_other": 404}
    ),
    (PROFILE + "certification/", "POST"): role_gate(
        {**cells(CERTIFIERS, 422), **cells((*VIEW_ONLY, "peer"), 403), "peer_other": 404}
    ),
    (CERT + "decertify/", "GET"): role_gate(cells(CERTIFIERS, 200)),
    (CERT + "decertify/", "POST"): role_gate(cells(CERTIFIERS, 422)),
    (CERT + "appeal/", "GET"): role_gate(cells((*CERTIFIERS, "peer", "peer_other"), 405)),
    (CERT + "appeal/", "POST"): role_gate({**cells((*CERTIFIERS, "peer"), 422), "peer_other": 404}),
    ("programmes/<int:programme_id>/workforce/certification/", "GET"): role_gate(
        cells(RUNNERS, 200)
    ),
    ("programmes/<int:programme_id>/workforce/certification/", "POST"): role_gate(
        cells(RUNNERS, 405)
    ),
    # Supervision.
    (PROFILE + "supervisor/", "GET"): role_gate(cells(MANAGERS, 200)),
    (PROFILE + "supervisor/", "POST"): role_gate(cells(MANAGERS, 302)),  # empty: none
    ("programmes/<int:programme_id>/workforce/supervision/new/", "GET"): role_gate(
        cells(SUPERVISORS, 200)
    ),
    ("programmes/<int:programme_id>/workforce/supervision/new/", "POST"): role_gate(
        cells(SUPERVISORS, 422)
    ),
    ("workforce/supervision/<int:supervision_id>/", "GET"): role_gate(cells(SUPERVISORS, 200)),
    ("workforce/supervision/<int:supervision_id>/", "POST"): role_gate(cells(SUPERVISORS, 405)),
    ("workforce/supervisor/", "GET"): role_gate(cells(SUPERVISORS, 200)),
    ("workforce/supervisor/", "POST"): role_gate(cells(SUPERVISORS, 405)),
    # API
    (API + "organisations/<organisation_id>/certification-frameworks", "GET"): expect(
        404, anonymous=401, evaluator=403, **cells(RUNNERS, 200)
    ),
    (API + "organisations/<organisation_id>/certification-frameworks", "POST"): expect(
        404, anonymous=401, **cells(("evaluator", *VIEW_ONLY), 403), **cells(CERTIFIERS, 201)
    ),
    (API + "workforce/certification-frameworks/<framework_id>", "PATCH"): expect(
        404, anonymous=401, **cells(("evaluator", *VIEW_ONLY), 403), **cells(CERTIFIERS, 200)
    ),
    (API + "workforce/profiles/<profile_id>/certifications", "GET"): expect(
        404, anonymous=401, **cells((*RUNNERS, "peer"), 200)
    ),
    (API + "workforce/profiles/<profile_id>/certifications", "POST"): expect(
        404, anonymous=401, **cells((*VIEW_ONLY, "peer"), 403), **cells(CERTIFIERS, 201)
    ),
    (API + "workforce/certifications/<certification_id>/decertification", "POST"): expect(
        404, anonymous=401, **cells((*VIEW_ONLY, "peer"), 403), **cells(CERTIFIERS, 201)
    ),
    (API + "workforce/certifications/<certification_id>/appeal", "POST"): expect(
        404, anonymous=401, **cells(VIEW_ONLY, 403), **cells((*CERTIFIERS, "peer"), 200)
    ),
    (API + "workforce/profiles/<profile_id>/supervisor", "POST"): expect(
        404, anonymous=401, supervisor=403, peer=403, **cells(MANAGERS, 200)
    ),
    (API + "programmes/<programme_id>/workforce/supervision", "GET"): expect(
        404, anonymous=401, peer=403, evaluator=403, **cells(RUNNERS, 200)
    ),
    (API + "programmes/<programme_id>/workforce/supervision", "POST"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "coordinator"), 403),
        **cells(SUPERVISORS, 201),
    ),
    (API + "workforce/supervision/<supervision_id>", "GET"): expect(
        404, anonymous=401, coordinator=403, **cells(SUPERVISORS, 200)
    ),
    (API + "workforce/supervisor", "GET"): expect(403, anonymous=401, **cells(SUPERVISORS, 200)),
}


def _framework(world: Any) -> Any:
    from peerbridge.workforce.models import CertificationFramework

    framework, _created = CertificationFramework.objects.get_or_create(
        organisation=world.programme_a.site.organisation,
        name="Matrix peer recovery specialist certification",
        defaults={"kind": "state", "validity_months": 24, "recertification_hours": 20},
    )
    return framework


def arguments(world: Any) -> dict[str, Any]:
    from django.utils import timezone

    from peerbridge.workforce.models import Certification, SupervisionSession
    from tests.conftest import persona_user
    from tests.matrix.workforce import matrix_peer_profile

    profile = matrix_peer_profile(world)
    framework = _framework(world)
    today = timezone.localdate()
    certification = Certification.objects.create(
        person=profile.person,
        framework=framework,
        programme=world.programme_a,
        status=Certification.Status.CERTIFIED,
        issued_on=today - timedelta(days=30),
        expires_on=today + timedelta(days=700),
        decided_by=persona_user("leader"),
    )
    session = SupervisionSession.objects.create(
        programme=world.programme_a,
        supervisor=persona_user("supervisor"),
        held_at=timezone.now() - timedelta(days=1),
        format=SupervisionSession.Format.INDIVIDUAL,
        kind=SupervisionSession.Kind.CLINICAL,
        topics=["caseload"],
        notes="Matrix notes.",
    )
    session.peers.set([profile])
    return {
        "framework_id": framework.pk,
        "certification_id": certification.pk,
        "supervision_id": session.pk,
    }


def _decertified(certification_id: int) -> None:
    """The appeal rows need a decertification to appeal (made inside the persona's
    rolled-back transaction)."""
    from django.utils import timezone

    from peerbridge.workforce.models import Certification, Decertification
    from tests.conftest import persona_user

    certification = Certification.objects.get(pk=certification_id)
    certification.status = Certification.Status.DECERTIFIED
    certification.save(update_fields=["status"])
    Decertification.objects.get_or_create(
        certification=certification,
        defaults={
            "reason": "Matrix reason.",
            "effective_on": timezone.localdate(),
            "decided_by": persona_user("leader"),
        },
    )


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    from django.utils import timezone

    from peerbridge.workforce.models import Certification
    from tests.conftest import persona_user
    from tests.matrix.workforce import matrix_peer_profile

    if pattern == API + "organisations/<organisation_id>/certification-frameworks":
        return {"name": f"Matrix credential {persona}", "kind": "national"}
    if pattern == API + "workforce/certification-frameworks/<framework_id>":
        return {"recertification_hours": "12.0"}
    if pattern == API + "workforce/profiles/<profile_id>/certifications":
        return {
            "framework_id": _framework(world).pk,
            "status": "not_certified",
            "recommendations": "Retake the course next year.",
        }
    if pattern == API + "workforce/certifications/<certification_id>/decertification":
        return {"reason": "Repeated boundary incidents."}
    if pattern == API + "workforce/certifications/<certification_id>/appeal":
        profile = matrix_peer_profile(world)
        latest = Certification.objects.filter(
            person=profile.person, framework=_framework(world)
        ).first()
        if latest is not None:
            _decertified(latest.pk)
        return {"step": "lodge", "notes": "I would like to explain."}
    if pattern == API + "workforce/profiles/<profile_id>/supervisor":
        supervisor = persona_user("supervisor")
        assert supervisor is not None
        return {"supervisor_id": supervisor.pk}
    if pattern == API + "programmes/<programme_id>/workforce/supervision":
        return {
            "peer_ids": [matrix_peer_profile(world).pk],
            "held_at": (timezone.now() - timedelta(hours=2)).isoformat(),
            "format": "individual",
            "kind": "peer",
            "topics": ["boundaries"],
            "notes": "Talked about boundaries.",
        }
    return None
