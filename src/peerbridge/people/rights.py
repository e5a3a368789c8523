"""People's rights: a copy of everything held about a person, and erasure on request.

Both walk one map of where a person's data lives, found by introspection rather than
listed by hand, so a model added later with a foreign key to Person is exported and
erased without anyone remembering to come here:

- level 1: every model with a foreign key (or one-to-one) to Person, hidden ones too;
- level 2: every model with a foreign key to a level-1 model, followed only through a
  person key that cannot be empty. A row that cannot exist without the person is
  theirs, so what hangs off it is theirs too; a row that merely may name a person is
  exported and cleared itself, but what hangs off it belongs to others.

Records merged into the person (duplicates found at intake) are the same human, so they
are walked with the person. people sits below referrals in the import order: nothing
here imports a higher app, the map comes from django.apps.
"""

from __future__ import annotations

import datetime
import decimal
import json
import secrets
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit
from peerbridge.core.crypto import BlindIndexField, EncryptedTextField
from peerbridge.core.models import User
from peerbridge.organisations.models import RoleAssignment
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.people.models import Person
from peerbridge.people.selectors import access_person

EXPORT_FORMAT = "peerbridge.person-export"
EXPORT_VERSION = 1
ERASED_GIVEN_NAME = "Erased"
ERASE_CONFIRMATION = "ERASE"

# Models pointing at a person that the walk deliberately leaves out, with the reason.
# Anything not named here is exported and erased automatically (a test holds us to it).
NOT_WALKED: dict[str, str] = {
    "people.person": "Records merged into the person are walked as the person themselves.",
}

# Plain titles for the readable page; other models show their verbose plural name.
SECTION_TITLES: dict[str, str | Promise] = {
    "people.person": gettext_lazy("Personal details"),
    "core.user": gettext_lazy("Sign-in account"),
    "organisations.roleassignment": gettext_lazy("Roles"),
    "people.livedexperience": gettext_lazy("Lived experience"),
    "people.consent": gettext_lazy("Consent decisions"),
    "referrals.enrolment": gettext_lazy("Programmes"),
    "referrals.enrolmentstatuschange": gettext_lazy("Programme status history"),
    "referrals.contactattempt": gettext_lazy("Attempts to make contact"),
    "referrals.navigationreferral": gettext_lazy("Referrals to other services"),
}

# The login holds a password hash and nothing else worth a copy.
LOGIN_FIELDS = ("email", "is_active", "date_joined", "last_login")

# JSON lists of codes whose labels a model knows but Django's choices do not.
LIST_LABELS: dict[tuple[str, str], Callable[[Any], list[str]]] = {
    ("people.person", "languages"): lambda person: person.languages_display(),
    ("people.person", "preferred_channels"): lambda person: [
        str(Person.Channel(code).label)
        for code in person.preferred_channels or []
        if code in Person.Channel.values
    ],
    ("people.consent", "scopes"): lambda consent: consent.scope_labels(),
}

# Sign-in traces kept by django-axes name the login by its email address.
LOGIN_TRACE_LOGS = (("axes", "AccessLog"), ("axes", "AccessFailureLog"))
LOGIN_TRACE_COUNTERS = (("axes", "AccessAttempt"),)

_AGE_BAND_LIMITS = (
    (18, Person.AgeBand.UNDER_18),
    (25, Person.AgeBand.FROM_18),
    (35, Person.AgeBand.FROM_25),
    (45, Person.AgeBand.FROM_35),
    (55, Person.AgeBand.FROM_45),
    (65, Person.AgeBand.FROM_55),
    (75, Person.AgeBand.FROM_65),
)

AnyField = models.Field[Any, Any]


@dataclass(frozen=True)
class Holding:
    """One model holding data about a person, and the key paths that lead to them."""

    model: type[models.Model]
    lookups: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def rows(self, person_ids: Collection[int]) -> QuerySet[models.Model]:
        condition = Q()
        for lookup in self.lookups:
            condition |= Q(**{f"{lookup}__in": list(person_ids)})
        return self.model._base_manager.filter(condition).order_by("pk")


def _keys_pointing_at(model: type[models.Model]) -> list[models.ForeignObjectRel]:
    """Foreign keys and one-to-ones from other models to this one (hidden ones too).
    Many-to-many link tables are left out: their links are exported on the row."""
    return [
        relation
        for relation in model._meta.get_fields(include_hidden=True)
        if isinstance(relation, models.ForeignObjectRel)
        and (relation.one_to_many or relation.one_to_one)
        and not _holder(relation)._meta.auto_created
    ]


