"""API for participant choice (mounted by matching/api.py): send a waiting participant a
choice of peers (the link comes back once, when it is not emailed), list an enrolment's
links and their answers, withdraw an open link. The participant answers on the public
page, never through the API."""

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from peerbridge.api.pagination import Pages
from peerbridge.core.access import acting_user, api_policy
from peerbridge.matching import choice, policies
from peerbridge.matching.models import ChoiceInvitation
from peerbridge.referrals.models import Enrolment
from peerbridge.referrals.selectors import access_enrolment
from peerbridge.workforce.models import PeerProfile

router = Router()

Id = Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)]


class ChoiceIn(Schema):
    profile_ids: list[Id] | None = Field(
        None,
        max_length=choice.MAX_PROFILES,
        description="Peers to offer, in order; the top suggestions when absent.",
    )


class ShownOut(Schema):
    profile: int
    alias: str
    experience: str
    age_band: str
    gender: str
    languages: list[str]
    availability: list[str]
    modalities: list[str]


class InvitationOut(Schema):
    id: int
    enrolment_id: int
    status: str = Field(..., description="open, chosen, more, expired or withdrawn.")
    expires_at: datetime
    created_at: datetime
    created_by_id: int | None
    responded_at: datetime | None
    chosen_profile_id: int | None
    match_id: int | None
    comment: str
    shown: list[ShownOut] = Field(..., description="Exactly what the participant sees.")


class SentOut(InvitationOut):
    link: str | None = Field(
        ..., description="Shown once, when not emailed; null when the participant is emailed."
    )
    emailed: bool


def _payload(invitation: ChoiceInvitation) -> dict[str, Any]:
    return {
        "id": invitation.pk,
        "enrolment_id": invitation.enrolment_id,
        "status": choice.link_state(invitation),
        "expires_at": invitation.expires_at,
        "created_at": invitation.created_at,
        "created_by_id": invitation.created_by_id,
        "responded_at": invitation.responded_at,
        "chosen_profile_id": invitation.chosen_id,
        "match_id": invitation.match_id,
        "comment": invitation.comment,
        "shown": invitation.shown,
    }


def _profiles(enrolment: Enrolment, ids: list[int]) -> list[PeerProfile]:
    found = {
        p.pk: p
        for p in PeerProfile.objects.filter(
            programme_id=enrolment.programme_id, pk__in=ids
        ).select_related("person", "programme")
    }
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ValidationError({"profile_ids": "Offer peer supporters of this programme only."})
    return [found[pk] for pk in ids]


@router.post("/enrolments/{enrolment_id}/choice-invitations", response={201: SentOut})
@api_policy(policies.MATCH_MAKE)
def send_choice(
    request: HttpRequest, enrolment_id: int, payload: ChoiceIn
) -> Status[dict[str, Any]]:
    """Send a choice link to a waiting participant with no open link. Emailed (through
    the worker) when they agreed to email contact: `link` is then null. Otherwise `link`
    is returned here once: it cannot be read again."""
    enrolment = access_enrolment(
        user=request.user, enrolment_id=enrolment_id, policy=policies.MATCH_MAKE
    )
    profiles = None if payload.profile_ids is None else _profiles(enrolment, payload.profile_ids)
    sent = choice.choice_send(
        enrolment=enrolment,
        actor=acting_user(request),
        profiles=profiles,
        site_url=request.build_absolute_uri("/"),
    )
    return Status(
        201, _payload(sent.invitation) | {"link": sent.link or None, "emailed": sent.emailed}
    )


@router.get("/enrolments/{enrolment_id}/choice-invitations", response=list[InvitationOut])
@api_policy(policies.MATCH_MAKE)
@paginate(Pages)
def list_choices(request: HttpRequest, enrolment_id: int) -> list[dict[str, Any]]:
    """The enrolment's choice links, newest first, with the answers (never the link)."""
    enrolment = access_enrolment(
        user=request.user, enrolment_id=enrolment_id, policy=policies.MATCH_MAKE
    )
    return [_payload(invitation) for invitation in choice.invitations_of(enrolment)]


@router.post("/choice-invitations/{invitation_id}/withdraw", response=InvitationOut)
@api_policy(policies.MATCH_MAKE)
def withdraw_choice(request: HttpRequest, invitation_id: int) -> dict[str, Any]:
    """Close an open link (422 when it is no longer open)."""
    invitation = choice.access_invitation(user=request.user, invitation_id=invitation_id)
    return _payload(choice.choice_withdraw(invitation=invitation, actor=acting_user(request)))
