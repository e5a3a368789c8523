"""The peer agreements: versioned texts, signed by the peer themself in the app with the
time; a new version asks everyone to sign again (the eligibility service reads only the
newest version)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from peerbridge.core.models import AuditEvent
from peerbridge.workforce.agreements import (
    agreement_publish,
    agreement_sign,
    programme_agreements,
)
from peerbridge.workforce.curriculum_seed import seed_agreements
from peerbridge.workforce.eligibility import Reason, latest_agreement_texts, standing
from peerbridge.workforce.models import AgreementKind, AgreementSignature, AgreementText
from tests.conftest import World, client_for
from tests.workforce.world import make_profile
from tests.workforce.world_training import peer_client, peer_user, sign_everything, staff

pytestmark = pytest.mark.django_db


def _reasons(profile: object) -> set[str]:
    return {b.reason.value for b in standing(profile).common_blockers}  # type: ignore[arg-type]


def test_seeded_agreements_are_plain_and_say_what_happens_if_a_peer_becomes_unwell(
    world: World,
) -> None:
    seed_agreements(world.programme_b)
    texts = latest_agreement_texts([world.programme_b.pk])[world.programme_b.pk]
    assert set(texts) == set(AgreementKind.values)
    wellbeing = texts[AgreementKind.WELLBEING].body.lower()
    for promise in ("privately", "supervisor", "pause", "place", "cover", "return"):
        assert promise in wellbeing


def test_signing_every_agreement_clears_the_reason_and_a_new_version_brings_it_back(
    world: World,
) -> None:
    programme = world.programme_a
    seed_agreements(programme)
    profile = make_profile(programme)
    assert Reason.AGREEMENTS_UNSIGNED in _reasons(profile)

    sign_everything(profile)
    assert Reason.AGREEMENTS_UNSIGNED not in _reasons(profile)
    assert standing(profile).agreements_signed

    agreement_publish(
        programme=programme,
        kind=AgreementKind.CONFIDENTIALITY,
        body="What people tell me stays private, now also on messaging apps.",
        actor=staff("leader"),
    )
    found = standing(profile)
    assert Reason.AGREEMENTS_UNSIGNED in _reasons(profile)
    assert found.unsigned_agreements == (str(AgreementKind.CONFIDENTIALITY.label),)

    sign_everything(profile)
    assert Reason.AGREEMENTS_UNSIGNED not in _reasons(profile)


def test_versions_number_themselves_and_a_repeated_version_is_refused(world: World) -> None:
    programme = world.programme_b
    first = agreement_publish(
        programme=programme, kind="code_of_conduct", body="Be kind.", actor=None, version="7"
    )
    second = agreement_publish(
        programme=programme, kind="code_of_conduct", body="Be kinder.", actor=None
    )
    assert (first.version, second.version) == ("7", "8")
    with pytest.raises(ValidationError) as refused:
        agreement_publish(
            programme=programme, kind="code_of_conduct", body="Again.", actor=None, version="8"
        )
    assert "version" in refused.value.message_dict
    with pytest.raises(ValidationError) as blank:
        agreement_publish(programme=programme, kind="wellbeing", body="   ", actor=None)
    assert "body" in blank.value.message_dict


def test_only_the_peer_signs_and_signing_twice_is_harmless(world: World) -> None:
    seed_agreements(world.programme_a)
    profile = make_profile(world.programme_a)
    text = latest_agreement_texts([world.programme_a.pk])[world.programme_a.pk]["code_of_conduct"]
    with pytest.raises(PermissionDenied):
        agreement_sign(
            profile=profile, text=text, signed_name="Someone", actor=staff("coordinator")
        )

    first, created = agreement_sign(
        profile=profile, text=text, signed_name="  Ana   Peer ", actor=peer_user(profile)
    )
    again, created_again = agreement_sign(
        profile=profile, text=text, signed_name="Ana", actor=peer_user(profile)
    )
    assert created and not created_again and first.pk == again.pk
    assert first.signed_name == "Ana Peer" and first.signed_at is not None
    assert AgreementSignature.objects.filter(profile=profile, text=text).count() == 1
    assert (
        AuditEvent.objects.filter(
            object_type="workforce.agreementsignature", object_id=str(first.pk), action="create"
        ).count()
        == 1
    )
    # The second signing hit the one-signature constraint inside its own savepoint: the
    # surrounding transaction goes on working.
    assert AgreementSignature.objects.filter(profile=profile).count() == 1


def test_a_signing_that_loses_a_race_returns_the_winners_signature(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two signings at once (a double tap): the other request's row lands between this
    one's checks and its insert. The insert hits the constraint and the first signature
    stands, with no 500."""
    seed_agreements(world.programme_a)
    profile = make_profile(world.programme_a)
    text = latest_agreement_texts([world.programme_a.pk])[world.programme_a.pk]["wellbeing"]
    clean = AgreementSignature.full_clean

    def other_request_signs_first(self: AgreementSignature, *args: Any, **kwargs: Any) -> None:
        clean(self, *args, **kwargs)
        AgreementSignature.objects.create(profile=profile, text=text, signed_name="Other tab")

    monkeypatch.setattr(AgreementSignature, "full_clean", other_request_signs_first)
    signature, created = agreement_sign(
        profile=profile, text=text, signed_name="Ana", actor=peer_user(profile)
    )
    assert not created and signature.signed_name == "Other tab"
    assert AgreementSignature.objects.filter(profile=profile, text=text).count() == 1


