"""A programme's safety settings (created with defaults on first read, changed by
leaders) and its on-call rota (no overlapping shifts, ends after it starts)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.safety import configuration as config
from peerbridge.safety.crisis import crisis_line, crisis_lines
from peerbridge.safety.models import OnCallShift, SafetySettings
from tests.conftest import World, client_for
from tests.safety.world import user_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_rota(world: World) -> None:
    OnCallShift.objects.filter(programme__in=[world.programme_a, world.programme_b]).delete()


def test_settings_are_created_with_defaults_on_first_read(world: World) -> None:
    SafetySettings.objects.filter(programme=world.programme_a).delete()
    row = config.safety_settings(world.programme_a)
    assert row.pk is not None
    assert row.working_weekdays == [1, 2, 3, 4, 5]
    assert row.high_within_minutes == 60
    assert row.medium_within_working_days == 1
    assert config.safety_settings(world.programme_a).pk == row.pk  # read again: same row


def test_a_leader_changes_the_settings_on_the_page(world: World) -> None:
    url = reverse("safety:settings", args=[world.programme_a.pk])
    leader = client_for("leader")
    assert leader.get(url).status_code == 200
    response = leader.post(
        url,
        {
            "high_within_minutes": "30",
            "medium_within_working_days": "2",
            "low_within_working_days": "5",
            "working_day_starts": "08:30",
            "working_day_ends": "18:00",
            "working_weekdays": ["1", "2", "3", "4", "5", "6"],
            "on_call": str(user_of("supervisor").pk),
            "crisis_resources": "Crisis line: 988\n\n  Samaritans: 116 123  ",
        },
    )
    assert response.status_code == 302
    row = config.safety_settings(world.programme_a)
    assert row.high_within_minutes == 30
    assert row.working_day_starts == time(8, 30)
    assert row.working_weekdays == [1, 2, 3, 4, 5, 6]
    assert row.on_call == user_of("supervisor")
    assert row.crisis_resources == "Crisis line: 988\nSamaritans: 116 123"
    assert AuditEvent.objects.filter(
        action="update", object_type="safety.safetysettings", object_id=str(row.pk)
    ).exists()


def test_the_settings_form_refuses_what_cannot_work(world: World) -> None:
    url = reverse("safety:settings", args=[world.programme_a.pk])
    response = client_for("leader").post(
        url,
        {
            "high_within_minutes": "2",
            "medium_within_working_days": "1",
            "low_within_working_days": "1",
            "working_day_starts": "17:00",
            "working_day_ends": "09:00",
            "working_weekdays": [],
            "on_call": str(user_of("coordinator").pk),
        },
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert {"high_within_minutes", "working_weekdays", "on_call"} <= set(errors)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"working_day_starts": time(17), "working_day_ends": time(9)}, "working_day_ends"),
        ({"working_weekdays": []}, "working_weekdays"),
        ({"working_weekdays": [0, 8]}, "working_weekdays"),
        ({"working_weekdays": [1, 1]}, "working_weekdays"),
        ({"working_weekdays": ["monday"]}, "working_weekdays"),
        ({"crisis_resources": "x" * 4001}, "crisis_resources"),
        ({"high_within_minutes": 0}, "high_within_minutes"),
        ({"programme": None}, "programme"),
    ],
)
def test_settings_update_refuses_bad_values(
    world: World, data: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        config.settings_update(programme=world.programme_a, data=data, actor=None)
    assert field in refused.value.message_dict


def test_the_coordinator_cannot_change_the_settings(world: World) -> None:
    url = reverse("safety:settings", args=[world.programme_a.pk])
    assert client_for("coordinator").get(url).status_code == 403
    assert client_for("peer_other").get(url).status_code == 403
    elsewhere = reverse("safety:settings", args=[world.programme_b.pk])
    assert client_for("leader").get(elsewhere).status_code == 404


# ---------------------------------------------------------------------------------------
# The rota


def _shift(
    hours_from_now: float, length_hours: float, user: str = "supervisor"
) -> dict[str, object]:
    starts = timezone.now() + timedelta(hours=hours_from_now)
    return {
        "user": user_of(user),
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=length_hours),
    }


def test_shifts_of_one_programme_never_overlap(world: World) -> None:
    config.shift_add(programme=world.programme_a, actor=None, **_shift(1, 8))  # type: ignore[arg-type]
    for start, length in ((0, 2), (4, 1), (8.5, 4), (-1, 20)):
        with pytest.raises(ValidationError) as refused:
            config.shift_add(
                programme=world.programme_a,
                actor=None,
                **_shift(start, length, "leader"),  # type: ignore[arg-type]
            )
        assert "starts_at" in refused.value.message_dict
    # Back to back is fine, and another programme's rota is its own.
    config.shift_add(programme=world.programme_a, actor=None, **_shift(9, 8, "leader"))  # type: ignore[arg-type]
    config.shift_add(programme=world.programme_b, actor=None, **_shift(1, 8, "admin"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "length", "field"),
    [(2, -1, "ends_at"), (2, 0, "ends_at"), (-5, 2, "ends_at"), (1, 24 * 40, "ends_at")],
)
def test_a_shift_ends_after_it_starts_and_not_in_the_past(
    world: World, start: float, length: float, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        config.shift_add(programme=world.programme_a, actor=None, **_shift(start, length))  # type: ignore[arg-type]
    assert field in refused.value.message_dict


def test_only_supervisors_and_leaders_go_on_call(world: World) -> None:
    for persona in ("coordinator", "peer", "stranger"):
        with pytest.raises(ValidationError) as refused:
            config.shift_add(programme=world.programme_a, actor=None, **_shift(1, 2, persona))  # type: ignore[arg-type]
        assert "user" in refused.value.message_dict


def test_on_call_now_follows_the_rota_then_the_default(world: World) -> None:
    config.settings_update(
        programme=world.programme_a, data={"on_call": user_of("leader")}, actor=None
    )
    assert config.on_call_now(world.programme_a) == user_of("leader")
    config.shift_add(programme=world.programme_a, actor=None, **_shift(-0.5, 2))  # type: ignore[arg-type]
    assert config.on_call_now(world.programme_a) == user_of("supervisor")


def test_removing_shifts(world: World) -> None:
    future = config.shift_add(programme=world.programme_a, actor=None, **_shift(5, 2))  # type: ignore[arg-type]
    current = config.shift_add(programme=world.programme_a, actor=None, **_shift(-1, 3))  # type: ignore[arg-type]
    assert config.shift_remove(shift=future, actor=None) is None
    assert not OnCallShift.objects.filter(pk=future.pk).exists()
    ended = config.shift_remove(shift=current, actor=None)
    assert ended is not None and ended.ends_at <= timezone.now()
    with pytest.raises(ValidationError):
        config.shift_remove(shift=ended, actor=None)  # over: it stays on the record


def test_the_rota_page_adds_and_removes_shifts(world: World) -> None:
    url = reverse("safety:on_call", args=[world.programme_a.pk])
    leader = client_for("leader")
    starts = timezone.localtime(timezone.now() + timedelta(days=1))
    response = leader.post(
        url,
        {
            "user": user_of("supervisor").pk,
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (starts + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    shift = OnCallShift.objects.get(programme=world.programme_a)
    assert user_of("supervisor").display_name in leader.get(url).content.decode()
    overlapping = leader.post(
        url,
        {
            "user": user_of("leader").pk,
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (starts + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert overlapping.status_code == 422
    removed = leader.post(reverse("safety:shift_remove", args=[shift.pk]))
    assert removed.status_code == 302
    assert not OnCallShift.objects.filter(pk=shift.pk).exists()
    assert leader.post("/on-call/x/remove/").status_code == 404


# ---------------------------------------------------------------------------------------
# Crisis resources as dialable lines


@pytest.mark.parametrize(
    ("line", "tel"),
    [
        ("Crisis line (24 hours): 988", "988"),
        ("Samaritans 116 123, free", "116123"),
        ("Call 1-800-273-8255 any time", "18002738255"),
        ("Text SHOUT to 85258", "85258"),
        ("Local crisis team: +44 (0)20 7946 0000", "+440207946 0000".replace(" ", "")),
        ("Open 24/7: 0800 123 456", "0800123456"),
        ("www.example.org/help", ""),
    ],
)
def test_crisis_lines_find_the_number_to_dial(line: str, tel: str) -> None:
    found = crisis_line(line)
    assert found.tel == tel
    assert found.text == line


def test_crisis_lines_skip_empty_lines() -> None:
    assert [line.tel for line in crisis_lines("988\n\n  \nText 85258\n")] == ["988", "85258"]
