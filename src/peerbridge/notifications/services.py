"""Putting messages in the outbox, and the writes behind the inbox and preferences.

`notify` renders a kind's templates for each channel the recipient can be reached on
and writes one row per channel, in the caller's transaction (so a message exists
exactly when the change that caused it does; the worker sends it after commit, see
delivery.py). In-app messages need no sending: they are in the inbox at once.

Templates live in any app under `templates/notifications/<kind>/`: `subject.txt`,
`email.txt`, `sms.txt`, `in_app.txt` (a kind may leave out channels it never uses).
They are rendered in the recipient's language as plain text (no HTML escaping), with
`link` (the absolute address of the page the message is about, built from
settings.SITE_URL), `site_url` and `site_name` added to the context. Email and SMS bodies and
subjects carry no health details, programme names or participants' names (a test
renders every template with tell-tale values to check).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template import Context, Engine, Template, TemplateDoesNotExist, engines
from django.template.backends.django import DjangoTemplates
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.models import User
from peerbridge.notifications.models import Channel, Notification, Preference
from peerbridge.notifications.reach import (
    EXTERNAL,
    IN_APP_ONLY,
    preference_of,
    reachable_channels,
)
from peerbridge.organisations.models import Programme
from peerbridge.people.models import Person

TEMPLATE_DIR = "notifications"
TEMPLATE_FILES = {
    Channel.EMAIL: "email.txt",
    Channel.SMS: "sms.txt",
    Channel.IN_APP: "in_app.txt",
}
SUBJECT_FILE = "subject.txt"
SITE_NAME = "PeerBridge"
SMS_MAX = 480  # three segments
SUBJECT_MAX = 200


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _template(kind: str, name: str) -> str:
    return f"{TEMPLATE_DIR}/{kind}/{name}"


def text_engine() -> Engine:
    backend = engines["django"]
    if not isinstance(backend, DjangoTemplates):
        raise TypeError("The 'django' template engine must be Django's own.")
    return backend.engine


def absolute_link(path: str) -> str:
    """A path inside PeerBridge as a full address for email and text messages."""
    return f"{settings.SITE_URL}{path}" if path else ""


def text_template(name: str) -> Template:
    """A message template by name (`notifications/<kind>/email.txt`)."""
    return text_engine().get_template(name)


def render_plain(template: Template, context: Mapping[str, object], *, link: str = "") -> str:
    """A message template rendered as plain text: no HTML escaping, with `link`
    (absolute), `site_url` and `site_name` added on top of the caller's context."""
    plain = Context(context, autoescape=False)
    with plain.push(site_name=SITE_NAME, site_url=settings.SITE_URL, link=link):
        return template.render(plain).strip()


def render_text(name: str, context: Mapping[str, object], *, link: str = "") -> str:
    return render_plain(text_template(name), context, link=link)


def render(
    kind: str, channel: str, context: Mapping[str, object], *, link: str = ""
) -> Rendered | None:
    """The kind's subject and body for a channel; None when the kind has no template
    for it. Email needs a subject; an in-app message uses one when the kind has it."""
    try:
        body = render_text(_template(kind, TEMPLATE_FILES[Channel(channel)]), context, link=link)
    except TemplateDoesNotExist:
        return None
    subject = ""
    if channel != Channel.SMS:
        try:
            subject = render_text(_template(kind, SUBJECT_FILE), context, link=link)
        except TemplateDoesNotExist:
            if channel == Channel.EMAIL:
                raise
        subject = " ".join(subject.split())[:SUBJECT_MAX]
    if channel == Channel.SMS:
        body = " ".join(body.split())[:SMS_MAX]
    return Rendered(subject=subject, body=body)


def _language(person: Person | None) -> str:
    """The person's first language when the interface has it, else the default."""
    available = {code for code, _name in settings.LANGUAGES}
    for code in (person.languages or []) if person is not None else []:
        if code in available:
            return str(code)
    return str(settings.LANGUAGE_CODE)


def _check_link(link: str) -> None:
    if link and (not link.startswith("/") or link.startswith("//") or not link.isprintable()):
        raise ValueError("A message's link is a path inside PeerBridge, such as /flags/4/.")


def _save(row: Notification) -> bool:
    """Write the row; False when its dedupe key was already used on this channel."""
    if not row.dedupe_key:
        row.save()
        return True
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return False
    return True


