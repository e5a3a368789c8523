"""Fixtures for notification tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings

from peerbridge.notifications.models import Notification
from tests.notifications.world import TEMPLATES_DIR


@pytest.fixture
def test_kind_templates() -> Iterator[None]:
    """Make the test-only kind's templates (tests/notifications/templates) findable."""
    engines = [dict(engine) for engine in settings.TEMPLATES]
    engines[0]["DIRS"] = [*engines[0].get("DIRS", []), str(TEMPLATES_DIR)]
    with override_settings(TEMPLATES=engines):
        yield


@pytest.fixture
def sms_file(tmp_path: Path) -> Iterator[Path]:
    """Text messages go to a file of this test's own."""
    path = tmp_path / "sms.jsonl"
    with override_settings(
        SMS_BACKEND="peerbridge.notifications.sms.FileSmsBackend", SMS_FILE_PATH=str(path)
    ):
        yield path


def sms_lines(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def clean_outbox(db: None) -> None:
    """Only the test's own rows are due (the demo or other setup may have queued some)."""
    Notification.objects.filter(
        status__in=[Notification.Status.PENDING, Notification.Status.SENDING]
    ).update(status=Notification.Status.CANCELLED)
    mail.outbox.clear()
