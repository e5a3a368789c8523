"""The outbox: every message PeerBridge sends (email, text message, in-app) is a row
here first, written in the same transaction as the change that caused it, then
delivered by the worker with retries and backoff.

A message is addressed to a person or a login (or both, when a login has a person);
the address is looked up when it is sent, so a changed phone number is honoured and
the outbox holds no copy of it. Bodies carry no health details (a test renders every
template to check), but they may name people, so subject and body are encrypted.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.core.crypto import EncryptedTextField
from peerbridge.organisations.models import Programme
from peerbridge.people.models import Person


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    IN_APP = "in_app", _("In PeerBridge")


class Notification(models.Model):
    """One message on one channel to one recipient."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Could not be sent")
        CANCELLED = "cancelled", _("Not sent")

    kind = models.CharField(max_length=60, help_text="The template, e.g. 'safety/flag_raised'.")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    subject = EncryptedTextField(blank=True)
    body = EncryptedTextField(blank=True)
    link = models.CharField(max_length=300, blank=True, help_text="A path inside PeerBridge.")
    calendar = models.TextField(blank=True, help_text="An iCalendar (ICS) invitation, if any.")
    dedupe_key = models.CharField(
        max_length=120,
        blank=True,
        help_text="When set, at most one message per key and channel (e.g. 'flag:4:escalated').",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(50)])
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(
        max_length=200, blank=True, help_text="The kind of failure only: never an address."
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["user", "channel", "read_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | models.Q(user__isnull=False),
                name="notification_has_recipient",
            ),
            models.UniqueConstraint(
                fields=["dedupe_key", "channel"],
                condition=~models.Q(dedupe_key=""),
                name="one_notification_per_key_and_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"notification {self.pk}"


class Preference(models.Model):
    """How a person (or a login without a person) likes to be reached: the channels in
    order, quiet hours (nothing but urgent safety messages is sent then) and the daily
    digest. Consent still decides for participants: a channel without consent is skipped."""

    person = models.OneToOneField(
        Person,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    channels = models.JSONField(
        _("reach me by"),
        default=list,
        blank=True,
        help_text=_("In order of preference; in-app messages are always kept."),
    )
    quiet_from = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_until = models.TimeField(_("quiet hours until"), null=True, blank=True)
    daily_digest = models.BooleanField(_("send me a daily summary"), default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | models.Q(user__isnull=False),
                name="preference_has_owner",
            )
        ]

    def __str__(self) -> str:
        return f"notification preference {self.pk}"
