"""Shorthands for writing matrix rows."""

from __future__ import annotations

from tests.conftest import PERSONAS

RUNNERS = ("supervisor", "coordinator", "leader", "admin")
INTAKE = ("coordinator", "leader", "admin")
PROGRAMME_A_VIEWERS = ("peer", "evaluator", *RUNNERS)


def expect(default: int, **cells: int) -> dict[str, int]:
    unknown = set(cells) - set(PERSONAS)
    assert not unknown, unknown
    return {persona: cells.get(persona, default) for persona in PERSONAS}


def same(status: int) -> dict[str, int]:
    return expect(status)


def signed_in(status: int) -> dict[str, int]:
    return expect(status, anonymous=302)


def api(status: int) -> dict[str, int]:
    return expect(status, anonymous=401)


def role_gate(allowed: dict[str, int], *, anonymous: int = 302) -> dict[str, int]:
    """Web pages behind a role policy: 403 for roles outside it, 302 for anonymous."""
    return expect(403, anonymous=anonymous, **allowed)


def cells(personas: tuple[str, ...], status: int) -> dict[str, int]:
    return {persona: status for persona in personas}
