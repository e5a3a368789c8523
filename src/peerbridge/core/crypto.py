"""Field encryption at rest, with rotatable keys, and blind indexes for exact lookups.

`FIELD_ENCRYPTION_KEYS` is an ordered list of Fernet keys: the first encrypts, every key
decrypts (cryptography's MultiFernet). Rotation = put a new key first, run
`peerbridge rotate-keys` (re-encrypts every row and recomputes blind indexes), then drop
the old key. See docs/decisions/0004-field-encryption.md.

A blind index is an HMAC of a normalised value, so "same phone or email" can be found
without decrypting every row. Lookups try every configured key, so duplicates are still
found between adding a key and running rotate-keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact


class DecryptionError(Exception):
    """A stored value that none of the configured keys can open. Never shown as text:
    returning ciphertext as if it were the value would hide a lost key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def _keys() -> tuple[str, ...]:
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    return keys


def encrypt(plaintext: str) -> str:
    return _fernet(_keys()).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet(_keys()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError):
        raise DecryptionError("A field could not be decrypted with any configured key.") from None


def rotate(token: str) -> str:
    """The same plaintext, encrypted again under the first (newest) key."""
    try:
        return _fernet(_keys()).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError):
        raise DecryptionError("A field could not be decrypted with any configured key.") from None


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text stored as a Fernet token. Empty text is stored as empty (nothing to hide)
    so "has a phone number" stays a cheap filter; the value itself never is."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        # A lookup on ciphertext would silently never match (each encryption has its own
        # IV): refuse loudly instead. "Is it empty" is the one question that works.
        if lookup_name == "exact":
            return EmptyOnlyExact
        if lookup_name != "isnull":
            raise NotImplementedError(f"Encrypted fields cannot be filtered with {lookup_name}.")
        return super().get_lookup(lookup_name)


class EmptyOnlyExact(Exact):  # type: ignore[type-arg]
    """`field=""` works on an encrypted field; `field="a value"` could never match, so
    it raises. Find values through a BlindIndexField instead."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise NotImplementedError(
                "Encrypted fields can only be compared with empty text; use a blind index."
            )
        return super().get_prep_lookup()


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_phone(value: str) -> str:
    """Digits only, with a leading + kept, so "+44 7700 900123" and "+447700900123"
    index the same."""
    value = value.strip()
    digits = re.sub(r"\D", "", value)
    return ("+" if value.startswith("+") else "") + digits


def _index_key(key: str) -> bytes:
    return hashlib.sha256(b"peerbridge-blind-index:" + base64.urlsafe_b64decode(key)).digest()


def blind_index(value: str, *, key: str | None = None) -> str:
    """The index of an already normalised value under the first key (or a given one)."""
    if not value:
        return ""
    secret = _index_key(key or _keys()[0])
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


def blind_index_candidates(value: str) -> list[str]:
    """Indexes of a normalised value under every configured key, for lookups."""
    if not value:
        return []
    return [blind_index(value, key=key) for key in _keys()]


class BlindIndexField(models.CharField):  # type: ignore[type-arg]
    """An HMAC of another (encrypted) field, kept in step by the model's save().
    `source` names that field; `normaliser` makes equal values index equally."""

    def __init__(
        self,
        *args: Any,
        source: str = "",
        normaliser: Callable[[str], str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.source = source
        self.normaliser = normaliser or (lambda value: value)
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        plaintext = getattr(model_instance, self.source) or ""
        value = blind_index(self.normaliser(plaintext))
        setattr(model_instance, self.attname, value)
        return value


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [field for field in model._meta.concrete_fields if isinstance(field, EncryptedTextField)]


def blind_index_fields(model: type[models.Model]) -> list[BlindIndexField]:
    return [field for field in model._meta.concrete_fields if isinstance(field, BlindIndexField)]
