"""Matrix rows for bulk import (referrals/imports_urls.py and referrals/imports_api.py).

Coordinators, leaders and admins (IMPORT_MANAGE) import into programme A; other roles
stop at the role gate (403) on pages. A batch is reached only by those who could import
into its programme: 404 for everyone else, on pages (past the gate) and in the API.
Posting the matrix's empty form to commit imports the batch (302 back to the batch
page); the API upload gets no file, so the allowed roles see 422 and the rest 403/404.
"""

from __future__ import annotations

from typing import Any

from tests.matrix.common import cells, expect, role_gate

IMPORTERS = ("coordinator", "leader", "admin")
# Programme A's viewers outside IMPORT_MANAGE: they may see the programme, so 403.
SEE_PROGRAMME_ONLY = ("peer", "evaluator", "supervisor")

UPLOAD = "programmes/<int:programme_id>/import/"
BATCH = "imports/<int:batch_id>/"
API_BATCH = "api/v1/imports/<batch_id>"


def _api_batch(status: int) -> dict[str, int]:
    return expect(404, anonymous=401, **cells(IMPORTERS, status))


EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    (UPLOAD, "GET"): role_gate(cells(IMPORTERS, 200)),
    (UPLOAD, "POST"): role_gate(cells(IMPORTERS, 422)),
    (f"{UPLOAD}template.csv", "GET"): role_gate(cells(IMPORTERS, 200)),
    (f"{UPLOAD}template.csv", "POST"): role_gate(cells(IMPORTERS, 405)),
    (BATCH, "GET"): role_gate(cells(IMPORTERS, 200)),
    (BATCH, "POST"): role_gate(cells(IMPORTERS, 405)),
    (f"{BATCH}errors.csv", "GET"): role_gate(cells(IMPORTERS, 200)),
    (f"{BATCH}errors.csv", "POST"): role_gate(cells(IMPORTERS, 405)),
    (f"{BATCH}commit/", "GET"): role_gate(cells(IMPORTERS, 405)),
    (f"{BATCH}commit/", "POST"): role_gate(cells(IMPORTERS, 302)),
    (f"{BATCH}discard/", "GET"): role_gate(cells(IMPORTERS, 405)),
    (f"{BATCH}discard/", "POST"): role_gate(cells(IMPORTERS, 302)),
    ("api/v1/programmes/<programme_id>/imports", "POST"): expect(
        404, anonymous=401, **cells(SEE_PROGRAMME_ONLY, 403), **cells(IMPORTERS, 422)
    ),
    (API_BATCH, "GET"): _api_batch(200),
    (f"{API_BATCH}/commit", "POST"): _api_batch(200),
}


def arguments(world: Any) -> dict[str, Any]:
    """A checked, valid two-row file for programme A, uploaded by the coordinator."""
    from peerbridge.referrals.imports import import_preview
    from tests.conftest import persona_user

    coordinator = persona_user("coordinator")
    assert coordinator is not None
    batch = import_preview(
        programme=world.programme_a,
        uploaded_by=coordinator,
        filename="matrix.csv",
        data=(
            b"given_name,family_name,phone,email\n"
            b"Matrix,One,+44 7700 900001,\n"
            b"Matrix,Two,,matrix.two@example.org\n"
        ),
    )
    return {"batch_id": batch.pk}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == f"{API_BATCH}/commit" and method == "POST":
        return {"only_valid_rows": False}
    return None
