"""Persons: the humans behind logins and, later, behind referrals and enrolments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Person(models.Model):
    """A person known to the organisation: staff, peer supporter or participant.
    One person may hold several roles over time; a login (`user`) is optional."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="person",
    )
    given_name = models.CharField(_("given name"), max_length=120)
    family_name = models.CharField(_("family name"), max_length=120, blank=True)
    preferred_name = models.CharField(_("preferred name"), max_length=120, blank=True)
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["family_name", "given_name", "id"]

    def __str__(self) -> str:
        first = self.preferred_name or self.given_name
        return f"{first} {self.family_name}".strip()
