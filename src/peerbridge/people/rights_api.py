"""API for people's rights: export everything held about a person, and erasure."""

from datetime import datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from peerbridge.core.access import SIGNED_IN, acting_user, api_policy
from peerbridge.people import policies
from peerbridge.people.rights import access_person_everywhere, person_erase, person_export
from peerbridge.people.selectors import own_person

router = Router(tags=["rights"])


class ExportSectionOut(Schema):
    title: str
    fields: dict[str, str] = Field(..., description="Field name to its label in plain words.")
    rows: list[dict[str, Any]] = Field(
        ..., description="One object per record; coded values also carry `<field>_display`."
    )


class PersonExportOut(Schema):
    format: str
    version: int
    exported_at: datetime
    person_id: int
    sections: dict[str, ExportSectionOut]


class ErasureIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)
    confirm: Literal["ERASE"] = Field(..., description='Type "ERASE": erasure cannot be undone.')


class ErasureOut(Schema):
    person_id: int
    erased_at: datetime


@router.get("/me/export", response=PersonExportOut)
@api_policy(SIGNED_IN)
def export_my_data(request: HttpRequest) -> dict[str, Any]:
    """Everything held about the signed-in user's own person record."""
    person = own_person(request.user)
    if person is None:
        raise Http404
    return person_export(person=person, exported_by=acting_user(request))


@router.get("/people/{person_id}/export", response=PersonExportOut)
@api_policy(policies.PERSON_EDIT)
def export_person(request: HttpRequest, person_id: int) -> dict[str, Any]:
    """Everything held about a person, for staff acting on their behalf."""
    person = access_person_everywhere(
        user=request.user, person_id=person_id, policy=policies.PERSON_EDIT
    )
    return person_export(person=person, exported_by=acting_user(request))


@router.post("/people/{person_id}/erase", response=ErasureOut)
@api_policy(policies.PERSON_ERASE)
def erase_person(request: HttpRequest, person_id: int, payload: ErasureIn) -> dict[str, Any]:
    """Replace the person's identifiers everywhere; de-identified counts survive."""
    person = access_person_everywhere(
        user=request.user, person_id=person_id, policy=policies.PERSON_ERASE
    )
    erased = person_erase(person=person, erased_by=acting_user(request), reason=payload.reason)
    return {"person_id": erased.pk, "erased_at": erased.erased_at}
