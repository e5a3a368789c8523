"""The large programme the page benchmark signs in to (issue 6, point 9).

    .venv/bin/python -m bench.pages_data --size S|M|L

`seed(scale)` writes, from fixed seeds and directly on the models, one organisation with
one programme: S = 500 participants, 50 peer supporters, 10,000 contacts; M = 5,000 /
500 / 100,000; L = 50,000 / 5,000 / 1,000,000. Rows go in dependency order with explicit
ids, by COPY on PostgreSQL (psycopg) and batches of bulk_create elsewhere, each through
the model fields' own conversion (defaults, JSON, encryption), so every row is what the
services would have written:

- staff logins: a coordinator, a programme leader, an on-call clinician, supervisors (one
  per 500 peers) and one peer login (the peer whose caseload is the median);
- peer supporters ready to take work: available, trained (a required module attended),
  the three agreements signed, supervised at the programme's cadence (a tenth overdue);
  a few burnout alerts;
- participants: 60% in a working match (accepted, introduced, first contact, active),
  20% whose match completed, 20% waiting (with their waiting time); matches keep their
  status history and the peer's capacity reservation;
- contacts over the weeks since each match's first contact, about weekly: mode, setting,
  support types, topics, attempts that did not connect, next steps, a few private notes,
  each locked after the programme's edit window; about 8% of working matches stalled;
- risk flags (about one per 200 participants: open, some past their deadline,
  acknowledged, resolved, escalated) with their trail, and work items from a playbook
  (stalled matches, follow-ups due for the coordinator and for peers).

Run alone, it seeds a throwaway SQLite database and prints one `method=generate` line.
This module holds the entry points and what the load run reads back; the parts are in
bench.pages_writer, pages_programme, pages_people and pages_activity.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.imports import peak_mib, setup_django, timed
from bench.pages_activity import Generator
from bench.pages_programme import (
    SIZES,
    SLUG,
    Scale,
    email,
    make_programme,
    make_settings,
    make_staff,
)
from bench.pages_writer import Writer


@dataclass
class Seeded:
    """What the load run needs from the seeded data, and the rows made."""

    programme_id: int
    peer_email: str
    coordinator_email: str
    supervisor_email: str
    peer_match_ids: list[int]
    counts: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# Entry points


def existing(scale: Scale) -> Seeded | None:
    """The data of an earlier run of the same size, or None when the database is empty.
    Refuses a database that holds anything else: this writes a whole programme."""
    from peerbridge.organisations.models import Organisation, Programme
    from peerbridge.support.models import Contact

    others = Organisation.objects.exclude(slug=SLUG)
    if others.exists():
        raise SystemExit(
            "The database holds organisations other than the benchmark's: give the "
            "benchmark a database of its own (see docs/benchmarks.md)."
        )
    programme = Programme.objects.filter(code=SLUG).first()
    if programme is None:
        return None
    contacts = Contact.objects.filter(programme=programme).count()
    if contacts < scale.contacts or contacts > scale.contacts * 1.1:
        raise SystemExit(
            f"The database holds benchmark data of another size ({contacts:,} contacts): "
            "use a fresh database."
        )
    return describe(programme, {"contacts": contacts, "reused": 1})


def describe(programme: Any, counts: dict[str, int]) -> Seeded:
    from peerbridge.matching.models import Match

    # Contacts are logged once the two have been introduced.
    working = Match.objects.filter(
        profile__person__user__email=email("peer"),
        status__in=["introduced", "first_contact", "active"],
    ).order_by("pk")
    return Seeded(
        programme_id=programme.pk,
        peer_email=email("peer"),
        coordinator_email=email("coordinator"),
        supervisor_email=email("supervisor0"),
        peer_match_ids=list(working.values_list("pk", flat=True)),
        counts=counts,
    )


def seed(scale: Scale) -> Seeded:
    """Write the programme (or find the one an earlier run wrote)."""
    from django.db import transaction

    found = existing(scale)
    if found is not None:
        return found
    writer = Writer()
    with transaction.atomic():
        programme = make_programme()
        staff = make_staff(programme, scale)
        generator = Generator(scale, writer)
        make_settings(programme, staff, generator.now)
        peers = generator.peers(programme, staff)
        stints = generator.participants(programme, peers, staff)
        generator.matches(programme, stints, staff)
        generator.contacts(programme, stints)
        generator.flags(programme, stints, staff)
        generator.work_items(programme, stints, staff)
    writer.finish()
    counts = {
        "participants": scale.participants,
        "peers": scale.peers,
        "matches": writer.counts.get("matching_match", 0),
        "contacts": writer.counts.get("support_contact", 0),
        "risk_flags": writer.counts.get("safety_riskflag", 0),
        "work_items": writer.counts.get("followups_workitem", 0),
        "rows": sum(writer.counts.values()),
    }
    return describe(programme, counts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    scale = SIZES[parser.parse_args(argv).size]
    with tempfile.TemporaryDirectory(prefix="peerbridge-bench-") as folder:
        setup_django(Path(folder))
        timing, seeded = timed(lambda: seed(scale))
        shown = " ".join(f"{name}={rows}" for name, rows in seeded.counts.items())
        print(
            f"method=generate {shown} seconds={timing.seconds:.1f} "
            f"cpu_seconds={timing.cpu_seconds:.1f} peak_mib={peak_mib():.0f}"
        )
        print(
            f"headline: {scale.contacts:,} contacts for {scale.participants:,} participants "
            f"and {scale.peers:,} peers written in {timing.seconds:.1f} s on SQLite"
        )


if __name__ == "__main__":
    sys.exit(main())
