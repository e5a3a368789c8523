"""Writes about people: inviting a member of staff and giving them a role."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.core.tasks import send_password_email
from peerbridge.organisations.models import Programme, RoleAssignment, Site
from peerbridge.organisations.services import role_grant
from peerbridge.people.models import Person


@transaction.atomic
def person_create(
    *, given_name: str, family_name: str, created_by: User | None, user: User | None = None
) -> Person:
    person = Person(given_name=given_name.strip(), family_name=family_name.strip(), user=user)
    person.full_clean()
    person.save()
    audit_instance(actor=created_by, action=Action.CREATE, instance=person)
    return person


@transaction.atomic
def membership_grant(
    *,
    granted_by: User,
    email: str,
    role: str,
    given_name: str = "",
    family_name: str = "",
    site: Site | None = None,
    programme: Programme | None = None,
    site_url: str = "",
) -> RoleAssignment:
    """Give a role to the person with this email; a newcomer gets an account and an
    email inviting them to choose a password (sent after commit, by the worker)."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    user = User.objects.filter(email=email).first()
    invited = user is None
    if user is None:
        if not given_name.strip():
            raise ValidationError(
                {"given_name": _("This person has no account yet: give their name.")}
            )
        user = User.objects.create_user(email=email, password=None)
        person_create(
            given_name=given_name, family_name=family_name, created_by=granted_by, user=user
        )
        audit_instance(actor=granted_by, action=Action.CREATE, instance=user)
    assignment = role_grant(
        user=user, role=role, granted_by=granted_by, site=site, programme=programme
    )
    if invited:
        _send_invitation(user=user, site_url=site_url)
    return assignment


def _send_invitation(*, user: User, site_url: str) -> None:
    user_id = user.pk
    transaction.on_commit(
        lambda: send_password_email.enqueue(user_id=user_id, kind="invitation", site_url=site_url)
    )
