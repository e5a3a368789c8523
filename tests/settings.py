"""Test settings: the production settings module with test-only environment defaults.

DATABASE_URL is left to the caller, so `make test` runs the same suite on SQLite and on
a throwaway PostgreSQL cluster.

Files the code writes while tests run (text messages of the file backend, file-based
email, collected static files, the default SQLite file) go to a temporary folder made
here, never into the checkout's var/ folder; it is removed when the test process ends.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

_TEST_VAR_DIR = Path(tempfile.mkdtemp(prefix="peerbridge-test-var-"))
atexit.register(shutil.rmtree, _TEST_VAR_DIR, ignore_errors=True)
os.environ["PEERBRIDGE_VAR_DIR"] = str(_TEST_VAR_DIR)

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 60)
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdC1maWVsZC1lbmNyeXB0aW9uLWtleS0zMi1ieXQ=")
os.environ.setdefault("SECURE_TRANSPORT", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("WHITENOISE_USE_FINDERS", "true")
os.environ.setdefault("TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
os.environ.setdefault("SELF_REFERRAL_LIMIT", "1000")

from peerbridge.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
SMS_FILE_PATH = str(_TEST_VAR_DIR / "sms" / "messages.jsonl")
EMAIL_FILE_PATH = str(_TEST_VAR_DIR / "mail")
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