def notify(
    *,
    kind: str,
    programme: Programme | None,
    context: Mapping[str, object],
    user: User | None = None,
    person: Person | None = None,
    link: str = "",
    calendar: str = "",
    dedupe_key: str = "",
    urgent: bool = False,
    not_before: datetime | None = None,
) -> list[Notification]:
    """Queue a message of `kind` for a login and/or a person on every channel they can
    be reached on. `context` holds what the templates show: names (in-app only),
    times, counts; never a health detail. `link` is a path (`/flags/4/`). `calendar`
    is an ICS text (see calendar.ics_event) attached to the email. `dedupe_key` makes
    the call idempotent per channel. `urgent` sends on every reachable channel;
    whether quiet hours hold is decided by the kind when it is sent (delivery.py)."""
    _check_link(link)
    if user is None and person is not None:
        user = person.user
    if person is None and user is not None:
        person = Person.objects.filter(user=user).first()
    if user is None and person is None:
        return []
    now = timezone.now()
    due = not_before or now
    channels = reachable_channels(user=user, person=person, programme=programme, urgent=urgent)
    created: list[Notification] = []
    with translation.override(_language(person)):
        for channel in channels:
            rendered = render(kind, channel, context, link=absolute_link(link))
            if rendered is None:
                continue
            in_app_now = channel == Channel.IN_APP and due <= now
            row = Notification(
                kind=kind,
                channel=channel,
                programme=programme,
                person=person,
                user=user if user is not None and user.is_active else None,
                subject=rendered.subject,
                body=rendered.body,
                link=link,
                calendar=calendar if channel == Channel.EMAIL else "",
                dedupe_key=dedupe_key,
                next_attempt_at=due,
                created_at=now,
                status=Notification.Status.SENT if in_app_now else Notification.Status.PENDING,
                sent_at=now if in_app_now else None,
            )
            if row.person is None and row.user is None:
                continue
            if _save(row):
                created.append(row)
    return created


def notify_many(
    *,
    kind: str,
    programme: Programme | None,
    users: Iterable[User],
    context: Mapping[str, object],
    link: str = "",
    dedupe_prefix: str = "",
    urgent: bool = False,
) -> list[Notification]:
    """The same message to several logins (e.g. a programme's leaders)."""
    created: list[Notification] = []
    for user in users:
        created += notify(
            kind=kind,
            programme=programme,
            context=context,
            user=user,
            link=link,
            dedupe_key=f"{dedupe_prefix}:user:{user.pk}" if dedupe_prefix else "",
            urgent=urgent,
        )
    return created


def preference_for(*, user: User | None, person: Person | None) -> Preference | None:
    """The saved preference of a person (else of the login), if any."""
    return preference_of(user=user, person=person)


# --- The inbox ----------------------------------------------------------------------


def message_mark_read(*, message: Notification, actor: User) -> Notification:
    """Mark one of the actor's own in-app messages read (again is harmless)."""
    if message.read_at is None:
        message.read_at = timezone.now()
        Notification.objects.filter(pk=message.pk, read_at__isnull=True).update(
            read_at=message.read_at
        )
        audit_instance(actor=actor, action=Action.UPDATE, instance=message)
    return message


def messages_mark_all_read(*, actor: User) -> int:
    """Mark every unread in-app message of the actor read; how many were."""
    unread = Notification.objects.filter(
        user=actor,
        channel=Channel.IN_APP,
        status=Notification.Status.SENT,
        read_at__isnull=True,
    )
    with transaction.atomic():
        ids = list(unread.values_list("pk", flat=True))
        if not ids:
            return 0
        Notification.objects.filter(pk__in=ids).update(read_at=timezone.now())
        audit_many(
            actor=actor,
            action=Action.UPDATE,
            object_type=Notification._meta.label_lower,
            object_ids=ids,
        )
    return len(ids)


# --- Preferences --------------------------------------------------------------------


def _validate_preference(
    *, channels: list[str], quiet_from: time | None, quiet_until: time | None
) -> None:
    errors: dict[str, str] = {}
    if any(c not in EXTERNAL for c in channels) or len(set(channels)) != len(channels):
        errors["channels"] = _("Choose email and text message at most once each.")
    for name, clock in (("quiet_from", quiet_from), ("quiet_until", quiet_until)):
        if clock is not None and clock.tzinfo is not None:
            errors[name] = _("Give a time of day without a time zone, such as 22:00.")
    if quiet_from is not None and quiet_until is None:
        errors["quiet_until"] = _("Say when quiet hours end, or clear both times.")
    if quiet_until is not None and quiet_from is None:
        errors["quiet_from"] = _("Say when quiet hours start, or clear both times.")
    if quiet_from is not None and quiet_from == quiet_until:
        errors["quiet_until"] = _("Quiet hours must end at a different time than they start.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def preference_update(
    *,
    user: User,
    channels: list[str],
    quiet_from: time | None,
    quiet_until: time | None,
    daily_digest: bool,
) -> Preference:
    """Save how the signed-in person likes to be reached. `channels` are email and text
    message in order of preference; an empty list means only in PeerBridge. Quiet
    hours may wrap midnight (22:00 to 07:00)."""
    _validate_preference(channels=channels, quiet_from=quiet_from, quiet_until=quiet_until)
    person = Person.objects.filter(user=user).first()
    found = preference_of(user=user, person=person)
    preference = found or Preference(person=person, user=user)
    changes: dict[str, Any] = {
        "channels": list(channels) or list(IN_APP_ONLY),
        "quiet_from": quiet_from,
        "quiet_until": quiet_until,
        "daily_digest": daily_digest,
        "updated_at": timezone.now(),
    }
    for name, value in changes.items():
        setattr(preference, name, value)
    preference.full_clean()
    preference.save()
    audit_instance(
        actor=user, action=Action.UPDATE if found else Action.CREATE, instance=preference
    )
    return preference