def test_signing_reads_the_versions_eligibility_reads(world: World) -> None:
    """One rule: the agreements module has no copy of "newest version" of its own."""
    from peerbridge.workforce import agreements, eligibility

    assert not hasattr(agreements, "current_texts")
    assert agreements.latest_agreement_texts is eligibility.latest_agreement_texts
    programme = world.programme_a
    seed_agreements(programme)
    published_at = AgreementText.objects.filter(programme=programme).latest("published_at")
    tie = agreement_publish(programme=programme, kind="wellbeing", body="Tied.", actor=None)
    AgreementText.objects.filter(pk=tie.pk).update(published_at=published_at.published_at)
    later = agreement_publish(programme=programme, kind="wellbeing", body="Later.", actor=None)
    AgreementText.objects.filter(pk=later.pk).update(published_at=published_at.published_at)
    profile = make_profile(programme)
    newest = latest_agreement_texts([programme.pk])[programme.pk]
    assert newest["wellbeing"].pk == later.pk  # same time: the later row wins
    shown = {row.text.kind: row.text.pk for row in agreements.profile_agreements(profile)}
    assert shown == {kind: text.pk for kind, text in newest.items()}
    agreement_sign(profile=profile, text=later, signed_name="Ana", actor=peer_user(profile))
    assert "Wellbeing" not in " ".join(standing(profile).unsigned_agreements)
    with pytest.raises(ValidationError):
        agreement_sign(profile=profile, text=tie, signed_name="Ana", actor=peer_user(profile))


def test_an_old_version_cannot_be_signed(world: World) -> None:
    programme = world.programme_a
    seed_agreements(programme)
    profile = make_profile(programme)
    old = latest_agreement_texts([programme.pk])[programme.pk]["wellbeing"]
    agreement_publish(programme=programme, kind="wellbeing", body="New wording.", actor=None)
    with pytest.raises(ValidationError) as refused:
        agreement_sign(profile=profile, text=old, signed_name="Ana", actor=peer_user(profile))
    assert "text" in refused.value.message_dict


def test_the_programme_page_counts_who_signed_the_current_version(world: World) -> None:
    programme = world.programme_a
    seed_agreements(programme)
    signed, unsigned = make_profile(programme), make_profile(programme)
    sign_everything(signed)
    counts = {s.kind: (s.signed, s.peers) for s in programme_agreements(programme)}
    peers = counts["code_of_conduct"][1]
    assert peers >= 2
    before = counts["code_of_conduct"][0]
    sign_everything(unsigned)
    after = {s.kind: s.signed for s in programme_agreements(programme)}
    assert after["code_of_conduct"] == before + 1

    response = client_for("supervisor").get(reverse("workforce:agreements", args=[programme.pk]))
    assert response.status_code == 200
    assert "Publish a new version" not in response.content.decode()


