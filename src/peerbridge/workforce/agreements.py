"""The peer agreements: versioned texts a programme publishes, and each peer's signature.

Only a signature of the newest version of each kind counts (the versions
`workforce.eligibility.latest_agreement_texts` answers), so publishing a new version
asks every peer to sign again. Only the peer themself signs, by typing their name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.workforce.eligibility import latest_agreement_texts
from peerbridge.workforce.models import (
    AgreementKind,
    AgreementSignature,
    AgreementText,
    PeerProfile,
)

# Peers who are asked to sign: those in training and those supporting people.
SIGNING_STATUSES = (PeerProfile.Status.TRAINING, PeerProfile.Status.ACTIVE)


# ---------------------------------------------------------------------------------------
# Reads


@dataclass(frozen=True)
class AgreementSummary:
    """One kind of agreement in a programme: its current text, its history and how many
    of the programme's peers have signed the current text."""

    kind: str
    label: str
    current: AgreementText | None
    history: tuple[AgreementText, ...]
    signed: int
    peers: int


def programme_agreements(programme: Programme) -> list[AgreementSummary]:
    """Every kind of agreement for the programme's agreements page (three queries)."""
    history: dict[str, list[AgreementText]] = defaultdict(list)
    for text in AgreementText.objects.filter(programme=programme).order_by("-published_at", "-id"):
        history[text.kind].append(text)
    current = {kind: texts[0] for kind, texts in history.items()}
    signed = dict(
        AgreementSignature.objects.filter(
            text_id__in=[t.pk for t in current.values()],
            profile__programme=programme,
            profile__status__in=SIGNING_STATUSES,
        )
        .values("text_id")
        .annotate(n=Count("pk"))
        .values_list("text_id", "n")
    )
    peers = PeerProfile.objects.filter(programme=programme, status__in=SIGNING_STATUSES).count()
    return [
        AgreementSummary(
            kind=kind,
            label=str(label),
            current=current.get(kind),
            history=tuple(history[kind]),
            signed=signed.get(current[kind].pk, 0) if kind in current else 0,
            peers=peers,
        )
        for kind, label in AgreementKind.choices
    ]


@dataclass(frozen=True)
class ProfileAgreement:
    """A current agreement and the peer's signature of it, if any."""

    text: AgreementText
    signature: AgreementSignature | None

    @property
    def signed(self) -> bool:
        return self.signature is not None


def profile_agreements(profile: PeerProfile) -> list[ProfileAgreement]:
    """The programme's current agreements, each with this peer's signature or none."""
    texts = latest_agreement_texts([profile.programme_id])[profile.programme_id]
    signatures = {
        s.text_id: s
        for s in AgreementSignature.objects.filter(
            profile=profile, text_id__in=[t.pk for t in texts.values()]
        )
    }
    return [
        ProfileAgreement(text=texts[kind], signature=signatures.get(texts[kind].pk))
        for kind in AgreementKind.values
        if kind in texts
    ]


# ---------------------------------------------------------------------------------------
# Writes


def may_sign(profile: PeerProfile, user: object) -> bool:
    """Only the peer themself signs their agreements."""
    user_id = profile.person.user_id
    return user_id is not None and user_id == getattr(user, "pk", None)


def _next_version(programme: Programme, kind: str) -> str:
    numbers = [
        int(v)
        for v in AgreementText.objects.filter(programme=programme, kind=kind).values_list(
            "version", flat=True
        )
        if re.fullmatch(r"\d{1,9}", v)
    ]
    return str(max(numbers, default=0) + 1)


@transaction.atomic
def agreement_publish(
    *, programme: Programme, kind: str, body: str, actor: User | None, version: str = ""
) -> AgreementText:
    """Publish a new version of one agreement. From now on only signatures of this
    version count, so every peer is asked to sign again."""
    Programme.objects.select_for_update().filter(pk=programme.pk).first()  # one at a time
    if kind not in AgreementKind.values:
        raise ValidationError({"kind": _("Choose one of the agreements.")})
    version = version.strip() or _next_version(programme, kind)
    if AgreementText.objects.filter(programme=programme, kind=kind, version=version).exists():
        raise ValidationError({"version": _("This version has already been published.")})
    text = AgreementText(
        programme=programme,
        kind=kind,
        version=version,
        body=body.strip(),
        published_at=timezone.now(),
        published_by=actor,
    )
    text.full_clean()
    text.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=text)
    return text


@transaction.atomic
def agreement_sign(
    *, profile: PeerProfile, text: AgreementText, signed_name: str, actor: User
) -> tuple[AgreementSignature, bool]:
    """The peer signs the current version of an agreement by typing their name. Only the
    peer themself may sign; signing again is harmless (the first signature stands).
    Returns the signature and whether it is new."""
    if not may_sign(profile, actor):
        raise PermissionDenied
    if text.programme_id != profile.programme_id:
        raise ValidationError({"text": _("This agreement belongs to another programme.")})
    current = latest_agreement_texts([profile.programme_id])[profile.programme_id].get(text.kind)
    if current is None or current.pk != text.pk:
        raise ValidationError(
            {"text": _("A newer version of this agreement is published: please sign that one.")}
        )
    if profile.status == PeerProfile.Status.LEFT:
        raise ValidationError({"text": _("You have left this programme.")})
    signature = AgreementSignature(
        profile=profile, text=text, signed_name=" ".join(signed_name.split())
    )
    # The database's one-signature-per-version constraint decides, not a read first: two
    # signings at once (a double tap) both end here, and the second finds the first.
    signature.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            signature.save()
    except IntegrityError:
        return AgreementSignature.objects.get(profile=profile, text=text), False
    audit_instance(actor=actor, action=Action.CREATE, instance=signature)
    return signature, True
