"""Quotes people agreed to share in reports: recorded by a programme's runners, shown in
funder reports without a name, and removed from every later report when withdrawn."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.evaluation import policies
from peerbridge.evaluation.models import Quote
from peerbridge.organisations.models import Programme, Site
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.people.models import Person
from peerbridge.workforce.selectors import as_pk

TEXT_MAX = 1000


def programme_people(programme: Programme) -> QuerySet[Person]:
    """Participants (enrolled) and peers of the programme: who a quote may come from."""
    return (
        Person.objects.filter(
            Q(enrolments__programme=programme) | Q(peer_profiles__programme=programme),
            erased_at__isnull=True,
        )
        .distinct()
        .order_by("given_name", "family_name", "id")
    )


def programme_sites(programme: Programme) -> QuerySet[Site]:
    return Site.objects.filter(path__startswith=programme.site.path).order_by("path")


def quotes_for(programme: Programme) -> list[Quote]:
    return list(Quote.objects.filter(programme=programme).select_related("site"))


def access_quote(*, user: AnyUser, quote_id: Any) -> Quote:
    """A quote of a programme the user runs; 403 when they only see its reports."""
    pk = as_pk(quote_id)
    quote = (
        Quote.objects.filter(
            pk=pk,
            programme__in=programmes_in_scope(user=user, policy=policies.QUOTE_MANAGE),
        )
        .select_related("programme")
        .first()
    )
    if quote is None:
        if Quote.objects.filter(
            pk=pk, programme__in=programmes_in_scope(user=user, policy=policies.REPORT_VIEW)
        ).exists():
            raise PermissionDenied
        raise Http404
    return quote


def quote_create(
    *,
    programme: Programme,
    person: Person,
    speaker: str,
    text: str,
    consent_recorded_on: date,
    actor: User | None,
    site: Site | None = None,
) -> Quote:
    errors: dict[str, str] = {}
    if not programme_people(programme).filter(pk=person.pk).exists():
        errors["person"] = _("Choose someone taking part in, or supporting, this programme.")
    if consent_recorded_on > timezone.localdate():
        errors["consent_recorded_on"] = _("The day they agreed cannot be in the future.")
    if site is not None and not site.path.startswith(programme.site.path):
        errors["site"] = _("Choose a site of this programme.")
    if len(text.strip()) > TEXT_MAX:
        errors["text"] = _("Keep the quote under %(max)s characters.") % {"max": TEXT_MAX}
    if errors:
        raise ValidationError(errors)
    quote = Quote(
        programme=programme,
        site=site,
        person=person,
        speaker=speaker,
        text=text.strip(),
        consent_recorded_on=consent_recorded_on,
        recorded_by=actor,
    )
    quote.full_clean()
    quote.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=quote)
    return quote


def quote_withdraw(*, quote: Quote, actor: User | None) -> Quote:
    with transaction.atomic():
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        if locked.withdrawn_at is not None:
            raise ValidationError({"__all__": _("This quote was already withdrawn.")})
        locked.withdrawn_at = timezone.now()
        locked.save(update_fields=["withdrawn_at"])
        audit_instance(actor=actor, action=Action.UPDATE, instance=locked)
    return locked
