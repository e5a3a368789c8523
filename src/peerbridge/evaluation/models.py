"""Evaluation's own tables. Evaluation reads every app and writes only these."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.core.crypto import EncryptedTextField
from peerbridge.organisations.models import Programme, Site
from peerbridge.people.models import Person


class Quote(models.Model):
    """Words a participant, family member or peer agreed to share in reports, shown
    without their name. Withdrawing the agreement removes the quote from every report
    made after."""

    class Speaker(models.TextChoices):
        PARTICIPANT = "participant", _("A participant")
        FAMILY = "family", _("A family member")
        PEER = "peer", _("A peer supporter")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="quotes")
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="quotes"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="quotes")
    speaker = models.CharField(_("who said it"), max_length=12, choices=Speaker.choices)
    text = EncryptedTextField(_("quote"))
    consent_recorded_on = models.DateField(_("agreed to share on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"quote {self.pk}"
