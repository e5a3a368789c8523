"""API for the signed-in person's messages and notification preferences (mounted by
notifications/api.py)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from pydantic import StrictBool

from peerbridge.api.pagination import Pages
from peerbridge.core.access import SIGNED_IN, acting_user, api_policy
from peerbridge.notifications import selectors, services
from peerbridge.notifications.models import Notification

router = Router()


class MessageOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    link: str = Field(..., description="A path inside PeerBridge, or empty.")
    created_at: datetime
    read_at: datetime | None
    unread: bool

    @staticmethod
    def resolve_unread(obj: Notification) -> bool:
        return obj.read_at is None


class MarkedOut(Schema):
    marked: int


class PreferencesOut(Schema):
    channels: list[str] = Field(
        ..., description="email and sms in order of preference; [] means only in PeerBridge."
    )
    quiet_from: time | None
    quiet_until: time | None
    daily_digest: bool
    saved: bool = Field(..., description="False while the defaults apply.")


class PreferencesIn(Schema):
    channels: list[Literal["email", "sms"]] = Field(..., max_length=2)
    quiet_from: time | None = None
    quiet_until: time | None = None
    daily_digest: StrictBool = True


@router.get("/me/messages", response=list[MessageOut])
@api_policy(SIGNED_IN)
@paginate(Pages)
def list_messages(request: HttpRequest, unread: bool | None = None) -> QuerySet[Notification]:
    """My in-app messages, newest first; `?unread=true` for the unread ones only."""
    rows = selectors.inbox(acting_user(request))
    if unread is not None:
        rows = rows.filter(read_at__isnull=unread)
    return rows


@router.post("/me/messages/read-all", response=MarkedOut)
@api_policy(SIGNED_IN)
def read_all_messages(request: HttpRequest) -> dict[str, int]:
    return {"marked": services.messages_mark_all_read(actor=acting_user(request))}


@router.post("/me/messages/{message_id}/read", response=MessageOut)
@api_policy(SIGNED_IN)
def read_message(request: HttpRequest, message_id: int) -> Notification:
    """Mark one of my messages read (404 for anyone else's)."""
    user = acting_user(request)
    message = selectors.access_message(user=user, message_id=message_id)
    return services.message_mark_read(message=message, actor=user)


@router.get("/me/notification-preferences", response=PreferencesOut)
@api_policy(SIGNED_IN)
def get_preferences(request: HttpRequest) -> selectors.PreferenceView:
    return selectors.preference_view(acting_user(request))


@router.put("/me/notification-preferences", response=PreferencesOut)
@api_policy(SIGNED_IN)
def put_preferences(request: HttpRequest, payload: PreferencesIn) -> selectors.PreferenceView:
    """Replace my preferences. Quiet hours are local times (`22:00`), both or neither,
    and may wrap midnight; messages other than urgent safety ones wait until they end."""
    user = acting_user(request)
    services.preference_update(
        user=user,
        channels=list(payload.channels),
        quiet_from=payload.quiet_from,
        quiet_until=payload.quiet_until,
        daily_digest=payload.daily_digest,
    )
    return selectors.preference_view(user)
