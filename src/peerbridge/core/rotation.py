"""Re-encrypt every encrypted column under the newest key and recompute blind indexes.

Reads raw ciphertext (so a value is never decrypted into a model and saved back through
other code paths), rotates it with MultiFernet, and writes it back in batches of 500
rows, one transaction (holding the rows' locks) per batch. After it finishes, every row
opens with the first key alone, so the old keys can be removed from FIELD_ENCRYPTION_KEYS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction

from peerbridge.core.crypto import (
    BlindIndexField,
    EncryptedTextField,
    blind_index,
    blind_index_fields,
    decrypt,
    encrypted_fields,
    rotate,
)

BATCH = 500


@dataclass(frozen=True)
class RotationCount:
    model: str
    rows: int
    values: int


def models_with_encrypted_fields() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if encrypted_fields(model) and not model._meta.proxy and model._meta.managed
    ]


def _index_updates(
    model: type[models.Model], plaintext: dict[str, str]
) -> dict[BlindIndexField, str]:
    updates: dict[BlindIndexField, str] = {}
    for index in blind_index_fields(model):
        value = plaintext.get(index.source, "")
        updates[index] = blind_index(index.normaliser(value)) if value else ""
    return updates


def _LOCK_ROWS() -> str:  # noqa: N802 (reads as the SQL it adds)
    """Lock the batch's rows until it commits, so a concurrent edit is not overwritten
    with the old value. SQLite needs nothing: our transactions there begin IMMEDIATE,
    which already holds the database's write lock."""
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def _rotate_model(model: type[models.Model]) -> RotationCount:
    table = connection.ops.quote_name(model._meta.db_table)
    pk = model._meta.pk
    assert pk is not None  # noqa: S101 (every concrete model has one)
    fields: list[EncryptedTextField] = encrypted_fields(model)
    columns = [connection.ops.quote_name(f.column) for f in fields]
    pk_column = connection.ops.quote_name(pk.column)
    rows = values = 0
    last = None
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            where = "" if last is None else f"WHERE {pk_column} > %s"
            cursor.execute(
                f"SELECT {pk_column}, {', '.join(columns)} FROM {table} {where} "  # noqa: S608
                f"ORDER BY {pk_column} LIMIT {BATCH}{_LOCK_ROWS()}",
                [] if last is None else [last],
            )
            batch = cursor.fetchall()
            if not batch:
                break
            for row in batch:
                key, tokens = row[0], row[1:]
                sets: list[str] = []
                params: list[Any] = []
                plaintext: dict[str, str] = {}
                for field, token in zip(fields, tokens, strict=True):
                    if not token:
                        continue
                    plaintext[field.name] = decrypt(token)
                    sets.append(f"{connection.ops.quote_name(field.column)} = %s")
                    params.append(rotate(token))
                    values += 1
                for index, value in _index_updates(model, plaintext).items():
                    sets.append(f"{connection.ops.quote_name(index.column)} = %s")
                    params.append(value)
                if sets:
                    cursor.execute(
                        f"UPDATE {table} SET {', '.join(sets)} WHERE {pk_column} = %s",  # noqa: S608
                        [*params, key],
                    )
                rows += 1
            last = batch[-1][0]
    return RotationCount(model=model._meta.label, rows=rows, values=values)


def rotate_all() -> list[RotationCount]:
    return [_rotate_model(model) for model in models_with_encrypted_fields()]


def verify_all() -> int:
    """Decrypt every stored value with the current keys; returns how many were opened.
    Raises DecryptionError on the first value no key opens."""
    opened = 0
    for model in models_with_encrypted_fields():
        for field in encrypted_fields(model):
            column = connection.ops.quote_name(field.column)
            table = connection.ops.quote_name(model._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608
                for (token,) in cursor.fetchall():
                    if token:
                        decrypt(token)
                        opened += 1
    return opened
