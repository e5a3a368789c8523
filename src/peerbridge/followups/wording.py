"""A playbook rule in plain words, for the playbook page and the API, and why a
message was not sent, for the work item's page."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from peerbridge.followups.messages import (
    REASON_NO_ADDRESS,
    REASON_NO_CONSENT,
    REASON_NO_RECIPIENT,
)
from peerbridge.followups.models import (
    Action,
    Event,
    Recipient,
    Role,
    Rule,
    Unless,
    WorkItem,
)

EVENT_PHRASES = {
    Event.WAITING: gettext_lazy("the participant joins the waiting list"),
    Event.DISCHARGE: gettext_lazy("discharge (or surgery)"),
    Event.MATCH_ACCEPTED: gettext_lazy("the peer accepts the match"),
    Event.MATCH_INTRODUCED: gettext_lazy("the introduction"),
    Event.FIRST_CONTACT: gettext_lazy("the first contact"),
    Event.STALLED: gettext_lazy(
        "a stall (no contact for longer than the programme's cadence and grace days)"
    ),
    Event.PROGRAMME_END: gettext_lazy(
        "the programme's end (its duration, counted from the first contact)"
    ),
}


def _event(rule: Rule) -> str:
    return str(EVENT_PHRASES.get(Event(rule.event), rule.event))


def _when(rule: Rule) -> str:
    event = _event(rule)
    days = abs(rule.offset_days)
    if rule.offset_days == 0:
        start = _("on the day of %(event)s") % {"event": event}
    elif rule.offset_days > 0:
        start = ngettext("%(n)d day after %(event)s", "%(n)d days after %(event)s", days) % {
            "n": days,
            "event": event,
        }
    else:
        start = ngettext("%(n)d day before %(event)s", "%(n)d days before %(event)s", days) % {
            "n": days,
            "event": event,
        }
    if rule.repeat_times > 1 and rule.repeat_every_days:
        return _("Every %(every)d days, %(times)d times, from %(start)s") % {
            "every": rule.repeat_every_days,
            "times": rule.repeat_times,
            "start": start,
        }
    return start[:1].upper() + start[1:]


def _unless(rule: Rule) -> str:
    if not rule.unless:
        return ""
    return ", " + _("unless %(condition)s") % {"condition": str(Unless(rule.unless).label).lower()}


def _what(rule: Rule) -> str:
    role = str(Role(rule.role).label).lower()
    if rule.action == Action.MESSAGE:
        recipient = str(Recipient(rule.recipient).label).lower() if rule.recipient else _("nobody")
        return _("a message to %(recipient)s: “%(title)s”") % {
            "recipient": recipient,
            "title": rule.title,
        }
    if rule.action == Action.CHECK_IN:
        return _("%(role)s asks both sides how the match feels: “%(title)s”") % {
            "role": role,
            "title": rule.title,
        }
    return _("a task for %(role)s: “%(title)s”") % {"role": role, "title": rule.title}


def _window(rule: Rule) -> str:
    if rule.action == Action.MESSAGE or not rule.window_days:
        return ""
    return " " + ngettext("(%(n)d day allowed)", "(%(n)d days allowed)", rule.window_days) % {
        "n": rule.window_days
    }


def rule_sentence(rule: Rule) -> str:
    """E.g. "7 days after the peer accepts the match, unless the match has ended: the
    coordinator asks both sides how the match feels: “…” (7 days allowed)."""
    return f"{_when(rule)}{_unless(rule)}: {_what(rule)}{_window(rule)}."


# The reasons `followups.messages` stores on a work item whose message was not sent.
NOT_SENT_REASONS = {
    REASON_NO_ADDRESS: gettext_lazy(
        "No email address or mobile number on record: call them instead"
    ),
    REASON_NO_CONSENT: gettext_lazy("They have not agreed to be contacted this way"),
    REASON_NO_RECIPIENT: gettext_lazy("Nobody to send it to"),
}


def not_sent_reason(item: WorkItem) -> str:
    """Why the item's message was not sent, in words; empty unless it failed."""
    if item.status != WorkItem.Status.FAILED:
        return ""
    reason = item.outcome.get("reason") if isinstance(item.outcome, dict) else None
    wording = NOT_SENT_REASONS.get(reason) if isinstance(reason, str) else None
    return str(wording or _("It could not be sent: reach them another way"))
