"""Loaded with `-p tests.environment` before Django: points the suite at its services.

The suite runs against PostgreSQL and Redis on localhost (TEST_DATABASE_URL,
TEST_REDIS_URL). With CI=true an unreachable service is an error; elsewhere
the tests that need them are skipped and the rest run on SQLite.
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from urllib.parse import urlparse

CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ecuapass"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 2
        ):
            return True
    except OSError:
        return False


POSTGRES_UP = reachable(TEST_DATABASE_URL, 5432)
REDIS_UP = reachable(TEST_REDIS_URL, 6379)
SERVICES_UP = POSTGRES_UP and REDIS_UP
SERVICES_DOWN_REASON = (
    f"PostgreSQL ({TEST_DATABASE_URL}) {'up' if POSTGRES_UP else 'UNREACHABLE'}, "
    f"Redis ({TEST_REDIS_URL}) {'up' if REDIS_UP else 'UNREACHABLE'}"
)

ARTIFACTS = os.path.abspath(os.environ.get("TEST_ARTIFACTS_DIR", "test-artifacts"))
RUN_DIR = tempfile.mkdtemp(prefix="ecuapass-tests-")
os.makedirs(os.path.join(RUN_DIR, "static"), exist_ok=True)
JOB_QUEUE = f"ecuapass-test-{uuid.uuid4().hex[:8]}"

os.environ["DJANGO_SETTINGS_MODULE"] = "workflow.settings"
os.environ["DJANGO_DEBUG"] = "false"
os.environ["DJANGO_SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ["ECUAPASS_OTP_KEYS"] = "dGVzdC1vdHAta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE="
# The database is emptied between tests while worker processes live on: no per-process CRL memo
# (tests/registration/test_crl_memo.py turns it on).
os.environ["ECUAPASS_CRL_MEMO_SECONDS"] = "0"
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
os.environ["DJANGO_SECURE_COOKIES"] = "false"
# Production settings but plain HTTP (the test client and the browser tests' live server).
os.environ["DJANGO_SSL_REDIRECT"] = "false"
os.environ["DJANGO_HSTS_SECONDS"] = "0"
# Workers started by the tests send their mail nowhere (pytest-django uses locmem itself).
os.environ["DJANGO_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ["ECUAPASS_VAR_DIR"] = RUN_DIR
os.environ["ECUAPASS_JOB_QUEUE"] = JOB_QUEUE
os.environ.pop("REDIS_URL", None)
if SERVICES_UP:
    os.environ["DATABASE_URL"] = TEST_DATABASE_URL
    os.environ["CELERY_BROKER_URL"] = TEST_REDIS_URL
elif CI:
    raise SystemExit(f"CI=true but the test services are not reachable: {SERVICES_DOWN_REASON}")
else:
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
