"""The demo's matching: settings from the seed presets, a match behind every matched and
active participant (held by an eligible peer, within capacity, in step with the
enrolment's history), offers, a declined offer, a re-match, choice links, a draft batch
run, playbooks with a work queue and answered check-ins; the coordinator's pages render,
and a second load adds nothing."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

import pytest
from django.db import models
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.followups.models import Playbook, WorkItem
from peerbridge.followups.selectors import work_queue
from peerbridge.matching.batch_runs import waiting_list
from peerbridge.matching.models import (
    LIVE_MATCH_STATUSES,
    BatchProposal,
    BatchRun,
    ChoiceInvitation,
    EndReason,
    Match,
    MatchCheckIn,
    MatchPreferences,
    MatchSettings,
    MatchStatus,
    MatchStatusChange,
)
from peerbridge.organisations.models import Programme
from peerbridge.referrals.models import Enrolment, EnrolmentStatus, EnrolmentStatusChange
from peerbridge.web.demo import DEMO_DOMAIN, PROGRAMMES, load_demo
from peerbridge.web.demo_matching import PERSONA_LOAD, PLAYBOOKS, PRESETS
from peerbridge.workforce.eligibility import standings
from peerbridge.workforce.models import CapacityReservation, PeerProfile
from tests.conftest import client_for, persona_user

pytestmark = pytest.mark.django_db
M = MatchStatus
S = EnrolmentStatus
MATCHING_MODELS: tuple[type[models.Model], ...] = (
    MatchSettings,
    MatchPreferences,
    Match,
    MatchStatusChange,
    CapacityReservation,
    ChoiceInvitation,
    BatchRun,
    BatchProposal,
    Playbook,
    WorkItem,
    MatchCheckIn,
)


def programme(letter: str) -> Programme:
    code = next(spec["code"] for spec in PROGRAMMES if spec["letter"] == letter)
    return Programme.objects.get(code=code)


def staff(local: str) -> User:
    return User.objects.get(email=f"{local}@{DEMO_DOMAIN}")


def demo_matches() -> models.QuerySet[Match]:
    return Match.objects.filter(programme__site__organisation__slug="bridges")


def live_matches() -> list[Match]:
    return list(
        demo_matches()
        .filter(status__in=sorted(LIVE_MATCH_STATUSES))
        .select_related("profile__person", "enrolment")
    )


def last_change(enrolment: Enrolment, status: str) -> datetime:
    found = (
        EnrolmentStatusChange.objects.filter(enrolment=enrolment, to_status=status)
        .order_by("-changed_at", "-pk")
        .first()
    )
    assert found is not None, (enrolment.pk, status)
    return found.changed_at


# ---------------------------------------------------------------------------------------
# Settings and wishes


def test_every_programme_matches_with_its_seed_preset() -> None:
    presets = dict(
        MatchSettings.objects.filter(programme__site__organisation__slug="bridges").values_list(
            "programme__code", "preset"
        )
    )
    assert len(presets) == len(PROGRAMMES)
    for spec in PROGRAMMES:
        assert presets[spec["code"]] == PRESETS.get(spec["letter"], "general"), spec["code"]
    assert presets["cancer-survivor-calls"] == "surgery_first"
    assert presets["transplant-mentors"] == "issues_first"
    assert presets["support-parents"] == "rare_issues"
    assert presets["hiv-peer-navigation"] == "language_culture"


def test_some_waiting_participants_said_what_they_want_from_a_peer() -> None:
    wishes = list(MatchPreferences.objects.select_related("enrolment__person"))
    needs = [w for w in wishes if w.language_required]
    assert needs and all(w.language in (w.enrolment.person.languages or []) for w in needs)
    assert any(w.peer_gender for w in wishes)
    assert any("in_person" in w.modalities and w.max_distance_km for w in wishes)
    for wish in wishes:
        wish.full_clean()


# ---------------------------------------------------------------------------------------
# Matches behind the enrolments


def test_every_matched_and_active_participant_has_one_live_match() -> None:
    wanted = {
        S.MATCHED: {M.ACCEPTED, M.INTRODUCED, M.FIRST_CONTACT},
        S.ACTIVE: {M.ACTIVE},
    }
    working = Enrolment.objects.filter(
        programme__site__organisation__slug="bridges", status__in=list(wanted)
    )
    assert working.count() >= 40
    live: dict[int, list[str]] = defaultdict(list)
    for match in live_matches():
        live[match.enrolment_id].append(match.status)
    for enrolment in working:
        assert len(live[enrolment.pk]) == 1, enrolment.pk
        assert live[enrolment.pk][0] in wanted[S(enrolment.status)], enrolment.pk
    offered = [m for m in live_matches() if m.status == M.OFFERED]
    assert all(m.enrolment.status == S.WAITING for m in offered)


def test_counts_by_status_tell_the_whole_story() -> None:
    counts = Counter(demo_matches().values_list("status", flat=True))
    for status in (M.ACCEPTED, M.INTRODUCED, M.FIRST_CONTACT, M.ACTIVE, M.COMPLETED):
        assert counts[status] >= 1, status
    assert counts[M.ACTIVE] >= 30
    assert counts[M.OFFERED] >= 3
    assert counts[M.DECLINED] >= 1
    assert counts[M.ENDED] >= 1
    now = timezone.now()
    offered = demo_matches().filter(status=M.OFFERED)
    assert offered.filter(respond_by__lt=now).count() >= 1  # one overdue
    assert offered.filter(respond_by__gte=now).count() >= 2
    assert offered.filter(profile__person__user=persona_user("peer")).exists()
    sources = set(demo_matches().values_list("source", flat=True))
    assert {Match.Source.SUGGESTION, Match.Source.MANUAL, Match.Source.CHOICE} <= sources


def test_a_match_ended_as_not_a_fit_is_followed_by_a_rematch() -> None:
    rematches = demo_matches().filter(
        previous__status=M.ENDED, previous__end_reason=EndReason.NOT_A_FIT
    )
    assert rematches.exists()
    for match in rematches.select_related("previous"):
        previous = match.previous
        assert previous is not None
        assert previous.enrolment.person_id == match.enrolment.person_id
        assert previous.profile_id != match.profile_id  # the earlier peer is not matched again
        assert previous.closed_at is not None and match.created_at >= previous.closed_at
    declined = demo_matches().filter(status=M.DECLINED)
    assert declined.exists() and all(m.decline_reason for m in declined)
    for match in declined:
        later = demo_matches().filter(enrolment=match.enrolment).exclude(pk=match.pk)
        assert not later.filter(profile=match.profile).exists()


def test_live_matches_follow_the_enrolment_history() -> None:
    now = timezone.now()
    for match in live_matches():
        stamps = [
            match.created_at,
            match.offered_at,
            match.accepted_at,
            match.introduced_at,
            match.first_contact_at,
            match.active_at,
        ]
        known = [stamp for stamp in stamps if stamp is not None]
        assert known == sorted(known) and known[-1] <= now, match.pk
        history = list(match.status_changes.order_by("changed_at", "pk"))
        assert history[0].to_status == M.PROPOSED and history[-1].to_status == match.status
        assert [c.from_status for c in history[1:]] == [c.to_status for c in history[:-1]]
        if match.status in (M.ACCEPTED, M.INTRODUCED, M.FIRST_CONTACT, M.ACTIVE):
            assert match.accepted_at == last_change(match.enrolment, S.MATCHED)
        if match.status == M.ACTIVE:
            assert match.active_at == last_change(match.enrolment, S.ACTIVE)
        waited = match.enrolment.waiting_since
        if waited is not None and match.status != M.OFFERED:
            assert match.created_at >= waited - timezone.timedelta(days=1)


def test_reservations_are_the_live_matches_within_capacity_and_eligibility() -> None:
    live = live_matches()
    held = CapacityReservation.objects.filter(
        kind=CapacityReservation.Kind.MATCH,
        released_at__isnull=True,
        profile__programme__site__organisation__slug="bridges",
    )
    assert sorted(held.values_list("reference", flat=True)) == sorted(m.reference for m in live)
    by_reference = {r.reference: r.profile_id for r in held}
    assert all(by_reference[m.reference] == m.profile_id for m in live)
    profiles = PeerProfile.objects.filter(pk__in={m.profile_id for m in live})
    found = standings(profiles)
    for profile in profiles:
        standing = found[profile.pk]
        assert standing.matches_held <= profile.max_matches, profile.pk
        assert standing.common_blockers == (), (profile.pk, standing.common_blockers)
    for match in live:
        accepted = match.accepted_at or match.offered_at
        assert accepted is not None
        assert match.profile.programme_id == match.programme_id
        activated = match.profile.activated_on
        assert activated is not None and activated <= timezone.localdate(accepted)
    closed = demo_matches().exclude(status__in=sorted(LIVE_MATCH_STATUSES))
    released = CapacityReservation.objects.filter(released_at__isnull=False)
    assert set(released.values_list("reference", flat=True)) >= {m.reference for m in closed}


def test_the_persona_peers_support_people_and_keep_room() -> None:
    found = standings(
        PeerProfile.objects.filter(
            person__user__email__regex=r"^peer2?\.[a-h]@", status=PeerProfile.Status.ACTIVE
        )
    )
    assert len(found) >= 8
    working = [s for s in found.values() if s.matches_held]
    assert len(working) >= 6
    for standing in found.values():
        assert standing.may_take_match, standing.profile_id  # room left for the journeys
        assert standing.matches_held <= PERSONA_LOAD + 1  # + peer.a's offer


# ---------------------------------------------------------------------------------------
# Choice, batch run, playbooks, check-ins


def test_one_choice_link_is_open_and_one_was_answered() -> None:
    invitations = list(ChoiceInvitation.objects.select_related("match"))
    states = Counter(i.status for i in invitations)
    assert states[ChoiceInvitation.Status.OPEN] >= 1
    assert states[ChoiceInvitation.Status.CHOSEN] >= 1
    now = timezone.now()
    for invitation in invitations:
        assert invitation.shown and invitation.profiles.exists()
        if invitation.status == ChoiceInvitation.Status.OPEN:
            assert invitation.expires_at > now
        if invitation.status == ChoiceInvitation.Status.CHOSEN:
            assert invitation.match is not None and invitation.chosen_id
            assert invitation.match.source == Match.Source.CHOICE
            assert invitation.match.profile_id == invitation.chosen_id
            assert invitation.responded_at and invitation.responded_at >= invitation.created_at


def test_a_draft_batch_run_waits_for_review() -> None:
    run = BatchRun.objects.get(status=BatchRun.Status.DRAFT)
    assert run.programme == programme("a")
    lines = list(run.proposals.all())
    assert lines and any(line.profile_id for line in lines)
    assert run.stats["waiting"] == len(lines)
    assert {line.enrolment_id for line in lines} <= {e.pk for e in waiting_list(run.programme)}


def test_playbooks_made_a_work_queue_with_due_and_overdue_items() -> None:
    presets = set(Playbook.objects.values_list("programme__code", "preset"))
    for letter, key in PLAYBOOKS.items():
        assert (programme(letter).code, key) in presets
    today = timezone.localdate()
    open_items = WorkItem.objects.filter(status__in=[WorkItem.Status.OPEN, WorkItem.Status.FAILED])
    assert open_items.filter(due_on__lte=today, overdue_on__gte=today).exists()  # due
    assert open_items.filter(overdue_on__lt=today).exists()  # overdue
    assert WorkItem.objects.filter(status=WorkItem.Status.DONE).exists()
    done = WorkItem.objects.filter(status=WorkItem.Status.DONE)
    assert all(i.completed_at and i.completed_by_id for i in done)
    assert work_queue(staff("coordinator.d")).exists()


def test_some_check_ins_are_answered_and_one_is_not_comfortable() -> None:
    answered = MatchCheckIn.objects.filter(answered_at__isnull=False)
    assert answered.count() >= 3
    worried = answered.filter(comfortable=False)
    assert worried.count() == 1
    [check_in] = worried
    assert check_in.wants_change
    flagged = WorkItem.objects.filter(match=check_in.match, outcome__attention=True)
    assert flagged.exists()


# ---------------------------------------------------------------------------------------
# Pages


def test_the_coordinator_pages_render_with_the_demo_data() -> None:
    client = client_for("coordinator")
    a = programme("a")
    waiting = waiting_list(a).first()
    match = demo_matches().filter(programme=a, status=M.ACTIVE).first()
    run = BatchRun.objects.get(programme=a, status=BatchRun.Status.DRAFT)
    assert waiting is not None and match is not None
    pages = {
        "/matching/": "Recovery peer counselling",
        f"/programmes/{a.pk}/matching/": str(waiting.person),
        f"/matching/enrolments/{waiting.pk}/": "Suggested peers",
        f"/matching/matches/{match.pk}/": str(match.profile.person),
        f"/programmes/{a.pk}/matches/": str(match.enrolment.person),
        f"/matching/batch/{run.pk}/": str(waiting.person),
        "/followups/": "",
    }
    for url, text in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url


def test_the_peer_login_sees_their_offer_and_the_people_they_support() -> None:
    page = client_for("peer").get("/matching/my/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "No offers waiting for you." not in body
    assert "You are not supporting anyone through PeerBridge yet." not in body


def test_programme_d_coordinator_queue_shows_the_worried_check_in_first() -> None:
    queue = list(work_queue(staff("coordinator.d")))
    worried = [i for i, item in enumerate(queue) if item.outcome.get("attention")]
    routine = [i for i, item in enumerate(queue) if item.status == WorkItem.Status.OPEN]
    routine = [i for i in routine if not queue[i].outcome.get("attention")]
    assert len(worried) == 1 and routine
    assert worried[0] < min(routine)  # before every item that is not a worry


# ---------------------------------------------------------------------------------------
# Valid, audited, loaded once


def test_a_sample_of_every_kind_of_row_is_valid() -> None:
    for model in MATCHING_MODELS:
        rows = list(model.objects.order_by("pk"))  # type: ignore[attr-defined]
        assert rows, model
        for row in rows[:: max(1, len(rows) // 12)]:
            row.full_clean()


def test_creations_are_audited() -> None:
    for model in (Match, CapacityReservation, WorkItem):
        label = model._meta.label_lower
        created = AuditEvent.objects.filter(object_type=label, action=AuditEvent.Action.CREATE)
        assert created.count() >= model.objects.count(), label


def test_loading_twice_changes_nothing() -> None:
    before = [model.objects.count() for model in (*MATCHING_MODELS, AuditEvent)]  # type: ignore[attr-defined]
    load_demo()
    after = [model.objects.count() for model in (*MATCHING_MODELS, AuditEvent)]  # type: ignore[attr-defined]
    assert after == before
