"""Closing a participant's time in the programme: a summary, the exit questionnaire's
fate, and thanks.

Closure completes the live match through the match lifecycle (capacity given back),
moves the enrolment to completed through the referrals transition service, records the
closure and, when asked, queues a thank-you through the outbox (no health details: it
says thank you and gives a link). The programme-end work item is closed by the next
playbook scan, which sees the closure (followups sits above support and reads it).

Outcomes (questionnaires) are not built yet: the exit questionnaire is recorded as a
choice (not used, offered, completed, declined); the outcomes work will send it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.matching import lifecycle
from peerbridge.matching.models import LIVE_MATCH_STATUSES, Match, MatchStatus
from peerbridge.notifications.services import notify
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.referrals.services import enrolment_transition
from peerbridge.support.models import Closure, Contact, Goal

SUMMARY_MAX = 4000
KIND_THANKS = "support_closure_thanks"
CLOSABLE = frozenset({EnrolmentStatus.MATCHED, EnrolmentStatus.ACTIVE})
# A match closes as completed only once support began; before that it ends early.
NOT_STARTED = frozenset(
    {MatchStatus.PROPOSED, MatchStatus.OFFERED, MatchStatus.ACCEPTED, MatchStatus.INTRODUCED}
)


# --- Reads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalProgress:
    """A goal with its first and latest Goal-Based Outcomes rating (0-10)."""

    text: str
    status: str
    status_label: str
    first: int | None
    first_on: date | None
    last: int | None
    last_on: date | None


@dataclass(frozen=True)
class ClosureDraft:
    """What the participant's time amounted to, for the coordinator's summary."""

    contacts: int
    attempts: int
    minutes: int
    goals: list[GoalProgress]

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    def text(self) -> str:
        """A first draft of the summary for the coordinator to edit."""
        lines = [
            ngettext(
                "%(n)d contact over %(hours)s hours.",
                "%(n)d contacts over %(hours)s hours.",
                self.contacts,
            )
            % {"n": self.contacts, "hours": self.hours}
        ]
        if self.attempts:
            lines.append(
                ngettext(
                    "%(n)d attempt did not connect.",
                    "%(n)d attempts did not connect.",
                    self.attempts,
                )
                % {"n": self.attempts}
            )
        if self.goals:
            lines.append(_("Goals:"))
        for goal in self.goals:
            lines.append(f"- {goal.text}: {_progress(goal)}")
        return "\n".join(lines)


def _progress(goal: GoalProgress) -> str:
    if goal.first is None or goal.last is None:
        return _("not rated (%(status)s)") % {"status": goal.status_label.lower()}
    if goal.first_on == goal.last_on:
        return _("rated %(last)d of 10 (%(status)s)") % {
            "last": goal.last,
            "status": goal.status_label.lower(),
        }
    return _("from %(first)d to %(last)d of 10 (%(status)s)") % {
        "first": goal.first,
        "last": goal.last,
        "status": goal.status_label.lower(),
    }


def closure_draft(enrolment: Enrolment) -> ClosureDraft:
    """Contacts, hours and goals of the enrolment, in three queries."""
    connected = Q(connected=True)
    totals = Contact.objects.filter(enrolment=enrolment).aggregate(
        contacts=Count("pk", filter=connected),
        attempts=Count("pk", filter=~connected),
        minutes=Sum("duration_minutes", filter=connected),
    )
    goals = []
    for goal in Goal.objects.filter(enrolment=enrolment).prefetch_related("ratings"):
        ratings = list(goal.ratings.all())  # oldest first (the model's ordering)
        first = ratings[0] if ratings else None
        last = ratings[-1] if ratings else None
        goals.append(
            GoalProgress(
                text=goal.text,
                status=goal.status,
                status_label=str(goal.get_status_display()),
                first=first.rating if first else None,
                first_on=first.rated_on if first else None,
                last=last.rating if last else None,
                last_on=last.rated_on if last else None,
            )
        )
    return ClosureDraft(
        contacts=totals["contacts"] or 0,
        attempts=totals["attempts"] or 0,
        minutes=totals["minutes"] or 0,
        goals=goals,
    )


def live_match(enrolment: Enrolment) -> Match | None:
    return (
        Match.objects.filter(enrolment=enrolment, status__in=LIVE_MATCH_STATUSES)
        .select_related("programme", "profile", "profile__person")
        .order_by("-created_at", "-pk")
        .first()
    )


def programme_end(match: Match | None) -> date | None:
    """The day the programme's duration is over, counted from the first contact."""
    if match is None or match.first_contact_at is None:
        return None
    weeks = match.programme.duration_weeks
    if not weeks:
        return None
    return timezone.localdate(match.first_contact_at) + timedelta(weeks=weeks)