def _holder(relation: models.ForeignObjectRel) -> type[models.Model]:
    holder = relation.related_model
    if not isinstance(holder, type):  # a lazy reference: only before the registry is ready
        raise RuntimeError("The app registry is not ready.")
    return holder


def person_holdings() -> list[Holding]:
    """Every model that holds rows about a person, beyond the Person row itself."""
    found: dict[type[models.Model], list[str]] = {}
    for relation in _keys_pointing_at(Person):
        holder = _holder(relation)
        if holder._meta.label_lower in NOT_WALKED:
            continue
        found.setdefault(holder, []).append(relation.field.name)
        if relation.field.null:
            continue
        for child in _keys_pointing_at(holder):
            grandchild = _holder(child)
            if grandchild._meta.label_lower in NOT_WALKED:
                continue
            found.setdefault(grandchild, []).append(f"{child.field.name}__{relation.field.name}")
    return [Holding(model, tuple(lookups)) for model, lookups in found.items()]


def _person_ids(person: Person) -> list[int]:
    """The person and every record merged into them, however deep the chain."""
    ids = {int(person.pk)}
    frontier = set(ids)
    while frontier:
        merged = set(
            Person._base_manager.filter(merged_into__in=frontier).values_list("pk", flat=True)
        )
        frontier = merged - ids
        ids |= frontier
    return sorted(ids)


# --- export -------------------------------------------------------------------------


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(item) for item in value]
    return str(value)


def _exported_fields(model: type[models.Model], only: Iterable[str] | None) -> list[AnyField]:
    """Concrete fields, without blind indexes (keyed hashes of values already given)."""
    wanted = set(only) if only is not None else None
    return [
        field
        for field in model._meta.concrete_fields
        if not isinstance(field, BlindIndexField) and (wanted is None or field.name in wanted)
    ]


def _names_a_person(field: AnyField) -> bool:
    return field.related_model in (Person, User)


def _display(instance: models.Model, field: AnyField, value: Any) -> Any:
    """The label shown to people for a coded value, or None when the value is its own."""
    if value in (None, "", []):
        return None
    if field.choices:
        return str(getattr(instance, f"get_{field.name}_display")())
    labels = LIST_LABELS.get((instance._meta.label_lower, field.name))
    if labels is not None:
        return labels(instance)
    method = getattr(instance, f"get_{field.name}_display", None)
    if isinstance(field, models.JSONField) and callable(method):
        shown = method()
        if isinstance(shown, list):
            return [str(item) for item in shown]
    return None


def _row(instance: models.Model, fields: list[AnyField]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in fields:
        if field.is_relation:
            key = getattr(instance, field.attname)
            row[field.name] = _json_safe(key)
            # Staff and other people are named by id only: their names are not the
            # person's data.
            if key is not None and not _names_a_person(field):
                row[f"{field.name}_display"] = str(getattr(instance, field.name))
            continue
        value = field.value_from_object(instance)
        row[field.name] = _json_safe(value)
        display = _display(instance, field, value)
        if display is not None:
            row[f"{field.name}_display"] = display
    for many in instance._meta.many_to_many:
        related = getattr(instance, many.name).all()
        row[many.name] = [{"id": item.pk, "label": str(item)} for item in related]
    return row


def _title(model: type[models.Model]) -> str:
    title = SECTION_TITLES.get(model._meta.label_lower)
    return str(title if title is not None else capfirst(model._meta.verbose_name_plural))


def _section(
    model: type[models.Model],
    rows: Iterable[models.Model],
    *,
    only: Iterable[str] | None = None,
) -> dict[str, Any]:
    fields = _exported_fields(model, only)
    labels = {field.name: capfirst(str(field.verbose_name)) for field in fields}
    if only is None:
        labels.update(
            {many.name: capfirst(str(many.verbose_name)) for many in model._meta.many_to_many}
        )
    return {
        "title": _title(model),
        "fields": labels,
        "rows": [_row(instance, fields) for instance in rows],
    }


def _with_relations(model: type[models.Model], rows: QuerySet[Any]) -> QuerySet[Any]:
    labelled = [
        field.name
        for field in model._meta.concrete_fields
        if field.is_relation and not _names_a_person(field)
    ]
    many = [field.name for field in model._meta.many_to_many]
    return rows.select_related(*labelled).prefetch_related(*many)


@transaction.atomic
def person_export(*, person: Person, exported_by: User | None) -> dict[str, Any]:
    """Everything held about the person, as JSON-safe data: each section names its
    fields in plain words, each coded value carries its label (`<field>_display`),
    encrypted values are given decrypted. Audited as an export (ids only)."""
    person_ids = _person_ids(person)
    people = sorted(
        _with_relations(Person, Person._base_manager.filter(pk__in=person_ids)),
        key=lambda record: (record.pk != person.pk, record.pk),
    )
    user_ids = [record.user_id for record in people if record.user_id is not None]
    logins = User.objects.filter(pk__in=user_ids).order_by("pk")
    roles = _with_relations(
        RoleAssignment, RoleAssignment.objects.filter(user_id__in=user_ids).order_by("pk")
    )
    sections = {
        "people.person": _section(Person, people),
        "core.user": _section(User, logins, only=LOGIN_FIELDS),
        "organisations.roleassignment": _section(RoleAssignment, roles),
    }
    for holding in person_holdings():
        rows = _with_relations(holding.model, holding.rows(person_ids))
        sections[holding.label] = _section(holding.model, rows)
    audit(
        actor=exported_by,
        action=Action.EXPORT,
        object_type=person._meta.label_lower,
        object_id=person.pk,
    )
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "person_id": person.pk,
        "sections": sections,
    }


