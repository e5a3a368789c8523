"""People's rights: a copy of everything held about a person, and erasure that leaves
none of their identifiers anywhere in the database."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Count
from django.utils import timezone
from django.utils.html import escape
from faker import Faker

from peerbridge.core.audit import Action
from peerbridge.core.crypto import (
    DecryptionError,
    blind_index,
    decrypt,
    normalise_email,
    normalise_phone,
)
from peerbridge.core.models import AuditEvent, User
from peerbridge.people.models import Consent, LivedExperience, Person
from peerbridge.people.rights import (
    ERASED_GIVEN_NAME,
    NOT_WALKED,
    age_band_for,
    person_erase,
    person_export,
    person_holdings,
)
from peerbridge.people.selectors import own_person
from peerbridge.referrals.models import (
    ContactAttempt,
    DirectoryService,
    Enrolment,
    EnrolmentStatusChange,
    NavigationReferral,
)
from tests.conftest import World, client_for, persona_user


def _user(persona: str) -> User:
    user = persona_user(persona)
    assert user is not None
    return user


@dataclass
class Held:
    """A person with something in every place the issue names, and the distinctive
    values that identify them."""

    person: Person
    user: User
    enrolment: Enrolment
    change: EnrolmentStatusChange
    attempt: ContactAttempt
    consent: Consent
    experience: LivedExperience
    navigation: NavigationReferral
    identifiers: dict[str, str]


def _held(world: World, *, seed: int | None = None) -> Held:
    faker = Faker("en_GB")
    faker.seed_instance(seed)
    tag = faker.lexify("??????", letters="bcdfghjkmnpqrstvwxz")  # no vowels: no real words
    given = f"{faker.first_name()}{tag}"
    family = f"{faker.last_name()}{tag[::-1]}"
    phone = faker.numerify("+44 7### ######")
    email = f"{given}.{family}@{faker.free_email_domain()}".lower()
    born = faker.date_between(datetime.date(1925, 1, 1), datetime.date(1935, 12, 31))
    identifiers = {
        "given name": given,
        "family name": family,
        "preferred name": f"{tag}ie",
        "phone": phone,
        "phone digits": normalise_phone(phone),
        "email": email,
        "date of birth": born.isoformat(),
        "area": f"{faker.postcode()} {tag}",
        "notes": f"{faker.sentence()} {tag} notes",
        "accessibility": f"{tag} hearing loop",
        "preferred times": f"evenings {tag}",
        "gender described": f"{tag} in my words",
        "cultural background": f"{tag} heritage",
        "referral reason": f"{given} {faker.sentence()}",
        "referrer organisation": f"{tag} surgery",
        "next action": f"Call {given} back",
        "status change reason": f"{given} agreed to talk",
        "contact note": f"{given} asked for a call at {phone}",
        "guardian": f"{faker.name()} {tag}",
        "story": f"{tag} {faker.paragraph()}",
        "navigation note": f"{given} needs help with rent",
    }
    user = User.objects.create_user(email=email, password=None)
    person = Person.objects.create(
        user=user,
        organisation=world.programme_a.site.organisation,
        site=world.riverside,
        given_name=given,
        family_name=family,
        preferred_name=identifiers["preferred name"],
        pronouns="they/them",
        date_of_birth=born,
        gender=Person.Gender.SELF_DESCRIBED,
        gender_described=identifiers["gender described"],
        languages=["en", "cy"],
        cultural_background=identifiers["cultural background"],
        area=identifiers["area"],
        latitude=Decimal("53.48095"),
        longitude=Decimal("-2.23743"),
        accessibility_needs=identifiers["accessibility"],
        phone=phone,
        email=email,
        preferred_channels=["phone", "email"],
        preferred_times=identifiers["preferred times"],
        notes=identifiers["notes"],
    )
    enrolment = Enrolment.objects.create(
        person=person,
        programme=world.programme_a,
        source=Enrolment.Source.STAFF,
        status="contacted",
        referral_reason=identifiers["referral reason"],
        referrer_organisation=identifiers["referrer organisation"],
        next_action=identifiers["next action"],
    )
    change = EnrolmentStatusChange.objects.create(
        enrolment=enrolment,
        from_status="referred",
        to_status="contacted",
        reason=identifiers["status change reason"],
    )
    attempt = ContactAttempt.objects.create(
        enrolment=enrolment,
        channel=ContactAttempt.Channel.PHONE,
        outcome=ContactAttempt.Outcome.CONNECTED,
        note=identifiers["contact note"],
    )
    consent = Consent.objects.create(
        person=person,
        programme=world.programme_a,
        scopes=["participation", "contact_phone"],
        method=Consent.Method.WRITTEN,
        given_by=Consent.GivenBy.GUARDIAN,
        guardian_name=identifiers["guardian"],
    )
    experience = LivedExperience.objects.create(
        person=person,
        programme=world.programme_a,
        perspective=LivedExperience.Perspective.FACING,
        since=datetime.date(2024, 5, 1),
        since_kind=LivedExperience.SinceKind.DIAGNOSIS,
        story=identifiers["story"],
    )
    service = DirectoryService.objects.create(
        organisation=world.programme_a.site.organisation,
        name="Rights test housing advice",
        categories=["housing"],
    )
    navigation = NavigationReferral.objects.create(
        enrolment=enrolment, service=service, need="housing", note=identifiers["navigation note"]
    )
    identifiers["phone index"] = blind_index(normalise_phone(phone))
    identifiers["email index"] = blind_index(normalise_email(email))
    identifiers["tag"] = tag
    return Held(
        person, user, enrolment, change, attempt, consent, experience, navigation, identifiers
    )


@pytest.fixture
def held(world: World) -> Held:
    return _held(world)


def _enrolled(world: World, programme: Any) -> Person:
    person = Person.objects.create(given_name="Other", family_name="Person")
    Enrolment.objects.create(person=person, programme=programme, source=Enrolment.Source.STAFF)
    return person


# --- the scan ------------------------------------------------------------------------

SCANNED_TYPES = {
    "CharField",
    "TextField",
    "EmailField",
    "SlugField",
    "URLField",
    "JSONField",
    "DateField",
    "GenericIPAddressField",
}


def _stored_text() -> Iterator[tuple[str, str]]:
    """(table.column, text) for every text (and date) value in every table, read with
    raw SQL; encrypted values are also given decrypted."""
    introspection = connection.introspection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in introspection.table_names(cursor):
            columns = [
                column.name
                for column in introspection.get_table_description(cursor, table)
                if introspection.get_field_type(column.type_code, column) in SCANNED_TYPES
            ]
            if not columns:
                continue
            selected = ", ".join(quote(column) for column in columns)
            cursor.execute(f"SELECT {selected} FROM {quote(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = value if isinstance(value, str) else str(value)
                    yield f"{table}.{column}", text
                    if text.startswith("gAAAAA"):
                        try:
                            yield f"{table}.{column} (decrypted)", decrypt(text)
                        except DecryptionError:
                            continue


def _where_found(identifiers: dict[str, str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for place, text in _stored_text():
        for name, value in identifiers.items():
            if value in text:
                found.setdefault(name, set()).add(place)
    return found


def _counts() -> dict[str, list[dict[str, Any]]]:
    return {
        "enrolments": list(
            Enrolment.objects.values("programme_id", "status", "kind", "source")
            .annotate(n=Count("id"))
            .order_by("programme_id", "status", "kind", "source")
        ),
        "people by gender": list(
            Person.objects.values("gender").annotate(n=Count("id")).order_by("gender")
        ),
        "attempts": list(
            ContactAttempt.objects.values("channel", "outcome")
            .annotate(n=Count("id"))
            .order_by("channel", "outcome")
        ),
        "consents": list(
            Consent.objects.values("programme_id", "method", "given_by")
            .annotate(n=Count("id"))
            .order_by("programme_id", "method", "given_by")
        ),
    }


# --- export --------------------------------------------------------------------------


def test_export_holds_the_person_their_consent_enrolment_attempts_and_history(
    world: World, held: Held
) -> None:
    other = _enrolled(world, world.programme_a)
    export = person_export(person=held.person, exported_by=_user("coordinator"))
    sections = export["sections"]

    (person_row,) = sections["people.person"]["rows"]
    assert person_row["id"] == held.person.pk
    assert person_row["phone"] == held.identifiers["phone"]  # decrypted
    assert person_row["notes"] == held.identifiers["notes"]
    assert person_row["gender_display"] == "In another way"
    assert person_row["preferred_channels_display"] == ["Phone call", "Email"]
    assert "phone_index" not in person_row and "email_index" not in person_row
    assert sections["core.user"]["rows"] == [
        {
            "email": held.user.email,
            "is_active": True,
            "date_joined": held.user.date_joined.isoformat(),
            "last_login": None,
        }
    ]

    (enrolment,) = sections["referrals.enrolment"]["rows"]
    assert enrolment["id"] == held.enrolment.pk
    assert enrolment["referral_reason"] == held.identifiers["referral reason"]
    assert enrolment["status_display"] == "Contacted"
    assert enrolment["programme_display"] == str(world.programme_a)
    (consent,) = sections["people.consent"]["rows"]
    assert consent["guardian_name"] == held.identifiers["guardian"]
    assert consent["scopes_display"] == [
        "Taking part in the programme",
        "Being contacted by phone",
    ]
    (attempt,) = sections["referrals.contactattempt"]["rows"]
    assert (attempt["id"], attempt["note"]) == (held.attempt.pk, held.identifiers["contact note"])
    (change,) = sections["referrals.enrolmentstatuschange"]["rows"]
    assert (change["id"], change["to_status_display"]) == (held.change.pk, "Contacted")
    (navigation,) = sections["referrals.navigationreferral"]["rows"]
    assert navigation["note"] == held.identifiers["navigation note"]
    (experience,) = sections["people.livedexperience"]["rows"]
    assert experience["story"] == held.identifiers["story"]
    assert experience["since"] == "2024-05-01"

    assert json.loads(json.dumps(export)) == export  # JSON-safe as it stands
    other_enrolment = Enrolment.objects.get(person=other)
    assert other_enrolment.pk not in [row["id"] for row in sections["referrals.enrolment"]["rows"]]


def test_an_export_is_audited_with_ids_only(world: World, held: Held) -> None:
    coordinator = _user("coordinator")
    person_export(person=held.person, exported_by=coordinator)
    (row,) = AuditEvent.objects.filter(action=Action.EXPORT, object_id=str(held.person.pk))
    assert (row.actor_id, row.object_type) == (coordinator.pk, "people.person")
    recorded = " ".join([row.object_type, row.object_id, row.route, row.request_id])
    assert not any(value in recorded for value in held.identifiers.values())


def test_staff_download_the_export_as_json_and_read_it_as_a_page(world: World, held: Held) -> None:
    client = client_for("coordinator")
    response = client.get(f"/people/{held.person.pk}/export.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    body = json.loads(response.content)
    assert body["person_id"] == held.person.pk
    assert (
        body["sections"]["referrals.contactattempt"]["rows"][0]["note"]
        == (held.identifiers["contact note"])
    )
    page = client.get(f"/people/{held.person.pk}/export/")
    assert page.status_code == 200
    text = page.content.decode()
    for shown in ("contact note", "guardian", "story", "notes", "area"):
        assert escape(held.identifiers[shown]) in text  # names like O'Brien are escaped
    assert "Spoke with them" in text and "Being contacted by phone" in text
    assert f"/people/{held.person.pk}/erase/" not in text  # coordinators cannot erase
    assert (
        AuditEvent.objects.filter(action=Action.EXPORT, object_id=str(held.person.pk)).count() == 2
    )


def test_the_api_exports_a_person_for_staff(world: World, held: Held) -> None:
    response = client_for("leader").get(f"/api/v1/people/{held.person.pk}/export")
    assert response.status_code == 200
    body = response.json()
    assert body["person_id"] == held.person.pk
    assert body["sections"]["people.consent"]["rows"][0]["id"] == held.consent.pk


def test_a_participant_sees_and_downloads_their_own_data(world: World, held: Held) -> None:
    client = client_for("participant")
    participant = own_person(_user("participant"))
    assert participant is not None
    page = client.get("/me/data/")
    assert page.status_code == 200
    assert page.context["export"]["person_id"] == participant.pk
    assert [row["id"] for row in page.context["export"]["sections"]["people.person"]["rows"]] == [
        participant.pk
    ]
    assert held.identifiers["given name"] not in page.content.decode()
    download = client.get("/me/data/export.json")
    assert download.status_code == 200
    assert json.loads(download.content)["person_id"] == participant.pk
    api = client.get("/api/v1/me/export")
    assert api.status_code == 200 and api.json()["person_id"] == participant.pk
    # Someone else's record stays out of reach, whichever door is tried.
    assert client.get(f"/people/{held.person.pk}/export/").status_code == 403
    assert client.get(f"/people/{held.person.pk}/export.json").status_code == 403
    assert client.get(f"/api/v1/people/{held.person.pk}/export").status_code == 404


def test_the_person_themselves_sees_everything_held_in_plain_words(
    world: World, held: Held
) -> None:
    client = client_for("anonymous")
    client.force_login(held.user)
    text = client.get("/me/data/").content.decode()
    for shown in ("given name", "phone", "email", "notes", "contact note", "guardian"):
        assert escape(held.identifiers[shown]) in text  # names like O'Brien are escaped
    assert "Programmes" in text and "Consent decisions" in text
    assert "Download a copy" in text


def test_a_user_without_a_person_record_gets_an_explanation(world: World) -> None:
    client = client_for("stranger")
    page = client.get("/me/data/")
    assert page.status_code == 200
    assert b"not linked to a personal record" in page.content
    assert client.get("/me/data/export.json").status_code == 404
    assert client.get("/api/v1/me/export").status_code == 404


def test_staff_of_another_programme_get_404(world: World) -> None:
    in_b = _enrolled(world, world.programme_b)
    for persona, url in [
        ("coordinator", f"/people/{in_b.pk}/export/"),
        ("coordinator", f"/people/{in_b.pk}/export.json"),
        ("coordinator", f"/api/v1/people/{in_b.pk}/export"),
        ("leader", f"/people/{in_b.pk}/erase/"),
    ]:
        assert client_for(persona).get(url).status_code == 404, (persona, url)
    response = client_for("leader").post(
        f"/api/v1/people/{in_b.pk}/erase",
        data=json.dumps({"reason": "asked", "confirm": "ERASE"}),
        content_type="application/json",
    )
    assert response.status_code == 404
    in_b.refresh_from_db()
    assert not in_b.is_erased


def _person_keys(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey) and field.related_model is Person
    ]


def test_every_model_pointing_at_a_person_is_exported(world: World) -> None:
    """Fails when a model with a person key is added and the walk misses it."""
    exported = set(
        person_export(person=Person.objects.create(given_name="Nobody"), exported_by=None)[
            "sections"
        ]
    )
    models_ = [m for m in apps.get_models(include_auto_created=False)]
    first = {m for m in models_ if _person_keys(m) and m is not Person}
    second = {
        child
        for child in models_
        for field in child._meta.concrete_fields
        if isinstance(field, models.ForeignKey)
        and field.related_model in first
        and any(not key.null for key in _person_keys(field.related_model))
        and child is not Person
    }
    expected = {m._meta.label_lower for m in first | second} - set(NOT_WALKED)
    assert {"referrals.enrolment", "referrals.contactattempt", "people.consent"} <= expected
    assert expected - exported == set(), "held about a person but not exported"
    assert expected <= {holding.label for holding in person_holdings()}


# --- erasure -------------------------------------------------------------------------


def test_erasure_leaves_no_identifier_in_any_text_column(world: World) -> None:
    held = _held(world)
    identifiers = held.identifiers
    # Signing in leaves traces (the sign-in log names the email): erasure must find them.
    client = client_for("anonymous")
    client.force_login(held.user)
    assert client.get("/me/data/").status_code == 200

    found = _where_found(identifiers)
    for plain in ("given name", "family name", "area", "date of birth", "guardian"):
        assert any("(decrypted)" not in place for place in found[plain]), plain
    for secret in ("phone", "notes", "contact note", "story", "referral reason"):
        assert found[secret] and all("(decrypted)" in place for place in found[secret])
    assert "axes_accesslog.username" in found["email"]
    counts = _counts()

    person_erase(person=held.person, erased_by=_user("leader"), reason="Asked in writing")

    assert _where_found(identifiers) == {}
    assert _counts() == counts

    person = Person.objects.get(pk=held.person.pk)
    assert person.given_name == ERASED_GIVEN_NAME
    assert person.is_erased and person.erased_at is not None
    assert person.age_band == Person.AgeBand.FROM_75
    assert (person.gender, person.languages, person.site_id) == (
        "self_described",
        ["en", "cy"],
        world.riverside.pk,
    )
    for name in (
        "family_name",
        "preferred_name",
        "gender_described",
        "cultural_background",
        "area",
        "phone",
        "email",
        "phone_index",
        "email_index",
        "notes",
        "accessibility_needs",
        "preferred_times",
    ):
        assert getattr(person, name) == "", name
    assert (person.date_of_birth, person.latitude, person.longitude) == (None, None, None)
    # Decrypted through the ORM, every note is blank; statuses and choices stay.
    enrolment = Enrolment.objects.get(pk=held.enrolment.pk)
    assert (enrolment.referral_reason, enrolment.next_action) == ("", "")
    assert (enrolment.status, enrolment.source, enrolment.programme_id) == (
        "contacted",
        "staff",
        world.programme_a.pk,
    )
    assert EnrolmentStatusChange.objects.get(pk=held.change.pk).reason == ""
    attempt = ContactAttempt.objects.get(pk=held.attempt.pk)
    assert (attempt.note, attempt.outcome) == ("", "connected")
    consent = Consent.objects.get(pk=held.consent.pk)
    assert (consent.guardian_name, consent.scopes) == ("", ["participation", "contact_phone"])
    assert LivedExperience.objects.get(pk=held.experience.pk).story == ""
    assert NavigationReferral.objects.get(pk=held.navigation.pk).note == ""
    user = User.objects.get(pk=held.user.pk)
    assert not user.is_active and not user.has_usable_password()
    assert user.email.startswith("erased-") and user.email.endswith("@erased.invalid")


def test_erasure_is_audited_once_without_identifiers(world: World, held: Held) -> None:
    leader = _user("leader")
    response = client_for("leader").post(
        f"/api/v1/people/{held.person.pk}/erase",
        data=json.dumps({"reason": "The person asked by letter", "confirm": "ERASE"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["person_id"] == held.person.pk
    (row,) = AuditEvent.objects.filter(action=Action.DELETE)
    assert (row.actor_id, row.object_type, row.object_id) == (
        leader.pk,
        "people.person",
        str(held.person.pk),
    )
    recorded = " ".join([row.object_type, row.object_id, row.route, row.request_id])
    assert not any(value in recorded for value in held.identifiers.values())


def test_erasure_is_idempotent(world: World, held: Held) -> None:
    leader = _user("leader")
    first = person_erase(person=held.person, erased_by=leader, reason="asked")
    email = User.objects.get(pk=held.user.pk).email
    again = person_erase(person=first, erased_by=leader, reason="asked again")
    assert again.erased_at == first.erased_at
    assert User.objects.get(pk=held.user.pk).email == email
    assert again.given_name == ERASED_GIVEN_NAME


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_erasure_needs_a_reason(world: World, held: Held, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        person_erase(person=held.person, erased_by=_user("leader"), reason=reason)
    assert "reason" in caught.value.message_dict
    held.person.refresh_from_db()
    assert not held.person.is_erased


def test_nobody_erases_their_own_record_by_accident(world: World) -> None:
    leader = _user("leader")
    own = own_person(leader)
    assert own is not None
    with pytest.raises(ValidationError):
        person_erase(person=own, erased_by=leader, reason="testing")


def test_merged_duplicates_are_erased_with_the_person(world: World, held: Held) -> None:
    duplicate = Person.objects.create(
        given_name=held.identifiers["given name"],
        phone=held.identifiers["phone"],
        merged_into=held.person,
    )
    export = person_export(person=held.person, exported_by=None)
    assert [row["id"] for row in export["sections"]["people.person"]["rows"]] == [
        held.person.pk,
        duplicate.pk,
    ]
    person_erase(person=held.person, erased_by=None, reason="asked")
    duplicate.refresh_from_db()
    assert (duplicate.given_name, duplicate.phone, duplicate.is_erased) == ("Erased", "", True)


def test_a_leader_erases_through_the_confirmation_page(world: World, held: Held) -> None:
    client = client_for("leader")
    url = f"/people/{held.person.pk}/erase/"
    page = client.get(url)
    assert page.status_code == 200
    assert b"What is kept" in page.content
    assert ("Attempts to make contact", 1) in page.context["preview"]
    refused = client.post(url, {"reason": "asked", "confirm": "erase"})
    assert refused.status_code == 422 and "confirm" in refused.context["form"].errors
    held.person.refresh_from_db()
    assert not held.person.is_erased
    done = client.post(url, {"reason": "asked", "confirm": "ERASE"})
    assert done.status_code == 302
    assert done["Location"] == f"/people/{held.person.pk}/export/"
    held.person.refresh_from_db()
    assert held.person.is_erased
    after = client.get(done["Location"]).content.decode()
    assert "Erased. What is left" in after
    assert held.identifiers["family name"] not in after


def test_coordinators_may_export_but_not_erase(world: World, held: Held) -> None:
    client = client_for("coordinator")
    assert client.get(f"/people/{held.person.pk}/erase/").status_code == 403
    response = client.post(
        f"/api/v1/people/{held.person.pk}/erase",
        data=json.dumps({"reason": "asked", "confirm": "ERASE"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    held.person.refresh_from_db()
    assert not held.person.is_erased


@pytest.mark.parametrize(
    ("age", "band"),
    [(17, "under_18"), (18, "18_24"), (34, "25_34"), (35, "35_44"), (74, "65_74"), (75, "75_plus")],
)
def test_the_age_band_survives_from_the_date_of_birth(age: int, band: str) -> None:
    assert age_band_for(age) == band


def test_erasure_keeps_the_age_band_of_a_younger_person(world: World) -> None:
    today = timezone.localdate()
    person = Person.objects.create(
        given_name="Young", date_of_birth=datetime.date(today.year - 40, 1, 1)
    )
    person_erase(person=person, erased_by=None, reason="asked")
    person.refresh_from_db()
    assert (person.age_band, person.date_of_birth) == ("35_44", None)


def test_staff_cannot_export_or_erase_records_held_by_programmes_they_do_not_run(
    world: World,
) -> None:
    from peerbridge.referrals.services import ReferralDetails, referral_create

    person = referral_create(
        programme=world.programme_a,
        details=ReferralDetails(given_name="Twice", phone="+44 7700 900444"),
        source="staff",
        referred_by=None,
    ).enrolment.person
    Enrolment.objects.create(person=person, programme=world.programme_b, source="staff")
    assert client_for("coordinator").get(f"/people/{person.pk}/export/").status_code == 403
    assert client_for("leader").get(f"/people/{person.pk}/erase/").status_code == 403
    assert client_for("admin").get(f"/people/{person.pk}/export/").status_code == 200


def test_erase_page_names_unmerged_records_that_may_be_the_same_person(world: World) -> None:
    from peerbridge.referrals.services import ReferralDetails, referral_create

    made = [
        referral_create(
            programme=world.programme_a,
            details=ReferralDetails(given_name=name, phone="+44 7700 900445"),
            source="staff",
            referred_by=None,
        ).enrolment.person
        for name in ("First", "Second")
    ]
    page = client_for("admin").get(f"/people/{made[0].pk}/erase/")
    assert [d.person.pk for d in page.context["possible_duplicates"]] == [made[1].pk]
