"""The Celery app: delivery guarantees and the one place periodic work is declared."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow.settings")

app = Celery("workflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # No request is lost: a message is acknowledged only once its task has
    # finished, and re-queued if the worker process running it dies.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_soft_time_limit=120,
    task_time_limit=180,
    task_ignore_result=True,
    task_serializer="json",
    accept_content=["json"],
    # Publishing must not hang a web request when the broker is down: fail
    # fast; the sweep re-enqueues what could not be sent.
    task_publish_retry=True,
    task_publish_retry_policy={
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    },
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    timezone="UTC",
    enable_utc=True,
)
app.autodiscover_tasks(["registration", "workflow"])

# Periodic work, all of it, declared here.
app.conf.beat_schedule = {
    "re-enqueue-stalled-jobs": {
        "task": "workflow.tasks.sweep_stalled_jobs",
        "schedule": float(os.environ.get("ECUAPASS_SWEEP_INTERVAL", "60")),
    },
    "reverify-active-certificates": {
        "task": "registration.tasks.reverify_certificates",
        "schedule": 24 * 3600.0,
    },
    "resend-pending-notifications": {
        "task": "registration.tasks.resend_pending_notifications",
        "schedule": 300.0,
    },
    "remind-and-expire-waiting-requests": {
        "task": "workflow.tasks.sweep_waiting_requests",
        "schedule": float(os.environ.get("ECUAPASS_WAITING_SWEEP_INTERVAL", "900")),
    },
    "purge-old-codes-and-notices": {
        "task": "registration.tasks.purge_old_codes_and_notices",
        "schedule": 24 * 3600.0,
    },
    "purge-stale-staged-certificates": {
        "task": "registration.tasks.purge_stale_staged_certificates",
        "schedule": 6 * 3600.0,
    },
    "annual-data-update": {
        "task": "registration.tasks.annual_update_sweep",
        "schedule": 6 * 3600.0,  # idempotent: each notice is written once per user and year
    },
    "clear-expired-sessions": {
        "task": "registration.tasks.clear_expired_sessions",
        "schedule": 3600.0,
    },
}
