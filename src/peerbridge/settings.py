"""PeerBridge settings. Everything a deployment changes comes from environment variables.

See docs/operations.md for the full list. Programme policy (cadences, schedules, weights)
lives in the database, not here.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from peerbridge.core.env import env_bool, env_int, env_list, env_str
from peerbridge.core.keys import development_key, validate_fernet_keys

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("PEERBRIDGE_VAR_DIR", str(Path.cwd() / "var")))

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET = "insecure-development-key-only-for-DEBUG-runs-of-peerbridge"  # noqa: S105
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET)
else:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET:
        raise ImproperlyConfigured("SECRET_KEY must be a random value of at least 50 characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

if DEBUG:
    FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [development_key(SECRET_KEY)])
else:
    FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
FIELD_ENCRYPTION_KEYS = validate_fernet_keys(
    FIELD_ENCRYPTION_KEYS, variable="FIELD_ENCRYPTION_KEYS"
)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "peerbridge.core",
    "peerbridge.organisations",
    "peerbridge.people",
    "peerbridge.notifications",
    "peerbridge.referrals",
    "peerbridge.workforce",
    "peerbridge.matching",
    "peerbridge.support",
    "peerbridge.safety",
    "peerbridge.outcomes",
    "peerbridge.followups",
    "peerbridge.evaluation",
    "peerbridge.web",
    "peerbridge.api",
]

MIDDLEWARE = [
    "peerbridge.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "peerbridge.web.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "peerbridge.urls"
WSGI_APPLICATION = "peerbridge.wsgi.application"
ASGI_APPLICATION = "peerbridge.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "peerbridge.web.context_processors.navigation",
                "peerbridge.notifications.context.unread_count",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
_default_sqlite = f"sqlite:///{VAR_DIR / 'peerbridge.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(env_str("DATABASE_URL", _default_sqlite), conn_max_age=60)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker and the web process read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts, passwords, sign-in ---------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
# Public self-referral pages: submissions per hour from one address, per programme. The
# count lives in Django's cache (per process unless a shared cache is configured).
SELF_REFERRAL_LIMIT = env_int("SELF_REFERRAL_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30, minimum=1) / 60  # hours
# Lock an account after repeated failures, and an address that tries many accounts.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "password", "email"]

# Roles whose holders must complete a second factor (TOTP) before seeing any page.
# Empty means two-factor is offered but optional.
REQUIRE_SECOND_FACTOR_FOR_ROLES = env_list("REQUIRE_SECOND_FACTOR_FOR_ROLES", [])
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "PeerBridge")

# Idle timeout: the session expires after this many minutes without a request.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 15, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Transport security and headers -------------------------------------------------
_secure_transport = env_bool("SECURE_TRANSPORT", not DEBUG)
SESSION_COOKIE_SECURE = _secure_transport
CSRF_COOKIE_SECURE = _secure_transport
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _secure_transport)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if _secure_transport else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", _secure_transport)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Email --------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "PeerBridge <no-reply@peerbridge.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Notifications ------------------------------------------------------------------
# Links in emails and text messages are made absolute with this (no trailing slash).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Text messages: an HTTP provider (POST JSON {to, body, from} with a bearer token) when
# SMS_HTTP_URL is set, else one JSON line per message in SMS_FILE_PATH (development).
SMS_HTTP_URL = env_str("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = env_str("SMS_HTTP_TOKEN", "")
SMS_FROM = env_str("SMS_FROM", "PeerBridge")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(VAR_DIR / "sms" / "messages.jsonl"))
SMS_BACKEND = env_str(
    "SMS_BACKEND",
    "peerbridge.notifications.sms.HttpSmsBackend"
    if SMS_HTTP_URL
    else "peerbridge.notifications.sms.FileSmsBackend",
)
if SMS_BACKEND.endswith(".HttpSmsBackend") and not (SMS_HTTP_URL and SMS_HTTP_TOKEN):
    raise ImproperlyConfigured(
        "The HTTP text message backend needs SMS_HTTP_URL and SMS_HTTP_TOKEN."
    )
if SMS_HTTP_URL and not SMS_HTTP_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("SMS_HTTP_URL must be an http:// or https:// address.")

# --- Background work ----------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Language and time ----------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# In development (and tests) static files come from the apps' folders, no collectstatic.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Logging: no personal values, request ids on every line -------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "peerbridge.core.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django logs the full request on 4xx; the path is enough and never holds names.
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}

# --- PeerBridge -----------------------------------------------------------------------
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365, minimum=1)
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 50, minimum=1)

# Free-text similarity in matching: "tfidf" (default, no model) or "semantic" (needs the
# optional extra: `make semantic`; see docs/matching.md).
MATCHING_TEXT_MODEL = env_str("MATCHING_TEXT_MODEL", "tfidf")
if MATCHING_TEXT_MODEL not in ("tfidf", "semantic"):
    raise ImproperlyConfigured("MATCHING_TEXT_MODEL must be tfidf or semantic.")
