"""Answering a questionnaire: answers saved as they come (so a link can be left and
resumed), scored on every save by the instrument's versioned scoring code, and on
completion any safety item answered (PHQ-9 item 9 above 0, EPDS item 10, ...) raises a
risk flag through the safety service, whatever the total."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.instruments.model import Instrument
from peerbridge.instruments.registry import get_instrument
from peerbridge.instruments.scoring import Score, score
from peerbridge.outcomes.licences import instrument_usable
from peerbridge.outcomes.models import Assessment, Mode, Response
from peerbridge.safety.models import RiskFlag, Severity
from peerbridge.safety.services import flag_raise

# Safety items ask for a same-day check, whatever the total.
SAFETY_SEVERITY = Severity.HIGH
ON_SCREEN = frozenset({Mode.LINK})


def safety_reference(response: Response, item_id: str) -> str:
    return f"response:{response.pk}:item:{item_id}"


def clean_answers(instrument: Instrument, answers: Mapping[str, object]) -> dict[str, int]:
    """Answers as item id -> option value; a value from a form may be a string. Empty
    means skipped. Every bad answer is reported at once, by item."""
    if not isinstance(answers, Mapping):
        raise ValidationError({"answers": _("Send the answers as item: value pairs.")})
    known = {item.id: item for item in instrument.items}
    clean: dict[str, int] = {}
    errors: dict[str, str] = {}
    for key, raw in answers.items():
        item = known.get(key) if isinstance(key, str) else None
        if item is None:
            errors[str(key)[:40]] = _("Not a question of this questionnaire.")
            continue
        if raw is None or raw == "":
            continue
        value: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
            value = int(raw.strip())
        if value is None or value not in item.values:
            errors[key] = _("Choose one of the answers.")
            continue
        clean[key] = value
    if errors:
        raise ValidationError(errors)
    return clean


def _store_score(response: Response, result: Score) -> None:
    response.scores = {code: part.value for code, part in result.scales.items()}
    response.bands = {
        code: part.band.code for code, part in result.scales.items() if part.band is not None
    }
    response.safety_items = list(result.safety_items)
    first = next(iter(result.scales.values()), None)
    response.score = first.value if first is not None else None


@transaction.atomic
def response_start(
    *,
    assessment: Assessment,
    instrument: str,
    mode: str,
    actor: User | None,
) -> Response:
    """The response being answered for `instrument` in `assessment` (made on first
    use; the same one is resumed later)."""
    if mode not in Mode.values:
        raise ValidationError({"mode": _("Say how the questionnaire is being completed.")})
    if instrument not in assessment.instruments:
        raise ValidationError({"instrument": _("This questionnaire is not part of this request.")})
    if not instrument_usable(instrument, needs_wording=mode in ON_SCREEN):
        raise ValidationError(
            {"instrument": _("This questionnaire is not available here (licence or wording).")}
        )
    definition = get_instrument(instrument)
    if assessment.is_done:
        raise ValidationError({"assessment": _("This questionnaire is no longer open.")})
    found = Response.objects.filter(assessment=assessment, instrument=instrument).first()
    if found is not None:
        return found
    response = Response(
        programme_id=assessment.programme_id,
        person_id=assessment.person_id,
        enrolment_id=assessment.enrolment_id,
        profile_id=assessment.profile_id,
        assessment=assessment,
        instrument=instrument,
        version=definition.version,
        mode=mode,
        entered_by=actor,
    )
    response.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=response)
    if assessment.status == Assessment.Status.OPEN:
        assessment.status = Assessment.Status.STARTED
        assessment.save(update_fields=["status"])
    return response


@transaction.atomic
def response_save(
    *,
    response: Response,
    answers: Mapping[str, object],
    complete: bool,
    actor: User | None,
    mode: str | None = None,
) -> Response:
    """Save answers (merged with those already given), rescore, and when `complete`,
    finish the response: it then counts in reports, and each safety item answered
    raises a risk flag. A completed response is not changed again."""
    locked = Response.objects.select_for_update().get(pk=response.pk)
    if locked.status == Response.Status.COMPLETE:
        raise ValidationError({"answers": _("This questionnaire has already been completed.")})
    instrument = get_instrument(locked.instrument)
    merged = {**locked.answers, **clean_answers(instrument, answers)}
    for key, raw in answers.items():
        if raw is None or raw == "":
            merged.pop(str(key), None)
    result = score(instrument, merged)
    locked.answers = merged
    _store_score(locked, result)
    if mode is not None and mode in Mode.values:
        locked.mode = mode
    if actor is not None and locked.entered_by_id is None:
        locked.entered_by = actor
    if complete:
        unscored = [part for part in result.scales.values() if not part.complete]
        if unscored:
            missing = [item.id for item in instrument.items if item.id not in merged]
            raise ValidationError(
                {
                    item_id: _("Please answer this question (or the ones around it).")
                    for item_id in missing
                }
                or {"answers": _("Some answers are missing.")}
            )
        locked.status = Response.Status.COMPLETE
        locked.completed_at = timezone.now()
    locked.save()
    audit_instance(actor=actor, action=Action.UPDATE, instance=locked)
    if complete:
        _raise_safety_flags(locked, instrument, actor)
        _assessment_progress(locked)
    response.refresh_from_db()
    return response


def _raise_safety_flags(response: Response, instrument: Instrument, actor: User | None) -> None:
    enrolment = response.enrolment
    if not response.safety_items or enrolment is None:
        return
    raised = set(
        RiskFlag.objects.filter(
            source=RiskFlag.Source.QUESTIONNAIRE,
            source_reference__startswith=f"response:{response.pk}:",
        ).values_list("source_reference", flat=True)
    )
    for item_id in response.safety_items:
        reference = safety_reference(response, item_id)
        if reference in raised:
            continue
        position = [item.id for item in instrument.items].index(item_id) + 1
        flag_raise(
            programme=enrolment.programme,
            person=enrolment.person,
            severity=SAFETY_SEVERITY,
            summary=_(
                "%(title)s question %(number)s was answered in a way that asks for a "
                "safety check today, whatever the total score."
            )
            % {"title": instrument.title, "number": position},
            source=RiskFlag.Source.QUESTIONNAIRE,
            raised_by=actor,
            enrolment=enrolment,
            source_reference=reference,
        )


def _assessment_progress(response: Response) -> None:
    """An assessment is completed when each of its questionnaires is."""
    assessment = response.assessment
    if assessment is None or assessment.is_done:
        return
    done = set(
        Response.objects.filter(assessment=assessment, status=Response.Status.COMPLETE).values_list(
            "instrument", flat=True
        )
    )
    if set(assessment.instruments) <= done:
        assessment.status = Assessment.Status.COMPLETED
        assessment.completed_at = timezone.now()
        assessment.link_digest = ""
        assessment.save(update_fields=["status", "completed_at", "link_digest"])
        audit_instance(actor=None, action=Action.UPDATE, instance=assessment)


def next_instrument(assessment: Assessment) -> str | None:
    """The first questionnaire of the assessment not yet completed."""
    done = set(
        Response.objects.filter(assessment=assessment, status=Response.Status.COMPLETE).values_list(
            "instrument", flat=True
        )
    )
    return next((code for code in assessment.instruments if code not in done), None)
