"""Field-encryption keys: an ordered list so keys can be rotated.

The first key encrypts; every key may decrypt. A key is a Fernet key: 32 random bytes,
URL-safe base64 encoded (44 characters).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from django.core.exceptions import ImproperlyConfigured


def validate_fernet_keys(keys: list[str], *, variable: str) -> list[str]:
    if not keys:
        raise ImproperlyConfigured(f"{variable} must hold at least one key.")
    for position, key in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError):
            raw = b""
        if len(raw) != 32:
            raise ImproperlyConfigured(
                f"Key {position} in {variable} is not a Fernet key (32 bytes, URL-safe "
                "base64). Generate one with: peerbridge generate-key"
            )
    return keys


def development_key(secret: str) -> str:
    """A stable key derived from the development SECRET_KEY; never used when DEBUG is off."""
    digest = hashlib.sha256(("peerbridge-field-encryption:" + secret).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")
