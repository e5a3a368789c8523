"""Bulk import of people and referrals from a CSV or XLSX file.

A file is read and every row checked (a dry run that stores nothing but the file,
encrypted, in an ImportBatch); the user then commits all rows, only the valid ones, or
discards the file. Each imported row is what `referral_create` would make of it: a
person, an enrolment at "referred" (source "import"), its first status change, and a
written consent to be contacted when the row says so. Rows are checked with the models'
own field rules, and the commit writes in bulk inside one transaction, so the cost per
row is mostly the encryption of contact details.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import connection, models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.crypto import blind_index_candidates, normalise_email, normalise_phone
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.people.models import CONTACT_SCOPE_FOR_CHANNEL, Consent, Person, is_language_code
from peerbridge.people.selectors import people_sharing_identity
from peerbridge.people.services import validate_email_field
from peerbridge.referrals import policies
from peerbridge.referrals.imports_reading import (
    UploadedRows,
    parse_csv_text,
    read_rows,
    rows_as_csv,
)
from peerbridge.referrals.models import (
    Enrolment,
    EnrolmentStatus,
    EnrolmentStatusChange,
    ImportBatch,
)

PERSON_COLUMNS = (
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "age_band",
    "gender",
    "languages",
    "area",
    "phone",
    "email",
    "preferred_channels",
)
COMMIT_CHUNK = 1000
# Duplicate lookups stream the organisation's people when there are at most this many
# per row of the file (cheaper than binding the file's values), else query by value.
SCAN_PEOPLE_PER_ROW = 4
# How many problems an error message or API answer lists before "and N more".
MAX_LISTED_PROBLEMS = 1000

_T = TypeVar("_T")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SEPARATORS = re.compile(r"[;,\s]+")
_KINDS = {
    "": Enrolment.Kind.PATIENT,
    "patient": Enrolment.Kind.PATIENT,
    "caregiver": Enrolment.Kind.CAREGIVER,
}
_PRIORITIES = {"": 0, "routine": 0, "soon": 1, "urgent": 2, "0": 0, "1": 1, "2": 2}
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"", "no", "n", "false", "0"})


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One problem with one row: the row number as a spreadsheet shows it (the header is
    row 1), the column, and the reason in words."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        if not self.column:
            return _("Row %(row)s: %(reason)s") % {"row": self.row, "reason": self.reason}
        return _("Row %(row)s, %(column)s: %(reason)s") % {
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
        }


@dataclass(slots=True)
class ImportRow:
    """A row that passed every check, ready to become a person and an enrolment."""

    row: int
    person: dict[str, Any]
    kind: str
    priority: int
    referrer_organisation: str
    referral_reason: str
    consent_scopes: list[str]


@dataclass
class ImportReport:
    row_count: int
    valid: list[ImportRow] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)

    @property
    def valid_count(self) -> int:
        return len(self.valid)

    @property
    def error_row_count(self) -> int:
        """Rows with at least one error (one row may have several)."""
        return self.row_count - len(self.valid)


# --- Checking rows ---------------------------------------------------------------------

_PERSON_FIELDS = {
    name: cast("models.Field[Any, Any]", Person._meta.get_field(name)) for name in PERSON_COLUMNS
}
_REFERRER_FIELD = cast("models.Field[Any, Any]", Enrolment._meta.get_field("referrer_organisation"))
_CHANNELS = frozenset(Person.Channel.values)
_SCOPES = {str(channel): str(scope) for channel, scope in CONTACT_SCOPE_FOR_CHANNEL.items()}
_known_language = functools.lru_cache(maxsize=4096)(is_language_code)


def _vocabulary(values: Sequence[str]) -> dict[str, str]:
    """Accepted spellings of coded values: the code, with spaces or hyphens for
    underscores ("non-binary"), and "75+" for 75_plus."""
    accepted: dict[str, str] = {}
    for value in values:
        accepted[value] = value
        accepted[value.replace("_", " ")] = value
        accepted[value.replace("_", "-")] = value
        if value.endswith("_plus"):
            accepted[value[: -len("_plus")] + "+"] = value
    return accepted


_AGE_BANDS = _vocabulary(Person.AgeBand.values)
_GENDERS = _vocabulary(Person.Gender.values)


def _quick_rule(model_field: models.Field[Any, Any]) -> Callable[[Any], bool]:
    """A plain-Python test at least as strict as the model field's own rules, so most
    values never pay for Field.clean(). A value it doubts goes to the field itself,
    which has the last word and gives the message."""
    if model_field.name == "languages":
        return lambda codes: len(set(codes)) == len(codes) and all(map(_known_language, codes))
    if model_field.name == "preferred_channels":
        return lambda values: len(set(values)) == len(values) and _CHANNELS.issuperset(values)
    only_length = all(isinstance(v, MaxLengthValidator) for v in model_field.validators)
    if model_field.choices and only_length:
        allowed = frozenset(str(value) for value, _label in model_field.flatchoices)
        return allowed.__contains__
    if model_field.max_length and only_length:
        limit = model_field.max_length
        return lambda value: len(value) <= limit
    if not model_field.validators:
        return lambda value: True
    return lambda value: False


_QUICK_RULES = {name: _quick_rule(model_field) for name, model_field in _PERSON_FIELDS.items()}
Fail = Callable[[str, str], None]
NameKey = tuple[str, str, datetime.date]


def _field_problem(model_field: models.Field[Any, Any], value: Any, scratch: Person) -> str:
    try:
        model_field.clean(value, scratch)
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


class _RowChecker:
    """Checks one row at a time with the models' field rules, without queries."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        # One unsaved person to run Person.clean() (the date of birth rules) on.
        self.scratch = Person()

    def check(self, number: int, cells: list[str]) -> tuple[ImportRow | None, list[RowProblem]]:
        problems: list[RowProblem] = []

        def fail(column: str, reason: str) -> None:
            problems.append(RowProblem(number, column, reason))

        width = len(self.columns)
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            fail("", _("This row has more values than the header has columns."))
        values = dict(zip(self.columns, (cell.strip() for cell in cells), strict=False))
        person = self._person(values, fail)
        kind = _KINDS.get(values.get("kind", "").lower())
        if kind is None:
            fail("kind", _("Choose patient or caregiver."))
        priority = _PRIORITIES.get(values.get("priority", "").lower())
        if priority is None:
            fail("priority", _("Choose routine, soon or urgent."))
        referrer = values.get("referrer_organisation", "")
        if len(referrer) > (_REFERRER_FIELD.max_length or 0):
            fail("referrer_organisation", _field_problem(_REFERRER_FIELD, referrer, self.scratch))
        scopes = self._consent_scopes(values.get("consent_contact", ""), person, fail)
        if problems or kind is None or priority is None:
            return None, problems
        row = ImportRow(
            row=number,
            person=person,
            kind=kind,
            priority=priority,
            referrer_organisation=referrer,
            referral_reason=values.get("referral_reason", ""),
            consent_scopes=scopes,
        )
        return row, problems

    def _person(self, values: dict[str, str], fail: Fail) -> dict[str, Any]:
        person: dict[str, Any] = {name: values.get(name, "") for name in PERSON_COLUMNS}
        if not person["given_name"]:
            fail("given_name", _("Give at least a first name."))
        if not (person["phone"] or person["email"]):
            fail(
                "phone",
                _("Give a phone number or an email address, so the programme can reach them."),
            )
        if person["email"]:
            person["email"] = normalise_email(person["email"])
            try:
                validate_email_field(person["email"])
            except ValidationError as error:
                fail("email", " ".join(error.messages))
        born = _parse_date(person["date_of_birth"]) if person["date_of_birth"] else None
        if person["date_of_birth"] and born is None:
            fail("date_of_birth", _("Write the date as YYYY-MM-DD (for example 1984-03-21)."))
        person["date_of_birth"] = born
        for name, vocabulary in (("age_band", _AGE_BANDS), ("gender", _GENDERS)):
            person[name] = vocabulary.get(person[name].lower(), person[name])
        for name in ("languages", "preferred_channels"):
            person[name] = [code for code in _SEPARATORS.split(person[name].lower()) if code]
        for name, value in person.items():
            if value in ("", None, []) or name in ("email", "date_of_birth"):
                continue
            if not _QUICK_RULES[name](value):
                problem = _field_problem(_PERSON_FIELDS[name], value, self.scratch)
                if problem:
                    fail(name, problem)
        if born is not None:  # Person.clean()'s other rules are about coordinates
            self.scratch.date_of_birth = born
            try:
                self.scratch.clean()
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    fail(name, " ".join(messages))
        return person

    def _consent_scopes(self, answer: str, person: dict[str, Any], fail: Fail) -> list[str]:
        answer = answer.lower()
        if answer in _NO:
            return []
        if answer not in _YES:
            fail("consent_contact", _("Write yes or no."))
            return []
        channels = person["preferred_channels"]
        if not channels:
            fail(
                "consent_contact",
                _("Say which channels they agreed to, in preferred_channels."),
            )
            return []
        return sorted({_SCOPES[channel] for channel in channels if channel in _SCOPES})


