"""Batch runs: a run proposes an assignment of the whole waiting list and matches nobody;
the coordinator changes or drops lines; publishing offers each line's peer a match and
reserves their capacity, reports the lines that cannot be made now, and happens once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from peerbridge.core.models import AuditEvent, User
from peerbridge.matching import batch_runs, loading, suggestions
from peerbridge.matching.models import BatchProposal, BatchRun, Match, MatchStatus
from peerbridge.organisations.models import Programme
from peerbridge.organisations.roles import Role
from peerbridge.organisations.services import role_grant
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.workforce.models import CapacityReservation, PeerProfile
from tests.conftest import World, client_for, persona_user
from tests.matching.world_suggestions import fresh_programme, participant, peer

pytestmark = pytest.mark.django_db

MASTECTOMY = "Breast cancer > Mastectomy"
LIVER = "Transplant > Liver"


def coordinator_of(programme: Programme) -> User:
    """Persona "coordinator", given the coordinator role in `programme` too."""
    user = persona_user("coordinator")
    assert user is not None
    role_grant(user=user, role=Role.COORDINATOR, granted_by=None, programme=programme)
    return user


@dataclass
class Scene:
    programme: Programme
    coordinator: User
    breast_peer: PeerProfile
    liver_peer: PeerProfile
    breast: list[Enrolment]
    liver: Enrolment


@pytest.fixture
def scene(db: None) -> Scene:
    """Two peers with room for one person each, three people waiting: two facing a
    mastectomy, one a liver transplant. At most two can be matched."""
    programme = fresh_programme()
    return Scene(
        programme=programme,
        coordinator=coordinator_of(programme),
        breast_peer=peer(programme, lineage=MASTECTOMY, max_matches=1, alias="Sam"),
        liver_peer=peer(programme, lineage=LIVER, max_matches=1, alias="Kit"),
        breast=[
            participant(programme, lineage=MASTECTOMY, waiting_days=30),
            participant(programme, lineage=MASTECTOMY, waiting_days=5),
        ],
        liver=participant(programme, lineage=LIVER, waiting_days=12, languages=("es", "en")),
    )


def _run(scene: Scene, **options: Any) -> BatchRun:
    return batch_runs.batch_run_create(
        programme=scene.programme, actor=scene.coordinator, **options
    )


def _lines(run: BatchRun) -> dict[int, BatchProposal]:
    return {line.enrolment_id: line for line in run.proposals.select_related("profile")}


def test_a_run_proposes_a_line_per_waiting_participant_and_matches_nobody(scene: Scene) -> None:
    run = _run(scene)
    lines = _lines(run)
    assert run.status == BatchRun.Status.DRAFT
    assert set(lines) == {e.pk for e in [*scene.breast, scene.liver]}
    assert lines[scene.liver.pk].profile == scene.liver_peer
    proposed = [line for line in lines.values() if line.profile is not None]
    assert len(proposed) == 2
    assert {line.profile_id for line in proposed} == {scene.breast_peer.pk, scene.liver_peer.pk}
    for line in proposed:
        assert line.score is not None and 0 < line.score <= 100
        assert line.reasons and all(isinstance(reason, str) for reason in line.reasons)
    waiting = [line for line in lines.values() if line.profile is None]
    assert len(waiting) == 1 and waiting[0].score is None
    # Nothing is matched and no capacity is held until the run is published.
    assert not Match.objects.filter(programme=scene.programme).exists()
    assert not CapacityReservation.objects.filter(
        profile__in=[scene.breast_peer, scene.liver_peer]
    ).exists()
    assert all(
        e.status == EnrolmentStatus.WAITING
        for e in Enrolment.objects.filter(programme=scene.programme)
    )
    assert AuditEvent.objects.filter(
        object_type="matching.batchrun", object_id=str(run.pk), action="create"
    ).exists()


def test_the_longest_waiting_come_first_when_favoured(scene: Scene) -> None:
    run = _run(scene, favour_longest_waiting=True)
    assert run.favour_longest_waiting
    lines = _lines(run)
    longest, newest = scene.breast
    assert lines[longest.pk].profile == scene.breast_peer
    assert lines[newest.pk].profile is None


def test_a_participant_with_a_live_match_is_not_on_the_waiting_list(scene: Scene) -> None:
    from peerbridge.matching import lifecycle

    lifecycle.match_create(
        enrolment=scene.liver,
        profile=scene.liver_peer,
        source=Match.Source.MANUAL,
        actor=scene.coordinator,
        offer=False,
    )
    run = _run(scene)
    assert scene.liver.pk not in _lines(run)
    assert run.stats["waiting"] == 2


def test_the_stats_say_who_is_served(scene: Scene) -> None:
    stats = _run(scene).stats
    assert stats["waiting"] == 3
    assert stats["matched"] == 2
    assert stats["total_score"] > 0
    assert stats["min_score"] is not None and stats["p10_score"] is not None
    assert stats["min_score"] <= stats["p10_score"]
    assert stats["seconds"] >= 0
    assert stats["peers_with_room"] == 2 and stats["capacity"] == 2
    languages = {row["group"]: row for row in stats["by_language"]}
    assert set(languages) == {"en", "es"}
    assert languages["es"]["label"] == "Spanish"
    assert sum(row["waiting"] for row in languages.values()) == 3
    assert sum(row["matched"] for row in languages.values()) == 2
    (routine,) = stats["by_priority"]
    assert routine == {
        "group": "0",
        "label": "Routine",
        "waiting": 3,
        "matched": 2,
        "share": pytest.approx(2 / 3, abs=1e-3),
    }


def test_a_line_scores_its_pair_as_the_suggestions_do(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody wrote about what they face, so free text cannot count: the peers' stories
    are not read, and each line's score is the participant's suggestion score."""
    read: list[bool] = []
    real_pool = loading.peer_pool

    def pool(*args: Any, **kwargs: Any) -> loading.PeerPool:
        read.append(kwargs.get("stories", True))
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(loading, "peer_pool", pool)
    run = _run(scene)
    assert read and not any(read)
    for line in run.proposals.select_related("enrolment", "profile"):
        if line.profile is None:
            continue
        page = suggestions.suggest_for(line.enrolment)
        (shown,) = [s for s in page.suggestions if s.profile.pk == line.profile_id]
        assert line.score == pytest.approx(shown.score, abs=0.1)


