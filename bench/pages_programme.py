"""The benchmark's sizes and its programme: the organisation, the staff logins (one
peer login among them) and the support and safety settings."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

SLUG = "bench-pages"
DOMAIN = "bench-pages.invalid"
PASSWORD = "bench-pages-password"  # noqa: S105  (a throwaway bench database)
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class Scale:
    letter: str
    participants: int
    peers: int
    contacts: int


SIZES = {
    "S": Scale("S", 500, 50, 10_000),
    "M": Scale("M", 5_000, 500, 100_000),
    "L": Scale("L", 50_000, 5_000, 1_000_000),
}


def email(local: str) -> str:
    return f"{local}@{DOMAIN}"


@dataclass
class Staff:
    coordinator: Any
    leader: Any
    on_call: Any
    supervisors: list[Any]
    peer: Any


def _login(local: str, role: str, programme: Any) -> Any:
    from peerbridge.core.models import User
    from peerbridge.organisations.services import role_grant

    user = User.objects.create_user(email=email(local), password=PASSWORD)
    role_grant(user=user, role=role, granted_by=None, programme=programme)
    return user


def make_programme() -> Any:
    from peerbridge.organisations.models import Programme
    from peerbridge.organisations.services import (
        organisation_create,
        programme_create,
        site_create,
    )

    organisation = organisation_create(name="Bench pages", slug=SLUG, created_by=None)
    site = site_create(
        organisation=organisation,
        parent=None,
        name="Bench pages",
        code=SLUG,
        level="national",
        created_by=None,
    )
    return programme_create(
        site=site,
        created_by=None,
        code=SLUG,
        name="Bench community peer support",
        condition_area=Programme.ConditionArea.HIV,
        audience=Programme.Audience.PATIENTS,
        formats=[Programme.Format.ONE_TO_ONE],
        modalities=[Programme.Modality.TELEPHONE, Programme.Modality.IN_PERSON],
        duration_weeks=None,
        contact_cadence_days=7,
        peer_pay=Programme.PeerPay.STIPEND,
        status=Programme.Status.ACTIVE,
    )


def make_staff(programme: Any, scale: Scale) -> Staff:
    from peerbridge.organisations.roles import Role

    supervisors = [
        _login(f"supervisor{n}", Role.SUPERVISOR, programme)
        for n in range(max(1, scale.peers // 500))
    ]
    return Staff(
        coordinator=_login("coordinator", Role.COORDINATOR, programme),
        leader=_login("leader", Role.PROGRAMME_LEADER, programme),
        on_call=_login("oncall", Role.SUPERVISOR, programme),
        supervisors=supervisors,
        peer=_login("peer", Role.PEER_SUPPORTER, programme),
    )


def make_settings(programme: Any, staff: Staff, now: datetime.datetime) -> None:
    from peerbridge.safety.models import OnCallShift, SafetySettings
    from peerbridge.support.models import SupportSettings

    SupportSettings.objects.create(programme=programme)
    SafetySettings.objects.create(
        programme=programme,
        working_weekdays=[1, 2, 3, 4, 5],
        on_call=staff.on_call,
        crisis_resources="Crisis line (bench) 0800 000 000",
    )
    monday = now - datetime.timedelta(days=now.weekday())
    OnCallShift.objects.create(
        programme=programme, user=staff.on_call, starts_at=monday, ends_at=monday + 7 * DAY
    )
