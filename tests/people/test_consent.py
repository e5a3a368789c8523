"""Consent as data: recorded, versioned, withdrawn with effect on the next request."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from peerbridge.people.models import Consent
from peerbridge.people.selectors import consent_allows
from peerbridge.people.services import (
    consent_record,
    consent_text_publish,
    consent_withdraw,
    require_contact_consent,
)
from peerbridge.referrals.services import ReferralDetails, referral_create
from tests.conftest import client_for, persona_user


@pytest.fixture
def person(world: Any) -> Any:
    return referral_create(
        programme=world.programme_b,
        details=ReferralDetails(given_name="Consenting", email="c@example.org"),
        source="staff",
        referred_by=None,
    ).enrolment.person


def test_consent_records_the_current_wording_version(world: Any, person: Any) -> None:
    leader = persona_user("leader")
    consent_text_publish(programme=world.programme_b, version="1", body="v1", published_by=leader)
    text = consent_text_publish(
        programme=world.programme_b, version="2", body="v2", published_by=leader
    )
    consent = consent_record(
        person=person, programme=world.programme_b, scopes=["participation"],
        method="online", recorded_by=None,
    )  # fmt: skip
    assert consent.text == text


def test_withdrawal_keeps_history_and_acts_at_once(world: Any, person: Any) -> None:
    consent_record(
        person=person, programme=world.programme_b, recorded_by=None, method="written",
        scopes=["participation", "contact_email", "research"],
    )  # fmt: skip
    require_contact_consent(person=person, programme=world.programme_b, channel="email")
    consent_withdraw(
        person=person, programme=world.programme_b, scopes=["contact_email"], reason="",
        recorded_by=None,
    )  # fmt: skip
    with pytest.raises(ValidationError):
        require_contact_consent(person=person, programme=world.programme_b, channel="email")
    assert consent_allows(person=person, programme_id=world.programme_b.pk, scope="research")
    assert Consent.objects.filter(person=person).count() == 2


def test_redisclosure_is_only_for_substance_use_programmes(world: Any, person: Any) -> None:
    assert world.programme_a.needs_redisclosure_consent
    with pytest.raises(ValidationError) as raised:
        consent_record(
            person=person, programme=world.programme_b, scopes=["redisclosure"],
            method="verbal", recorded_by=None,
        )  # fmt: skip
    assert "scopes" in raised.value.message_dict


def test_guardian_consent_needs_the_guardians_name(world: Any, person: Any) -> None:
    with pytest.raises(ValidationError) as raised:
        consent_record(
            person=person, programme=world.programme_b, scopes=["participation"],
            method="written", given_by="guardian", recorded_by=None,
        )  # fmt: skip
    assert "guardian_name" in raised.value.message_dict


def test_only_leaders_publish_consent_wording(world: Any) -> None:
    url = f"/programmes/{world.programme_a.pk}/consent-texts/"
    body = {"version": "9", "body": "New words"}
    assert client_for("coordinator").post(url, body).status_code == 403
    assert client_for("leader").post(url, body).status_code == 302
    assert client_for("coordinator").get(url).context["texts"][0].version == "9"
