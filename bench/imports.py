"""Bulk import of people and referrals (issue 3, point 9).

    .venv/bin/python -m bench.imports --size S|M|L     (1,000 / 10,000 / 100,000 rows)

Runs against a throwaway SQLite database in a temporary folder (migrated here), with
seeded Faker rows, and measures in one process:
- read_check: read the CSV and check every row (the dry run, nothing stored);
- preview: the same plus storing the encrypted file (import_preview);
- bulk_import: import_commit (reads and checks the stored file again, then writes);
- referral_create: the naive path, one referral_create per row, for min(rows, 1,000)
  rows, extrapolated to the full size (the baseline of ratio_to_baseline).
peak_mib is the process's peak resident memory once the method has run (methods run
from the smallest to the largest, so each line's peak is its own or an earlier one's).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SIZES = {"S": 1_000, "M": 10_000, "L": 100_000}
BASELINE_ROWS = 1_000
SEED = 20_240_309
LANGUAGES = ["en"] * 12 + ["es", "es;en", "pl", "pt;en", "ar;en", "zh", "so", "ur;en", "fr"]
CHANNELS = ["phone", "sms", "email", "phone;sms", "email;phone", ""]


def setup_django(folder: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["PEERBRIDGE_VAR_DIR"] = str(folder)
    os.environ["LOG_LEVEL"] = "WARNING"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def make_csv(rows: int) -> bytes:
    """Seeded synthetic referrals: every row valid, a realistic spread of languages,
    channels, caregivers and priorities, each person with their own phone and email."""
    from faker import Faker

    from peerbridge.referrals.imports_reading import COLUMNS

    fake = Faker("en_GB")
    fake.seed_instance(SEED)
    pick = random.Random(SEED)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    start = datetime.date(1940, 1, 1)
    people: set[tuple[str, str, datetime.date]] = set()
    for number in range(rows):
        given, family = fake.first_name(), fake.last_name()
        born = start + datetime.timedelta(days=pick.randrange(365 * 66))
        while (given, family, born) in people:  # one person, one row
            born += datetime.timedelta(days=1)
        people.add((given, family, born))
        has_email = pick.random() < 0.8
        channels = pick.choice(CHANNELS)
        writer.writerow(
            [
                given,
                family,
                "",
                born.isoformat(),
                "",
                pick.choice(["woman", "man", "", "non_binary", "not_said"]),
                pick.choice(LANGUAGES),
                fake.postcode(),
                f"+44 7700 {number:06d}" if pick.random() < 0.9 or not has_email else "",
                f"{given}.{family}.{number}@example.org".lower() if has_email else "",
                channels,
                "caregiver" if pick.random() < 0.15 else "patient",
                pick.choice(["routine"] * 6 + ["soon", "urgent"]),
                pick.choice(["St Catherine's GP", "Riverside Hospital", "Harbour Clinic", ""]),
                fake.sentence(nb_words=10) if pick.random() < 0.6 else "",
                "yes" if channels and pick.random() < 0.8 else "no",
            ]
        )
    return out.getvalue().encode("utf-8")


def world() -> tuple[Any, Any, Any]:
    """An importer and two programmes in two organisations (the baseline writes into
    the second, so its people are not "possible duplicates" for the bulk import)."""
    from peerbridge.core.models import User
    from peerbridge.organisations.models import Programme
    from peerbridge.organisations.services import (
        organisation_create,
        programme_create,
        site_create,
    )

    user = User.objects.create_user(email="importer@bench.invalid", password=None)
    programmes = []
    for slug in ("bench-bulk", "bench-naive"):
        organisation = organisation_create(name=slug, slug=slug, created_by=None)
        site = site_create(
            organisation=organisation,
            parent=None,
            name=slug,
            code=slug,
            level="national",
            created_by=None,
        )
        programmes.append(
            programme_create(
                site=site,
                created_by=None,
                code=slug,
                name=slug,
                condition_area=Programme.ConditionArea.SUBSTANCE_USE,
                audience=Programme.Audience.PATIENTS,
                formats=[Programme.Format.ONE_TO_ONE],
                modalities=[Programme.Modality.TELEPHONE],
                contact_cadence_days=7,
                peer_pay=Programme.PeerPay.PAID,
                status=Programme.Status.ACTIVE,
            )
        )
    return user, programmes[0], programmes[1]


@dataclass
class Timing:
    """Wall-clock and CPU seconds of one method (CPU well below wall means a busy
    machine), scaled when a baseline is extrapolated from a sample."""

    seconds: float
    cpu_seconds: float

    def scaled(self, factor: float) -> Timing:
        return Timing(self.seconds * factor, self.cpu_seconds * factor)


def timed(run: Callable[[], Any]) -> tuple[Timing, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    result = run()
    return Timing(time.perf_counter() - started, time.process_time() - cpu), result


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def naive(valid_rows: list[Any], programme: Any, user: Any) -> int:
    """The path without bulk import: one referral_create (its own transaction, its own
    duplicate lookup and audit rows) per row."""
    from peerbridge.people.models import Consent
    from peerbridge.referrals.models import Enrolment
    from peerbridge.referrals.services import ReferralDetails, referral_create

    for row in valid_rows:
        referral_create(
            programme=programme,
            details=ReferralDetails(**row.person),
            source=Enrolment.Source.IMPORT,
            referred_by=user,
            kind=row.kind,
            referral_reason=row.referral_reason,
            referrer_organisation=row.referrer_organisation,
            priority=row.priority,
            contact_scopes=row.consent_scopes,
            consent_method=Consent.Method.WRITTEN,
        )
    return len(valid_rows)


def _offset_of_line(data: bytes, lines: int) -> int:
    """Where the first `lines` lines of the CSV end (the generator writes no newlines
    inside values)."""
    offset = 0
    for _ in range(lines):
        found = data.find(b"\n", offset)
        if found < 0:
            return len(data)
        offset = found + 1
    return offset


def line(method: str, rows: int, timing: Timing, baseline: Timing, **extra: Any) -> str:
    """One result line; `baseline` is the naive path's time for the same rows."""
    fields = {
        "method": method,
        "rows": rows,
        "seconds": f"{timing.seconds:.2f}",
        "cpu_seconds": f"{timing.cpu_seconds:.2f}",
        "rows_per_second": f"{rows / timing.seconds:.0f}",
        "peak_mib": f"{peak_mib():.0f}",
        "ratio_to_baseline": f"{timing.seconds / baseline.seconds:.3f}",
        **extra,
    }
    return " ".join(f"{key}={value}" for key, value in fields.items())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    size = SIZES[parser.parse_args(argv).size]
    with tempfile.TemporaryDirectory(prefix="peerbridge-bench-") as folder:
        setup_django(Path(folder))
        run(size)