def why_not_closable(enrolment: Enrolment, match: Match | None) -> str:
    """Why the participant's time cannot be closed now; empty when it can."""
    if Closure.objects.filter(enrolment=enrolment).exists():
        return _("Their time in the programme is already closed.")
    if enrolment.status not in CLOSABLE:
        return _(
            "Only the time of a matched or active participant can be closed; this enrolment "
            "is %(status)s."
        ) % {"status": enrolment.get_status_display().lower()}
    if match is not None and match.status in NOT_STARTED:
        return _(
            "The first contact has not been confirmed: confirm it on the match page, or end "
            "the match early."
        )
    return ""


# --- The write ------------------------------------------------------------------------


def _clean(summary: object, exit_questionnaire: object, send_thanks: object) -> str:
    errors: dict[str, str] = {}
    text = summary.strip() if isinstance(summary, str) else ""
    if not isinstance(summary, str):
        errors["summary"] = _("Write the summary as text.")
    elif not text:
        errors["summary"] = _("Write a short summary of the participant's time.")
    elif len(text) > SUMMARY_MAX:
        errors["summary"] = _("Keep the summary under %(n)d characters.") % {"n": SUMMARY_MAX}
    elif "\x00" in text:
        errors["summary"] = _("The summary contains characters that cannot be kept.")
    if exit_questionnaire not in Closure.ExitQuestionnaire.values:
        errors["exit_questionnaire"] = _("Say what happened with the exit questionnaire.")
    if not isinstance(send_thanks, bool):
        errors["send_thanks"] = _("Say whether to send thanks.")
    if errors:
        raise ValidationError(errors)
    return text


def _complete_match(match: Match, *, actor: User | None) -> None:
    if match.status == MatchStatus.FIRST_CONTACT:
        match = lifecycle.match_activate(match, actor=actor)
    lifecycle.match_complete(match, actor=actor)


def _complete_enrolment(enrolment: Enrolment, *, actor: User | None) -> Enrolment:
    enrolment = Enrolment.objects.get(pk=enrolment.pk)
    if enrolment.status == EnrolmentStatus.MATCHED:
        enrolment = enrolment_transition(
            enrolment=enrolment, to_status=EnrolmentStatus.ACTIVE, changed_by=actor
        )
    if enrolment.status != EnrolmentStatus.COMPLETED:
        enrolment = enrolment_transition(
            enrolment=enrolment, to_status=EnrolmentStatus.COMPLETED, changed_by=actor
        )
    return enrolment


def _thank(enrolment: Enrolment, *, at: datetime) -> datetime | None:
    person = enrolment.person
    sent = notify(
        kind=KIND_THANKS,
        programme=enrolment.programme,
        person=person,
        context={"first_name": person.preferred_name or person.given_name},
        link=reverse("web:home"),
        dedupe_key=f"support:closure:{enrolment.pk}:thanks",
    )
    return at if sent else None


@transaction.atomic
def closure_record(
    *,
    enrolment: Enrolment,
    actor: User | None,
    summary: str,
    exit_questionnaire: str,
    send_thanks: bool,
) -> Closure:
    """Close a matched or active participant's time in the programme. The live match
    (once support began) is completed, giving the peer's capacity back; the enrolment
    becomes completed; thanks go through the outbox when asked and reachable
    (`thanks_sent_at` stays empty when they cannot be reached)."""
    text = _clean(summary, exit_questionnaire, send_thanks)
    enrolment = (
        Enrolment.objects.select_for_update()
        .select_related("programme", "person")
        .get(pk=enrolment.pk)
    )
    match = live_match(enrolment)
    refused = why_not_closable(enrolment, match)
    if refused:
        raise ValidationError({"enrolment": refused}, code="not_closable")
    if match is not None:
        _complete_match(match, actor=actor)
    enrolment = _complete_enrolment(enrolment, actor=actor)
    now = timezone.now()
    closure = Closure.objects.create(
        enrolment=enrolment,
        summary=text,
        exit_questionnaire=exit_questionnaire,
        closed_by=actor,
        closed_at=now,
    )
    audit_instance(actor=actor, action=Action.CREATE, instance=closure)
    if send_thanks:
        closure.thanks_sent_at = _thank(enrolment, at=now)
        if closure.thanks_sent_at is not None:
            closure.save(update_fields=["thanks_sent_at"])
    return closure
