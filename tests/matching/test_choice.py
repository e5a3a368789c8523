"""Participant choice: a coordinator sends a few peers through an expiring link; the
participant picks one (the match is made and offered) or asks for others. The link works
once, only its digest is stored, what is shown identifies nobody, and the participant is
emailed only when they agreed to email contact."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.matching import choice, choice_views
from peerbridge.matching.choice_forms import ChoiceAnswerForm
from peerbridge.matching.models import ChoiceInvitation, Match, MatchStatus
from peerbridge.organisations.models import Programme
from peerbridge.people.models import ConsentScope
from peerbridge.people.services import consent_record, consent_withdraw
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.workforce.models import PeerProfile
from tests.matching.test_batch_runs import MASTECTOMY, coordinator_of
from tests.matching.world_suggestions import fresh_programme, participant, peer

pytestmark = pytest.mark.django_db

Status = ChoiceInvitation.Status
STORY = "I told my sister first, at the kitchen table in Harbourview, on my 52nd birthday."


@dataclass
class Scene:
    programme: Programme
    coordinator: User
    peers: list[PeerProfile]
    enrolment: Enrolment


@pytest.fixture
def scene(db: None) -> Scene:
    programme = fresh_programme()
    peers = [
        peer(
            programme,
            lineage=f"{MASTECTOMY} > With reconstruction",
            issues=("Body image", "Returning to work"),
            since_years=4,
            age=52,
            gender="woman",
            languages=("en", "es"),
            story=STORY,
            alias=alias,
            given_name=f"Real{alias}",
            family_name="Identifiable",
            email=f"{alias.lower()}.peer@example.org",
            phone="+447700900999",
            area="HX1 2AB",
        )
        for alias in ("Sam", "Kit", "Jo", "Lee")
    ]
    for profile in peers:
        profile.availability = [{"day": 0, "start": "18:00", "end": "20:00"}]
        profile.save(update_fields=["availability"])
    return Scene(
        programme=programme,
        coordinator=coordinator_of(programme),
        peers=peers,
        enrolment=participant(programme, lineage=MASTECTOMY, age=45, gender="woman"),
    )


def _token(link: str) -> str:
    found = re.search(r"/choose/([^/]+)/", link)
    assert found is not None, link
    return found.group(1)


def _send(scene: Scene, **kwargs: Any) -> choice.ChoiceSent:
    return choice.choice_send(enrolment=scene.enrolment, actor=scene.coordinator, **kwargs)


def _answer(client: Client, token: str, **data: Any) -> Any:
    """Post the public form as a person would: an old enough stamp, the honeypot empty."""
    stamp = signing.dumps(timezone.now().timestamp() - 60, salt=ChoiceAnswerForm.stamp_salt)
    return client.post(
        reverse("matching:choose", args=[token]), {"stamp": stamp, "website": "", **data}
    )


def with_email_consent(enrolment: Enrolment, email: str = "robin@example.org") -> Enrolment:
    person = enrolment.person
    person.email = email
    person.save()
    consent_record(
        person=person,
        programme=enrolment.programme,
        scopes=["participation", ConsentScope.CONTACT_EMAIL],
        method="verbal",
        recorded_by=None,
    )
    return enrolment


# ---------------------------------------------------------------------------------------
# Sending


def test_sending_offers_the_top_suggestions_and_stores_only_the_digest(scene: Scene) -> None:
    sent = _send(scene, site_url="https://peerbridge.example/")
    invitation = sent.invitation
    assert not sent.emailed
    assert sent.link.startswith("https://peerbridge.example/choose/")
    token = _token(sent.link)
    assert len(token) >= 40
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(invitation.shown) == 3  # the programme's default number of choice profiles
    assert invitation.profiles.count() == 3
    assert invitation.status == Status.OPEN
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    # The token itself is nowhere in the database.
    stored = json.dumps(list(ChoiceInvitation.objects.values()), default=str)
    assert token not in stored
    assert not AuditEvent.objects.filter(object_id__contains=token[:20]).exists()
    assert AuditEvent.objects.filter(
        object_type="matching.choiceinvitation", object_id=str(invitation.pk), action="create"
    ).exists()


def test_nothing_identifying_is_shown(scene: Scene) -> None:
    sent = _send(scene, profiles=scene.peers[:2])
    shown = sent.invitation.shown
    assert [entry["alias"] for entry in shown] == ["Sam", "Kit"]
    first = shown[0]
    assert first["experience"] == (
        "Has been through Breast cancer: mastectomy, with reconstruction. "
        "Knows about: Body image, Returning to work. Diagnosed about 4 years ago."
    )
    assert first["gender"] == "Woman"
    assert first["age_band"] == "45 to 54"
    assert first["languages"] == ["English", "Spanish"]
    assert first["availability"] == ["Mondays: evenings"]
    page = Client().get(reverse("matching:choose", args=[_token(sent.link)]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sam" in html and "Kit" in html
    person = scene.peers[0].person
    assert person.date_of_birth is not None
    for secret in (
        "RealSam",
        "Identifiable",
        "sam.peer@example.org",
        "+447700900999",
        "HX1 2AB",
        "kitchen table",
        person.date_of_birth.isoformat(),
        str(person.date_of_birth.year),
    ):
        assert secret not in json.dumps(shown), secret
        assert secret not in html, secret


def test_a_peer_without_an_alias_gets_a_letter(scene: Scene) -> None:
    PeerProfile.objects.filter(pk=scene.peers[1].pk).update(alias="")
    scene.peers[1].refresh_from_db()
    shown = _send(scene, profiles=scene.peers[:2]).invitation.shown
    assert [entry["alias"] for entry in shown] == ["Sam", "Peer B"]


def test_a_second_link_while_one_is_open_is_refused(scene: Scene) -> None:
    _send(scene)
    with pytest.raises(ValidationError) as refused:
        _send(scene)
    assert "enrolment" in refused.value.message_dict
    assert ChoiceInvitation.objects.filter(enrolment=scene.enrolment).count() == 1


def test_only_a_waiting_participant_is_sent_a_link(scene: Scene) -> None:
    Enrolment.objects.filter(pk=scene.enrolment.pk).update(status=EnrolmentStatus.ACTIVE)
    scene.enrolment.refresh_from_db()
    with pytest.raises(ValidationError):
        _send(scene)


@pytest.mark.parametrize("problem", ["none", "other_programme", "twice", "no_room"])
def test_given_peers_are_checked(scene: Scene, problem: str) -> None:
    profiles = {
        "none": [],
        "other_programme": [peer(fresh_programme(), lineage=MASTECTOMY)],
        "twice": [scene.peers[0], scene.peers[0]],
        "no_room": [peer(scene.programme, lineage=MASTECTOMY, max_matches=0)],
    }[problem]
    with pytest.raises(ValidationError) as refused:
        _send(scene, profiles=profiles)
    assert "profiles" in refused.value.message_dict
    assert not ChoiceInvitation.objects.filter(enrolment=scene.enrolment).exists()


# ---------------------------------------------------------------------------------------
# Email, only with consent


def test_the_participant_is_emailed_only_with_consent(
    scene: Scene, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sent = _send(scene)
    assert not sent.emailed and sent.link
    assert mail.outbox == []
    sent.invitation.status = Status.WITHDRAWN
    sent.invitation.save()
    with_email_consent(scene.enrolment)
    with django_capture_on_commit_callbacks(execute=True):
        emailed = _send(scene, site_url="https://peerbridge.example/")
    assert emailed.emailed and emailed.link == ""
    (message,) = mail.outbox
    assert message.to == ["robin@example.org"]
    # The link's random token may contain any letters: look at the words around it.
    words = set(
        re.findall(r"[A-Za-z]+", re.sub(r"https?://\S+", " ", message.subject + " " + message.body))
    )
    for health_detail in ("cancer", "Mastectomy", "Sam", "Kit", "Jo"):
        assert health_detail not in words
    assert scene.programme.name not in message.subject + message.body
    # The link in the email works; it was minted by the worker, not taken from the queue.
    token = _token(message.body)
    emailed.invitation.refresh_from_db()
    assert emailed.invitation.token_hash == choice.token_digest(token)
    assert Client().get(reverse("matching:choose", args=[token])).status_code == 200


def test_a_consent_withdrawn_before_the_worker_runs_stops_the_email(
    scene: Scene, django_capture_on_commit_callbacks: Any
) -> None:
    with_email_consent(scene.enrolment)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        sent = _send(scene)
    assert sent.emailed
    consent_withdraw(
        person=scene.enrolment.person,
        programme=scene.programme,
        scopes=[ConsentScope.CONTACT_EMAIL],
        reason="Asked not to be emailed.",
        recorded_by=None,
    )
    for callback in queued:
        callback()
    assert mail.outbox == []


# ---------------------------------------------------------------------------------------
# The participant's page


def test_the_link_works_once(scene: Scene) -> None:
    sent = _send(scene)
    token = _token(sent.link)
    client = Client()
    chosen = scene.peers[1]
    if chosen.pk not in {entry["profile"] for entry in sent.invitation.shown}:
        chosen = PeerProfile.objects.get(pk=sent.invitation.shown[0]["profile"])
    picked = _answer(client, token, action="choose", profile=chosen.pk, comment="Evenings suit me.")
    assert picked.status_code == 302
    invitation = ChoiceInvitation.objects.get(pk=sent.invitation.pk)
    assert invitation.status == Status.CHOSEN and invitation.chosen == chosen
    assert invitation.comment == "Evenings suit me."
    match = Match.objects.get(enrolment=scene.enrolment)
    assert invitation.match == match
    assert match.source == Match.Source.CHOICE and match.status == MatchStatus.OFFERED
    assert match.profile == chosen
    after = client.get(reverse("matching:choose", args=[token]))
    assert after.status_code == 200
    assert "Thank you for choosing" in after.content.decode()
    again = _answer(client, token, action="choose", profile=chosen.pk)
    assert again.status_code == 409
    assert Match.objects.filter(enrolment=scene.enrolment).count() == 1


def test_an_expired_link_shows_a_clear_message(scene: Scene) -> None:
    sent = _send(scene)
    ChoiceInvitation.objects.filter(pk=sent.invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    token = _token(sent.link)
    page = Client().get(reverse("matching:choose", args=[token]))
    assert page.status_code == 200
    assert "This link has expired" in page.content.decode()
    assert "Sam" not in page.content.decode()
    assert ChoiceInvitation.objects.get(pk=sent.invitation.pk).status == Status.EXPIRED
    posted = _answer(Client(), token, action="choose", profile=scene.peers[0].pk)
    assert posted.status_code == 409
    assert not Match.objects.filter(enrolment=scene.enrolment).exists()


def test_a_link_closes_when_the_participant_is_matched_another_way(scene: Scene) -> None:
    from peerbridge.matching import lifecycle

    sent = _send(scene)
    lifecycle.match_create(
        enrolment=scene.enrolment,
        profile=scene.peers[3],
        source=Match.Source.MANUAL,
        actor=scene.coordinator,
    )
    token = _token(sent.link)
    page = Client().get(reverse("matching:choose", args=[token]))
    assert page.status_code == 200 and "no longer in use" in page.content.decode()
    chosen = sent.invitation.shown[0]["profile"]
    assert _answer(Client(), token, action="choose", profile=chosen).status_code == 409
    assert Match.objects.filter(enrolment=scene.enrolment).count() == 1


def test_asking_for_others_reaches_the_coordinator(scene: Scene) -> None:
    first = _send(scene)
    answered = _answer(
        Client(), _token(first.link), action="more", comment="Someone nearer my age, please."
    )
    assert answered.status_code == 302
    invitation = ChoiceInvitation.objects.get(pk=first.invitation.pk)
    assert invitation.status == Status.MORE
    assert invitation.comment == "Someone nearer my age, please."
    assert not Match.objects.filter(enrolment=scene.enrolment).exists()
    staff = Client()
    staff.force_login(scene.coordinator)
    page = staff.get(reverse("matching:choice_send", args=[scene.enrolment.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Asked for other peers" in text and "Someone nearer my age" in text
    # The next link offers the peers not shown yet.
    second = _send(scene)
    shown_before = {entry["profile"] for entry in first.invitation.shown}
    assert not shown_before & {entry["profile"] for entry in second.invitation.shown}


def test_a_peer_who_became_full_is_refused_and_the_link_stays_open(scene: Scene) -> None:
    sent = _send(scene)
    full = sent.invitation.shown[0]["profile"]
    PeerProfile.objects.filter(pk=full).update(max_matches=0)
    page = _answer(Client(), _token(sent.link), action="choose", profile=full)
    assert page.status_code == 422
    assert "cannot take someone new" in page.content.decode()
    assert ChoiceInvitation.objects.get(pk=sent.invitation.pk).status == Status.OPEN
    assert not Match.objects.filter(enrolment=scene.enrolment).exists()


def test_choosing_needs_a_peer_shown(scene: Scene) -> None:
    sent = _send(scene, profiles=scene.peers[:2])
    token = _token(sent.link)
    assert _answer(Client(), token, action="choose").status_code == 422
    other = scene.peers[3].pk
    assert _answer(Client(), token, action="choose", profile=other).status_code == 422
    assert ChoiceInvitation.objects.get(pk=sent.invitation.pk).status == Status.OPEN


def test_a_bot_is_answered_like_a_person_and_nothing_is_saved(scene: Scene) -> None:
    sent = _send(scene)
    token = _token(sent.link)
    filled = _answer(Client(), token, action="more", website="https://spam.example")
    assert filled.status_code == 302
    fast = Client().post(
        reverse("matching:choose", args=[token]),
        {
            "action": "more",
            "stamp": signing.dumps(timezone.now().timestamp(), salt=ChoiceAnswerForm.stamp_salt),
        },
    )
    assert fast.status_code == 302
    assert ChoiceInvitation.objects.get(pk=sent.invitation.pk).status == Status.OPEN


def test_too_many_answers_from_one_address_are_slowed(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(choice_views, "ANSWER_LIMIT", 0)
    sent = _send(scene)
    assert _answer(Client(), _token(sent.link), action="more").status_code == 429
    assert ChoiceInvitation.objects.get(pk=sent.invitation.pk).status == Status.OPEN


@pytest.mark.parametrize(
    "token", ["not-a-token", "x" * 300, "%00", "..", "a" * 43, "' OR 1=1 --", "ünïcødé"]
)
def test_an_unknown_link_is_a_clear_404(scene: Scene, token: str) -> None:
    client = Client()
    url = "/choose/" + token + "/"
    got = client.get(url)
    assert got.status_code == 404
    assert "This link does not work" in got.content.decode()
    assert _answer(client, token, action="more").status_code == 404


def test_the_public_page_keeps_the_link_out_of_caches_and_referrers(scene: Scene) -> None:
    page = Client().get(reverse("matching:choose", args=[_token(_send(scene).link)]))
    assert page["Cache-Control"] == "no-store"
    assert page["Referrer-Policy"] == "same-origin"


# ---------------------------------------------------------------------------------------
# The coordinator's page and withdrawing


def test_the_coordinator_sees_who_would_be_offered_and_gets_the_link_once(scene: Scene) -> None:
    client = Client()
    client.force_login(scene.coordinator)
    url = reverse("matching:choice_send", args=[scene.enrolment.pk])
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "RealSam" in text  # staff see who the peer is
    assert "The participant sees:" in text
    sent = client.post(url, {"profiles": [scene.peers[0].pk, scene.peers[2].pk]})
    assert sent.status_code == 200
    invitation = ChoiceInvitation.objects.get(enrolment=scene.enrolment)
    assert [entry["alias"] for entry in invitation.shown] == ["Sam", "Jo"]
    link = re.search(r'value="(https?://[^"]+/choose/[^"]+/)"', sent.content.decode())
    assert link is not None
    assert invitation.token_hash == choice.token_digest(_token(link.group(1)))
    later = client.get(url).content.decode()
    assert _token(link.group(1)) not in later
    assert "Withdraw the link" in later


def test_withdrawing_closes_the_link(scene: Scene) -> None:
    sent = _send(scene)
    client = Client()
    client.force_login(scene.coordinator)
    done = client.post(reverse("matching:choice_withdraw", args=[sent.invitation.pk]))
    assert done.status_code == 302
    assert ChoiceInvitation.objects.get(pk=sent.invitation.pk).status == Status.WITHDRAWN
    page = Client().get(reverse("matching:choose", args=[_token(sent.link)]))
    assert "no longer in use" in page.content.decode()
    with pytest.raises(ValidationError):
        choice.choice_withdraw(invitation=sent.invitation, actor=scene.coordinator)


def test_staff_outside_the_programme_cannot_reach_its_links(scene: Scene) -> None:
    from tests.conftest import client_for

    sent = _send(scene)
    leader = client_for("leader")
    assert leader.get(reverse("matching:choice_send", args=[scene.enrolment.pk])).status_code == 404
    assert (
        leader.post(reverse("matching:choice_withdraw", args=[sent.invitation.pk])).status_code
        == 404
    )
    assert ChoiceInvitation.objects.get(pk=sent.invitation.pk).status == Status.OPEN


# ---------------------------------------------------------------------------------------
# API


def _api(client: Client, method: str, url: str, body: Any = None) -> Any:
    send = getattr(client, method)
    if body is None:
        return send(url)
    return send(url, data=json.dumps(body), content_type="application/json")


def test_the_api_sends_lists_and_withdraws(scene: Scene) -> None:
    client = Client()
    client.force_login(scene.coordinator)
    url = f"/api/v1/enrolments/{scene.enrolment.pk}/choice-invitations"
    created = _api(client, "post", url, {"profile_ids": [scene.peers[1].pk, scene.peers[0].pk]})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["emailed"] is False and "/choose/" in body["link"]
    assert [entry["alias"] for entry in body["shown"]] == ["Kit", "Sam"]
    listed = _api(client, "get", url).json()
    assert [row["id"] for row in listed["items"]] == [body["id"]]
    assert "link" not in listed["items"][0]
    assert _token(body["link"]) not in json.dumps(listed)
    again = _api(client, "post", url, {})
    assert again.status_code == 422 and "enrolment" in again.json()["error"]["fields"]
    withdrawn = _api(client, "post", f"/api/v1/choice-invitations/{body['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    twice = _api(client, "post", f"/api/v1/choice-invitations/{body['id']}/withdraw")
    assert twice.status_code == 422
    top = _api(client, "post", url, {})
    assert top.status_code == 201 and len(top.json()["shown"]) == 3
