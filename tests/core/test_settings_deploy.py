"""The production settings: fail loud without secrets, pass `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import peerbridge.settings as production

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 20 + "production-like-secret-for-the-deploy-check" + "z" * 20,
    "FIELD_ENCRYPTION_KEYS": "dGVzdC1maWVsZC1lbmNyeXB0aW9uLWtleS0zMi1ieXQ=",
    "ALLOWED_HOSTS": "peerbridge.example.org",
    "DJANGO_SETTINGS_MODULE": "peerbridge.settings",
}


def _peerbridge(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    # Only the essentials: the test run's own variables (SECURE_TRANSPORT=false...) stay out.
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    base.update(env, PEERBRIDGE_VAR_DIR=str(tmp_path))
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "peerbridge.cli", *args],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    result = _peerbridge(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_a_secret_key_the_app_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _peerbridge(["check"], env, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_passwords_are_hashed_with_argon2_in_production() -> None:
    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