def test_a_programme_without_peers_with_room_proposes_nobody(world: World) -> None:
    programme = fresh_programme()
    peer(programme, lineage=MASTECTOMY, max_matches=0)
    waiting = participant(programme, lineage=MASTECTOMY)
    coordinator = coordinator_of(programme)
    run = batch_runs.batch_run_create(programme=programme, actor=coordinator)
    (line,) = run.proposals.all()
    assert line.enrolment == waiting and line.profile is None
    assert run.stats["matched"] == 0 and run.stats["min_score"] is None
    client = Client()
    client.force_login(coordinator)
    assert client.get(reverse("matching:batch_run", args=[run.pk])).status_code == 200


def test_nobody_waiting_is_refused(world: World) -> None:
    programme = fresh_programme()
    with pytest.raises(ValidationError):
        batch_runs.batch_run_create(programme=programme, actor=coordinator_of(programme))


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"candidates_per_participant": 0}, "candidates_per_participant"),
        ({"candidates_per_participant": 201}, "candidates_per_participant"),
        ({"candidates_per_participant": "20"}, "candidates_per_participant"),
        ({"candidates_per_participant": True}, "candidates_per_participant"),
        ({"favour_longest_waiting": "yes"}, "favour_longest_waiting"),
    ],
)
def test_bad_options_are_refused_on_their_field(
    scene: Scene, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _run(scene, **options)
    assert field in refused.value.message_dict
    assert not BatchRun.objects.filter(programme=scene.programme).exists()


# ---------------------------------------------------------------------------------------
# Editing lines


def test_the_coordinator_changes_a_line_within_the_peers_room(scene: Scene) -> None:
    run = _run(scene)
    lines = _lines(run)
    waiting = next(line for line in lines.values() if line.profile is None)
    # The liver peer's only place already goes to the liver participant.
    with pytest.raises(ValidationError) as refused:
        batch_runs.proposal_update(
            proposal=waiting, profile=scene.liver_peer, included=True, actor=scene.coordinator
        )
    assert "profile" in refused.value.message_dict
    liver_line = lines[scene.liver.pk]
    batch_runs.proposal_update(
        proposal=liver_line, profile=None, included=True, actor=scene.coordinator
    )
    changed = batch_runs.proposal_update(
        proposal=waiting, profile=scene.liver_peer, included=True, actor=scene.coordinator
    )
    changed.refresh_from_db()
    assert changed.profile == scene.liver_peer and changed.edited
    assert changed.reasons  # the new pair is explained, even outside the suggestions
    assert AuditEvent.objects.filter(
        object_type="matching.batchproposal", object_id=str(changed.pk), action="update"
    ).exists()


def test_a_dropped_line_frees_its_peer_and_is_not_published(scene: Scene) -> None:
    run = _run(scene)
    line = _lines(run)[scene.liver.pk]
    batch_runs.proposal_update(
        proposal=line, profile=line.profile, included=False, actor=scene.coordinator
    )
    assert [
        room.room for room in batch_runs.peers_with_room(run) if room.profile == scene.liver_peer
    ] == [1]
    result = batch_runs.batch_run_publish(run=run, actor=scene.coordinator)
    assert scene.liver.pk not in {m.enrolment_id for m in result.matches}
    assert len(result.matches) == 1


@pytest.mark.parametrize("problem", ["other_programme", "in_training", "no_room"])
def test_a_peer_who_may_not_take_the_line_is_refused(scene: Scene, problem: str) -> None:
    run = _run(scene)
    line = next(line for line in _lines(run).values() if line.profile is None)
    if problem == "other_programme":
        candidate = peer(fresh_programme(), lineage=MASTECTOMY)
    elif problem == "in_training":
        candidate = peer(scene.programme, lineage=MASTECTOMY, status=PeerProfile.Status.TRAINING)
    else:
        candidate = peer(scene.programme, lineage=MASTECTOMY, max_matches=0)
    with pytest.raises(ValidationError) as refused:
        batch_runs.proposal_update(
            proposal=line, profile=candidate, included=True, actor=scene.coordinator
        )
    assert "profile" in refused.value.message_dict
    line.refresh_from_db()
    assert line.profile is None and not line.edited


# ---------------------------------------------------------------------------------------
# Publishing


def test_publishing_offers_the_matches_and_reserves_capacity(scene: Scene) -> None:
    run = _run(scene)
    result = batch_runs.batch_run_publish(run=run, actor=scene.coordinator)
    assert result.failures == ()
    assert len(result.matches) == 2
    for match in result.matches:
        match.refresh_from_db()
        assert match.status == MatchStatus.OFFERED
        assert match.source == Match.Source.BATCH and match.batch_id == run.pk
        assert match.reasons
        assert CapacityReservation.objects.filter(
            profile=match.profile, reference=match.reference, released_at__isnull=True
        ).exists()
    run.refresh_from_db()
    assert run.status == BatchRun.Status.PUBLISHED
    assert run.published_by == scene.coordinator and run.published_at is not None
    assert run.stats["published"] == {"offers": 2, "failures": []}


def test_publishing_twice_is_refused(scene: Scene) -> None:
    run = _run(scene)
    batch_runs.batch_run_publish(run=run, actor=scene.coordinator)
    with pytest.raises(ValidationError):
        batch_runs.batch_run_publish(run=run, actor=scene.coordinator)
    assert Match.objects.filter(batch=run).count() == 2
    line = run.proposals.first()
    assert line is not None
    with pytest.raises(ValidationError):
        batch_runs.proposal_update(
            proposal=line, profile=None, included=False, actor=scene.coordinator
        )


def test_lines_that_cannot_be_made_now_are_reported(scene: Scene) -> None:
    run = _run(scene)
    lines = _lines(run)
    # Since the run: the liver participant withdrew, and the breast peer has no room.
    Enrolment.objects.filter(pk=scene.liver.pk).update(status=EnrolmentStatus.WITHDRAWN)
    PeerProfile.objects.filter(pk=scene.breast_peer.pk).update(max_matches=0)
    result = batch_runs.batch_run_publish(run=run, actor=scene.coordinator)
    assert result.matches == ()
    failed = {f.proposal_id: f for f in result.failures}
    breast_line = next(line for line in lines.values() if line.profile == scene.breast_peer)
    assert set(failed) == {lines[scene.liver.pk].pk, breast_line.pk}
    assert all(f.reasons for f in failed.values())
    run.refresh_from_db()
    assert run.status == BatchRun.Status.PUBLISHED
    assert {row["proposal"] for row in run.stats["published"]["failures"]} == set(failed)
    assert not Match.objects.filter(batch=run).exists()


def test_a_discarded_run_cannot_be_published(scene: Scene) -> None:
    run = _run(scene)
    batch_runs.batch_run_discard(run=run, actor=scene.coordinator)
    run.refresh_from_db()
    assert run.status == BatchRun.Status.DISCARDED
    with pytest.raises(ValidationError):
        batch_runs.batch_run_publish(run=run, actor=scene.coordinator)
    assert not Match.objects.filter(programme=scene.programme).exists()


# ---------------------------------------------------------------------------------------
# Pages


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_coordinator_starts_reviews_and_publishes_a_run_from_the_pages(scene: Scene) -> None:
    client = _client(scene.coordinator)
    url = reverse("matching:batch_runs", args=[scene.programme.pk])
    assert client.get(url).status_code == 200
    started = client.post(url, {"candidates_per_participant": 20})
    assert started.status_code == 302
    run = BatchRun.objects.get(programme=scene.programme)
    review = client.get(started["Location"])
    assert review.status_code == 200
    page = review.content.decode()
    assert str(scene.liver.person) in page and str(scene.liver_peer.person) in page
    assert "stays waiting" in page
    published = client.post(reverse("matching:batch_publish", args=[run.pk]), follow=True)
    assert published.status_code == 200
    assert "2 peers were offered a match" in published.content.decode()
    again = client.post(reverse("matching:batch_publish", args=[run.pk]), follow=True)
    assert "only a draft can change" in again.content.decode()
    assert Match.objects.filter(batch=run).count() == 2


def test_the_review_page_lists_failures_after_publishing(scene: Scene) -> None:
    run = _run(scene)
    Enrolment.objects.filter(pk=scene.liver.pk).update(status=EnrolmentStatus.WITHDRAWN)
    client = _client(scene.coordinator)
    page = client.post(reverse("matching:batch_publish", args=[run.pk]), follow=True)
    text = page.content.decode()
    assert "1 line could not be made" in text
    assert "not made" in text


def test_a_line_is_changed_and_dropped_from_the_pages(scene: Scene) -> None:
    run = _run(scene)
    lines = _lines(run)
    client = _client(scene.coordinator)
    liver_line = lines[scene.liver.pk]
    url = reverse("matching:batch_proposal", args=[run.pk, liver_line.pk])
    form = client.get(url)
    assert form.status_code == 200 and str(scene.liver_peer.person) in form.content.decode()
    dropped = client.post(url, {"profile": scene.liver_peer.pk})
    assert dropped.status_code == 302
    liver_line.refresh_from_db()
    assert not liver_line.included and liver_line.profile == scene.liver_peer
    waiting = next(line for line in lines.values() if line.profile is None)
    moved = client.post(
        reverse("matching:batch_proposal", args=[run.pk, waiting.pk]),
        {"profile": scene.liver_peer.pk, "included": "on"},
    )
    assert moved.status_code == 302
    waiting.refresh_from_db()
    assert waiting.profile == scene.liver_peer
    refused = client.post(url, {"profile": scene.liver_peer.pk, "included": "on"})
    assert refused.status_code == 422
    assert "can take 1 more" in refused.content.decode()


def test_the_review_page_costs_the_same_queries_for_more_lines(
    scene: Scene, django_assert_max_num_queries: Any
) -> None:
    client = _client(scene.coordinator)
    small = _run(scene)
    client.get(reverse("matching:batch_run", args=[small.pk]))
    with django_assert_max_num_queries(50) as few:
        client.get(reverse("matching:batch_run", args=[small.pk]))
    for _n in range(6):
        participant(scene.programme, lineage=MASTECTOMY)
    peer(scene.programme, lineage=MASTECTOMY, max_matches=3)
    large = _run(scene)
    assert large.proposals.count() > small.proposals.count() + 5
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("matching:batch_run", args=[large.pk]))
    assert response.status_code == 200


