"""Buscar ID and Reinicio de clave: answers that never tell whether an account exists.

Every attempt writes an `AccountEvent` (with the user when one matched, the
subject masked). Emails are account notices (`account_notice_queue`): a row
written with the change, emailed once after commit, re-sent by the beat job if
the broker never got it. A password is reset only with a one-time code sent to
the registered email *and* the three security answers, within a short window
after the code, for a bounded number of wrong answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import transaction

from registration import selectors
from registration.models import (
    AccountAction,
    AccountEvent,
    CodePurpose,
    OneTimeCode,
    User,
)
from registration.services.account import SUPPORT_PHONE
from registration.services.codes import (
    CodeCheck,
    code_check,
    code_check_unowned,
    code_issue,
    codes_issued_last_hour,
    mask_email,
)
from registration.services.common import local_time_text
from registration.services.notices import account_event_record, account_notice_queue
from registration.services.secrets import normalize_security_answer

logger = logging.getLogger(__name__)

# The outcome that counts a wrong set of answers against the verified code.
ANSWERS_WRONG = "respuestas incorrectas"

ID_REMINDER_SUBJECT = "ECUAPASS: su ID. usuario"
ID_REMINDER_BODY = (
    "Su ID. usuario de ECUAPASS es: {username}\n\n"
    "Lo enviamos porque alguien lo pidió en «Buscar ID» con su Doc. Identificación y "
    "este correo. Si no fue usted, ignore este mensaje: su cuenta no cambia."
)
RESET_NOTICE_SUBJECT = "ECUAPASS: su clave fue cambiada"
RESET_NOTICE_BODY = (
    "La clave del ID. usuario {username} de ECUAPASS fue cambiada con «Reinicio de clave» "
    "el {when}.\n\n"
    "Si usted no hizo este cambio, llame de inmediato a Soporte al Cliente: {phone}."
)


class ResetOutcome(StrEnum):
    DONE = "done"
    ALREADY_DONE = "already_done"  # a repeated submit of the form that reset it
    WRONG_ANSWERS = "wrong_answers"
    LOCKED = "locked"  # too many wrong answers for this code: a new code is needed
    EXPIRED = "expired"  # no verified code, or verified too long ago


@dataclass(frozen=True)
class ResetResult:
    outcome: ResetOutcome
    attempts_left: int = 0


# --- Buscar ID ----------------------------------------------------------------------


def _run_as_job(task: Any, body: Callable[[], None], *args: object) -> None:
    """Send the work to a worker after commit; if the broker is down, do it here instead.

    Buscar ID and Reinicio de clave (step 1) hand their work to a job whether or
    not an account matches, so the page does the same work either way and its
    answer time says nothing about who is registered.
    """

    def enqueue() -> None:
        try:
            task.apply_async(args=args)
        except Exception:  # broker down: the applicant still gets the email (later)
            logger.warning("Could not enqueue %s; running it in the request", task.name)
            body()

    transaction.on_commit(enqueue)


def user_id_lookup_start(*, cedula: str, email: str, source_ip: str | None) -> None:
    """Buscar ID from the page: `user_id_lookup` runs as a job, matched or not."""
    from registration.tasks import lookup_user_id

    _run_as_job(
        lookup_user_id,
        lambda: user_id_lookup(cedula=cedula, email=email, source_ip=source_ip),
        cedula,
        email,
        source_ip,
    )


@transaction.atomic
def user_id_lookup(*, cedula: str, email: str, source_ip: str | None) -> None:
    """Email the ID. usuario to the registered address if cédula and email match an active user."""
    user = selectors.user_for_id_lookup(cedula=cedula, email=email)
    account_event_record(
        action=AccountAction.ID_LOOKUP,
        user=user,
        subject=f"cédula {cedula}, correo {mask_email(email)}",
        outcome="ID. usuario enviado" if user else "sin coincidencia",
        source_ip=source_ip,
    )
    if user is not None:
        account_notice_queue(
            user=user,
            to=user.email,
            subject=ID_REMINDER_SUBJECT,
            body=ID_REMINDER_BODY.format(username=user.username),
        )


# --- Reinicio de clave --------------------------------------------------------------


def password_reset_request_start(*, username: str, source_ip: str | None) -> None:
    """Reinicio de clave step 1 from the page: `password_reset_request` runs as a job."""
    from registration.tasks import request_password_reset

    _run_as_job(
        request_password_reset,
        lambda: password_reset_request(username=username, source_ip=source_ip),
        username,
        source_ip,
    )


@transaction.atomic
def password_reset_request(*, username: str, source_ip: str | None) -> None:
    """Send a reset code to the registered email of this ID. usuario, if it can reset online.

    At most ECUAPASS_CODES_PER_HOUR codes an hour reach one user, however many
    clients ask (the per-client rate limit alone lets rotating clients flood a mailbox).
    """
    user = selectors.user_for_password_reset(username=username)
    if user is not None:  # one job at a time per user: concurrent ones can't both pass the cap
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
    capped = (
        user is not None
        and codes_issued_last_hour(purpose=CodePurpose.PASSWORD_RESET, user=user)
        >= settings.ECUAPASS_CODES_PER_HOUR
    )
    if user is None:
        outcome = "sin coincidencia"
    elif capped:
        outcome = "límite de códigos por hora: no se envió"
    else:
        outcome = f"código enviado a {mask_email(user.email)}"
    account_event_record(
        action=AccountAction.RESET_REQUESTED,
        user=user,
        subject=f"ID. usuario {username}",
        outcome=outcome,
        source_ip=source_ip,
    )
    if user is not None and not capped:
        code_issue(purpose=CodePurpose.PASSWORD_RESET, email=user.email, user=user)


@transaction.atomic
def password_reset_code_verify(*, username: str, code: str, source_ip: str | None) -> int | None:
    """The id of the code it uses up if `code` is this ID's live reset code; else None.

    An unknown ID counts as a missing code: the caller learns nothing more.
    """
    user = selectors.user_for_password_reset(username=username)
    row: OneTimeCode | None = None
    if user is None:
        # The same statements as a check against a real owner's codes (see code_check).
        result = code_check_unowned(purpose=CodePurpose.PASSWORD_RESET, code=code)
    else:
        result, row = code_check(purpose=CodePurpose.PASSWORD_RESET, code=code, user=user)
    if result == CodeCheck.OK and row is not None:
        account_event_record(
            action=AccountAction.RESET_REQUESTED,
            user=user,
            subject=f"ID. usuario {username}",
            outcome="código verificado",
            source_ip=source_ip,
        )
        return row.pk
    account_event_record(
        action=AccountAction.RESET_FAILED,
        user=user,
        subject=f"ID. usuario {username}",
        outcome=f"código {result.value}" if user else "código: sin coincidencia",
        source_ip=source_ip,
    )
    return None


def _answers_match(hashes: Sequence[str], answers: Sequence[str]) -> bool:
    # Every answer is checked, so the time taken says nothing about which one failed.
    results = [
        check_password(normalize_security_answer(answer), answer_hash)
        for answer, answer_hash in zip(answers, hashes, strict=True)
    ]
    return all(results)


@transaction.atomic
def password_reset_complete(
    *, code_id: int, answers: Sequence[str], password: str, source_ip: str | None
) -> ResetResult:
    """Set the new password if the code was verified recently and all three answers match.

    The used code row is locked, so wrong answers are counted exactly and a
    double submit resets once. The password is validated by the form.
    """
    limit = settings.ECUAPASS_RESET_ANSWER_ATTEMPTS
    locked = (
        OneTimeCode.objects.select_for_update()
        .filter(
            pk=code_id,
            purpose=CodePurpose.PASSWORD_RESET,
            used__isnull=False,
            user__isnull=False,
        )
        .first()
    )
    if locked is None or locked.used is None or locked.user_id is None:
        return ResetResult(ResetOutcome.EXPIRED)
    code = selectors.password_reset_verified_code(code_id=code_id)
    if code is None or code.user is None or code.used is None:
        already = AccountEvent.objects.filter(
            user_id=locked.user_id, action=AccountAction.RESET_DONE, created__gte=locked.used
        ).exists()
        return ResetResult(ResetOutcome.ALREADY_DONE if already else ResetOutcome.EXPIRED)
    user = code.user
    subject = f"ID. usuario {user.username}"
    failures = AccountEvent.objects.filter(
        user=user, action=AccountAction.RESET_FAILED, outcome=ANSWERS_WRONG, created__gte=code.used
    ).count()
    if failures >= limit:
        return ResetResult(ResetOutcome.LOCKED)
    holder = selectors.user_active_request(user=user)
    if holder is None:
        return ResetResult(ResetOutcome.EXPIRED)
    hashes = (holder.answer1_hash, holder.answer2_hash, holder.answer3_hash)
    if not _answers_match(hashes, answers):
        account_event_record(
            action=AccountAction.RESET_FAILED,
            user=user,
            subject=subject,
            outcome=ANSWERS_WRONG,
            source_ip=source_ip,
        )
        left = limit - failures - 1
        return ResetResult(ResetOutcome.WRONG_ANSWERS if left > 0 else ResetOutcome.LOCKED, left)
    user.set_password(password)
    user.save(update_fields=["password"])
    # A user locked out by wrong passwords can log in with the new one right away.
    axes_reset(username=user.username)
    account_event_record(
        action=AccountAction.RESET_DONE,
        user=user,
        subject=subject,
        outcome="clave cambiada",
        source_ip=source_ip,
    )
    account_notice_queue(
        user=user,
        to=user.email,
        subject=RESET_NOTICE_SUBJECT,
        body=RESET_NOTICE_BODY.format(
            username=user.username,
            when=local_time_text(),
            phone=SUPPORT_PHONE,
        ),
    )
    return ResetResult(ResetOutcome.DONE)
