"""The one-time codes around the staff second factor (approvals.two_factor).

- The enrolment code: a password alone must not enrol an authenticator (whoever
  had the password first would own the account's second factor). Enrolment
  opens only after a code sent to the staff member's own email is typed in.
  It is one of registration's one-time codes (purpose STAFF_ENROLL): stored as a
  nonce, emailed once after commit, bounded attempts, capped per hour.
- Recovery codes: django-otp's static tokens, ten of them made when the
  authenticator is confirmed and shown once; each one replaces a TOTP code
  once. A reset of the second factor deletes them; the next enrolment makes new ones.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from approvals.models import StaffTOTPDevice
from registration import services as registration_services
from registration.models import CodePurpose, User

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "Códigos de recuperación"

NO_EMAIL = (
    "Su cuenta no tiene un correo registrado para recibir el código de activación. "
    "Pida al administrador de ECUAPASS del SENAE que lo registre."
)
TOO_MANY_CODES = (
    "Ya le enviamos varios códigos en la última hora. Use el último que recibió o "
    "vuelva a intentarlo más tarde."
)


class EnrollmentCodeError(Exception):
    """An enrolment code that can't be sent or accepted; the message is for the user."""


def enrollment_code_send(*, user: Any) -> str:
    """Email a new enrolment code to the staff member's address; returns it masked."""
    if not user.email:
        raise EnrollmentCodeError(NO_EMAIL)
    with transaction.atomic():
        # Serialise with other sends of this user, so the hourly cap holds under races.
        User.objects.select_for_update().filter(pk=user.pk).first()
        sent = registration_services.codes_issued_last_hour(
            purpose=CodePurpose.STAFF_ENROLL, user=user
        )
        if sent >= settings.ECUAPASS_CODES_PER_HOUR:
            raise EnrollmentCodeError(TOO_MANY_CODES)
        registration_services.code_issue(
            purpose=CodePurpose.STAFF_ENROLL, email=user.email, user=user
        )
    return str(registration_services.mask_email(user.email))


def enrollment_code_check(*, user: Any, code: str) -> None:
    """Use up the user's live enrolment code if `code` is it; else the Spanish reason."""
    result, _ = registration_services.code_check(
        purpose=CodePurpose.STAFF_ENROLL, code=code, user=user
    )
    if result != registration_services.CodeCheck.OK:
        raise EnrollmentCodeError(registration_services.CHECK_MESSAGES[result])


def recovery_codes_issue(*, user: Any) -> list[str]:
    """New recovery codes for the user (earlier ones stop working); shown once by the caller."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def normalize_recovery_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def recovery_codes_left(*, user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def second_factor_forget(*, user: Any) -> int:
    """Delete the user's authenticator and recovery codes (a reset); how many devices went."""
    totp_deleted, _ = StaffTOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    return int(totp_deleted)