@dataclass(frozen=True)
class ReadableSection:
    key: str
    title: str
    rows: list[list[tuple[str, str]]]


def _readable_value(field: Any, value: Any) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = timezone.localtime(datetime.datetime.fromisoformat(value))
        return str(formats.date_format(moment, "DATETIME_FORMAT"))
    if isinstance(field, models.DateField) and isinstance(value, str):
        return str(formats.date_format(datetime.date.fromisoformat(value), "DATE_FORMAT"))
    if isinstance(value, list):
        return ", ".join(
            str(item["label"]) if isinstance(item, dict) and "label" in item else str(item)
            for item in value
        )
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _readable_row(
    model: type[models.Model], labels: dict[str, str], row: dict[str, Any]
) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    for name, label in labels.items():
        field = model._meta.get_field(name)
        value = row.get(f"{name}_display", row.get(name))
        if name == "id" or value in (None, "", [], {}):
            continue
        if field.is_relation and not field.many_to_many and f"{name}_display" not in row:
            continue  # an internal number means nothing on the page
        shown.append((label, _readable_value(field, value)))
    return shown


def readable_sections(export: dict[str, Any]) -> list[ReadableSection]:
    """The export laid out for people to read: sections with something in them, each
    record as (label, text) pairs, internal numbers left out."""
    sections: list[ReadableSection] = []
    for key, section in export["sections"].items():
        if not section["rows"]:
            continue
        model = apps.get_model(key)
        rows = [_readable_row(model, section["fields"], row) for row in section["rows"]]
        sections.append(ReadableSection(key=key, title=section["title"], rows=rows))
    return sections


# --- erasure ------------------------------------------------------------------------


def _is_free_text(field: AnyField) -> bool:
    if field.primary_key:
        return False
    if isinstance(field, EncryptedTextField):
        return True
    return isinstance(field, models.CharField | models.TextField) and not field.choices


def _unique_names(model: type[models.Model]) -> set[str]:
    names = {field.name for field in model._meta.concrete_fields if field.unique}
    for together in model._meta.unique_together:
        names.update(together)
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            names.update(constraint.fields)
    return names


def _placeholder(field: AnyField) -> str:
    """A unique stand-in for a text field that must stay unique."""
    token = f"erased-{secrets.token_hex(8)}"
    return token[: field.max_length] if field.max_length else token


def _clear_free_text(model: type[models.Model], rows: QuerySet[models.Model]) -> None:
    """Blank every encrypted and free-text column; choices, dates, numbers and keys stay,
    so counts by status and programme survive."""
    fields = [field for field in model._meta.concrete_fields if _is_free_text(field)]
    unique = _unique_names(model)
    shared = {field.attname: "" for field in fields if field.name not in unique}
    if shared:
        rows.update(**shared)
    for field in fields:
        if field.name in unique:
            for pk in rows.values_list("pk", flat=True):
                model._base_manager.filter(pk=pk).update(**{field.attname: _placeholder(field)})


