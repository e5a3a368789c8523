"""Request body parsing: a JSON object, refusing NUL characters anywhere in it.

PostgreSQL text cannot hold NUL (0x00); refusing it here gives the client a field error
instead of a database error, on every endpoint at once (Django's forms do the same for
pages with ProhibitNullCharactersValidator)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import ValidationError
from ninja.parser import Parser


def _nul_locations(value: Any, path: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            if "\x00" in str(key):
                found.append((*path, str(key)))
            found.extend(_nul_locations(item, (*path, str(key))))
        return found
    if isinstance(value, list):
        return [loc for i, item in enumerate(value) for loc in _nul_locations(item, (*path, i))]
    return []


class JsonWithoutNul(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        body = super().parse_body(request)
        if not isinstance(body, dict):
            # Every operation takes an object; a list, null or number would otherwise
            # read as "no fields" and an all-optional PATCH would answer 200.
            raise ValidationError([{"loc": ["body"], "msg": "Send a JSON object."}])
        locations = _nul_locations(body, ("body",))
        if locations:
            raise ValidationError(
                [{"loc": list(loc), "msg": "Null characters are not allowed."} for loc in locations]
            )
        return body
