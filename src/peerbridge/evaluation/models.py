"""Evaluation's own tables. Evaluation reads every app and writes only these."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.core.crypto import EncryptedTextField
from peerbridge.organisations.models import Programme, Site
from peerbridge.people.models import Person
from peerbridge.workforce.models import PeerProfile


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


# ---------------------------------------------------------------------------------------
# Fidelity: a programme's checklist of what good peer support looks like, and what
# supervisors saw when they watched a peer at work.


class FidelityElement(models.TextChoices):
    """The five core elements of peer support programmes (seed 001), and the programme's
    own items."""

    TRAINING = "training", _("Training, supervision and monitoring")
    CONNECTION = "connection", _("Social connection and support")
    SAFE_ENVIRONMENT = "safe_environment", _("A safe environment")
    ENGAGEMENT = "engagement", _("Ongoing engagement")
    PEER_QUALITIES = "peer_qualities", _("The peer's qualities and the match")
    PROGRAMME = "programme", _("The programme's own item")


class FidelityItem(models.Model):
    """One observable behaviour on a programme's fidelity checklist. Items are retired
    (made inactive), never deleted: past ratings point at them."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="fidelity_items"
    )
    element = models.CharField(_("core element"), max_length=20, choices=FidelityElement.choices)
    text = models.CharField(_("what the observer looks for"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)
    is_core = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["programme_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "element"],
                condition=models.Q(is_core=True),
                name="fidelity_one_core_item_per_element",
            )
        ]

    def __str__(self) -> str:
        return f"fidelity item {self.pk}"


class FidelityObservation(models.Model):
    """A supervisor's (or leader's) observation of a peer at work, rated against the
    programme's active checklist items. `score` is the share of the points possible on
    the applicable items, 0-100."""

    class Setting(models.TextChoices):
        CONTACT = "contact", _("A contact with a participant")
        GROUP_SESSION = "group_session", _("A group session")
        SUPERVISION = "supervision", _("Supervision")
        ROLE_PLAY = "role_play", _("A role-play")

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="fidelity_observations"
    )
    profile = models.ForeignKey(
        PeerProfile, on_delete=models.PROTECT, related_name="fidelity_observations"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="fidelity_observations")
    observed_on = models.DateField(_("observed on"))
    setting = models.CharField(_("what was observed"), max_length=15, choices=Setting.choices)
    score = models.FloatField(_("score"))
    note = EncryptedTextField(_("note for the peer"), blank=True)
    observed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-observed_on", "-id"]
        indexes = [
            models.Index(fields=["programme", "observed_on"]),
            models.Index(fields=["profile", "observed_on"]),
        ]

    def __str__(self) -> str:
        return f"fidelity observation {self.pk}"


class FidelityRating(models.Model):
    """One item of one observation: 0 not seen, 1 partly, 2 fully; empty when the item
    did not apply."""

    class Rating(models.IntegerChoices):
        NOT_SEEN = 0, _("Not seen")
        PARTLY = 1, _("Partly")
        FULLY = 2, _("Fully")

    observation = models.ForeignKey(
        FidelityObservation, on_delete=models.CASCADE, related_name="ratings"
    )
    item = models.ForeignKey(FidelityItem, on_delete=models.PROTECT, related_name="ratings")
    rating = models.PositiveSmallIntegerField(null=True, blank=True, choices=Rating.choices)

    class Meta:
        ordering = ["observation_id", "item__position", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["observation", "item"], name="rate_item_once"),
            models.CheckConstraint(
                condition=models.Q(rating__lte=2), name="fidelity_rating_0_to_2"
            ),
        ]

    def __str__(self) -> str:
        return f"fidelity rating {self.pk}"