def age_band_for(age: int) -> str:
    for upper, band in _AGE_BAND_LIMITS:
        if age < upper:
            return str(band)
    return str(Person.AgeBand.FROM_75)


def _erase_identifiers(record: Person, now: datetime.datetime) -> None:
    if record.age is not None:
        record.age_band = age_band_for(record.age)
    for field in Person._meta.concrete_fields:
        if _is_free_text(field):
            setattr(record, field.attname, "")
    record.given_name = ERASED_GIVEN_NAME
    record.cultural_groups = []  # may hold self-described, special-category text
    record.date_of_birth = None
    record.latitude = None
    record.longitude = None
    record.erased_at = record.erased_at or now
    record.updated_at = now
    record.save()


def _trace_models(names: Iterable[tuple[str, str]]) -> list[type[models.Model]]:
    found = []
    for app_label, model_name in names:
        if apps.is_installed(app_label):
            try:
                found.append(apps.get_model(app_label, model_name))
            except LookupError:
                continue
    return found


def _is_retired(user: User) -> bool:
    return not user.is_active and user.email.startswith("erased-")


def _retire_login(user: User) -> None:
    """Disable the login and replace its email with a unique address that names no one."""
    if _is_retired(user):
        return
    old_email = user.email
    user.email = f"erased-{secrets.token_hex(12)}@erased.invalid"
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["email", "is_active", "password"])
    for model in _trace_models(LOGIN_TRACE_LOGS):
        model._base_manager.filter(username__iexact=old_email).update(username=user.email)
    for model in _trace_models(LOGIN_TRACE_COUNTERS):
        model._base_manager.filter(username__iexact=old_email).delete()


@transaction.atomic
def person_erase(*, person: Person, erased_by: User | None, reason: str) -> Person:
    """Replace the person's identifiers everywhere they are held, keeping what counts
    need (programme, statuses, dates, choices, age band). Idempotent: erasing again
    sweeps again. The reason is checked, not stored: it may name the person. One audit
    row, ids only; the audit log itself holds no identifiers to erase."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the record is being erased.")})
    if erased_by is not None and person.user_id == erased_by.pk:
        raise ValidationError(_("You cannot erase your own record: ask another leader."))
    person_ids = _person_ids(person)
    for holding in person_holdings():
        _clear_free_text(holding.model, holding.rows(person_ids))
    now = timezone.now()
    for record in Person._base_manager.filter(pk__in=person_ids).select_related("user"):
        _erase_identifiers(record, now)
        if record.user is not None:
            _retire_login(record.user)
    audit(
        actor=erased_by,
        action=Action.DELETE,
        object_type=person._meta.label_lower,
        object_id=person.pk,
    )
    person.refresh_from_db()
    return person


def erasure_preview(*, person: Person) -> list[tuple[str, int]]:
    """How many records in each place erasure will clear, for the confirmation page."""
    person_ids = _person_ids(person)
    counts = [(_title(Person), len(person_ids))]
    for holding in person_holdings():
        count = holding.rows(person_ids).count()
        if count:
            counts.append((_title(holding.model), count))
    return counts


def programmes_holding(person: Person) -> set[int]:
    """Every programme with a record about the person (any model pointing at the person
    that carries a programme, or an enrolment that does)."""
    held: set[int] = set()
    for relation in Person._meta.related_objects:
        model = relation.related_model
        if not isinstance(model, type) or model is Person:
            continue
        names = {f.name for f in model._meta.concrete_fields}
        if "programme" in names:
            rows = model._default_manager.filter(**{relation.field.name: person})
            held |= set(rows.values_list("programme_id", flat=True))
    return held


def access_person_everywhere(*, user: AnyUser, person_id: object, policy: Policy) -> Person:
    """A person the user reaches under the policy in every programme that holds records
    about them. Exports and erasure span all programmes, so a user who reaches only
    some of them is refused (403) rather than handed, or wiping, the others' records."""
    person = access_person(user=user, person_id=person_id, policy=policy)
    reachable = set(programmes_in_scope(user=user, policy=policy).values_list("pk", flat=True))
    if not programmes_holding(person) <= reachable:
        raise PermissionDenied(
            _("This person is also in programmes you do not run: ask an organisation admin.")
        )
    return person
