"""A programme's support settings: how long a logged contact stays editable, how many
days past the contact cadence a match counts as stalled, and whether attempts that did
not connect count as contact.

The row is created with its defaults the first time it is read, so every contact's
lock time and every stall scan has one answer."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.support.models import SupportSettings

SETTINGS_EDITABLE = frozenset(
    {"edit_window_hours", "stall_grace_days", "count_attempts_as_contact"}
)
_CACHE = "_support_settings_cache"


def support_settings(programme: Programme) -> SupportSettings:
    """The programme's support settings, created with the defaults on first read (and
    kept on the programme object, so a page asks once)."""
    found: SupportSettings | None = getattr(programme, _CACHE, None)
    if found is None:
        found = SupportSettings.objects.filter(programme=programme).first()
        if found is None:
            try:
                with transaction.atomic():
                    found = SupportSettings.objects.create(programme=programme)
            except IntegrityError:  # created by a parallel request a moment ago
                found = SupportSettings.objects.get(programme=programme)
        setattr(programme, _CACHE, found)
    return found


@transaction.atomic
def support_settings_update(
    *, programme: Programme, actor: User | None, changes: dict[str, Any]
) -> SupportSettings:
    """Change some of the settings; the whole row is validated before it is saved."""
    unknown = set(changes) - SETTINGS_EDITABLE
    if unknown:
        raise ValidationError({name: "This setting cannot be changed here." for name in unknown})
    support_settings(programme)
    rules = SupportSettings.objects.select_for_update().get(programme=programme)
    for name, value in changes.items():
        setattr(rules, name, value)
    rules.updated_at = timezone.now()
    rules.full_clean(exclude=["programme"])
    rules.save()
    setattr(programme, _CACHE, rules)
    audit_instance(actor=actor, action=Action.UPDATE, instance=rules)
    return rules
