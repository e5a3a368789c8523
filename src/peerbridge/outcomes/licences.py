"""Which questionnaires this deployment may use: free ones always; a licensed one
(WEMWBS, EPDS, ...) only while its licence is recorded and in date."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.instruments.model import Instrument
from peerbridge.instruments.registry import get_instrument, instrument_codes
from peerbridge.outcomes.models import InstrumentLicence

TEXT_MAX = 200


def licences_in_force(on: date | None = None) -> set[str]:
    day = on or timezone.localdate()
    return {
        licence.instrument
        for licence in InstrumentLicence.objects.filter(withdrawn_at__isnull=True)
        if licence.in_force(day)
    }


def instrument_usable(
    code: str, *, licensed: set[str] | None = None, needs_wording: bool = False
) -> bool:
    """Whether the deployment may schedule or record `code` now: a free instrument, or a
    licensed one whose licence is in force. `needs_wording`: the person answers on
    screen (a link, signed in), so the item wording must be in the library; answers
    from the licensed paper form or an interview need only the item numbers."""
    try:
        instrument = get_instrument(code)
    except KeyError:
        return False
    if needs_wording and not instrument.wording_included:
        return False
    if not instrument.needs_licence:
        return True
    return code in (licences_in_force() if licensed is None else licensed)


def usable_instruments(*, needs_wording: bool = False) -> list[Instrument]:
    licensed = licences_in_force()
    return [
        get_instrument(code)
        for code in instrument_codes()
        if instrument_usable(code, licensed=licensed, needs_wording=needs_wording)
    ]


def licensed_instruments() -> list[Instrument]:
    """The instruments that need a licence (whether or not one is recorded)."""
    every = [get_instrument(code) for code in instrument_codes()]
    return [instrument for instrument in every if instrument.needs_licence]


def _text(errors: dict[str, str], value: object, field: str, message: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        errors[field] = message
    elif len(text) > TEXT_MAX:
        errors[field] = _("Keep it under %(max)s characters.") % {"max": TEXT_MAX}
    return text


@transaction.atomic
def licence_record(
    *,
    instrument: str,
    holder: object,
    reference: object,
    valid_until: date | None,
    actor: User | None,
) -> InstrumentLicence:
    """Record (or renew) the deployment's licence for a licensed instrument."""
    errors: dict[str, str] = {}
    code = instrument if isinstance(instrument, str) else ""
    try:
        definition = get_instrument(code)
    except KeyError:
        errors["instrument"] = _("Choose a questionnaire from the library.")
    else:
        if not definition.needs_licence:
            errors["instrument"] = _("This questionnaire is free to use; it needs no licence.")
    holder_text = _text(errors, holder, "holder", _("Say who holds the licence."))
    reference_text = _text(
        errors, reference, "reference", _("Give the licence reference or agreement.")
    )
    if valid_until is not None and valid_until < timezone.localdate():
        errors["valid_until"] = _("This date has passed: the licence would not be in force.")
    if errors:
        raise ValidationError(errors)
    licence = InstrumentLicence.objects.select_for_update().filter(instrument=code).first()
    created = licence is None
    if licence is None:
        licence = InstrumentLicence(instrument=code)
    licence.holder = holder_text
    licence.reference = reference_text
    licence.valid_until = valid_until
    licence.recorded_by = actor
    licence.recorded_at = timezone.now()
    licence.withdrawn_at = None
    licence.save()
    audit_instance(
        actor=actor, action=Action.CREATE if created else Action.UPDATE, instance=licence
    )
    return licence


def licence_withdraw(*, licence: InstrumentLicence, actor: User | None) -> InstrumentLicence:
    """The licence has ended: the questionnaire can no longer be sent or entered (the
    answers already given stay)."""
    if licence.withdrawn_at is None:
        licence.withdrawn_at = timezone.now()
        licence.save(update_fields=["withdrawn_at"])
        audit_instance(actor=actor, action=Action.UPDATE, instance=licence)
    return licence
