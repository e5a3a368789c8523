"""Text message backends: the HTTP provider (against a small local server on 127.0.0.1),
the development file, and choosing one from settings."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from peerbridge.notifications.sms import (
    FileSmsBackend,
    HttpSmsBackend,
    SmsRejected,
    SmsUnavailable,
    get_backend,
)
from tests.notifications.conftest import sms_lines

PHONE = "+44 7700 900456"
TOKEN = "test-provider-token"


class Provider(ThreadingHTTPServer):
    """Records what it was sent and answers with `status` (after `delay` seconds)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ProviderHandler)
        self.status = 202
        self.delay = 0.0
        self.location = ""
        self.received: list[dict[str, Any]] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (the timeout test) is expected: no traceback."""

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/messages"


class ProviderHandler(BaseHTTPRequestHandler):
    server: Provider

    def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
        length = int(self.headers.get("Content-Length", "0"))
        self.server.received.append(
            {
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "content_type": self.headers.get("Content-Type"),
                "json": json.loads(self.rfile.read(length)),
            }
        )
        time.sleep(self.server.delay)
        self.send_response(self.server.status)
        if self.server.location:
            self.send_header("Location", self.server.location)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the test output stays readable."""


@pytest.fixture
def provider() -> Iterator[Provider]:
    server = Provider()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_http_backend_posts_json_with_the_bearer_token(provider: Provider) -> None:
    backend = HttpSmsBackend(url=provider.url, token=TOKEN, sender="PeerBridge")

    backend.send(PHONE, "PeerBridge: something needs your attention.")

    [request] = provider.received
    assert request["path"] == "/messages"
    assert request["authorization"] == f"Bearer {TOKEN}"
    assert request["content_type"] == "application/json"
    assert request["json"] == {
        "to": PHONE,
        "body": "PeerBridge: something needs your attention.",
        "from": "PeerBridge",
    }


@pytest.mark.parametrize("status", [400, 401, 429, 500, 503])
def test_a_refusal_by_the_provider_raises_without_the_number(
    provider: Provider, status: int
) -> None:
    provider.status = status
    backend = HttpSmsBackend(url=provider.url, token=TOKEN)

    with pytest.raises(SmsRejected) as refused:
        backend.send(PHONE, "Hello")

    assert refused.value.status == status
    assert PHONE not in str(refused.value)


def test_a_redirect_is_refused_so_the_token_stays_with_the_provider(provider: Provider) -> None:
    provider.status = 307
    provider.location = "http://127.0.0.1:9/elsewhere"
    backend = HttpSmsBackend(url=provider.url, token=TOKEN)

    with pytest.raises(SmsRejected) as refused:
        backend.send(PHONE, "Hello")

    assert refused.value.status == 307
    assert len(provider.received) == 1


def test_a_slow_provider_times_out(provider: Provider) -> None:
    provider.delay = 1.0
    backend = HttpSmsBackend(url=provider.url, token=TOKEN, timeout=0.2)

    with pytest.raises(SmsUnavailable):
        backend.send(PHONE, "Hello")


def test_an_unreachable_provider_raises_unavailable() -> None:
    closed = ThreadingHTTPServer(("127.0.0.1", 0), ProviderHandler)
    host, port = closed.server_address[:2]
    closed.server_close()  # nothing listens there now
    backend = HttpSmsBackend(url=f"http://{host!s}:{port}/messages", token=TOKEN, timeout=2)

    with pytest.raises(SmsUnavailable):
        backend.send(PHONE, "Hello")


@pytest.mark.parametrize(
    ("url", "token"),
    [("", TOKEN), ("ftp://provider.example/send", TOKEN), ("https://provider.example", "")],
)
def test_the_http_backend_needs_an_http_address_and_a_token(url: str, token: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        HttpSmsBackend(url=url, token=token)


def test_the_file_backend_appends_one_json_line_per_message(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "sms.jsonl"
    backend = FileSmsBackend(path=path)

    backend.send(PHONE, "First")
    backend.send(PHONE, "Second, with ünïcode")

    lines = sms_lines(path)
    assert [(line["to"], line["body"]) for line in lines] == [
        (PHONE, "First"),
        (PHONE, "Second, with ünïcode"),
    ]
    assert all(line["sent_at"] for line in lines)


def test_the_backend_comes_from_settings(tmp_path: Path) -> None:
    with override_settings(
        SMS_BACKEND="peerbridge.notifications.sms.FileSmsBackend",
        SMS_FILE_PATH=str(tmp_path / "sms.jsonl"),
    ):
        backend = get_backend()
        assert isinstance(backend, FileSmsBackend)
        assert backend.path == tmp_path / "sms.jsonl"
    with override_settings(
        SMS_BACKEND="peerbridge.notifications.sms.HttpSmsBackend",
        SMS_HTTP_URL="https://sms.example.org/send",
        SMS_HTTP_TOKEN=TOKEN,
    ):
        assert isinstance(get_backend(), HttpSmsBackend)


def test_the_development_default_is_the_file_backend() -> None:
    assert isinstance(get_backend(), FileSmsBackend)
