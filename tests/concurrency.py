"""Races for the PostgreSQL-only tests: a programme of the test's own (these tests commit
their rows) and a harness that runs attempts at the same moment from separate
connections."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import pytest
from django.db import connection, connections

from peerbridge.organisations.models import Programme
from peerbridge.organisations.services import organisation_create, programme_create, site_create


def skip_unless_postgresql(why: str) -> None:
    """SQLite runs one writer at a time, so a race proves nothing there."""
    if connection.vendor != "postgresql":
        pytest.skip(why)


def race_programme(code: str, name: str) -> Programme:
    """An active programme in an organisation of its own, named after `code`."""
    organisation = organisation_create(name=name, slug=code, created_by=None)
    site = site_create(
        organisation=organisation,
        parent=None,
        name=f"{name} HQ",
        code=f"{code}-hq",
        level="national",
        created_by=None,
    )
    return programme_create(
        site=site,
        created_by=None,
        code=code,
        name=name,
        condition_area="diabetes",
        audience="patients",
        formats=["one_to_one"],
        modalities=["telephone"],
        contact_cadence_days=14,
        peer_pay="volunteer",
        status="active",
    )


def _error_name(error: Exception) -> str:
    return type(error).__name__


def race(
    attempts: Sequence[Callable[[], object]],
    *,
    done: str = "ok",
    refusal: Callable[[Exception], str] = _error_name,
) -> list[str]:
    """Run the attempts at the same moment, each in a thread with its own connection;
    answer each outcome: `done`, or what `refusal` makes of the error it raised (an
    error `refusal` raises again fails that thread and leaves its outcome out)."""
    start = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def contend(attempt: Callable[[], object]) -> None:
        try:
            start.wait(timeout=30)
            attempt()
            outcome = done
        except Exception as error:  # noqa: BLE001 - the outcome under test
            outcome = refusal(error)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=contend, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
