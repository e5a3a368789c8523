"""Group services: setting a group up (the whole object checked), its status, its one
to three facilitators (an ineligible peer is refused with the reasons), enrolment with a
waiting list, and course completion."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from peerbridge.notifications.models import Notification
from peerbridge.support import groups
from peerbridge.support.group_selectors import groups_of_enrolments
from peerbridge.support.models import Facilitator, Group, GroupMember, GroupSession
from peerbridge.workforce.models import CapacityReservation, PeerProfile
from tests.conftest import World
from tests.support.world_groups import (
    facilitator_peer,
    fill,
    future_sessions,
    make_group,
    participant,
    past_sessions,
    record,
    running_group,
    user_of,
)
from tests.workforce.world import make_profile

pytestmark = pytest.mark.django_db

MS = GroupMember.Status


def _errors(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


def _live_reservations(profile: PeerProfile) -> list[str]:
    return list(
        CapacityReservation.objects.filter(
            profile=profile, kind="group", released_at__isnull=True
        ).values_list("reference", flat=True)
    )


# ---------------------------------------------------------------------------------------
# The group


def test_an_in_person_course_is_created_planned(world: World) -> None:
    group = make_group(world.programme_a)
    assert group.status == Group.Status.PLANNED
    assert (group.session_count, group.completion_sessions, group.capacity) == (4, 3, 3)


def test_a_course_completes_with_all_its_sessions_unless_told_otherwise(world: World) -> None:
    group = make_group(world.programme_a, completion_sessions=None, session_count=6)
    assert group.completion_sessions == 6


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"modality": "in_person", "place": ""}, "place"),
        ({"modality": "online", "place": "", "online_link": ""}, "online_link"),
        ({"modality": "online", "online_link": "https://meet.example.org/g"}, "moderator"),
        ({"modality": "hybrid", "place": "", "online_link": "https://m.example.org"}, "place"),
        ({"online_link": "ftp://files.example.org/x"}, "online_link"),
        ({"online_link": "javascript:alert(1)"}, "online_link"),
        ({"kind": "course", "session_count": None, "completion_sessions": None}, "session_count"),
        ({"session_count": 4, "completion_sessions": 5}, "completion_sessions"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 501}, "capacity"),
        ({"capacity": "many"}, "capacity"),
        ({"kind": "therapy"}, "kind"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "A\x00B"}, "name"),
        ({"description": "x" * 2001}, "description"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_group_is_checked_as_a_whole(world: World, overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        make_group(world.programme_a, **overrides)
    assert field in _errors(error)
    assert not Group.objects.filter(programme=world.programme_a, name="Living well course").exists()


def test_an_online_group_needs_a_moderator_who_is_staff_of_the_programme(world: World) -> None:
    online = {"modality": "online", "place": "", "online_link": "https://meet.example.org/g"}
    outsider = user_of("peer")
    with pytest.raises(ValidationError) as error:
        make_group(world.programme_a, moderator=outsider, **online)
    assert "moderator" in _errors(error)
    other_programme = make_profile(world.programme_b).person.user
    with pytest.raises(ValidationError):
        make_group(world.programme_a, moderator=other_programme, **online)
    group = make_group(world.programme_a, moderator=user_of("supervisor"), **online)
    assert group.moderator == user_of("supervisor")


def test_fewer_places_than_people_placed_are_refused(world: World) -> None:
    group = make_group(world.programme_a, capacity=3)
    fill(group, 3)
    with pytest.raises(ValidationError) as error:
        groups.group_update(group=group, actor=user_of("coordinator"), data={"capacity": 2})
    assert "capacity" in _errors(error)


def test_a_group_starts_only_with_a_facilitator(world: World) -> None:
    group = make_group(world.programme_a)
    with pytest.raises(ValidationError) as error:
        groups.group_set_status(group=group, to_status="running", actor=user_of("coordinator"))
    assert "status" in _errors(error)


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ((), "finished"),
        (("running", "finished"), "running"),
        (("cancelled",), "running"),
        (("running", "cancelled"), "finished"),
    ],
)
def test_status_moves_only_forward(world: World, path: tuple[str, ...], refused: str) -> None:
    group = make_group(world.programme_a)
    groups.facilitator_add(
        group=group, actor=user_of("coordinator"), profile=facilitator_peer(world.programme_a)
    )
    for status in path:
        group = groups.group_set_status(group=group, to_status=status, actor=None)
    with pytest.raises(ValidationError) as error:
        groups.group_set_status(group=group, to_status=refused, actor=None)
    assert error.value.message_dict["status"]


def test_a_closed_group_cannot_be_changed(world: World) -> None:
    group = running_group(world.programme_a)
    groups.group_set_status(group=group, to_status="cancelled", actor=None)
    with pytest.raises(ValidationError):
        groups.group_update(group=group, actor=None, data={"name": "Renamed"})
    with pytest.raises(ValidationError) as error:
        groups.member_add(group=group, enrolment=participant(world.programme_a), actor=None)
    assert "enrolment" in _errors(error)


# ---------------------------------------------------------------------------------------
# Facilitators


def test_a_group_cannot_be_given_an_ineligible_facilitator(world: World) -> None:
    group = make_group(world.programme_a)
    untrained = make_profile(world.programme_a)  # in training, agreements unsigned
    with pytest.raises(ValidationError) as error:
        groups.facilitator_add(group=group, actor=user_of("coordinator"), profile=untrained)
    reasons = _errors(error)["peer"]
    assert any("complete" in reason for reason in reasons)
    assert {e.code for e in error.value.error_dict["peer"]} >= {"untrained", "agreements_unsigned"}
    assert not Facilitator.objects.filter(group=group).exists()
    assert _live_reservations(untrained) == []


def test_a_peer_at_their_group_capacity_is_refused_with_the_reason(world: World) -> None:
    peer = facilitator_peer(world.programme_a)  # may facilitate one group at once
    first, second = make_group(world.programme_a), make_group(world.programme_a, name="Second")
    groups.facilitator_add(group=first, actor=None, profile=peer)
    with pytest.raises(ValidationError) as error:
        groups.facilitator_add(group=second, actor=None, profile=peer)
    assert [e.code for e in error.value.error_dict["peer"]] == ["at_capacity"]


def test_an_eligible_peer_holds_one_unit_of_capacity_until_removed(world: World) -> None:
    group = make_group(world.programme_a)
    peer = facilitator_peer(world.programme_a)
    facilitator = groups.facilitator_add(group=group, actor=None, profile=peer)
    assert _live_reservations(peer) == [f"group:{group.pk}"]
    groups.facilitator_remove(facilitator=facilitator, actor=None)
    assert _live_reservations(peer) == []
    facilitator.refresh_from_db()
    assert facilitator.removed_at is not None


def test_finishing_or_cancelling_gives_the_capacity_back(world: World) -> None:
    peer = facilitator_peer(world.programme_a)
    group = running_group(world.programme_a, facilitator=peer)
    assert _live_reservations(peer) == [f"group:{group.pk}"]
    groups.group_set_status(group=group, to_status="finished", actor=None)
    assert _live_reservations(peer) == []
    again = running_group(world.programme_a, facilitator=peer, name="Next")
    groups.group_set_status(group=again, to_status="cancelled", actor=None)
    assert _live_reservations(peer) == []


def test_a_fourth_facilitator_is_refused(world: World) -> None:
    group = make_group(world.programme_a)
    groups.facilitator_add(group=group, actor=None, profile=facilitator_peer(world.programme_a))
    groups.facilitator_add(group=group, actor=None, user=user_of("supervisor"))
    groups.facilitator_add(group=group, actor=None, user=user_of("coordinator"))
    fourth = facilitator_peer(world.programme_a)
    with pytest.raises(ValidationError) as error:
        groups.facilitator_add(group=group, actor=None, profile=fourth)
    assert [e.code for e in error.value.error_dict["peer"]] == ["too_many_facilitators"]
    assert _live_reservations(fourth) == []


def test_a_professional_co_facilitator_is_staff_of_the_programme(world: World) -> None:
    group = make_group(world.programme_a)
    with pytest.raises(ValidationError) as error:
        groups.facilitator_add(group=group, actor=None, user=user_of("peer"))
    assert "professional" in _errors(error)
    with pytest.raises(ValidationError):
        groups.facilitator_add(group=group, actor=None, user=user_of("participant"))
    row = groups.facilitator_add(group=group, actor=None, user=user_of("supervisor"))
    assert row.user == user_of("supervisor")


def test_a_peer_of_another_programme_cannot_facilitate(world: World) -> None:
    group = make_group(world.programme_a)
    with pytest.raises(ValidationError) as error:
        groups.facilitator_add(group=group, actor=None, profile=facilitator_peer(world.programme_b))
    assert "peer" in _errors(error)


def test_the_same_peer_is_not_added_twice(world: World) -> None:
    group = make_group(world.programme_a)
    peer = make_profile(world.programme_a, ready=True, status=PeerProfile.Status.ACTIVE)
    peer.max_groups = 3
    peer.save(update_fields=["max_groups"])
    groups.facilitator_add(group=group, actor=None, profile=peer)
    with pytest.raises(ValidationError):
        groups.facilitator_add(group=group, actor=None, profile=peer)
    assert _live_reservations(peer) == [f"group:{group.pk}"]


# ---------------------------------------------------------------------------------------
# Enrolment and the waiting list


def test_enrolment_beyond_capacity_goes_to_the_waiting_list(world: World) -> None:
    group = make_group(world.programme_a, capacity=2)
    members = fill(group, 4)
    assert [m.status for m in members] == [MS.ENROLLED, MS.ENROLLED, MS.WAITING, MS.WAITING]
    assert [m.enrolled_at is not None for m in members] == [True, True, False, False]
    assert GroupMember.objects.filter(group=group, status=MS.ENROLLED).count() == 2


def test_leaving_promotes_the_first_waiting_member_and_tells_them(world: World) -> None:
    group = make_group(world.programme_a, capacity=1)
    first, second, third = fill(group, 3)
    groups.member_leave(member=first, actor=None)
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.status, third.status) == (MS.ENROLLED, MS.WAITING)
    members = GroupMember.objects.filter(group=group).values("enrolment__person")
    told = Notification.objects.filter(kind="support_group_place", person__in=members)
    assert {n.person_id for n in told} == {second.enrolment.person_id}


def test_leaving_the_waiting_list_promotes_nobody(world: World) -> None:
    group = make_group(world.programme_a, capacity=1)
    _first, second, third = fill(group, 3)
    groups.member_leave(member=second, actor=None)
    third.refresh_from_db()
    assert third.status == MS.WAITING


def test_more_places_take_people_from_the_waiting_list(world: World) -> None:
    group = make_group(world.programme_a, capacity=1)
    members = fill(group, 3)
    groups.group_update(group=group, actor=None, data={"capacity": 2})
    statuses = [GroupMember.objects.get(pk=m.pk).status for m in members]
    assert statuses == [MS.ENROLLED, MS.ENROLLED, MS.WAITING]


@pytest.mark.parametrize("status", ["withdrawn", "completed"])
def test_only_a_participant_in_the_programme_may_join(world: World, status: str) -> None:
    group = make_group(world.programme_a)
    enrolment = participant(world.programme_a)
    type(enrolment).objects.filter(pk=enrolment.pk).update(status=status)
    enrolment.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        groups.member_add(group=group, enrolment=enrolment, actor=None)
    assert "enrolment" in _errors(error)


def test_a_participant_of_another_programme_or_already_in_cannot_join(world: World) -> None:
    group = make_group(world.programme_a)
    with pytest.raises(ValidationError):
        groups.member_add(group=group, enrolment=participant(world.programme_b), actor=None)
    enrolment = participant(world.programme_a)
    groups.member_add(group=group, enrolment=enrolment, actor=None)
    with pytest.raises(ValidationError):
        groups.member_add(group=group, enrolment=enrolment, actor=None)


def test_finishing_closes_the_waiting_list(world: World) -> None:
    group = running_group(world.programme_a, capacity=1)
    _placed, waiting = fill(group, 2)
    groups.group_set_status(group=group, to_status="finished", actor=None)
    waiting.refresh_from_db()
    assert waiting.status == MS.LEFT


# ---------------------------------------------------------------------------------------
# Completion


def test_members_who_attended_enough_complete_when_the_group_finishes(world: World) -> None:
    group = running_group(world.programme_a, capacity=3, session_count=4, completion_sessions=3)
    keen, patchy, absent = fill(group, 3)
    sessions = past_sessions(group, 4)
    for index, session in enumerate(sessions):
        record(
            session,
            {
                keen: "present",
                patchy: "present" if index % 2 else "excused",
                absent: "absent",
            },
        )
    groups.group_set_status(group=group, to_status="finished", actor=None)
    statuses = {m.pk: GroupMember.objects.get(pk=m.pk).status for m in (keen, patchy, absent)}
    assert statuses == {keen.pk: MS.COMPLETED, patchy.pk: MS.ENROLLED, absent.pk: MS.ENROLLED}


def test_completion_on_demand_counts_only_sessions_attended(world: World) -> None:
    group = running_group(world.programme_a, capacity=2, session_count=4, completion_sessions=2)
    done, not_yet = fill(group, 2)
    first, second, third = past_sessions(group, 3)
    record(first, {done: "present", not_yet: "present"})
    record(second, {done: "present", not_yet: "absent"})
    record(third, {done: "absent", not_yet: "excused"})
    completed = groups.members_complete(group=group, actor=None)
    assert [m.pk for m in completed] == [done.pk]
    assert GroupMember.objects.get(pk=not_yet.pk).status == MS.ENROLLED


def test_completion_needs_a_rule(world: World) -> None:
    group = running_group(
        world.programme_a, kind="mutual_support", session_count=None, completion_sessions=None
    )
    with pytest.raises(ValidationError) as error:
        groups.members_complete(group=group, actor=None)
    assert "completion_sessions" in _errors(error)


# ---------------------------------------------------------------------------------------
# For the participant's home page


def test_groups_of_enrolments_lists_current_groups_with_the_next_session(world: World) -> None:
    group = running_group(world.programme_a, capacity=1)
    placed, waiting = fill(group, 2)
    sessions = future_sessions(group, 2)
    left = participant(world.programme_a)
    gone = groups.member_add(
        group=make_group(world.programme_a, name="Other"), enrolment=left, actor=None
    )
    groups.member_leave(member=gone, actor=None)
    found = groups_of_enrolments([placed.enrolment_id, waiting.enrolment_id, left.pk])
    assert set(found) == {placed.enrolment_id, waiting.enrolment_id}
    mine = found[placed.enrolment_id][0]
    assert (mine.group.pk, mine.status) == (group.pk, MS.ENROLLED)
    assert mine.next_session_at == sessions[0].starts_at  # type: ignore[attr-defined]
    assert found[waiting.enrolment_id][0].status == MS.WAITING
    assert groups_of_enrolments([]) == {}


def test_groups_of_enrolments_reads_in_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    group = running_group(world.programme_a, capacity=12)
    members = fill(group, 12)
    future_sessions(group, 2)
    with django_assert_max_num_queries(1):
        found = groups_of_enrolments([m.enrolment_id for m in members])
        assert sum(len(rows) for rows in found.values()) == 12
        assert all(rows[0].group.programme.pk for rows in found.values())


def test_sessions_of_a_group_stay_after_it_finishes(world: World) -> None:
    group = running_group(world.programme_a)
    future_sessions(group, 2)
    groups.group_set_status(group=group, to_status="finished", actor=None)
    assert set(GroupSession.objects.filter(group=group).values_list("status", flat=True)) == {
        "cancelled"
    }