def test_a_leader_publishes_a_new_version_from_the_page(world: World) -> None:
    programme = world.programme_a
    seed_agreements(programme)
    url = reverse("workforce:agreements", args=[programme.pk])
    data = {"kind": "code_of_conduct", "body": "Be kind, be honest, ask when unsure."}
    assert client_for("coordinator").post(url, data).status_code == 403
    response = client_for("leader").post(url, data)
    assert response.status_code == 302
    text = latest_agreement_texts([programme.pk])[programme.pk]["code_of_conduct"]
    assert text.body == data["body"]
    assert AuditEvent.objects.filter(
        object_type="workforce.agreementtext", object_id=str(text.pk), action="create"
    ).exists()
    refused = client_for("leader").post(url, {"kind": "vows", "body": ""})
    assert refused.status_code == 422


def test_the_peer_signs_on_their_phone_and_staff_cannot_sign_for_them(world: World) -> None:
    programme = world.programme_a
    seed_agreements(programme)
    profile = make_profile(programme)
    client = peer_client(profile)
    url = reverse("workforce:profile_agreements", args=[profile.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "I agree and sign" in page.content.decode()

    text = latest_agreement_texts([programme.pk])[programme.pk]["confidentiality"]
    data = {"text": text.pk, "signed_name": str(profile.person)}
    assert client_for("coordinator").post(url, data).status_code == 403
    assert not AgreementSignature.objects.filter(profile=profile).exists()
    assert client.post(url, {"text": text.pk, "signed_name": ""}).status_code == 422
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # twice: harmless
    assert AgreementSignature.objects.filter(profile=profile, text=text).count() == 1
    assert "Signed" in client.get(url).content.decode()


def test_api_lists_publishes_and_signs(world: World) -> None:
    programme = world.programme_a
    seed_agreements(programme)
    profile = make_profile(programme)
    listed = client_for("coordinator").get(
        f"/api/v1/programmes/{programme.pk}/workforce/agreements"
    )
    assert listed.status_code == 200
    body = listed.json()
    assert {"items", "count", "page", "page_size"} <= set(body)
    current = {row["kind"]: row for row in body["items"] if row["is_current"]}
    assert set(current) == set(AgreementKind.values)

    published = client_for("leader").post(
        f"/api/v1/programmes/{programme.pk}/workforce/agreements",
        data=json.dumps({"kind": "wellbeing", "body": "We look after you."}),
        content_type="application/json",
    )
    assert published.status_code == 201
    new_id = published.json()["id"]
    assert published.json()["is_current"] is True

    url = f"/api/v1/workforce/profiles/{profile.pk}/signatures"
    payload = json.dumps({"text_id": new_id, "signed_name": str(profile.person)})
    staff_try = client_for("supervisor").post(url, data=payload, content_type="application/json")
    assert staff_try.status_code == 403
    client = peer_client(profile)
    first = client.post(url, data=payload, content_type="application/json")
    again = client.post(url, data=payload, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    old = current["wellbeing"]["id"]
    stale = client.post(
        url,
        data=json.dumps({"text_id": old, "signed_name": "Ana"}),
        content_type="application/json",
    )
    assert stale.status_code == 422
    assert "text" in stale.json()["error"]["fields"]
    other = AgreementText.objects.create(
        programme=world.programme_b, kind="wellbeing", version="99", body="B's text."
    )
    elsewhere = client.post(
        url,
        data=json.dumps({"text_id": other.pk, "signed_name": "Ana"}),
        content_type="application/json",
    )
    assert elsewhere.status_code == 422
    assert "text_id" in elsewhere.json()["error"]["fields"]
