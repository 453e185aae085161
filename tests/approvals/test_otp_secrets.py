"""Staff TOTP secrets are encrypted at rest (MultiFernet, ECUAPASS_OTP_KEYS) and keys rotate."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from base64 import b32encode
from binascii import hexlify
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from approvals.models import StaffTOTPDevice
from registration.models import User

pytestmark = pytest.mark.django_db

migration = importlib.import_module("approvals.migrations.0005_otp_encrypted_totp_devices")


def stored_row(device: StaffTOTPDevice) -> str:
    """Every column of the device's row as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {StaffTOTPDevice._meta.db_table} WHERE id = %s",  # noqa: S608
            [device.pk],
        )
        return " ".join(str(value) for value in cursor.fetchone())


def test_the_secret_in_the_database_is_not_the_clear_key(reviewer: User) -> None:
    device = StaffTOTPDevice.objects.create(user=reviewer, name="Teléfono", confirmed=True)
    secret = device.bin_key
    assert len(secret) == 20
    row = stored_row(device)
    assert hexlify(secret).decode() not in row
    assert b32encode(secret).decode() not in row.upper()
    assert device.encrypted_key in row
    assert device.verify_token(f"{totp(secret):06d}")


def test_a_rotated_key_list_still_decrypts_and_rotation_retires_the_old_key(
    reviewer: User,
) -> None:
    old_keys = list(settings.ECUAPASS_OTP_KEYS)
    device = StaffTOTPDevice.objects.create(user=reviewer, name="Teléfono", confirmed=True)
    secret = device.bin_key
    new_key = Fernet.generate_key().decode()

    with override_settings(ECUAPASS_OTP_KEYS=[new_key, *old_keys]):
        assert StaffTOTPDevice.objects.get(pk=device.pk).bin_key == secret
        out = StringIO()
        call_command("rotate_otp_keys", stdout=out)
        assert "1 autenticador(es)" in out.getvalue()
    rotated = StaffTOTPDevice.objects.get(pk=device.pk)
    assert rotated.encrypted_key != device.encrypted_key

    with override_settings(ECUAPASS_OTP_KEYS=[new_key]):  # old key removed after rotating
        assert StaffTOTPDevice.objects.get(pk=device.pk).bin_key == secret
    with override_settings(ECUAPASS_OTP_KEYS=old_keys), pytest.raises(RuntimeError):
        StaffTOTPDevice.objects.get(pk=device.pk).bin_key  # noqa: B018


def test_the_migration_encrypts_existing_clear_devices(reviewer: User, supervisor: User) -> None:
    clear = TOTPDevice.objects.create(user=reviewer, name="Antiguo", confirmed=True, last_t=7)
    pending = TOTPDevice.objects.create(user=supervisor, name="Sin confirmar", confirmed=False)
    clear_secret = clear.bin_key

    assert migration.encrypt_existing_devices(apps, None) == 2

    assert not TOTPDevice.objects.exists()
    moved = StaffTOTPDevice.objects.get(user=reviewer)
    assert (moved.name, moved.confirmed, moved.last_t) == ("Antiguo", True, 7)
    assert moved.bin_key == clear_secret
    assert clear.key not in stored_row(moved)
    assert moved.verify_token(f"{totp(clear_secret):06d}")  # the phone keeps working
    assert StaffTOTPDevice.objects.get(user=supervisor).bin_key == pending.bin_key
    assert not StaffTOTPDevice.objects.get(user=supervisor).confirmed


def test_production_without_otp_keys_fails_fast() -> None:
    env = {**os.environ, "DJANGO_DEBUG": "false", "ECUAPASS_OTP_KEYS": ""}
    result = subprocess.run(
        [sys.executable, "-c", "import workflow.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "ECUAPASS_OTP_KEYS is required" in result.stderr
    env["ECUAPASS_OTP_KEYS"] = "not-a-fernet-key"
    result = subprocess.run(
        [sys.executable, "-c", "import workflow.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "must be Fernet keys" in result.stderr
