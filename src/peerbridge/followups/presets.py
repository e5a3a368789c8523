"""Ready-made playbooks from the seed programmes, as data, and applying one to a
programme.

Titles and messages are marked for translation and stored in the language of the
person who applies the preset; a programme then edits its own copy. Messages are shown in
PeerBridge and an email or text message only says that one is waiting; still, they name
no condition, treatment or place of care.

Every preset also watches for stalls (the peer is asked to get back in touch, and the
coordinator a week later if there is still no contact) and closes each participant's
time at the end of the programme's duration. Playbooks made before these rules existed
keep the rules they have (applying a preset never changes a playbook already made).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

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
from peerbridge.outcomes.schedules import timepoints_of


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
    timepoint_code: str = ""  # a questionnaire rule: the programme's timepoint


def work_item(
    title: str,
    event: str,
    offset_days: int,
    window_days: int,
    role: str,
    unless: str = Unless.NOTHING,
) -> RuleSpec:
    """A one-off work item for `role`, due `offset_days` after the event."""
    return RuleSpec(title, event, offset_days, Action.WORK_ITEM, role, window_days, unless=unless)


def weekly_for_twelve_weeks(title: str, event: str) -> RuleSpec:
    """A work item for the peer every week from a week after the event, for twelve weeks
    or until the match ends."""
    return RuleSpec(
        title,
        event,
        offset_days=7,
        action=Action.WORK_ITEM,
        role=Role.PEER,
        window_days=6,
        repeat_every_days=7,
        repeat_times=12,
        unless=Unless.MATCH_CLOSED,
    )


STALLED_PEER = gettext_noop("No contact for longer than agreed: get back in touch")
STALLED_STILL = gettext_noop("Still no contact a week after the match stalled: check on it")
CLOSE = gettext_noop("Close: summary, exit questionnaire, thanks")

# Every preset ends with these: stalls, then closure at the programme's end.
# (title, event, offset days, window days, who, unless)
STALL_AND_CLOSURE = (
    work_item(STALLED_PEER, Event.STALLED, 0, 3, Role.PEER),
    work_item(STALLED_STILL, Event.STALLED, 7, 7, Role.COORDINATOR),
    work_item(CLOSE, Event.PROGRAMME_END, 0, 14, Role.COORDINATOR, Unless.CLOSED),
)


@dataclass(frozen=True)
class PresetSpec:
    key: str
    name: str
    description: str
    rules: tuple[RuleSpec, ...]
    # A care pathway watches stalls and closes at the end; an add-on (the outcome
    # questionnaires) runs beside one.
    pathway: bool = True


PARENT_TO_PARENT = PresetSpec(
    key="parent_to_parent",
    name=gettext_noop("Parent to parent: check the match, remind the support parent"),
    description=gettext_noop(
        "One to two weeks after the match, the coordinator checks with both sides that the "
        "first call happened and the match feels comfortable. At three weeks the support "
        "parent gets a reminder to call, by email or text message. A match without contact "
        "for longer than agreed is followed up, and each family's time closes at the "
        "programme's end."
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
        *STALL_AND_CLOSURE,
    ),
)

BEFORE_DISCHARGE = PresetSpec(
    key="before_discharge",
    name=gettext_noop("Matched before discharge, then weekly calls for twelve weeks"),
    description=gettext_noop(
        "Two days before discharge the coordinator is reminded of anyone not yet matched. "
        "Once the peer accepts, the peer has a weekly call to make for twelve weeks. A match "
        "without contact for longer than agreed is followed up, and each participant's "
        "time closes at the programme's end."
    ),
    rules=(
        work_item(
            gettext_noop("Match before discharge"),
            Event.DISCHARGE,
            offset_days=-2,
            window_days=2,
            role=Role.COORDINATOR,
            unless=Unless.MATCHED,
        ),
        weekly_for_twelve_weeks(gettext_noop("Weekly call"), Event.MATCH_ACCEPTED),
        *STALL_AND_CLOSURE,
    ),
)

CRISIS_TRANSITION = PresetSpec(
    key="crisis_transition",
    name=gettext_noop("Crisis transition: weekly contact for twelve weeks after discharge"),
    description=gettext_noop(
        "From a week after discharge, the peer is asked to be in touch every week, for up "
        "to twelve weeks, until the match ends. A match without contact for longer than "
        "agreed is followed up, and each participant's time closes at the programme's end."
    ),
    rules=(
        weekly_for_twelve_weeks(gettext_noop("Weekly contact after discharge"), Event.DISCHARGE),
        *STALL_AND_CLOSURE,
    ),
)


def questionnaire(
    title: str, event: str, offset_days: int, window_days: int, role: str, timepoint: str
) -> RuleSpec:
    return RuleSpec(
        title, event, offset_days, Action.QUESTIONNAIRE, role, window_days, timepoint_code=timepoint
    )


QUESTIONNAIRES = PresetSpec(
    key="questionnaires",
    name=gettext_noop("Outcome questionnaires: baseline, 4 and 12 weeks, exit, 6 months"),
    description=gettext_noop(
        "A participant is asked the programme's questionnaires when placed on the waiting "
        "list, 4 and 12 weeks after the first contact, at the end of the programme and six "
        "months later. Each time they get a link by email or text message where they agreed "
        "to it, and their peer (or the coordinator, before and after the match) is asked to "
        "help them complete it, in an interview if they prefer."
    ),
    rules=(
        questionnaire(
            gettext_noop("Baseline questionnaire"),
            Event.WAITING,
            0,
            14,
            Role.COORDINATOR,
            "baseline",
        ),
        questionnaire(
            gettext_noop("4-week questionnaire"), Event.FIRST_CONTACT, 28, 14, Role.PEER, "week4"
        ),
        questionnaire(
            gettext_noop("12-week questionnaire"), Event.FIRST_CONTACT, 84, 14, Role.PEER, "week12"
        ),
        questionnaire(
            gettext_noop("End-of-programme questionnaire"),
            Event.PROGRAMME_END,
            0,
            21,
            Role.COORDINATOR,
            "exit",
        ),
        questionnaire(
            gettext_noop("6-month follow-up questionnaire"),
            Event.PROGRAMME_END,
            182,
            30,
            Role.COORDINATOR,
            "followup6m",
        ),
    ),
    pathway=False,
)

PRESETS: dict[str, PresetSpec] = {
    spec.key: spec
    for spec in (PARENT_TO_PARENT, BEFORE_DISCHARGE, CRISIS_TRANSITION, QUESTIONNAIRES)
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
    timepoints = {row.code: row for row in timepoints_of(programme)}
    for position, rule_spec in enumerate(spec.rules):
        fields = asdict(rule_spec)
        code = fields.pop("timepoint_code")
        if code:
            fields["timepoint"] = timepoints.get(code)
        fields["title"] = _(rule_spec.title)
        fields["message"] = _(rule_spec.message) if rule_spec.message else ""
        rule = Rule(playbook=playbook, position=position, **fields)
        rule.full_clean()
        rule.save()
        audit_instance(actor=actor, action=AuditAction.CREATE, instance=rule)
    return playbook