def run(size: int) -> None:
    from peerbridge.people.models import Person
    from peerbridge.referrals.imports import check_rows, import_commit, import_preview
    from peerbridge.referrals.imports_reading import read_rows

    data = make_csv(size)
    user, bulk_programme, naive_programme = world()
    head = data[: _offset_of_line(data, BASELINE_ROWS + 1)]
    sample = check_rows(naive_programme, read_rows("naive.csv", head)).valid
    sample_timing, done = timed(lambda: naive(sample, naive_programme, user))
    baseline = sample_timing.scaled(size / done)
    print(line("referral_create", size, baseline, baseline, measured_rows=done), flush=True)
    timing, report = timed(lambda: check_rows(bulk_programme, read_rows("bench.csv", data)))
    assert not report.errors, report.errors[:5]
    warnings = len(report.warnings)
    del report  # each method's peak memory is its own
    print(line("read_check", size, timing, baseline, warnings=warnings), flush=True)
    timing, batch = timed(
        lambda: import_preview(
            programme=bulk_programme, uploaded_by=user, filename="bench.csv", data=data
        )
    )
    print(line("preview", size, timing, baseline), flush=True)
    timing, imported = timed(lambda: import_commit(batch=batch, committed_by=user))
    assert imported == size == Person.objects.filter(enrolments__programme=bulk_programme).count()
    print(line("bulk_import", size, timing, baseline), flush=True)
    print(
        f"headline: bulk import of {size:,} rows took {timing.seconds:.1f} s "
        f"({size / timing.seconds:,.0f} rows/s, {timing.cpu_seconds:.1f} s of CPU), "
        f"{baseline.seconds / timing.seconds:.1f}x faster than one referral_create per row "
        f"(extrapolated {baseline.seconds:.1f} s)"
    )


if __name__ == "__main__":
    sys.exit(main())
