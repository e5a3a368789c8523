"""The match lifecycle services: every transition and every refusal, the participant's
enrolment kept in step, the peer's capacity held while a match is live and given back
after, excluded peers, the re-match link, the history and the audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.matching import lifecycle
from peerbridge.matching.models import (
    MATCH_TRANSITIONS,
    Match,
    MatchSettings,
    MatchStatus,
    MatchStatusChange,
)
from peerbridge.matching.selectors import (
    access_match,
    matches_in_scope,
    own_matches,
    waiting_enrolments,
)
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.referrals.services import enrolment_transition
from peerbridge.workforce.capacity import CapacityRefused
from peerbridge.workforce.models import CapacityReservation, PeerProfile
from tests.conftest import World
from tests.matching.world_lifecycle import (
    PATHS,
    STEPS,
    offered,
    ready_peer,
    user_of,
    waiting_enrolment,
    walk_to,
)

pytestmark = pytest.mark.django_db

M = MatchStatus
E = EnrolmentStatus


def _held(match: Match) -> bool:
    return CapacityReservation.objects.filter(
        profile_id=match.profile_id, kind="match", reference=f"match:{match.pk}", released_at=None
    ).exists()


def _enrolment_status(match: Match) -> str:
    return Enrolment.objects.get(pk=match.enrolment_id).status


def _history(match: Match) -> list[tuple[str, str, str]]:
    return [
        (c.from_status, c.to_status, c.reason)
        for c in MatchStatusChange.objects.filter(match=match).order_by("changed_at", "pk")
    ]


def _no_settings(programme: Any) -> None:
    MatchSettings.objects.filter(programme=programme).delete()


# ----------------------------------------------------------------------------- create


def test_a_new_match_is_offered_with_capacity_held_and_history(world: World) -> None:
    _no_settings(world.programme_a)
    coordinator = user_of("coordinator")
    enrolment = waiting_enrolment(world.programme_a)
    profile = ready_peer(world.programme_a)
    before = timezone.now()
    match = lifecycle.match_create(
        enrolment=enrolment,
        profile=profile,
        source=Match.Source.SUGGESTION,
        actor=coordinator,
        score=87.5,
        reasons=["Both speak Spanish", "  "],
    )
    match.refresh_from_db()
    assert match.status == M.OFFERED
    assert match.programme_id == world.programme_a.pk
    assert match.score == 87.5 and match.reasons == ["Both speak Spanish"]
    assert match.created_by == coordinator and match.previous is None
    assert match.offered_at is not None and match.offered_at >= before
    assert match.respond_by is not None
    assert match.respond_by - match.offered_at == timedelta(days=3)  # the default
    assert _held(match)
    assert _history(match) == [("", M.PROPOSED, "suggestion"), (M.PROPOSED, M.OFFERED, "")]
    assert all(c.changed_by == coordinator for c in match.status_changes.all())
    assert _enrolment_status(match) == E.WAITING  # the peer has not answered yet
    events = AuditEvent.objects.filter(object_type="matching.match", object_id=str(match.pk))
    assert sorted(events.values_list("action", flat=True)) == ["create", "update"]


def test_the_programmes_offer_window_sets_respond_by(world: World) -> None:
    _no_settings(world.programme_a)
    MatchSettings.objects.create(programme=world.programme_a, offer_response_days=7)
    match = offered(world.programme_a)
    assert match.respond_by is not None and match.offered_at is not None
    assert match.respond_by - match.offered_at == timedelta(days=7)


def test_the_default_offer_window_never_creates_settings(world: World) -> None:
    _no_settings(world.programme_a)
    offered(world.programme_a)
    assert not MatchSettings.objects.filter(programme=world.programme_a).exists()


def test_a_proposal_holds_capacity_until_offered(world: World) -> None:
    match = offered(world.programme_a, offer=False)
    assert match.status == M.PROPOSED and match.offered_at is None and _held(match)
    match = lifecycle.match_offer(match, actor=user_of("coordinator"))
    assert match.status == M.OFFERED and match.offered_at is not None
    assert match.respond_by is not None


@pytest.mark.parametrize(
    "status", [E.REFERRED, E.ENROLLED, E.MATCHED, E.WITHDRAWN], ids=lambda s: str(s)
)
def test_only_a_waiting_participant_can_be_matched(world: World, status: str) -> None:
    enrolment = waiting_enrolment(world.programme_a)
    Enrolment.objects.filter(pk=enrolment.pk).update(status=status)
    profile = ready_peer(world.programme_a)
    with pytest.raises(ValidationError) as refused:
        offered(world.programme_a, enrolment=enrolment, profile=profile)
    assert "enrolment" in refused.value.message_dict
    assert not Match.objects.filter(enrolment=enrolment).exists()
    assert not CapacityReservation.objects.filter(profile=profile).exists()


def test_a_participant_has_one_live_match_at_a_time(world: World) -> None:
    first = offered(world.programme_a)
    other_peer = ready_peer(world.programme_a)
    with pytest.raises(ValidationError) as refused:
        offered(world.programme_a, enrolment=first.enrolment, profile=other_peer)
    assert "under way" in refused.value.message_dict["enrolment"][0]
    assert not CapacityReservation.objects.filter(profile=other_peer).exists()


def test_the_database_constraint_backs_the_one_live_match_rule(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = offered(world.programme_a)
    monkeypatch.setattr(lifecycle, "_creation_errors", lambda **kwargs: {})
    with pytest.raises(ValidationError) as refused:
        offered(world.programme_a, enrolment=first.enrolment)
    assert "enrolment" in refused.value.message_dict
    assert Match.objects.filter(enrolment=first.enrolment).count() == 1


def test_a_peer_of_another_programme_is_refused(world: World) -> None:
    enrolment = waiting_enrolment(world.programme_a)
    stranger = ready_peer(world.programme_b)
    with pytest.raises(ValidationError) as refused:
        offered(world.programme_a, enrolment=enrolment, profile=stranger)
    assert "another programme" in refused.value.message_dict["peer"][0]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source": "telepathy"}, "source"),
        ({"score": -1}, "score"),
        ({"score": 101}, "score"),
        ({"score": float("nan")}, "score"),
        ({"score": True}, "score"),
        ({"reasons": "not a list"}, "reasons"),
        ({"reasons": [1, 2]}, "reasons"),
        ({"reasons": ["x" * 301]}, "reasons"),
        ({"reasons": ["ok"] * 21}, "reasons"),
        ({"note": "x" * 2001}, "note"),
        ({"note": "a\x00b"}, "note"),
    ],
)
def test_bad_values_are_refused_on_their_field(
    world: World, changes: dict[str, Any], field: str
) -> None:
    values: dict[str, Any] = {
        "enrolment": waiting_enrolment(world.programme_a),
        "profile": ready_peer(world.programme_a),
        "source": "manual",
        "actor": None,
        **changes,
    }
    with pytest.raises(ValidationError) as refused:
        lifecycle.match_create(**values)
    assert field in refused.value.message_dict
    assert not Match.objects.filter(enrolment=values["enrolment"]).exists()


def test_a_batch_run_of_another_programme_is_refused(world: World) -> None:
    from peerbridge.matching.models import BatchRun

    run = BatchRun.objects.create(programme=world.programme_b)
    with pytest.raises(ValidationError) as refused:
        offered(world.programme_a, batch=run)
    assert "batch" in refused.value.message_dict


# ------------------------------------------------------------------------- capacity


def test_a_full_peer_is_refused_with_the_reasons_and_nothing_is_kept(world: World) -> None:
    profile = ready_peer(world.programme_a, max_matches=1)
    offered(world.programme_a, profile=profile)
    enrolment = waiting_enrolment(world.programme_a)
    with pytest.raises(CapacityRefused) as refused:
        offered(world.programme_a, profile=profile, enrolment=enrolment)
    assert isinstance(refused.value, ValidationError)
    assert "Already 1 of 1" in refused.value.message_dict["peer"][0]
    assert [b.reason.value for b in refused.value.blockers] == ["at_capacity"]
    assert not Match.objects.filter(enrolment=enrolment).exists()
    assert not MatchStatusChange.objects.filter(match__enrolment=enrolment).exists()
    assert CapacityReservation.objects.filter(profile=profile, released_at=None).count() == 1


def test_a_peer_in_training_is_refused(world: World) -> None:
    profile = ready_peer(world.programme_a)
    PeerProfile.objects.filter(pk=profile.pk).update(status=PeerProfile.Status.TRAINING)
    profile.refresh_from_db()
    with pytest.raises(CapacityRefused) as refused:
        offered(world.programme_a, profile=profile)
    assert "not_active" in {b.reason.value for b in refused.value.blockers}


@pytest.mark.parametrize("closing", [M.DECLINED, M.CANCELLED, M.COMPLETED, M.ENDED])
def test_every_way_out_gives_the_capacity_back(world: World, closing: str) -> None:
    profile = ready_peer(world.programme_a, max_matches=1)
    match = walk_to(closing, world.programme_a, profile=profile)
    assert not _held(match)
    released = CapacityReservation.objects.get(reference=f"match:{match.pk}")
    assert released.released_at is not None
    # ...so the peer may take the next participant.
    assert offered(world.programme_a, profile=profile).status == M.OFFERED


@pytest.mark.parametrize("status", [M.ACCEPTED, M.INTRODUCED, M.FIRST_CONTACT, M.ACTIVE])
def test_a_working_match_keeps_its_capacity(world: World, status: str) -> None:
    assert _held(walk_to(status, world.programme_a))


# ---------------------------------------------------------------------- transitions


def test_the_whole_way_to_completion_keeps_the_enrolment_in_step(world: World) -> None:
    coordinator, peer_user = user_of("coordinator"), None
    match = offered(world.programme_a, actor=coordinator)
    peer_user = match.profile.person.user
    assert peer_user is not None
    match = lifecycle.match_accept(match, actor=peer_user)
    assert match.accepted_at is not None and _enrolment_status(match) == E.MATCHED
    match = lifecycle.match_introduce(match, actor=coordinator)
    assert match.introduced_at is not None and _enrolment_status(match) == E.MATCHED
    match = lifecycle.match_confirm_first_contact(match, actor=peer_user)
    assert match.first_contact_at is not None
    match = lifecycle.match_activate(match, actor=coordinator)
    assert match.active_at is not None and _enrolment_status(match) == E.ACTIVE
    match = lifecycle.match_complete(match, actor=coordinator, note="Goals met.")
    assert match.status == M.COMPLETED and match.closed_at is not None
    assert _enrolment_status(match) == E.COMPLETED
    assert [to for _f, to, _r in _history(match)] == [
        M.PROPOSED,
        M.OFFERED,
        M.ACCEPTED,
        M.INTRODUCED,
        M.FIRST_CONTACT,
        M.ACTIVE,
        M.COMPLETED,
    ]
    last = match.status_changes.order_by("-changed_at", "-pk").first()
    assert last is not None and last.note == "Goals met." and last.changed_by == coordinator
    accepted = match.status_changes.get(to_status=M.ACCEPTED)
    assert accepted.changed_by == peer_user
    updates = AuditEvent.objects.filter(
        object_type="matching.match", object_id=str(match.pk), action="update"
    )
    assert updates.count() == 6
    enrolment_moves = AuditEvent.objects.filter(
        object_type="referrals.enrolment", object_id=str(match.enrolment_id), action="update"
    )
    assert enrolment_moves.count() >= 3  # matched, active, completed


def test_completing_leaves_an_enrolment_that_cannot_complete_alone(world: World) -> None:
    match = walk_to(M.ACTIVE, world.programme_a)
    enrolment_transition(
        enrolment=match.enrolment, to_status=E.WITHDRAWN, changed_by=None, reason="Moved away."
    )
    match = lifecycle.match_complete(match, actor=None)
    assert match.status == M.COMPLETED and _enrolment_status(match) == E.WITHDRAWN


@pytest.mark.parametrize("status", list(M), ids=lambda s: str(s))
def test_every_step_the_table_forbids_is_refused_with_a_clear_message(
    world: World, status: str
) -> None:
    match = walk_to(status, world.programme_a)
    refused_steps = [to for to in STEPS if to not in MATCH_TRANSITIONS[M(status)]]
    assert refused_steps or status == M.PROPOSED
    for to_status in refused_steps:
        with pytest.raises(ValidationError) as refused:
            STEPS[to_status](Match.objects.get(pk=match.pk), None)
        message = refused.value.message_dict["status"][0]
        assert message.startswith("A match that is ") and "cannot become" in message
        assert Match.objects.get(pk=match.pk).status == status
    assert len(_history(match)) == len(PATHS[status]) + 1


@pytest.mark.parametrize("status", list(M), ids=lambda s: str(s))
def test_every_step_the_table_allows_is_taken(world: World, status: str) -> None:
    for to_status in MATCH_TRANSITIONS[M(status)]:
        with transaction.atomic():
            match = walk_to(status, world.programme_a)
            moved = STEPS[to_status](match, None)
            assert moved.status == to_status
            assert _history(moved)[-1][:2] == (status, to_status)
            transaction.set_rollback(True)


def test_a_stale_copy_cannot_take_a_step_twice(world: World) -> None:
    match = offered(world.programme_a)
    stale = Match.objects.get(pk=match.pk)
    lifecycle.match_accept(match, actor=None)
    with pytest.raises(ValidationError):
        lifecycle.match_accept(stale, actor=None)
    assert MatchStatusChange.objects.filter(match=match, to_status=M.ACCEPTED).count() == 1


def test_an_offer_to_a_participant_no_longer_waiting_cannot_be_accepted(world: World) -> None:
    match = offered(world.programme_a)
    enrolment_transition(
        enrolment=match.enrolment, to_status=E.WITHDRAWN, changed_by=None, reason="Moved away."
    )
    with pytest.raises(ValidationError) as refused:
        lifecycle.match_accept(match, actor=None)
    assert "no longer waiting" in refused.value.message_dict["status"][0]
    assert Match.objects.get(pk=match.pk).status == M.OFFERED
    cancelled = lifecycle.match_cancel(match, actor=None, note="Participant withdrew.")
    assert cancelled.status == M.CANCELLED and not _held(cancelled)


# -------------------------------------------------------------------- decline, end


def test_declining_needs_a_reason_and_excludes_the_peer(world: World) -> None:
    match = offered(world.programme_a)
    with pytest.raises(ValidationError) as refused:
        lifecycle.match_decline(match, reason="busy", note="", actor=None)
    assert "reason" in refused.value.message_dict
    match = lifecycle.match_decline(match, reason="know_them", note="Same street.", actor=None)
    assert match.status == M.DECLINED and match.decline_reason == "know_them"
    assert match.closed_at is not None and not _held(match)
    assert _enrolment_status(match) == E.WAITING
    change = match.status_changes.get(to_status=M.DECLINED)
    assert change.reason == "know_them" and change.note == "Same street."
    assert lifecycle.excluded_profiles(match.enrolment) == {match.profile_id}


def test_an_excluded_peer_needs_an_override_with_a_note(world: World) -> None:
    declined = walk_to(M.DECLINED, world.programme_a)
    again: dict[str, Any] = {"enrolment": declined.enrolment, "profile": declined.profile}
    with pytest.raises(ValidationError) as refused:
        offered(world.programme_a, **again)
    assert "declined this participant before" in refused.value.message_dict["peer"][0]
    with pytest.raises(ValidationError) as refused:
        offered(world.programme_a, allow_excluded=True, **again)
    assert "note" in refused.value.message_dict
    match = offered(
        world.programme_a, allow_excluded=True, note="They asked for this peer again.", **again
    )
    assert match.status == M.OFFERED and match.note == "They asked for this peer again."
    assert match.status_changes.get(to_status=M.PROPOSED).note == match.note


@pytest.mark.parametrize(
    ("reason", "excluded"),
    [("not_a_fit", True), ("safety", True), ("peer_unavailable", False), ("other", False)],
)
def test_an_early_end_puts_the_participant_back_and_excludes_by_reason(
    world: World, reason: str, excluded: bool
) -> None:
    match = walk_to(M.ACTIVE, world.programme_a)
    match = lifecycle.match_end(match, reason=reason, note="Talked it through.", actor=None)
    assert match.status == M.ENDED and match.end_reason == reason and not _held(match)
    enrolment = Enrolment.objects.get(pk=match.enrolment_id)
    assert enrolment.status == E.WAITING and enrolment.waiting_since is not None
    assert (match.profile_id in lifecycle.excluded_profiles(enrolment)) is excluded
    assert (match.profile_id in lifecycle.previous_good_profiles(enrolment)) is (
        reason == "peer_unavailable"
    )


def test_a_re_match_links_the_last_ended_match(world: World) -> None:
    first = walk_to(M.ACCEPTED, world.programme_a)
    first = lifecycle.match_end(first, reason="not_a_fit", note="", actor=None)
    second = offered(world.programme_a, enrolment=first.enrolment)
    assert second.previous_id == first.pk
    second = lifecycle.match_end(
        lifecycle.match_accept(second, actor=None), reason="peer_unavailable", note="", actor=None
    )
    third = offered(world.programme_a, enrolment=first.enrolment)
    assert third.previous_id == second.pk
    assert lifecycle.excluded_profiles(first.enrolment) == {first.profile_id}
    assert lifecycle.previous_good_profiles(first.enrolment) == {second.profile_id}


def test_a_decline_is_not_a_previous_match(world: World) -> None:
    declined = walk_to(M.DECLINED, world.programme_a)
    assert offered(world.programme_a, enrolment=declined.enrolment).previous_id is None


def test_ending_without_rematch_leaves_the_enrolment(world: World) -> None:
    match = walk_to(M.ACTIVE, world.programme_a)
    lifecycle.match_end(match, reason="peer_unavailable", note="", actor=None, rematch=False)
    assert _enrolment_status(match) == E.ACTIVE


def test_a_participant_who_withdrew_leaves_the_programme(world: World) -> None:
    match = walk_to(M.INTRODUCED, world.programme_a)
    lifecycle.match_end(match, reason="participant_withdrew", note="", actor=None)
    enrolment = Enrolment.objects.get(pk=match.enrolment_id)
    assert enrolment.status == E.WITHDRAWN
    change = enrolment.status_changes.order_by("-changed_at", "-pk").first()
    assert change is not None and change.reason == "The participant withdrew"


@pytest.mark.parametrize(
    ("reason", "note", "field"),
    [("", "", "reason"), ("bored", "", "reason"), ("other", "", "note"), ("other", " ", "note")],
)
def test_an_end_needs_a_reason_and_other_needs_words(
    world: World, reason: str, note: str, field: str
) -> None:
    match = walk_to(M.ACTIVE, world.programme_a)
    with pytest.raises(ValidationError) as refused:
        lifecycle.match_end(match, reason=reason, note=note, actor=None)
    assert field in refused.value.message_dict
    assert Match.objects.get(pk=match.pk).status == M.ACTIVE and _held(match)


def test_cancelling_a_proposal_or_an_offer_leaves_the_participant_waiting(
    world: World,
) -> None:
    for start in (M.PROPOSED, M.OFFERED):
        match = lifecycle.match_cancel(walk_to(start, world.programme_a), actor=None, note="x")
        assert match.status == M.CANCELLED and match.closed_at is not None
        assert _enrolment_status(match) == E.WAITING and not _held(match)


def test_exclusions_follow_the_person_into_a_new_enrolment(world: World) -> None:
    match = walk_to(M.ACTIVE, world.programme_a)
    lifecycle.match_end(match, reason="safety", note="", actor=None, rematch=False)
    enrolment_transition(
        enrolment=match.enrolment, to_status=E.WITHDRAWN, changed_by=None, reason="Left."
    )
    returning = Enrolment.objects.create(
        person=match.enrolment.person, programme=world.programme_a, source="staff"
    )
    assert match.profile_id in lifecycle.excluded_profiles(returning)


# ---------------------------------------------------------------------- first contact


def test_first_contact_may_be_dated_but_not_in_the_future(world: World) -> None:
    match = walk_to(M.INTRODUCED, world.programme_a)
    with pytest.raises(ValidationError) as refused:
        lifecycle.match_confirm_first_contact(
            match, actor=None, on=timezone.now() + timedelta(days=2)
        )
    assert "on" in refused.value.message_dict
    with pytest.raises(ValidationError):
        lifecycle.match_confirm_first_contact(
            match, actor=None, on=timezone.now() - timedelta(days=30)
        )
    when = timezone.now() - timedelta(hours=3)
    match = lifecycle.match_confirm_first_contact(match, actor=None, on=when.replace(tzinfo=None))
    assert match.first_contact_at is not None
    assert abs((match.first_contact_at - when).total_seconds()) < 24 * 3600


# ------------------------------------------------------------------------- selectors


def test_the_waiting_list_is_by_priority_then_time_waiting(world: World) -> None:
    programme = world.programme_a
    routine = waiting_enrolment(programme)
    urgent = waiting_enrolment(programme, priority=Enrolment.Priority.URGENT)
    older = waiting_enrolment(programme)
    Enrolment.objects.filter(pk=older.pk).update(waiting_since=timezone.now() - timedelta(days=400))
    order = [
        e.pk for e in waiting_enrolments(programme) if e.pk in {routine.pk, urgent.pk, older.pk}
    ]
    assert order == [urgent.pk, older.pk, routine.pk]
    offered(programme, enrolment=routine)
    assert routine.pk in {e.pk for e in waiting_enrolments(programme)}  # until accepted
    assert all(e.status == E.WAITING for e in waiting_enrolments(programme))


def test_staff_see_the_programmes_matches_and_a_peer_only_their_offered_own(
    world: World,
) -> None:
    theirs = offered(world.programme_a)
    proposal = offered(world.programme_a, profile=theirs.profile, offer=False)
    elsewhere = offered(world.programme_b)
    peer_user = theirs.profile.person.user
    for persona in ("coordinator", "leader", "admin", "supervisor"):
        seen = set(matches_in_scope(user_of(persona)).values_list("pk", flat=True))
        assert {theirs.pk, proposal.pk} <= seen, persona
        # The admin runs the whole organisation; the others programme A only.
        assert (elsewhere.pk in seen) is (persona == "admin"), persona
    assert set(own_matches(peer_user).values_list("pk", flat=True)) == {theirs.pk}
    assert set(matches_in_scope(peer_user).values_list("pk", flat=True)) == {theirs.pk}
    for persona in ("peer", "peer_other", "participant", "evaluator", "referrer", "stranger"):
        seen = set(matches_in_scope(user_of(persona)).values_list("pk", flat=True))
        assert not seen & {theirs.pk, proposal.pk, elsewhere.pk}, persona


def test_access_is_404_outside_scope_and_403_in_scope_without_the_right(world: World) -> None:
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from peerbridge.matching import policies

    match = offered(world.programme_a)
    peer_user = match.profile.person.user
    assert access_match(user_of("coordinator"), match.pk, policies.MATCH_MAKE) == match
    assert access_match(peer_user, str(match.pk), policies.MATCH_RESPOND) == match
    with pytest.raises(PermissionDenied):
        access_match(peer_user, match.pk, policies.MATCH_MAKE)
    with pytest.raises(PermissionDenied):
        access_match(user_of("supervisor"), match.pk, policies.MATCH_RESPOND)
    for persona in ("peer", "peer_other", "evaluator", "participant"):
        with pytest.raises(Http404):
            access_match(user_of(persona), match.pk, policies.MATCH_VIEW)
    for bad in ("x", None, "1.5", 10**30):
        with pytest.raises(Http404):
            access_match(user_of("coordinator"), bad, policies.MATCH_VIEW)
    reads = AuditEvent.objects.filter(action="read", object_type="people.person")
    assert reads.filter(object_id=str(match.enrolment.person_id)).exists()
    assert reads.filter(object_id=str(match.profile.person_id)).exists()
