"""Reviewer-side data: rejection reasons, staff authenticators."""

from __future__ import annotations

import time
from base64 import b32encode
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from approvals.otp_secrets import new_encrypted_secret, secret_decrypt


class RejectionReason(models.Model):
    """The editable catalogue a reviewer picks a rejection reason from."""

    text = models.CharField("motivo", max_length=200, unique=True)
    active = models.BooleanField("activo", default=True)
    position = models.PositiveSmallIntegerField("orden", default=0)

    class Meta:
        ordering = ["position", "text"]
        verbose_name = "motivo de rechazo"
        verbose_name_plural = "motivos de rechazo"

    def __str__(self) -> str:
        return self.text


class StaffTOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """A staff member's authenticator app: django-otp's TOTP device, secret encrypted at rest.

    django-otp's own `TOTPDevice` keeps the key as hex in clear; this one keeps a
    MultiFernet token (`approvals.otp_secrets`) and decrypts it only to check a
    code or show the QR once at enrolment. Fields and checks are the library's.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_devices"
    )
    encrypted_key = models.TextField(default=new_encrypted_secret, editable=False)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    # The time step of the last accepted code: a code is accepted once.
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = "autenticador TOTP"
        verbose_name_plural = "autenticadores TOTP"

    @property
    def bin_key(self) -> bytes:
        return secret_decrypt(self.encrypted_key)

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))

    def verify_token(self, token: Any) -> bool:
        """As django-otp's TOTPDevice: the current step ± tolerance, never a used step."""
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            value = int(token)
        except (TypeError, ValueError):
            verified = False
        else:
            totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
            totp.time = time.time()
            verified = bool(totp.verify(value, self.tolerance, self.last_t + 1))
            if verified:
                self.last_t = totp.t()
                self.drift = totp.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    @property
    def config_url(self) -> str:
        """The otpauth:// URI the QR code carries (Google's Key URI format)."""
        issuer = str(getattr(settings, "OTP_TOTP_ISSUER", "")).replace(":", "")
        label = f"{issuer}:{self.user.get_username()}" if issuer else self.user.get_username()
        params = urlencode(
            {
                "secret": b32encode(self.bin_key),
                "algorithm": "SHA1",
                "digits": self.digits,
                "period": self.step,
            }
        )
        if issuer:
            params += f"&issuer={quote(issuer)}"
        return f"otpauth://totp/{quote(label)}?{params}"
