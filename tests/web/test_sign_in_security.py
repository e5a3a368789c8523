"""Sign-in and session security: lockout, password reset, two-factor, idle timeout,
security headers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from peerbridge.core.models import AuditEvent
from peerbridge.web.demo import DEMO_PASSWORD
from tests.conftest import client_for, persona_user

COORDINATOR = "coordinator.a@demo.peerbridge.test"


def _login(client: Client, email: str, password: str) -> int:
    return client.post("/accounts/login/", {"username": email, "password": password}).status_code


def test_demo_login_works_and_is_audited(db: None) -> None:
    client = Client()
    assert _login(client, COORDINATOR, DEMO_PASSWORD) == 302
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="login").exists()


def test_the_sixth_failed_attempt_locks_the_account_out(db: None) -> None:
    client = Client()
    statuses = [_login(client, COORDINATOR, "wrong password") for _ in range(5)]
    assert statuses[:4] == [200, 200, 200, 200]
    assert _login(client, COORDINATOR, DEMO_PASSWORD) == 429  # locked even with the right one
    assert AuditEvent.objects.filter(action="lockout").exists()
    failed = AuditEvent.objects.filter(action="login_failed")
    assert failed.count() >= 4
    assert all(row.object_id == "" for row in failed)  # the attempted username is not kept


def test_password_reset_answers_the_same_for_unknown_addresses(db: None) -> None:
    known = Client().post("/accounts/password/reset/", {"email": COORDINATOR})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [COORDINATOR]


def test_the_reset_link_sets_a_new_password(db: None) -> None:
    Client().post("/accounts/password/reset/", {"email": COORDINATOR})
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    assert link is not None
    client = Client()
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    new = "a new long passphrase 2026"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    assert _login(Client(), COORDINATOR, new) == 302


def test_sessions_expire_after_the_idle_timeout(db: None) -> None:
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert _login(client, COORDINATOR, DEMO_PASSWORD) == 302
        traveller.shift(timedelta(minutes=14))
        assert client.get("/").status_code == 200  # activity renews the session
        traveller.shift(timedelta(minutes=14))
        assert client.get("/").status_code == 200
        traveller.shift(timedelta(minutes=16))
        assert client.get("/").status_code == 302


def _enrol(client: Client) -> TOTPDevice:
    client.get("/accounts/two-factor/")
    user = persona_user("coordinator")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    code = f"{totp(device.bin_key):06d}"
    response = client.post("/accounts/two-factor/", {"code": code})
    assert response.status_code == 200 and len(response.context["codes"]) == 10
    device.refresh_from_db()
    return device


@override_settings(REQUIRE_SECOND_FACTOR_FOR_ROLES=["coordinator"])
def test_a_required_second_factor_blocks_pages_until_enrolled(db: None) -> None:
    client = Client()
    assert _login(client, COORDINATOR, DEMO_PASSWORD) == 302
    assert client.get("/programmes/")["Location"] == "/accounts/two-factor/"
    assert client.get("/api/v1/programmes").status_code == 403
    _enrol(client)
    assert client.get("/programmes/").status_code == 200


def test_an_enrolled_user_must_give_a_code_at_each_sign_in(db: None) -> None:
    client = Client()
    _login(client, COORDINATOR, DEMO_PASSWORD)
    device = _enrol(client)
    client.post("/accounts/logout/")
    second = Client()
    assert _login(second, COORDINATOR, DEMO_PASSWORD) == 302
    assert second.get("/")["Location"] == "/accounts/two-factor/verify/"
    assert second.post("/accounts/two-factor/verify/", {"code": "000000"}).status_code in (302, 422)
    # A code is accepted once; the next one comes from a later 30-second step.
    with time_machine.travel(timezone.now() + timedelta(seconds=60)):
        code = f"{totp(device.bin_key):06d}"
        assert second.post("/accounts/two-factor/verify/", {"code": code}).status_code == 302
    assert second.get("/").status_code == 200


def test_recovery_codes_work_once(db: None) -> None:
    client = Client()
    _login(client, COORDINATOR, DEMO_PASSWORD)
    client.get("/accounts/two-factor/")
    user = persona_user("coordinator")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    codes = client.post("/accounts/two-factor/", {"code": f"{totp(device.bin_key):06d}"}).context[
        "codes"
    ]
    for expected in (302, 422):
        other = Client()
        _login(other, COORDINATOR, DEMO_PASSWORD)
        assert (
            other.post("/accounts/two-factor/verify/", {"code": codes[0]}).status_code == expected
        )


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/v1/openapi.json", "/healthz"])
def test_security_headers_on_pages_and_api(db: None, path: str) -> None:
    response = Client().get(path)
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert re.fullmatch(r"[0-9a-f-]{36}", response["X-Request-ID"])


def test_the_login_page_is_accessible_markup(db: None) -> None:
    html = client_for("anonymous").get("/accounts/login/").content.decode()
    assert '<html lang="en">' in html
    assert 'name="viewport"' in html
    assert 'for="id_username"' in html and 'for="id_password"' in html
    assert 'class="skip-link"' in html
