"""Issue 10 §4: production settings pass `check --deploy` at warning level."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy_at_warning_level(tmp_path: Path) -> None:
    """DEBUG off, the keys production requires and nothing else: no security warning (W004 HSTS, W008 SSL)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "ECUAPASS_", "DATABASE_URL", "CELERY_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="workflow.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="ecuapass.example.ec",
        ECUAPASS_OTP_KEYS=Fernet.generate_key().decode(),
        ECUAPASS_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_and_the_tests_keep_plain_http(settings: object) -> None:
    """The suite runs DEBUG off but over HTTP (tests/environment.py turns both off)."""
    assert settings.SECURE_SSL_REDIRECT is False  # type: ignore[attr-defined]
    assert settings.SECURE_HSTS_SECONDS == 0  # type: ignore[attr-defined]
