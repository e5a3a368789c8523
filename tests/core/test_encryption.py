"""Encryption at rest: no plaintext contact details or notes in the tables, and key
rotation leaves every row readable with the new key alone."""

from __future__ import annotations

import base64
import secrets
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from peerbridge.core.crypto import DecryptionError, blind_index_candidates, normalise_phone
from peerbridge.people.models import Person
from peerbridge.referrals.models import ContactAttempt
from peerbridge.referrals.services import ReferralDetails, contact_attempt_log, referral_create

PHONE = "+44 7700 900461"
EMAIL = "canary.person@example.org"
NOTE = "canary-note-about-relapse-7f3a"
REASON = "canary-reason-opioid-use-91c2"


def _new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def referred(world: Any) -> Person:
    result = referral_create(
        programme=world.programme_a,
        details=ReferralDetails(given_name="Canary", phone=PHONE, email=EMAIL),
        source="staff",
        referred_by=None,
        referral_reason=REASON,
        contact_scopes=["contact_phone"],
    )
    person = result.enrolment.person
    person.notes = NOTE
    person.save()
    contact_attempt_log(
        enrolment=result.enrolment, channel="phone", outcome="no_answer", note=NOTE,
        attempted_by=None,
    )  # fmt: skip
    return person


def _all_text_in_database() -> str:
    """Every char and text column of every table, read raw."""
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            description = connection.introspection.get_table_description(cursor, table)
            quoted = connection.ops.quote_name(table)
            for column in description:
                name = connection.ops.quote_name(column.name)
                cursor.execute(f"SELECT {name} FROM {quoted}")  # noqa: S608
                chunks.extend(str(value) for (value,) in cursor.fetchall() if value)
    return "\n".join(chunks)


def test_no_plaintext_phone_email_or_note_in_any_table(referred: Person) -> None:
    everything = _all_text_in_database()
    for canary in (PHONE, normalise_phone(PHONE), EMAIL, NOTE, REASON):
        assert canary not in everything
    # ...while the application reads them back.
    person = Person.objects.get(pk=referred.pk)
    assert (person.phone, person.email, person.notes) == (PHONE, EMAIL, NOTE)
    assert ContactAttempt.objects.get(enrolment__person=person).note == NOTE


def test_rotate_keys_reencrypts_every_row_and_old_key_can_go(
    referred: Person, settings: Any
) -> None:
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    new = _new_key()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, *old_keys]):
        out = StringIO()
        call_command("rotate-keys", stdout=out)
        assert "encrypted values decrypt" in out.getvalue()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        call_command("rotate-keys", "--check", stdout=StringIO())
        person = Person.objects.get(pk=referred.pk)
        assert (person.phone, person.email, person.notes) == (PHONE, EMAIL, NOTE)
        # The blind index was recomputed under the new key: duplicates are still found.
        assert Person.objects.filter(
            phone_index__in=blind_index_candidates(normalise_phone(PHONE))
        ).exists()
    assert PHONE not in _all_text_in_database()


def test_a_missing_key_fails_loudly_instead_of_showing_ciphertext(referred: Person) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[_new_key()]):
        with pytest.raises(DecryptionError):
            Person.objects.get(pk=referred.pk)
        with pytest.raises(CommandError):
            call_command("rotate-keys", "--check", stdout=StringIO())


def test_encrypted_columns_refuse_lookups_that_cannot_work(referred: Person) -> None:
    with pytest.raises(NotImplementedError):
        list(Person.objects.filter(phone__contains="7700"))
    with pytest.raises(NotImplementedError):
        list(Person.objects.filter(phone=PHONE))
    assert Person.objects.filter(pk=referred.pk).exclude(phone="").exists()