def _parse_date(text: str) -> datetime.date | None:
    if not _DATE.match(text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def check_rows(programme: Programme, rows: UploadedRows) -> ImportReport:
    """Check every row (the dry run): field errors, rows repeating another row of the
    file, and rows that may be someone already on record (warnings, as on intake)."""
    checker = _RowChecker(rows.columns)
    report = ImportReport(row_count=len(rows.rows))
    for number, cells in rows.rows:
        row, problems = checker.check(number, cells)
        report.errors.extend(problems)
        if row is not None:
            report.valid.append(row)
    _flag_repeats_in_file(report)
    _flag_people_on_record(programme, report)
    report.errors.sort(key=lambda problem: problem.row)
    report.warnings.sort(key=lambda problem: problem.row)
    return report


def _name_key(person: dict[str, Any]) -> NameKey | None:
    if person["date_of_birth"] is None:
        return None
    return (
        person["given_name"].casefold(),
        person["family_name"].casefold(),
        person["date_of_birth"],
    )


def _flag_repeats_in_file(report: ImportReport) -> None:
    """The same name and date of birth twice is an error (the two records could not be
    merged while both are open in this programme); a shared phone or email is only a
    warning, as families share them."""
    seen_names: dict[NameKey, int] = {}
    seen: dict[str, dict[str, int]] = {"phone": {}, "email": {}}
    kept: list[ImportRow] = []
    for row in report.valid:
        key = _name_key(row.person)
        if key is not None and key in seen_names:
            report.errors.append(
                RowProblem(
                    row.row,
                    "given_name",
                    _("The same name and date of birth as row %(n)s.") % {"n": seen_names[key]},
                )
            )
            continue
        if key is not None:
            seen_names[key] = row.row
        kept.append(row)
        for column, normalise in (("phone", normalise_phone), ("email", normalise_email)):
            value = normalise(row.person[column]) if row.person[column] else ""
            if not value:
                continue
            first = seen[column].setdefault(value, row.row)
            if first != row.row:
                report.warnings.append(
                    RowProblem(
                        row.row,
                        column,
                        _("The same %(what)s as row %(n)s: check they are different people.")
                        % {"what": _column_words(column), "n": first},
                    )
                )
    report.valid = kept


def _column_words(column: str) -> str:
    return _("phone number") if column == "phone" else _("email address")


def _chunks(values: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


_NORMALISERS: dict[str, Callable[[str], str]] = {
    "phone": normalise_phone,
    "email": normalise_email,
}


def _flag_people_on_record(programme: Programme, report: ImportReport) -> None:
    """Rows that may be someone the organisation already knows: same phone or email
    (blind indexes) or same name and date of birth. A handful of queries: the
    organisation's people are streamed once when there are fewer of them than rows,
    otherwise the file's values are looked up in large IN (...) batches."""
    people = Person.objects.filter(
        organisation_id=programme.site.organisation_id,
        erased_at__isnull=True,
        merged_into__isnull=True,
    )
    candidates = {
        column: [
            blind_index_candidates(normalise(row.person[column])) if row.person[column] else []
            for row in report.valid
        ]
        for column, normalise in _NORMALISERS.items()
    }
    wanted = {
        column: {index for indexes in lists for index in indexes}
        for column, lists in candidates.items()
    }
    dates = {row.person["date_of_birth"] for row in report.valid} - {None}
    if not (wanted["phone"] or wanted["email"] or dates):
        return
    if people.count() <= SCAN_PEOPLE_PER_ROW * len(report.valid):
        found, names = _scan_people(people, wanted, dates)
    else:
        found, names = _look_up_people(people, wanted, dates)
    for position, row in enumerate(report.valid):
        reasons = []
        key = _name_key(row.person)
        if key is not None and key in names:
            reasons.append(_("same name and date of birth"))
        for column in _NORMALISERS:
            if found[column].intersection(candidates[column][position]):
                reasons.append(_("same %(what)s") % {"what": _column_words(column)})
        if reasons:
            report.warnings.append(
                RowProblem(
                    row.row,
                    "",
                    _(
                        "Possible duplicate of an existing person (%(reasons)s): it will be "
                        "imported, then check the intake queue and merge if it is."
                    )
                    % {"reasons": ", ".join(reasons)},
                )
            )


def _scan_people(
    people: models.QuerySet[Person], wanted: dict[str, set[str]], dates: set[datetime.date]
) -> tuple[dict[str, set[str]], set[NameKey]]:
    found: dict[str, set[str]] = {"phone": set(), "email": set()}
    names: set[NameKey] = set()
    columns = ("phone_index", "email_index", "given_name", "family_name", "date_of_birth")
    for phone, email, given, family, born in people.values_list(*columns).iterator(10_000):
        if phone in wanted["phone"]:
            found["phone"].add(phone)
        if email in wanted["email"]:
            found["email"].add(email)
        if born in dates:
            names.add((given.casefold(), family.casefold(), born))
    return found, names


def _look_up_people(
    people: models.QuerySet[Person], wanted: dict[str, set[str]], dates: set[datetime.date]
) -> tuple[dict[str, set[str]], set[NameKey]]:
    rows = people_sharing_identity(
        people,
        phone_indexes=wanted["phone"],
        email_indexes=wanted["email"],
        dates_of_birth=dates,
    )
    found = {
        "phone": {row.phone_index for row in rows} & wanted["phone"],
        "email": {row.email_index for row in rows} & wanted["email"],
    }
    names = {
        (row.given_name.casefold(), row.family_name.casefold(), row.date_of_birth)
        for row in rows
        if row.date_of_birth in dates
    }
    return found, names


# --- Access ------------------------------------------------------------------------------


def access_import_batch(*, user: AnyUser, batch_id: Any) -> ImportBatch:
    """A batch the user could import into its programme; 404 for anyone else. Opening
    it reads the people in the file, so it is audited."""
    try:
        pk = int(batch_id)
    except (TypeError, ValueError):
        raise Http404 from None
    programme_ids = programmes_in_scope(user=user, policy=policies.IMPORT_MANAGE).values("pk")
    batch = (
        ImportBatch.objects.select_related("programme__site", "uploaded_by")
        .filter(pk=pk, programme_id__in=programme_ids)
        .first()
    )
    if batch is None:
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=batch)
    return batch


# --- Services ---------------------------------------------------------------------------


def _require_open(programme: Programme) -> None:
    if programme.status == Programme.Status.CLOSED:
        raise ValidationError({"programme_id": _("This programme is closed to referrals.")})


def _clean_filename(filename: str) -> str:
    name = PurePath(filename.replace("\\", "/")).name.replace("\x00", "").strip()
    return (name or "upload")[:200]


_REPORT_CACHE = "_import_report"


def batch_report(batch: ImportBatch) -> ImportReport:
    """The check of a batch's stored rows (computed again each time: it is fast, and
    "possible duplicate" warnings follow who is on record now). A committed batch holds
    only the rows it did not import; a discarded one holds nothing."""
    cached: ImportReport | None = getattr(batch, _REPORT_CACHE, None)
    if cached is not None:
        return cached
    if not batch.content:
        return ImportReport(row_count=0)
    rows = parse_csv_text(batch.content)
    report = check_rows(batch.programme, rows)
    if batch.status == ImportBatch.Status.COMMITTED:
        # Every row still here was left out. One that passes on its own now was left
        # out as a repeat (same name and date of birth) of a row that was imported.
        report.errors.extend(
            RowProblem(row.row, "given_name", _("Not imported: it repeated another row."))
            for row in report.valid
        )
        report.errors.sort(key=lambda problem: problem.row)
        report.valid = []
    return report


def problem_messages(problems: Sequence[RowProblem], limit: int = MAX_LISTED_PROBLEMS) -> list[str]:
    messages = [str(problem) for problem in problems[:limit]]
    if len(problems) > limit:
        messages.append(
            _("... and %(n)s more problems (download the full list).")
            % {"n": len(problems) - limit}
        )
    return messages


# Reading and checking a big file takes seconds; the services do it before opening
# their transaction, so the database's write lock (SQLite has one) is held only while
# writing. A batch's rows never change while it waits, and the batch is locked and its
# status checked again inside the transaction.


def import_preview(
    *, programme: Programme, uploaded_by: User, filename: str, data: bytes
) -> ImportBatch:
    """Read and check a file (the dry run) and keep it, encrypted, for the decision."""
    _require_open(programme)
    rows = read_rows(filename, data)
    report = check_rows(programme, rows)
    batch = ImportBatch(
        programme=programme,
        uploaded_by=uploaded_by,
        filename=_clean_filename(filename),
        content=rows_as_csv(rows),
        row_count=report.row_count,
        error_count=report.error_row_count,
    )
    with transaction.atomic():
        batch.save()
        audit_instance(actor=uploaded_by, action=Action.CREATE, instance=batch)
    setattr(batch, _REPORT_CACHE, report)  # noqa: B010  (spares checking twice)
    return batch


def _require_previewed(status: str | None) -> None:
    if status != ImportBatch.Status.PREVIEWED:
        label = ImportBatch.Status(status).label if status else _("removed")
        raise ValidationError(
            {"batch": _("This file was already %(status)s.") % {"status": str(label).lower()}}
        )


def _lock(batch: ImportBatch) -> None:
    """Lock the batch's row (inside a transaction) and insist it still waits for a
    decision: two commits of one file cannot both pass."""
    status = (
        ImportBatch.objects.select_for_update()
        .filter(pk=batch.pk)
        .values_list("status", flat=True)
        .first()
    )
    _require_previewed(status)


def _lock_for_import(batch: ImportBatch) -> Programme:
    """Lock the batch, and return its programme as it is now (open to referrals)."""
    _lock(batch)
    programme = Programme.objects.select_related("site").get(pk=batch.programme_id)
    _require_open(programme)
    return programme


def import_commit(*, batch: ImportBatch, committed_by: User, only_valid_rows: bool = False) -> int:
    """Import the batch's rows in one transaction: all of them, or nothing when any row
    fails, unless `only_valid_rows`. Returns how many people were imported."""
    _require_previewed(batch.status)
    rows = parse_csv_text(batch.content)
    report = check_rows(batch.programme, rows)
    if report.errors and not only_valid_rows:
        raise ValidationError({"rows": problem_messages(report.errors)})
    if not report.valid:
        raise ValidationError({"rows": _("No row is valid: there is nothing to import.")})
    imported_rows = {row.row for row in report.valid}
    left = {number for number, _cells in rows.rows} - imported_rows
    changes = {
        # Only the rows not imported stay (with their numbers), to show what was left.
        "content": rows_as_csv(rows, keep=left) if left else "",
        "status": ImportBatch.Status.COMMITTED,
        "imported_count": len(report.valid),
        "error_count": report.error_row_count,
        "committed_at": timezone.now(),
    }
    with transaction.atomic():
        programme = _lock_for_import(batch)
        _insert(report.valid, programme=programme, committed_by=committed_by)
        _update(batch, changes, actor=committed_by)
    return len(report.valid)


def _update(batch: ImportBatch, changes: dict[str, Any], *, actor: User) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(**changes)
    for name, value in changes.items():
        setattr(batch, name, value)
    if hasattr(batch, _REPORT_CACHE):
        delattr(batch, _REPORT_CACHE)
    audit_instance(actor=actor, action=Action.UPDATE, instance=batch)


@transaction.atomic
def import_discard(*, batch: ImportBatch, discarded_by: User) -> ImportBatch:
    """Drop a checked file without importing it; its rows are not kept."""
    _lock(batch)
    _update(batch, {"status": ImportBatch.Status.DISCARDED, "content": ""}, actor=discarded_by)
    return batch


def _insert(rows: list[ImportRow], *, programme: Programme, committed_by: User) -> None:
    """What referral_create writes for each row, in bulk, a thousand rows at a time."""
    if not connection.features.can_return_rows_from_bulk_insert:
        raise RuntimeError("Bulk import needs a database that returns ids from bulk inserts.")
    now = timezone.now()
    consent_text = programme.consent_texts.order_by("-published_at", "-id").first()
    organisation_id = programme.site.organisation_id
    for chunk in _chunks(rows, COMMIT_CHUNK):
        people = [
            Person(
                organisation_id=organisation_id,
                site_id=programme.site_id,
                created_at=now,
                updated_at=now,
                **row.person,
            )
            for row in chunk
        ]
        Person.objects.bulk_create(people, batch_size=COMMIT_CHUNK)
        if any(person.pk is None for person in people):
            raise RuntimeError("The database did not return the ids of new people.")
        enrolments = [
            Enrolment(
                person=person,
                programme=programme,
                kind=row.kind,
                status=EnrolmentStatus.REFERRED,
                status_changed_at=now,
                source=Enrolment.Source.IMPORT,
                referred_by=committed_by,
                referrer_organisation=row.referrer_organisation,
                referral_reason=row.referral_reason,
                priority=row.priority,
                received_at=now,
                updated_at=now,
            )
            for person, row in zip(people, chunk, strict=True)
        ]
        Enrolment.objects.bulk_create(enrolments, batch_size=COMMIT_CHUNK)
        EnrolmentStatusChange.objects.bulk_create(
            [
                EnrolmentStatusChange(
                    enrolment=enrolment,
                    from_status="",
                    to_status=EnrolmentStatus.REFERRED,
                    changed_by=committed_by,
                    changed_at=now,
                )
                for enrolment in enrolments
            ],
            batch_size=COMMIT_CHUNK,
        )
        consents = [
            Consent(
                person=person,
                programme=programme,
                scopes=row.consent_scopes,
                text=consent_text,
                method=Consent.Method.WRITTEN,
                given_by=Consent.GivenBy.SELF,
                recorded_by=committed_by,
                recorded_at=now,
            )
            for person, row in zip(people, chunk, strict=True)
            if row.consent_scopes
        ]
        Consent.objects.bulk_create(consents, batch_size=COMMIT_CHUNK)
        for object_type, created in (
            ("people.person", people),
            ("referrals.enrolment", enrolments),
            ("people.consent", consents),
        ):
            audit_many(
                actor=committed_by,
                action=Action.CREATE,
                object_type=object_type,
                object_ids=[instance.pk for instance in created],
            )


@transaction.atomic
def import_batches_expire(*, older_than_days: int) -> int:
    """Empty the stored file of every batch older than the retention period: previews
    nobody committed are discarded, committed batches drop the rows left out. Uploaded
    rows hold people's details, so they are not kept longer than the work needs."""
    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    stale = ImportBatch.objects.filter(created_at__lt=cutoff).exclude(content="")
    ids = list(stale.values_list("pk", flat=True))
    ImportBatch.objects.filter(pk__in=ids, status=ImportBatch.Status.PREVIEWED).update(
        status=ImportBatch.Status.DISCARDED
    )
    ImportBatch.objects.filter(pk__in=ids).update(content="")
    audit_many(
        actor=None, action=Action.UPDATE, object_type="referrals.importbatch", object_ids=ids
    )
    return len(ids)
