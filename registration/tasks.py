"""Celery adapters for the applicant side."""

from __future__ import annotations

from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings

from registration import services


@shared_task(acks_late=True)
def purge_stale_staged_certificates() -> int:
    return services.staged_certificates_purge(
        older_than=timedelta(seconds=settings.SESSION_COOKIE_AGE)
    )


@shared_task(acks_late=True)
def reverify_certificates() -> dict[str, int]:
    summary = services.certificates_reverify()
    return {"checked": summary.checked, "warned": summary.warned, "disabled": summary.disabled}


@shared_task(bind=True, acks_late=True, max_retries=5)
def deliver_notification(self: Task, notification_id: int) -> None:
    try:
        services.notification_deliver(notification_id=notification_id)
    except OSError as exc:  # SMTP or SMS gateway briefly unavailable
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc


@shared_task(acks_late=True)
def resend_pending_notifications() -> int:
    """Enqueue again what never reached the broker: notifications, codes, account notices."""
    return (
        services.notifications_resend_pending()
        + services.codes_resend_unsent()
        + services.account_notices_resend_pending()
    )


@shared_task(bind=True, acks_late=True, max_retries=5)
def send_one_time_code(self: Task, code_id: int) -> None:
    try:
        services.code_send(code_id=code_id)
    except OSError as exc:  # SMTP briefly unavailable; the service gave the claim back
        raise self.retry(exc=exc, countdown=15 * 2**self.request.retries) from exc


@shared_task(bind=True, acks_late=True, max_retries=5)
def send_account_notice(self: Task, notice_id: int) -> None:
    """Account notices (Mi página, Buscar ID, Reinicio de clave); the row's claim sends it once."""
    try:
        services.account_notice_send(notice_id=notice_id)
    except OSError as exc:  # SMTP briefly unavailable; the service gave the claim back
        raise self.retry(exc=exc, countdown=15 * 2**self.request.retries) from exc


@shared_task(acks_late=True)
def purge_old_codes_and_notices() -> dict[str, int]:
    return {"codes": services.codes_purge(), "notices": services.account_notices_purge()}
