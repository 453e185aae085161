"""Email confirmation and expiry through a real Celery worker, Redis and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from registration import services
from registration.models import CodePurpose, RegistrationRequest, RequestStatus
from tests.conftest import WorkerProcess, state_changes, wait_for_status
from tests.environment import JOB_QUEUE
from tests.support.status_access import status_client, status_path
from workflow.tasks import sweep_waiting_requests

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_confirming_the_email_lets_the_worker_verify_the_certificate(
    celery_worker: WorkerProcess,
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
) -> None:
    request = submit(good_certificate, confirm=False)
    code = request.codes.get(purpose=CodePurpose.EMAIL_CONFIRM)
    response = status_client(request).post(
        status_path(request) + "confirmar-correo/",
        {"codigo": services.code_value(code)},
    )
    assert response.status_code == 302
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    assert state_changes(request) == ["submitted", "certificate_verified"]
    assert not mail.outbox  # the worker sent the code email in its own process


def test_the_beat_sweep_expires_an_unconfirmed_request_on_the_worker(
    celery_worker: WorkerProcess,
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    settings: object,
) -> None:
    request = submit(good_certificate, confirm=False)
    hours = settings.ECUAPASS_EMAIL_CONFIRM_EXPIRY_HOURS + 1  # type: ignore[attr-defined]
    RegistrationRequest.objects.filter(pk=request.pk).update(
        status_changed_at=timezone.now() - timedelta(hours=hours)
    )
    sweep_waiting_requests.apply_async(queue=JOB_QUEUE)  # as beat sends it
    wait_for_status(request, RequestStatus.EXPIRED)
    assert request.process.status == "DONE"
    assert state_changes(request) == ["submitted", "expired"]
