"""TOTP secrets at rest: encrypted with MultiFernet under the keys in ECUAPASS_OTP_KEYS.

The first key encrypts; every key decrypts, so a key rotates by putting a new
one first, running `manage.py rotate_otp_keys` (re-encrypts every secret with
it) and then dropping the old one. A database dump without the keys holds no
usable secret.
"""

from __future__ import annotations

import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends and django-otp generates


def _box() -> MultiFernet:
    # Built on each call: a settings change (tests, rotation) takes effect at once.
    return MultiFernet([Fernet(key) for key in settings.ECUAPASS_OTP_KEYS])


def secret_encrypt(raw: bytes) -> str:
    return _box().encrypt(raw).decode("ascii")


def secret_decrypt(token: str) -> bytes:
    """The raw secret; a token under none of the configured keys is a configuration error."""
    try:
        return _box().decrypt(token.encode("ascii"))
    except InvalidToken as exc:
        raise RuntimeError(
            "A TOTP secret can't be decrypted with ECUAPASS_OTP_KEYS (a key was removed "
            "before `manage.py rotate_otp_keys` re-encrypted it)."
        ) from exc


def secret_rotate(token: str) -> str:
    """The same secret encrypted under the first key."""
    return _box().rotate(token.encode("ascii")).decode("ascii")


def new_encrypted_secret() -> str:
    """A fresh random secret, encrypted (the device model's default)."""
    return secret_encrypt(os.urandom(SECRET_BYTES))
