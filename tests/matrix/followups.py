"""Matrix rows for playbooks, the work queue and match check-ins.

`work_item_id` is a weekly-call item of programme A assigned to persona "peer" (peer.a)
about their own match; `playbook_id` a playbook of programme A. The check-in link
route gets the shared "not-a-token"."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import cells, expect, role_gate, same

QUEUE = ("peer", "peer_other", "supervisor", "coordinator", "leader", "admin")
RUN = ("coordinator", "leader", "admin")
EDIT = ("leader", "admin")
ITEM_REACH = (*RUN, "peer")

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("followups/", "GET"): role_gate(cells(QUEUE, 200)),
    ("followups/", "POST"): role_gate(cells(QUEUE, 405)),
    ("followups/items/<int:work_item_id>/", "GET"): role_gate(
        {**cells(ITEM_REACH, 200), "supervisor": 404, "peer_other": 404}
    ),
    ("followups/items/<int:work_item_id>/", "POST"): role_gate(
        {**cells(ITEM_REACH, 422), "supervisor": 404, "peer_other": 404}
    ),
    ("followups/items/<int:work_item_id>/check-in-link/", "GET"): role_gate(cells(QUEUE, 405)),
    ("followups/items/<int:work_item_id>/check-in-link/", "POST"): role_gate(
        {**cells(ITEM_REACH, 302), "supervisor": 404, "peer_other": 404}
    ),
    ("programmes/<int:programme_id>/playbooks/", "GET"): role_gate(cells(RUN, 200)),
    ("programmes/<int:programme_id>/playbooks/", "POST"): role_gate(
        {**cells(EDIT, 422), "coordinator": 403}
    ),
    ("playbooks/<int:playbook_id>/active/", "GET"): role_gate(cells(EDIT, 405)),
    ("playbooks/<int:playbook_id>/active/", "POST"): role_gate(cells(EDIT, 302)),
    ("check-in/<str:token>/", "GET"): same(404),
    ("check-in/<str:token>/", "POST"): same(404),
    ("message/<str:token>/", "GET"): same(404),
    ("message/<str:token>/", "POST"): same(405),
    ("api/v1/work-items", "GET"): expect(200, anonymous=401),
    ("api/v1/work-items/<work_item_id>", "GET"): expect(
        404, anonymous=401, **cells(ITEM_REACH, 200)
    ),
    ("api/v1/work-items/<work_item_id>/complete", "POST"): expect(
        404, anonymous=401, **cells(ITEM_REACH, 200)
    ),
    ("api/v1/programmes/<programme_id>/playbooks", "GET"): expect(
        404, anonymous=401, **cells(("peer", "evaluator", "supervisor"), 403), **cells(RUN, 200)
    ),
    ("api/v1/programmes/<programme_id>/playbooks", "POST"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor", "coordinator"), 403),
        **cells(EDIT, 201),
    ),
    ("api/v1/playbooks/<playbook_id>", "PATCH"): expect(
        404, anonymous=401, coordinator=403, **cells(EDIT, 200)
    ),
}


def arguments(world: Any) -> dict[str, Any]:
    """A match of persona "peer" with a weekly-call item assigned to them, made
    directly (cheap: this runs before every matrix test)."""
    from django.utils import timezone

    from peerbridge.followups.models import Action, Event, Playbook, Role, Rule, WorkItem
    from peerbridge.matching.models import Match, MatchStatus
    from peerbridge.people.models import Person
    from peerbridge.referrals.models import Enrolment, EnrolmentStatus
    from tests.matrix.workforce import matrix_peer_profile

    profile = matrix_peer_profile(world)
    now = timezone.now()
    person = Person.objects.create(given_name="Matrix", family_name="Followup")
    enrolment = Enrolment.objects.create(
        person=person,
        programme=world.programme_a,
        status=EnrolmentStatus.MATCHED,
        source=Enrolment.Source.STAFF,
    )
    match = Match.objects.create(
        programme=world.programme_a,
        enrolment=enrolment,
        profile=profile,
        status=MatchStatus.ACCEPTED,
        source=Match.Source.MANUAL,
        offered_at=now,
        accepted_at=now,
    )
    playbook = Playbook.objects.create(programme=world.programme_a, name="Matrix playbook")
    rule = Rule.objects.create(
        playbook=playbook,
        title="Weekly call",
        event=Event.MATCH_ACCEPTED,
        offset_days=0,
        action=Action.WORK_ITEM,
        role=Role.PEER,
    )
    item = WorkItem.objects.create(
        rule=rule,
        programme=world.programme_a,
        subject=f"match:{match.pk}",
        enrolment=enrolment,
        match=match,
        action=Action.WORK_ITEM,
        role=Role.PEER,
        assignee=profile.person.user,
        title=rule.title,
        due_on=timezone.localdate(),
        overdue_on=timezone.localdate(),
    )
    return {"work_item_id": item.pk, "playbook_id": playbook.pk}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == "api/v1/work-items/<work_item_id>/complete":
        return {"status": "done", "note": "Matrix"}
    if pattern == "api/v1/programmes/<programme_id>/playbooks":
        return {"preset": "parent_to_parent"}
    if pattern == "api/v1/playbooks/<playbook_id>":
        return {"is_active": False}
    return None