def test_a_coordinator_cannot_reach_a_run_of_another_programme(scene: Scene) -> None:
    run = _run(scene)
    other = client_for("leader")  # leader of programme A only
    assert other.get(reverse("matching:batch_run", args=[run.pk])).status_code == 404
    assert other.post(reverse("matching:batch_publish", args=[run.pk])).status_code == 404
    assert other.get(f"/api/v1/batch-runs/{run.pk}").status_code == 404
    run.refresh_from_db()
    assert run.status == BatchRun.Status.DRAFT


# ---------------------------------------------------------------------------------------
# API


def _api(client: Client, method: str, url: str, body: Any = None) -> Any:
    send = getattr(client, method)
    if body is None:
        return send(url)
    return send(url, data=json.dumps(body), content_type="application/json")


def test_the_api_runs_reviews_edits_and_publishes(scene: Scene) -> None:
    client = _client(scene.coordinator)
    created = _api(
        client,
        "post",
        f"/api/v1/programmes/{scene.programme.pk}/batch-runs",
        {"favour_longest_waiting": True, "candidates_per_participant": 10},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["candidates_per_participant"] == 10
    assert len(body["proposals"]) == 3 and body["stats"]["matched"] == 2
    run_id = body["id"]
    listed = _api(client, "get", f"/api/v1/programmes/{scene.programme.pk}/batch-runs")
    assert [row["id"] for row in listed.json()["items"]] == [run_id]
    line = next(p for p in body["proposals"] if p["enrolment_id"] == scene.liver.pk)
    patched = _api(
        client,
        "patch",
        f"/api/v1/batch-runs/{run_id}/proposals/{line['id']}",
        {"included": False},
    )
    assert patched.status_code == 200 and patched.json()["included"] is False
    assert patched.json()["profile_id"] == scene.liver_peer.pk
    nobody = _api(
        client, "patch", f"/api/v1/batch-runs/{run_id}/proposals/{line['id']}", {"profile_id": None}
    )
    assert nobody.json()["profile_id"] is None
    published = _api(client, "post", f"/api/v1/batch-runs/{run_id}/publish")
    assert published.status_code == 200
    assert len(published.json()["match_ids"]) == 1 and published.json()["failures"] == []
    again = _api(client, "post", f"/api/v1/batch-runs/{run_id}/publish")
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "validation_error"
    detail = _api(client, "get", f"/api/v1/batch-runs/{run_id}")
    assert detail.json()["status"] == "published"


def test_the_api_discards_a_draft(scene: Scene) -> None:
    run = _run(scene)
    client = _client(scene.coordinator)
    done = _api(client, "post", f"/api/v1/batch-runs/{run.pk}/discard")
    assert done.status_code == 200 and done.json()["status"] == "discarded"
    assert _api(client, "post", f"/api/v1/batch-runs/{run.pk}/discard").status_code == 422
