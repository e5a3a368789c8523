"""Writing the benchmark's rows: model instances straight into their tables with explicit
ids, by COPY on PostgreSQL and batches of bulk_create elsewhere."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any

BATCH = 5_000


class Writer:
    """Model instances straight into their table with explicit ids: COPY on PostgreSQL,
    bulk_create elsewhere. Values go through each field's own conversion (pre_save, then
    get_db_prep_save), so defaults, JSON and encryption are what the ORM writes; equal
    plaintexts share one encryption (bench data: the same few sentences recur)."""

    def __init__(self) -> None:
        from django.db import DEFAULT_DB_ALIAS, connections

        self.connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the proxy
        self.postgres = self.connection.vendor == "postgresql"
        self.next_id: dict[type[Any], int] = {}
        self.counts: dict[str, int] = {}
        self.written: set[type[Any]] = set()

    def ids(self, model: type[Any], count: int) -> range:
        """Reserve `count` ids for rows of `model`."""
        if model not in self.next_id:
            from django.db.models import Max

            self.next_id[model] = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        start = self.next_id[model]
        self.next_id[model] = start + count
        return range(start, start + count)

    def write(self, model: type[Any], rows: Iterable[Any]) -> int:
        self.written.add(model)
        made = self._copy(model, rows) if self.postgres else self._bulk(model, rows)
        name = model._meta.db_table
        self.counts[name] = self.counts.get(name, 0) + made
        return made

    def _bulk(self, model: type[Any], rows: Iterable[Any]) -> int:
        made, batch = 0, []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                model.objects.bulk_create(batch)
                made, batch = made + len(batch), []
        if batch:
            model.objects.bulk_create(batch)
        return made + len(batch)

    def _converters(self, model: type[Any]) -> list[Callable[[Any], Any]]:
        from django.db import models

        from peerbridge.core.crypto import EncryptedTextField

        # Field types whose value psycopg takes as it is on PostgreSQL (the exact types:
        # subclasses such as the blind index compute their value in pre_save).
        as_is = {
            models.BigAutoField, models.AutoField, models.CharField, models.TextField,
            models.EmailField, models.SlugField, models.URLField, models.IntegerField,
            models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
            models.PositiveSmallIntegerField, models.BooleanField, models.FloatField,
            models.DecimalField, models.DateField, models.TimeField,
        }  # fmt: skip
        converters: list[Callable[[Any], Any]] = []
        for column in model._meta.concrete_fields:
            if isinstance(column, EncryptedTextField):
                converters.append(self._encrypted(column))
            elif type(column) in as_is or isinstance(column, models.ForeignKey):
                converters.append(operator.attrgetter(column.attname))
            elif type(column) is models.DateTimeField and not (
                column.auto_now or column.auto_now_add
            ):
                converters.append(operator.attrgetter(column.attname))
            else:
                converters.append(self._plain(column))
        return converters

    def _plain(self, column: Any) -> Callable[[Any], Any]:
        def convert(row: Any) -> Any:
            return column.get_db_prep_save(column.pre_save(row, True), self.connection)

        return convert

    def _encrypted(self, column: Any) -> Callable[[Any], Any]:
        cache: dict[str, Any] = {}

        def convert(row: Any) -> Any:
            value = getattr(row, column.attname)
            if value not in cache:
                cache[value] = column.get_db_prep_save(value, self.connection)
            return cache[value]

        return convert

    def _copy(self, model: type[Any], rows: Iterable[Any]) -> int:
        quote = self.connection.ops.quote_name
        columns = ", ".join(quote(c.column) for c in model._meta.concrete_fields)
        statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        converters = self._converters(model)
        made = 0
        with self.connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([convert(row) for convert in converters])
                made += 1
        return made

    def finish(self) -> None:
        """Move each id sequence past the ids written, and refresh planner statistics."""
        if not self.postgres:
            return
        from django.core.management.color import no_style

        models = sorted(self.written, key=lambda m: m._meta.db_table)
        with self.connection.cursor() as cursor:
            for statement in self.connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
            cursor.execute("ANALYZE")
