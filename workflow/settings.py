"""Settings, driven by environment variables (see README.md and .env.example).

With no configuration the product runs on SQLite and kombu's filesystem
broker, so `make run` works on a bare machine; `DATABASE_URL` and
`CELERY_BROKER_URL` switch it to PostgreSQL and Redis.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ECUAPASS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} debe ser true o false, no {raw!r}")


def env_dates(name: str) -> tuple[datetime.date, ...]:
    """Comma-separated ISO dates (YYYY-MM-DD)."""
    raw = os.environ.get(name, "")
    try:
        return tuple(datetime.date.fromisoformat(d.strip()) for d in raw.split(",") if d.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be dates like 2026-11-02,2026-11-03") from exc


def env_month_day(name: str, default: str) -> tuple[int, int]:
    """A day of the year as MM-DD (e.g. 02-01 for the 1st of February)."""
    raw = os.environ.get(name, "") or default
    try:
        day = datetime.date.fromisoformat(f"2000-{raw.strip()}")  # a leap year: 02-29 parses
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name} debe ser un día como 02-01 (MM-DD), no {raw!r}"
        ) from exc
    return day.month, day.day


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} debe ser un número entero, no {raw!r}") from exc


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off (see .env.example)."
        )
    SECRET_KEY = "insecure-development-key-only-for-make-run"  # noqa: S105

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "approvals.apps.VerifiedAdminConfig",  # django.contrib.admin behind the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "viewflow",
    "viewflow.workflow",
    "registration",
    "workflow",
    "approvals",
    "django_otp",
    "django_otp.plugins.otp_totp",  # only for migrating old clear devices (approvals 0005)
    "django_otp.plugins.otp_static",  # staff recovery codes
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After OTP and messages: ends idle or too-old staff sessions.
    "approvals.middleware.StaffSessionLifetimeMiddleware",
    # A user disabled for missing the annual data update reaches only the update page.
    "registration.middleware.AnnualUpdateRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "workflow.urls"
WSGI_APPLICATION = "workflow.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "registration.context_processors.mailbox",
                "approvals.context_processors.employee_admin",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES: dict[str, Any] = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"] not in {
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    }:
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (or SQLite).")
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat are separate processes sharing the file: WAL,
    # a generous busy timeout and IMMEDIATE transactions avoid "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "registration.User"
LOGIN_URL = "registration:login"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses logins of a locked-out ID. usuario.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# 3 wrong passwords lock the ID. usuario for an hour from that client only (its
# address, as client_address() sees it), whether or not the ID exists: knowing an
# ID is not enough to lock its owner out. Across every client an ID gets at most
# ECUAPASS_LOGIN_ID_FAILURES_PER_MINUTE failures a minute, then "espere un minuto"
# (no lock); its owner is emailed once an hour after ECUAPASS_LOGIN_ATTACK_NOTICE_FAILURES
# failures in an hour (registration/services/login.py).
AXES_FAILURE_LIMIT = env_int("ECUAPASS_LOGIN_FAILURE_LIMIT", 3)
AXES_COOLOFF_TIME = env_int("ECUAPASS_LOGIN_LOCKOUT_MINUTES", 60) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_VERBOSE = False
ECUAPASS_LOGIN_ID_FAILURES_PER_MINUTE = env_int("ECUAPASS_LOGIN_ID_FAILURES_PER_MINUTE", 10)
ECUAPASS_LOGIN_ATTACK_NOTICE_FAILURES = env_int("ECUAPASS_LOGIN_ATTACK_NOTICE_FAILURES", 10)
# Days a browser where an ID. usuario logged in (or reset its password) passes the per-ID
# throttle for that ID (registration/known_device.py).
ECUAPASS_KNOWN_DEVICE_DAYS = env_int("ECUAPASS_KNOWN_DEVICE_DAYS", 90)
if (
    min(
        ECUAPASS_LOGIN_ID_FAILURES_PER_MINUTE,
        ECUAPASS_LOGIN_ATTACK_NOTICE_FAILURES,
        ECUAPASS_KNOWN_DEVICE_DAYS,
    )
    < 1
):
    raise ImproperlyConfigured(
        "ECUAPASS_LOGIN_ID_FAILURES_PER_MINUTE, ECUAPASS_LOGIN_ATTACK_NOTICE_FAILURES and "
        "ECUAPASS_KNOWN_DEVICE_DAYS must be at least 1."
    )
# Reviewers and supervisors add a TOTP code (approvals/two_factor.py).
OTP_TOTP_ISSUER = "ECUAPASS SENAE"


def otp_keys() -> list[str]:
    """Fernet keys for the TOTP secrets at rest: the first encrypts, all decrypt (rotation)."""
    import base64
    import hashlib

    from cryptography.fernet import Fernet

    keys = [k.strip() for k in os.environ.get("ECUAPASS_OTP_KEYS", "").split(",") if k.strip()]
    if not keys:
        if not DEBUG:
            raise ImproperlyConfigured(
                "ECUAPASS_OTP_KEYS is required when DJANGO_DEBUG is off (see .env.example)."
            )
        digest = hashlib.sha256(f"ecuapass-otp-keys:{SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    for key in keys:
        try:
            Fernet(key)
        except ValueError as exc:
            raise ImproperlyConfigured(
                "ECUAPASS_OTP_KEYS must be Fernet keys (Fernet.generate_key()), comma-separated."
            ) from exc
    return keys


ECUAPASS_OTP_KEYS = otp_keys()
LOGIN_REDIRECT_URL = "registration:mi_pagina"
LOGOUT_REDIRECT_URL = "registration:home"

# --- Cache (rate limits; shared by every process) -------------------------
ECUAPASS_CACHE_URL = os.environ.get("ECUAPASS_CACHE_URL", "")
if ECUAPASS_CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": ECUAPASS_CACHE_URL,
        }
    }
elif ECUAPASS_CACHE_URL:
    raise ImproperlyConfigured("ECUAPASS_CACHE_URL must be a redis:// URL (or empty).")
else:
    # A table in the main database: works across processes with no extra server.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "ecuapass_cache",
        }
    }
# "Comprobar disponibilidad" and "Consultar": requests per client IP per minute.
ECUAPASS_LOOKUP_RATE_PER_MINUTE = env_int("ECUAPASS_LOOKUP_RATE_PER_MINUTE", 30)
# "Comprobar disponibilidad" says whether a value is registered (the one deliberate
# exception): checks per client IP per hour, and per value (from all clients) per hour.
ECUAPASS_AVAILABILITY_PER_IP_PER_HOUR = env_int("ECUAPASS_AVAILABILITY_PER_IP_PER_HOUR", 30)
ECUAPASS_AVAILABILITY_PER_SUBJECT_PER_HOUR = env_int(
    "ECUAPASS_AVAILABILITY_PER_SUBJECT_PER_HOUR", 10
)
if min(ECUAPASS_AVAILABILITY_PER_IP_PER_HOUR, ECUAPASS_AVAILABILITY_PER_SUBJECT_PER_HOUR) < 1:
    raise ImproperlyConfigured(
        "ECUAPASS_AVAILABILITY_PER_IP_PER_HOUR and ECUAPASS_AVAILABILITY_PER_SUBJECT_PER_HOUR "
        "must be at least 1."
    )
# "Consulta de estado" (tracking number + cédula): attempts per client IP per minute.
# How often an open status page asks whether the request changed.
ECUAPASS_STATUS_POLL_SECONDS = env_int("ECUAPASS_STATUS_POLL_SECONDS", 15)
ECUAPASS_STATUS_LOOKUP_PER_MINUTE = env_int("ECUAPASS_STATUS_LOOKUP_PER_MINUTE", 10)
# The emailed status link (and the access it grants a browser) lasts this long;
# a fresh one comes from Consulta de estado or the next email.
ECUAPASS_STATUS_LINK_TTL_HOURS = env_int("ECUAPASS_STATUS_LINK_TTL_HOURS", 72)
# After the code sent to the current email: minutes the correction page stays open.
ECUAPASS_CORRECTION_ACCESS_MINUTES = env_int("ECUAPASS_CORRECTION_ACCESS_MINUTES", 60)
# "Buscar ID/Reinicio de clave": attempts per client IP per minute, counted for each step.
ECUAPASS_RECOVERY_RATE_PER_MINUTE = env_int("ECUAPASS_RECOVERY_RATE_PER_MINUTE", 5)
# After a correct reset code: minutes to answer the security questions, and wrong
# answers allowed before a new code is needed.
ECUAPASS_RESET_VERIFIED_MINUTES = env_int("ECUAPASS_RESET_VERIFIED_MINUTES", 10)
ECUAPASS_RESET_ANSWER_ATTEMPTS = env_int("ECUAPASS_RESET_ANSWER_ATTEMPTS", 3)
if (
    min(
        ECUAPASS_RECOVERY_RATE_PER_MINUTE,
        ECUAPASS_RESET_VERIFIED_MINUTES,
        ECUAPASS_RESET_ANSWER_ATTEMPTS,
    )
    < 1
):
    raise ImproperlyConfigured(
        "ECUAPASS_RECOVERY_RATE_PER_MINUTE, ECUAPASS_RESET_VERIFIED_MINUTES and "
        "ECUAPASS_RESET_ANSWER_ATTEMPTS must be at least 1."
    )

# --- Passwords ------------------------------------------------------------
# Argon2id with parameters above OWASP's minimum (m=19 MiB, t=2, p=1);
# see README "Contraseñas" for the measured cost.
PASSWORD_HASHERS = [
    "registration.hashers.EcuapassArgon2Hasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Locale ---------------------------------------------------------------
LANGUAGE_CODE = "es"
LANGUAGES = [("es", "Español")]
TIME_ZONE = "America/Guayaquil"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEBUG
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "public"
MEDIA_ROOT = Path(os.environ.get("ECUAPASS_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Compressed by `collectstatic`, served by WhiteNoise under gunicorn.
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
CERTIFICATE_MAX_BYTES = env_int("ECUAPASS_CERTIFICATE_MAX_BYTES", 64 * 1024)
CERTIFICATE_MAX_TOTAL_BYTES = env_int("ECUAPASS_CERTIFICATE_MAX_TOTAL_BYTES", 256 * 1024)
# A Representante de la entidad's appointment (nombramiento or delegation, PDF).
ECUAPASS_APPOINTMENT_MAX_BYTES = env_int("ECUAPASS_APPOINTMENT_MAX_BYTES", 2 * 1024 * 1024)
# Certificate verification (docs/certificate-validation.md)
ECUAPASS_REVOCATION_MODE = os.environ.get("ECUAPASS_REVOCATION_MODE", "soft-fail")
# Demonstration trust anchors (setup_demo_ca) vouch for holders only in development.
ECUAPASS_ALLOW_DEMO_ANCHORS = env_bool("ECUAPASS_ALLOW_DEMO_ANCHORS", DEBUG)
if ECUAPASS_REVOCATION_MODE not in {"hard-fail", "soft-fail", "disabled"}:
    raise ImproperlyConfigured("ECUAPASS_REVOCATION_MODE must be hard-fail, soft-fail or disabled.")
ECUAPASS_CRL_TIMEOUT = float(os.environ.get("ECUAPASS_CRL_TIMEOUT", "5"))
# Seconds a worker process reuses a CRL read from the database cache (0: read it every time).
ECUAPASS_CRL_MEMO_SECONDS = float(os.environ.get("ECUAPASS_CRL_MEMO_SECONDS", "60"))
ECUAPASS_REQUIRE_POSSESSION = env_bool("ECUAPASS_REQUIRE_POSSESSION", True)
ECUAPASS_CHALLENGE_TTL = env_int("ECUAPASS_CHALLENGE_TTL", 24 * 3600)
ECUAPASS_CERT_EXPIRY_WARNING_DAYS = env_int("ECUAPASS_CERT_EXPIRY_WARNING_DAYS", 30)
ECUAPASS_DISABLE_ON_CERTIFICATE_PROBLEM = env_bool("ECUAPASS_DISABLE_ON_CERTIFICATE_PROBLEM", True)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Review ------------------------------------------------------------------
# Target for a reviewer's decision, in business days (America/Guayaquil, weekends skipped).
ECUAPASS_REVIEW_SLA_DAYS = env_int("ECUAPASS_REVIEW_SLA_DAYS", 2)
# Holidays the SLA skips: a country's national holidays (the `holidays` library; empty: none),
# plus dates added or made working days by decree.
ECUAPASS_HOLIDAY_COUNTRY = os.environ.get("ECUAPASS_HOLIDAY_COUNTRY", "EC").strip().upper()
if ECUAPASS_HOLIDAY_COUNTRY:
    import holidays as _holidays

    if ECUAPASS_HOLIDAY_COUNTRY not in _holidays.list_supported_countries():
        raise ImproperlyConfigured(
            f"ECUAPASS_HOLIDAY_COUNTRY={ECUAPASS_HOLIDAY_COUNTRY!r} is not a known country code."
        )
# The annual data update (Resolución SENAE-DGN-2016-0364-RE), as month-day of each year:
# reminders start (the year before), the update window opens, and the deadline, from
# which a user who did not update is disabled (until they update).
ECUAPASS_ANNUAL_UPDATE_REMINDERS_FROM = env_month_day(
    "ECUAPASS_ANNUAL_UPDATE_REMINDERS_FROM", "12-01"
)
ECUAPASS_ANNUAL_UPDATE_OPENS = env_month_day("ECUAPASS_ANNUAL_UPDATE_OPENS", "01-01")
ECUAPASS_ANNUAL_UPDATE_DEADLINE = env_month_day("ECUAPASS_ANNUAL_UPDATE_DEADLINE", "02-01")
if not (
    ECUAPASS_ANNUAL_UPDATE_OPENS < ECUAPASS_ANNUAL_UPDATE_DEADLINE
    and ECUAPASS_ANNUAL_UPDATE_REMINDERS_FROM > ECUAPASS_ANNUAL_UPDATE_DEADLINE
):
    raise ImproperlyConfigured(
        "ECUAPASS_ANNUAL_UPDATE_*: the window opens before its deadline, and the reminders "
        "start after the deadline (in the year before the window)."
    )
ECUAPASS_EXTRA_HOLIDAYS = env_dates("ECUAPASS_EXTRA_HOLIDAYS")
ECUAPASS_WORKING_DAYS = env_dates("ECUAPASS_WORKING_DAYS")

# --- Waiting for the applicant ------------------------------------------------
# One-time codes sent by email (confirming the email, changing it, resetting the password).
ECUAPASS_CODE_TTL_MINUTES = env_int("ECUAPASS_CODE_TTL_MINUTES", 30)
ECUAPASS_CODE_MAX_ATTEMPTS = env_int("ECUAPASS_CODE_MAX_ATTEMPTS", 5)
# Per client: code entries and "Reenviar código" per minute; per request: codes per hour.
ECUAPASS_CODE_TRIES_PER_MINUTE = env_int("ECUAPASS_CODE_TRIES_PER_MINUTE", 10)
ECUAPASS_CODE_RESENDS_PER_MINUTE = env_int("ECUAPASS_CODE_RESENDS_PER_MINUTE", 2)
ECUAPASS_CODES_PER_HOUR = env_int("ECUAPASS_CODES_PER_HOUR", 5)
# An unconfirmed email: one reminder after this many hours, expiry after the second figure.
ECUAPASS_EMAIL_CONFIRM_REMINDER_HOURS = env_int("ECUAPASS_EMAIL_CONFIRM_REMINDER_HOURS", 24)
ECUAPASS_EMAIL_CONFIRM_EXPIRY_HOURS = env_int("ECUAPASS_EMAIL_CONFIRM_EXPIRY_HOURS", 72)
# An observed request not corrected: one reminder this many days before it expires.
ECUAPASS_CORRECTION_EXPIRY_DAYS = env_int("ECUAPASS_CORRECTION_EXPIRY_DAYS", 30)
ECUAPASS_CORRECTION_REMINDER_DAYS_BEFORE = env_int("ECUAPASS_CORRECTION_REMINDER_DAYS_BEFORE", 7)
# An employee's request nobody in the company decides: the representatives are reminded
# this many days before it expires.
ECUAPASS_EMPLOYEE_DECISION_EXPIRY_DAYS = env_int("ECUAPASS_EMPLOYEE_DECISION_EXPIRY_DAYS", 30)
ECUAPASS_EMPLOYEE_DECISION_REMINDER_DAYS_BEFORE = env_int(
    "ECUAPASS_EMPLOYEE_DECISION_REMINDER_DAYS_BEFORE", 7
)
if not 0 < ECUAPASS_EMPLOYEE_DECISION_REMINDER_DAYS_BEFORE < ECUAPASS_EMPLOYEE_DECISION_EXPIRY_DAYS:
    raise ImproperlyConfigured(
        "ECUAPASS_EMPLOYEE_DECISION_REMINDER_DAYS_BEFORE must be above 0 and below "
        "ECUAPASS_EMPLOYEE_DECISION_EXPIRY_DAYS."
    )
if not 0 < ECUAPASS_EMAIL_CONFIRM_REMINDER_HOURS < ECUAPASS_EMAIL_CONFIRM_EXPIRY_HOURS:
    raise ImproperlyConfigured(
        "ECUAPASS_EMAIL_CONFIRM_REMINDER_HOURS must be above 0 and below "
        "ECUAPASS_EMAIL_CONFIRM_EXPIRY_HOURS."
    )
if not 0 < ECUAPASS_CORRECTION_REMINDER_DAYS_BEFORE < ECUAPASS_CORRECTION_EXPIRY_DAYS:
    raise ImproperlyConfigured(
        "ECUAPASS_CORRECTION_REMINDER_DAYS_BEFORE must be above 0 and below "
        "ECUAPASS_CORRECTION_EXPIRY_DAYS."
    )

# --- Notifications -----------------------------------------------------------
# The address links in emails point to.
ECUAPASS_PUBLIC_URL = os.environ.get("ECUAPASS_PUBLIC_URL", "http://127.0.0.1:8000")
# "log" writes SMS to the log; "http" posts them to the gateway below.
ECUAPASS_SMS_BACKEND = os.environ.get("ECUAPASS_SMS_BACKEND", "log")
if ECUAPASS_SMS_BACKEND not in {"log", "http"}:
    raise ImproperlyConfigured("ECUAPASS_SMS_BACKEND must be log or http.")
ECUAPASS_SMS_GATEWAY_URL = os.environ.get("ECUAPASS_SMS_GATEWAY_URL", "")
ECUAPASS_SMS_GATEWAY_TOKEN = os.environ.get("ECUAPASS_SMS_GATEWAY_TOKEN", "")
if ECUAPASS_SMS_BACKEND == "http" and not ECUAPASS_SMS_GATEWAY_URL:
    raise ImproperlyConfigured("ECUAPASS_SMS_BACKEND=http needs ECUAPASS_SMS_GATEWAY_URL.")

# --- Email ---------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "registration.mail.LoggingEmailBackend"  # readable, at INFO (also in a Celery worker)
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DJANGO_DEFAULT_FROM_EMAIL", "ECUAPASS <no-responder@aduana.gob.ec>"
)

# --- Security -------------------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "registration.views.portal.csrf_failure"
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Production is HTTPS only: plain HTTP is redirected, and browsers are told (HSTS) to
# never try it again for a year. `make run` (DEBUG) and the tests turn both off.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
if SECURE_HSTS_SECONDS < 0:
    raise ImproperlyConfigured("DJANGO_HSTS_SECONDS must be 0 (off) or more.")
if not SECURE_HSTS_PRELOAD:
    # The preload list takes whole registrable domains (aduana.gob.ec): joining it is the
    # domain owner's decision, not this application's (DJANGO_HSTS_PRELOAD=true to opt in).
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
# The reverse proxies (IPs or CIDRs) whose X-Forwarded-For is believed; from any other
# peer the header is ignored (registration/ratelimit.py client_ip: rate limits, audits,
# django-axes).
ECUAPASS_TRUSTED_PROXIES = tuple(
    p.strip() for p in os.environ.get("ECUAPASS_TRUSTED_PROXIES", "").split(",") if p.strip()
)
for _proxy in ECUAPASS_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(
            f"ECUAPASS_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network."
        ) from _exc
AXES_CLIENT_IP_CALLABLE = "registration.ratelimit.client_ip"
# Sessions: an applicant's lasts ECUAPASS_SESSION_HOURS from its last change; a SENAE
# reviewer's or supervisor's (and with it the TOTP verification) ends after
# ECUAPASS_STAFF_IDLE_MINUTES without a request or ECUAPASS_STAFF_SESSION_HOURS after
# login, whichever comes first (approvals/middleware.py).
SESSION_COOKIE_AGE = env_int("ECUAPASS_SESSION_HOURS", 8) * 3600
ECUAPASS_STAFF_IDLE_MINUTES = env_int("ECUAPASS_STAFF_IDLE_MINUTES", 30)
ECUAPASS_STAFF_SESSION_HOURS = env_int("ECUAPASS_STAFF_SESSION_HOURS", 12)
if min(SESSION_COOKIE_AGE, ECUAPASS_STAFF_IDLE_MINUTES, ECUAPASS_STAFF_SESSION_HOURS) < 1:
    raise ImproperlyConfigured(
        "ECUAPASS_SESSION_HOURS, ECUAPASS_STAFF_IDLE_MINUTES and "
        "ECUAPASS_STAFF_SESSION_HOURS must be at least 1."
    )
# Content-Security-Policy (django-csp): scripts and styles only from our own static
# files, no inline <script>, no style="" attribute, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "form-action": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "frame-ancestors": [CSP_NONE],
    }
}
# Permissions-Policy (django-permissions-policy): no page needs any of these.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
}

# --- Celery ---------------------------------------------------------------
# The broker is Redis in production; with no configuration kombu's filesystem
# transport lets `make run` start a real worker without any server.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or ""
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A message taken by a worker that vanished (machine lost, not only a
        # killed child) is handed out again after this many seconds; it must
        # exceed the longest task time limit.
        "visibility_timeout": env_int("ECUAPASS_BROKER_VISIBILITY_TIMEOUT", 900),
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
    }
else:
    raise ImproperlyConfigured("CELERY_BROKER_URL must be a redis:// URL (or empty).")

# Jobs go to this queue; workers consume it (`celery -A workflow worker -Q ...`).
ECUAPASS_JOB_QUEUE = os.environ.get("ECUAPASS_JOB_QUEUE", "ecuapass")
CELERY_TASK_DEFAULT_QUEUE = ECUAPASS_JOB_QUEUE
# A job task that should have run but still waits after this many seconds is
# re-enqueued by the sweep (broker down at submission, message lost).
ECUAPASS_JOB_UNSENT_AFTER = env_int("ECUAPASS_JOB_UNSENT_AFTER", 30)
ECUAPASS_JOB_STALE_AFTER = env_int("ECUAPASS_JOB_STALE_AFTER", 20 * 60)
ECUAPASS_SWEEP_INTERVAL = env_int("ECUAPASS_SWEEP_INTERVAL", 60)

# --- Logging --------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
