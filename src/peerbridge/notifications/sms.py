"""Sending text messages: one small interface, a real HTTP provider backend, and a local
file backend for development and tests.

`get_backend()` builds the backend named by settings.SMS_BACKEND (a dotted path). The
HTTP backend POSTs `{"to", "body", "from"}` as JSON with a bearer token to SMS_HTTP_URL;
most providers (or a small relay in front of one) accept that shape. Errors name the
failure only: never the number or the text, which are personal.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

TIMEOUT_SECONDS = 10


class SmsBackend(Protocol):
    def send(self, to: str, body: str) -> None:
        """Send `body` to the number `to`, or raise."""


class SmsError(Exception):
    """The message was not accepted; the outbox tries again later."""


class SmsRejected(SmsError):
    """The provider answered with a status other than 2xx."""

    def __init__(self, status: int) -> None:
        super().__init__(f"The SMS provider answered {status}.")
        self.status = status


class SmsUnavailable(SmsError):
    """The provider could not be reached (network error or timeout)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the bearer token to another address: treat it as a refusal."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class HttpSmsBackend:
    """POST JSON to an HTTP provider with a bearer token; anything but 2xx raises."""

    def __init__(
        self,
        *,
        url: str | None = None,
        token: str | None = None,
        sender: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.url = settings.SMS_HTTP_URL if url is None else url
        self.token = settings.SMS_HTTP_TOKEN if token is None else token
        self.sender = settings.SMS_FROM if sender is None else sender
        self.timeout = timeout
        if not self.url.startswith(("https://", "http://")) or not self.token:
            raise ImproperlyConfigured(
                "The HTTP text message backend needs SMS_HTTP_URL (http or https) and "
                "SMS_HTTP_TOKEN."
            )
        self._opener = urllib.request.build_opener(_NoRedirects)

    def send(self, to: str, body: str) -> None:
        payload = json.dumps({"to": to, "body": body, "from": self.sender}).encode()
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            self.url,
            data=payload,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = int(response.status)
        except urllib.error.HTTPError as error:
            error.close()
            raise SmsRejected(error.code) from None
        except (urllib.error.URLError, OSError) as error:
            raise SmsUnavailable(type(error).__name__) from None
        if not 200 <= status < 300:
            raise SmsRejected(status)


class FileSmsBackend:
    """Append one JSON line per message to a file (development and tests): what a
    provider would have been asked to send."""

    _lock = threading.Lock()

    def __init__(self, *, path: str | Path | None = None) -> None:
        self.path = Path(settings.SMS_FILE_PATH if path is None else path)

    def send(self, to: str, body: str) -> None:
        line = json.dumps(
            {
                "to": to,
                "body": body,
                "from": settings.SMS_FROM,
                "sent_at": timezone.now().isoformat(),
            },
            ensure_ascii=False,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as file:
            file.write(line + "\n")


def get_backend() -> SmsBackend:
    """The backend named by settings.SMS_BACKEND."""
    backend_class = import_string(settings.SMS_BACKEND)
    backend: SmsBackend = backend_class()
    return backend
