"""On which channels a recipient may be reached now, and at which address.

In-app messages go to anyone with an active login. Email and text messages follow the
person's preferred channels (their notification preference, else the ways to be
contacted on their record, else email) and need an address. People working in the
programme (an active staff or peer role there, or across the organisation) get work
messages without further consent; anyone else (a participant) needs the newest consent
decision in the programme to include that channel. The outbox asks `refusal` again
when it sends, so a withdrawal between queueing and sending acts at once.
"""

from __future__ import annotations

from peerbridge.core.access import role_policy
from peerbridge.core.models import User
from peerbridge.notifications.models import Channel, Preference
from peerbridge.organisations.models import Programme
from peerbridge.organisations.roles import STAFF_ROLES, Role
from peerbridge.organisations.selectors import programmes_in_scope, user_roles
from peerbridge.people.models import Consent, ConsentScope, Person

EXTERNAL = (Channel.EMAIL, Channel.SMS)
TEAM = role_policy(
    "notifications.team",
    {*STAFF_ROLES, Role.PEER_SUPPORTER},
    "People working in a programme get work messages without a contact consent.",
)
CONSENT_FOR = {Channel.EMAIL: ConsentScope.CONTACT_EMAIL, Channel.SMS: ConsentScope.CONTACT_SMS}
REFUSED_NO_ADDRESS = "no address"
REFUSED_NO_CONSENT = "no consent"


def email_address(*, user: User | None, person: Person | None) -> str:
    """The person's own address, else their sign-in address."""
    if person is not None and not person.is_erased and (person.email or "").strip():
        return str(person.email).strip()
    if user is not None and user.is_active:
        return user.email
    return ""


def phone_number(*, person: Person | None) -> str:
    if person is None or person.is_erased:
        return ""
    return str(person.phone or "").strip()


def address_for(channel: str, *, user: User | None, person: Person | None) -> str:
    if channel == Channel.EMAIL:
        return email_address(user=user, person=person)
    if channel == Channel.SMS:
        return phone_number(person=person)
    return ""


def works_in(user: User | None, programme: Programme | None) -> bool:
    """Whether the login holds an active staff or peer role over the programme (or,
    for a message outside any programme, anywhere)."""
    if user is None or not user.is_active:
        return False
    if programme is None:
        return bool(user_roles(user) - {Role.PARTICIPANT})
    return programmes_in_scope(user=user, policy=TEAM).filter(pk=programme.pk).exists()


def consented_scopes(person: Person | None, programme: Programme | None) -> set[str]:
    if person is None or programme is None:
        return set()
    newest = (
        Consent.objects.filter(person=person, programme=programme)
        .order_by("-recorded_at", "-id")
        .first()
    )
    return set(newest.scopes) if newest is not None else set()


IN_APP_ONLY = [Channel.IN_APP]  # a saved preference for "only in PeerBridge"


def preference_of(*, user: User | None, person: Person | None) -> Preference | None:
    """The person's preference, else the login's."""
    if person is not None:
        found = Preference.objects.filter(person=person).first()
        if found is not None:
            return found
    if user is not None:
        return Preference.objects.filter(user=user).first()
    return None


def preferred_external(preference: Preference | None, person: Person | None) -> list[str]:
    """Email and text message in the order the person chose: their notification
    preference (which may say "only in PeerBridge"), else the ways to be contacted on
    their record, else email."""
    if preference is not None and preference.channels:
        return [c for c in preference.channels if c in EXTERNAL]
    if person is not None and person.preferred_channels:
        from_record = [c for c in person.preferred_channels if c in EXTERNAL]
        if from_record:
            return from_record
    return [Channel.EMAIL]


def refusal(
    channel: str,
    *,
    user: User | None,
    person: Person | None,
    programme: Programme | None,
    staff: bool | None = None,
) -> str:
    """Why a message may not go out on an external channel now ("no address", "no
    consent"), or "" when it may. Asked when a message is queued and again when it is
    sent, so a withdrawn consent or a removed number acts at once."""
    if not address_for(channel, user=user, person=person):
        return REFUSED_NO_ADDRESS
    if staff is None:
        staff = works_in(user, programme)
    if not staff and CONSENT_FOR[Channel(channel)] not in consented_scopes(person, programme):
        return REFUSED_NO_CONSENT
    return ""


def reachable_channels(
    *,
    user: User | None,
    person: Person | None,
    programme: Programme | None,
    urgent: bool = False,
) -> list[str]:
    """In-app (when there is a login) plus the first external channel the person can
    be reached on. An urgent message goes on every reachable external channel; for
    people working in the programme that includes channels they did not list, because
    an unacknowledged risk flag must reach the clinician on call."""
    channels: list[str] = []
    if user is not None and user.is_active:
        channels.append(Channel.IN_APP)
    preference = preference_of(user=user, person=person)
    staff = works_in(user, programme)
    candidates = preferred_external(preference, person)
    if urgent and staff:
        candidates += [c for c in EXTERNAL if c not in candidates]
    for channel in candidates:
        if refusal(channel, user=user, person=person, programme=programme, staff=staff):
            continue
        channels.append(channel)
        if not urgent:
            break
    return channels
