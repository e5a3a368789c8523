"""What happens in the benchmark's matches: contacts about weekly since first contact
(some matches stalled), risk flags with their trail, and playbook work items."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from bench.pages_people import Population, Stint
from bench.pages_programme import DAY, HOUR, Staff

EDIT_WINDOW = datetime.timedelta(hours=48)
TOPICS = [
    "housing", "benefits", "appointments", "medication", "family", "work", "loneliness",
    "treatment", "transport", "food", "sleep", "mood", "side effects", "money",
]  # fmt: skip
NEXT_STEPS = [
    "Call on Thursday after the clinic appointment.",
    "Meet at the community centre next week.",
    "Send the housing advice number by text.",
    "Check how the new medication is going.",
    "Go together to the benefits office.",
    "Talk about the support group on Tuesday.",
    "Follow up on the GP letter.",
    "Ring after the scan results.",
]
PRIVATE_NOTES = [
    "Seemed more settled than last week.",
    "Mentioned worries about the rent; came back to it twice.",
    "Quiet today; agreed to keep the call short.",
]
FLAG_SUMMARIES = [
    "Said they had stopped eating and felt hopeless.",
    "Talked about not wanting to go on.",
    "Partner shouting in the background; said they were scared.",
    "Missed two doses and feels very unwell.",
]


class Generator(Population):
    """The population with what happens in its matches: contacts, risk flags and work
    items."""

    # --- Contacts --------------------------------------------------------------------

    def contact_spans(self, stints: list[Stint]) -> list[tuple[Stint, float, float, int]]:
        """Each match with contacts, its span (start, end as days ago) and its share of
        the contacts, in proportion to the weeks it has run."""
        spans = []
        for stint in stints:
            if stint.first_contact_at is None:
                continue
            start = (self.now - stint.first_contact_at) / DAY
            end = (self.now - stint.closed_at) / DAY if stint.closed_at else 0.5
            if stint.stalled:
                end = max(end, min(start, self.rng.uniform(12, 40)))
            spans.append((stint, start, end, 0))
        weeks = [max(start - end, 1.0) for _, start, end, _ in spans]
        total = sum(weeks)
        counts = [max(1, int(self.scale.contacts * w / total)) for w in weeks]
        short = self.scale.contacts - sum(counts)
        for index in range(abs(short)):
            position = index % len(counts)
            if short > 0:
                counts[position] += 1
            elif counts[position] > 1:
                counts[position] -= 1
        return [
            (stint, start, end, count)
            for (stint, start, end, _), count in zip(spans, counts, strict=True)
        ]

    def contacts(self, programme: Any, stints: list[Stint]) -> None:
        from peerbridge.support.models import Contact, Mode, Setting, SupportType

        spans = self.contact_spans(stints)
        ids = iter(self.writer.ids(Contact, sum(span[3] for span in spans)))
        rng = self.rng
        modes = [Mode.PHONE] * 5 + [Mode.IN_PERSON] * 3 + [Mode.VIDEO, Mode.TEXT]
        settings = list(Setting.values)
        types = list(SupportType.values)

        def rows() -> Iterator[Any]:
            for stint, start, end, count in spans:
                step = (start - end) / max(count - 1, 1)
                for number in range(count):
                    days = start - number * step
                    at = self.ago(max(days - rng.uniform(0, step * 0.3), end))
                    connected = rng.random() < 0.88
                    last = number == count - 1
                    created = at + datetime.timedelta(minutes=rng.randint(5, 600))
                    yield Contact(
                        pk=next(ids),
                        match_id=stint.match_id,
                        programme=programme,
                        enrolment_id=stint.enrolment_id,
                        profile_id=stint.peer.profile_id,
                        occurred_at=at,
                        connected=connected,
                        duration_minutes=rng.randint(10, 75) if connected else 0,
                        travel_minutes=rng.choice((0, 0, 0, 15, 30)),
                        mode=rng.choice(modes),
                        setting=rng.choice(settings),
                        support_types=rng.sample(types, rng.randint(1, 3)) if connected else [],
                        topics=rng.sample(TOPICS, rng.randint(0, 3)) if connected else [],
                        transport_provided=rng.random() < 0.05,
                        next_step=rng.choice(NEXT_STEPS) if last or rng.random() < 0.5 else "",
                        next_contact_on=(at + 7 * DAY).date() if last else None,
                        private_note=rng.choice(PRIVATE_NOTES) if rng.random() < 0.05 else "",
                        logged_by_id=stint.peer.user_id,
                        created_at=created,
                        updated_at=created,
                        locked_at=created + EDIT_WINDOW,
                    )

        self.writer.write(Contact, rows())
        # The matches keep their last contact times, as the contact services keep them.
        from peerbridge.support.stalls import last_contacts_refresh

        last_contacts_refresh(stint.match_id for stint, _start, _end, _count in spans)

    # --- Risk flags and work items ---------------------------------------------------

    def flags(self, programme: Any, stints: list[Stint], staff: Staff) -> None:
        """About one flag per 200 participants, on working matches (the login peer's
        people get two): open (a third past the deadline), acknowledged, resolved,
        escalated to the leader."""
        from peerbridge.safety.models import FlagEvent, RiskFlag, Severity

        working = [s for s in stints if s.status != "completed"]
        chosen = [s for s in working if s.peer.user_id][:2]
        chosen += self.rng.sample(working, max(4, self.scale.participants // 200))
        flag_ids = self.writer.ids(RiskFlag, len(chosen))
        within = {Severity.HIGH: HOUR, Severity.MEDIUM: DAY, Severity.LOW: 3 * DAY}
        flags: list[Any] = []
        events: list[tuple[int, str, datetime.datetime, Any, Any]] = []
        for number, (pk, stint) in enumerate(zip(flag_ids, chosen, strict=True)):
            severity = [Severity.HIGH, Severity.MEDIUM, Severity.MEDIUM, Severity.LOW][number % 4]
            state = ["open", "acknowledged", "resolved", "escalated", "open", "resolved"][
                number % 6
            ]
            raised = self.ago(self.rng.uniform(0.01, 0.4 if state == "open" else 20))
            flag = RiskFlag(
                pk=pk,
                programme=programme,
                person_id=stint.person_id,
                enrolment_id=stint.enrolment_id,
                severity=severity,
                source=RiskFlag.Source.STAFF,
                summary=self.rng.choice(FLAG_SUMMARIES),
                status=RiskFlag.Status.OPEN,
                raised_by=staff.coordinator,
                raised_at=raised,
                assigned_to=staff.on_call,
                acknowledge_by=raised + within[severity],
            )
            events.append((pk, FlagEvent.Kind.RAISED, raised, staff.coordinator, None))
            events.append((pk, FlagEvent.Kind.NOTIFIED, raised, None, staff.on_call))
            later = raised + within[severity] / 2
            if state in ("acknowledged", "resolved"):
                flag.status = RiskFlag.Status.ACKNOWLEDGED
                flag.acknowledged_at, flag.acknowledged_by = later, staff.on_call
                events.append((pk, FlagEvent.Kind.ACKNOWLEDGED, later, staff.on_call, None))
            if state == "resolved":
                flag.status = RiskFlag.Status.RESOLVED
                flag.resolved_at, flag.resolved_by = later + HOUR, staff.on_call
                flag.actions = ["called_participant", "safety_plan"]
                flag.resolution = "Called back; safety plan agreed with the participant."
                events.append((pk, FlagEvent.Kind.RESOLVED, later + HOUR, staff.on_call, None))
            if state == "escalated":
                flag.escalated_at = flag.acknowledge_by
                flag.escalated_to = staff.leader
                events.append(
                    (pk, FlagEvent.Kind.ESCALATED, flag.acknowledge_by, None, staff.leader)
                )
            flags.append(flag)
        self.writer.write(RiskFlag, flags)
        event_ids = self.writer.ids(FlagEvent, len(events))
        self.writer.write(
            FlagEvent,
            (
                FlagEvent(pk=pk, flag_id=flag, kind=kind, at=at, by=by, to=to)
                for pk, (flag, kind, at, by, to) in zip(event_ids, events, strict=True)
            ),
        )

    def work_items(self, programme: Any, stints: list[Stint], staff: Staff) -> None:
        """A playbook with a stall rule (coordinator) and a follow-up (peer): one item
        per stalled match, a follow-up for 5% of working matches (all of the login
        peer's first two), some overdue."""
        from peerbridge.followups.models import Action, Event, Playbook, Role, Rule, WorkItem

        playbook = Playbook.objects.create(programme=programme, name="Bench follow-ups")
        stall = Rule.objects.create(
            playbook=playbook,
            title="Call the peer: no contact for longer than the cadence",
            event=Event.STALLED,
            offset_days=0,
            window_days=3,
            action=Action.WORK_ITEM,
            role=Role.COORDINATOR,
        )
        follow = Rule.objects.create(
            playbook=playbook,
            title="Check how the first weeks went",
            event=Event.FIRST_CONTACT,
            offset_days=14,
            window_days=7,
            action=Action.WORK_ITEM,
            role=Role.PEER,
        )
        today = self.now.date()
        working = [s for s in stints if s.status != "completed"]
        planned: list[tuple[Any, Stint, int | None]] = [
            (stall, s, staff.coordinator.pk) for s in working if s.stalled
        ]
        started = [s for s in working if s.first_contact_at is not None]
        mine = [s for s in started if s.peer.user_id][:2]
        others = [s for s in started if s not in mine and self.rng.random() < 0.05]
        planned += [(follow, s, s.peer.user_id) for s in mine + others]
        ids = self.writer.ids(WorkItem, len(planned))

        def rows() -> Iterator[Any]:
            for pk, (rule, stint, assignee) in zip(ids, planned, strict=True):
                due = today - datetime.timedelta(days=self.rng.randint(-3, 10))
                yield WorkItem(
                    pk=pk,
                    rule=rule,
                    programme=programme,
                    subject=f"match:{stint.match_id}",
                    enrolment_id=stint.enrolment_id,
                    match_id=stint.match_id,
                    action=Action.WORK_ITEM,
                    role=rule.role,
                    assignee_id=assignee,
                    title=rule.title,
                    due_on=due,
                    overdue_on=due + datetime.timedelta(days=rule.window_days),
                    created_at=self.ago(12),
                )

        self.writer.write(WorkItem, rows())
