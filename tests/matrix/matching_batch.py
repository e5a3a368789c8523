"""Matrix rows for batch runs: a programme's runs and starting one, reviewing a run,
changing a line, publishing and discarding, and the batch-run API.

`run_id` is a draft run of programme A with one line (`proposal_id`): a waiting
participant and persona "peer" (peer.a, who has room). Each persona's request is rolled
back, so every cell sees the draft."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import cells, expect, role_gate

MAKERS = ("coordinator", "leader", "admin")
# Those who see programme A but may not match in it: 403 in the API, not 404.
SEE_PROGRAMME = ("supervisor", "peer", "evaluator")
RUN = "matching/batch/<int:run_id>/"
API_RUN = "api/v1/batch-runs/<run_id>"


def _api(status: int) -> dict[str, int]:
    return expect(404, anonymous=401, **cells(SEE_PROGRAMME, 403), **cells(MAKERS, status))


EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("programmes/<int:programme_id>/matching/batch/", "GET"): role_gate(cells(MAKERS, 200)),
    ("programmes/<int:programme_id>/matching/batch/", "POST"): role_gate(cells(MAKERS, 422)),
    (RUN, "GET"): role_gate(cells(MAKERS, 200)),
    (RUN, "POST"): role_gate(cells(MAKERS, 405)),
    # An empty post is a valid answer: nobody for this line, dropped.
    (RUN + "proposals/<int:proposal_id>/", "GET"): role_gate(cells(MAKERS, 200)),
    (RUN + "proposals/<int:proposal_id>/", "POST"): role_gate(cells(MAKERS, 302)),
    (RUN + "publish/", "GET"): role_gate(cells(MAKERS, 405)),
    (RUN + "publish/", "POST"): role_gate(cells(MAKERS, 302)),
    (RUN + "discard/", "GET"): role_gate(cells(MAKERS, 405)),
    (RUN + "discard/", "POST"): role_gate(cells(MAKERS, 302)),
    ("api/v1/programmes/<programme_id>/batch-runs", "GET"): _api(200),
    ("api/v1/programmes/<programme_id>/batch-runs", "POST"): _api(201),
    (API_RUN, "GET"): _api(200),
    (API_RUN + "/proposals/<proposal_id>", "PATCH"): _api(200),
    (API_RUN + "/publish", "POST"): _api(200),
    (API_RUN + "/discard", "POST"): _api(200),
}


def arguments(world: Any) -> dict[str, Any]:
    from peerbridge.matching.batch_runs import waiting_list
    from peerbridge.matching.models import BatchProposal, BatchRun
    from tests.conftest import persona_user
    from tests.matrix.workforce import matrix_peer_profile

    enrolment = waiting_list(world.programme_a).first()
    assert enrolment is not None, "the demo's programme A has people waiting"
    run = BatchRun.objects.create(
        programme=world.programme_a,
        created_by=persona_user("coordinator"),
        stats={"waiting": 1, "matched": 1},
    )
    line = BatchProposal.objects.create(
        run=run,
        enrolment=enrolment,
        profile=matrix_peer_profile(world),
        score=50.0,
        reasons=["Matrix line."],
    )
    return {"run_id": run.pk, "proposal_id": line.pk}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern.startswith("api/v1/batch-runs/") or pattern.endswith("/batch-runs"):
        return {}
    return None
