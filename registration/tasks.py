"""Celery adapters for the applicant side."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
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
