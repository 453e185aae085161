"""Celery adapters for the applicant side."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.management import call_command

from registration import services


@shared_task(acks_late=True)
def purge_stale_staged_certificates() -> int:
    return services.staged_certificates_purge(
        older_than=timedelta(seconds=settings.SESSION_COOKIE_AGE)
    )


@shared_task(acks_late=True)
def clear_expired_sessions() -> None:
    """Django's `clearsessions`: the database session backend never deletes expired rows itself."""
    call_command("clearsessions")


@shared_task(acks_late=True)
def reverify_certificates() -> dict[str, int]:
    summary = services.certificates_reverify()
    return {"checked": summary.checked, "warned": summary.warned, "disabled": summary.disabled}


@shared_task(acks_late=True)
def annual_update_sweep(today: str = "") -> dict[str, Any]:
    """Daily (beat): remind, or from the deadline on disable, each user who owes the annual
    data update, one task per user. ``today`` (YYYY-MM-DD) defaults to the local date."""
    day = date.fromisoformat(today) if today else services.local_today()
    year, kind, users = services.sweep_actions(today=day)
    for user_id in users:
        annual_update_notice.delay(user_id, year, kind, day.isoformat())
    return {"year": year, "kind": kind, "users": len(users)}


@shared_task(acks_late=True)
def annual_update_notice(user_id: int, year: int, kind: str, today: str) -> bool:
    return services.annual_notice_send(
        user_id=user_id, year=year, kind=kind, today=date.fromisoformat(today)
    )


# SMTP or the SMS gateway briefly unavailable (OSError): retried with backoff; the
# services gave their claim back, so the retry sends what the failed try did not.
SEND_RETRY: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (OSError,),
    "max_retries": 5,
    "retry_jitter": False,
}


@shared_task(**SEND_RETRY, retry_backoff=30)
def deliver_notification(notification_id: int) -> None:
    services.notification_deliver(notification_id=notification_id)


@shared_task(acks_late=True)
def resend_pending_notifications() -> int:
    """Enqueue again what never reached the broker: notifications, codes, account notices."""
    return (
        services.notifications_resend_pending()
        + services.codes_resend_unsent()
        + services.account_notices_resend_pending()
    )


@shared_task(**SEND_RETRY, retry_backoff=15)
def send_one_time_code(code_id: int) -> None:
    services.code_send(code_id=code_id)


@shared_task(**SEND_RETRY, retry_backoff=15)
def send_account_notice(notice_id: int) -> None:
    """Account notices (Mi página, Buscar ID, Reinicio de clave); the row's claim sends it once."""
    services.account_notice_send(notice_id=notice_id)


@shared_task(acks_late=True)
def purge_old_codes_and_notices() -> dict[str, int]:
    return {"codes": services.codes_purge(), "notices": services.account_notices_purge()}


# Buscar ID and Reinicio de clave (step 1) run here whether or not an account matches,
# so the page's answer time says nothing. Not acks_late: a redelivered job would mail twice.
@shared_task
def lookup_user_id(cedula: str, email: str, source_ip: str | None) -> None:
    services.user_id_lookup(cedula=cedula, email=email, source_ip=source_ip)


@shared_task
def request_password_reset(username: str, source_ip: str | None) -> None:
    services.password_reset_request(username=username, source_ip=source_ip)
