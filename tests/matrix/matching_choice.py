"""Matrix rows for participant choice: the coordinator's page to send a link, withdrawing
one, the participant's public page, and the choice API.

`enrolment_id` is whichever programme A enrolment the intake rows give (the page
answers 200 and explains when the person is not waiting; the empty form is refused).
`invitation_id` is an open link for a participant waiting in programme A. The public
page is reached with a token that is no link: every persona gets the same 404."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import cells, expect, role_gate, same

MAKERS = ("coordinator", "leader", "admin")


def _api(status: int) -> dict[str, int]:
    # Supervisors see the programme's enrolments (403); nobody else outside MAKERS does.
    return expect(404, anonymous=401, supervisor=403, **cells(MAKERS, status))


EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("matching/enrolments/<int:enrolment_id>/choice/", "GET"): role_gate(cells(MAKERS, 200)),
    ("matching/enrolments/<int:enrolment_id>/choice/", "POST"): role_gate(cells(MAKERS, 422)),
    ("matching/choice-invitations/<int:invitation_id>/withdraw/", "GET"): role_gate(
        cells(MAKERS, 405)
    ),
    ("matching/choice-invitations/<int:invitation_id>/withdraw/", "POST"): role_gate(
        cells(MAKERS, 302)
    ),
    ("choose/<str:token>/", "GET"): same(404),
    ("choose/<str:token>/", "POST"): same(404),
    ("api/v1/enrolments/<enrolment_id>/choice-invitations", "GET"): _api(200),
    ("api/v1/enrolments/<enrolment_id>/choice-invitations", "POST"): _api(422),
    ("api/v1/choice-invitations/<invitation_id>/withdraw", "POST"): _api(200),
}


def arguments(world: Any) -> dict[str, Any]:
    from datetime import timedelta

    from django.utils import timezone

    from peerbridge.matching.batch_runs import waiting_list
    from peerbridge.matching.choice import token_digest
    from peerbridge.matching.models import ChoiceInvitation
    from tests.conftest import persona_user

    enrolment = waiting_list(world.programme_a).last()
    assert enrolment is not None, "the demo's programme A has people waiting"
    invitation = ChoiceInvitation.objects.create(
        enrolment=enrolment,
        token_hash=token_digest(f"matrix-{enrolment.pk}-{timezone.now().timestamp()}"),
        shown=[],
        expires_at=timezone.now() + timedelta(days=7),
        created_by=persona_user("coordinator"),
    )
    return {"invitation_id": invitation.pk}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == "api/v1/enrolments/<enrolment_id>/choice-invitations":
        return {"profile_ids": []}
    if pattern == "api/v1/choice-invitations/<invitation_id>/withdraw":
        return {}
    return None
