"""Ready-made playbooks from the seed programmes, as data, and applying one to a
programme.

Titles and messages are marked for translation and stored in the language of the
person who applies the preset; a programme then edits its own copy. Messages may travel
by email, so they name no condition, treatment or place of care.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from peerbridge.core.audit import Action as AuditAction
from peerbridge.core.audit import audit_instance
from peerbridge.core.models import User
from peerbridge.followups.models import (
    Action,
    Event,
    Playbook,
    Recipient,
    Role,
    Rule,
    Unless,
)
from peerbridge.organisations.models import Programme


@dataclass(frozen=True)
class RuleSpec:
    title: str
    event: str
    offset_days: int
    action: str
    role: str = Role.COORDINATOR
    window_days: int = 0
    repeat_every_days: int | None = None
    repeat_times: int = 1
    unless: str = Unless.NOTHING
    recipient: str = ""
    message: str = ""


@dataclass(frozen=True)
class PresetSpec:
    key: str
    name: str
    description: str
    rules: tuple[RuleSpec, ...]


PARENT_TO_PARENT = PresetSpec(
    key="parent_to_parent",
    name=gettext_noop("Parent to parent: check the match, remind the support parent"),
    description=gettext_noop(
        "One to two weeks after the match, the coordinator checks with both sides that the "
        "first call happened and the match feels comfortable. At three weeks the support "
        "parent gets an email reminder to call."
    ),
    rules=(
        RuleSpec(
            title=gettext_noop(
                "Check that the first call happened and the match feels comfortable"
            ),
            event=Event.MATCH_ACCEPTED,
            offset_days=7,
            window_days=7,
            action=Action.CHECK_IN,
            role=Role.COORDINATOR,
            unless=Unless.MATCH_CLOSED,
        ),
        RuleSpec(
            title=gettext_noop("Remind the support parent to call"),
            event=Event.MATCH_ACCEPTED,
            offset_days=21,
            action=Action.MESSAGE,
            role=Role.COORDINATOR,
            unless=Unless.MATCH_CLOSED,
            recipient=Recipient.PEER,
            message=gettext_noop(
                "Hello,\n\nThis is a friendly reminder from your peer support programme. If "
                "you have not had a call with the parent you were matched with yet, please "
                "give them a call this week.\n\nIf something is in the way, let your "
                "coordinator know. Thank you for your time."
            ),
        ),
    ),
)

BEFORE_DISCHARGE = PresetSpec(
    key="before_discharge",
    name=gettext_noop("Matched before discharge, then weekly calls for twelve weeks"),
    description=gettext_noop(
        "Two days before discharge the coordinator is reminded of anyone not yet matched. "
        "Once the peer accepts, the peer has a weekly call to make for twelve weeks."
    ),
    rules=(
        RuleSpec(
            title=gettext_noop("Match before discharge"),
            event=Event.DISCHARGE,
            offset_days=-2,
            window_days=2,
            action=Action.WORK_ITEM,
            role=Role.COORDINATOR,
            unless=Unless.MATCHED,
        ),
        RuleSpec(
            title=gettext_noop("Weekly call"),
            event=Event.MATCH_ACCEPTED,
            offset_days=7,
            window_days=6,
            repeat_every_days=7,
            repeat_times=12,
            action=Action.WORK_ITEM,
            role=Role.PEER,
            unless=Unless.MATCH_CLOSED,
        ),
    ),
)

CRISIS_TRANSITION = PresetSpec(
    key="crisis_transition",
    name=gettext_noop("Crisis transition: weekly contact for twelve weeks after discharge"),
    description=gettext_noop(
        "From a week after discharge, the peer is asked to be in touch every week, for up "
        "to twelve weeks, until the match ends."
    ),
    rules=(
        RuleSpec(
            title=gettext_noop("Weekly contact after discharge"),
            event=Event.DISCHARGE,
            offset_days=7,
            window_days=6,
            repeat_every_days=7,
            repeat_times=12,
            action=Action.WORK_ITEM,
            role=Role.PEER,
            unless=Unless.MATCH_CLOSED,
        ),
    ),
)

PRESETS: dict[str, PresetSpec] = {
    spec.key: spec for spec in (PARENT_TO_PARENT, BEFORE_DISCHARGE, CRISIS_TRANSITION)
}


def preset_choices() -> list[tuple[str, str]]:
    return [(spec.key, _(spec.name)) for spec in PRESETS.values()]


@transaction.atomic
def preset_apply(*, programme: Programme, key: str, actor: User | None) -> Playbook:
    """Give the programme a playbook made from a preset, with its rules. Applying the
    same preset again returns the playbook already made from it."""
    spec = PRESETS.get(key)
    if spec is None:
        raise ValidationError({"preset": _("Choose one of the ready-made playbooks.")})
    # Lock the programme so two leaders applying at once make one playbook.
    Programme.objects.select_for_update().filter(pk=programme.pk).first()
    found = Playbook.objects.filter(programme=programme, preset=key).first()
    if found is not None:
        return found
    playbook = Playbook(programme=programme, name=_(spec.name), preset=key, created_by=actor)
    playbook.full_clean()
    playbook.save()
    audit_instance(actor=actor, action=AuditAction.CREATE, instance=playbook)
    for position, rule_spec in enumerate(spec.rules):
        rule = Rule(
            playbook=playbook,
            title=_(rule_spec.title),
            event=rule_spec.event,
            offset_days=rule_spec.offset_days,
            window_days=rule_spec.window_days,
            repeat_every_days=rule_spec.repeat_every_days,
            repeat_times=rule_spec.repeat_times,
            unless=rule_spec.unless,
            action=rule_spec.action,
            role=rule_spec.role,
            recipient=rule_spec.recipient,
            message=_(rule_spec.message) if rule_spec.message else "",
            position=position,
        )
        rule.full_clean()
        rule.save()
        audit_instance(actor=actor, action=AuditAction.CREATE, instance=rule)
    return playbook
