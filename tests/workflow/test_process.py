"""The Representante process end to end, with a real Celery worker, Redis and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.test import Client
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.models import RejectionReason
from registration import selectors as registration_selectors
from registration.models import RegistrationRequest, RequestStatus, User
from tests.conftest import (
    PASSWORD,
    WorkerProcess,
    state_changes,
    verified_login,
    wait_for,
    wait_for_status,
)
from tests.environment import TEST_REDIS_URL
from tests.support import pki
from tests.support.status_access import (
    correct_path,
    correction_client,
    status_client,
    status_path,
)
from workflow.flows.representante import RepresentanteFlow
from workflow.tasks import run_flow_job

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def logged_in(user: User) -> Client:
    return verified_login(Client(), user)


def review_task(request: RegistrationRequest) -> Task:
    return Task.objects.get(
        process__registrationprocess__request=request,
        flow_task=RepresentanteFlow.review,
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def decide(client: Client, task: Task, decision: str, comment: str = "", **extra: Any) -> Any:
    """Take, then decide with the confirm step, through the reviewer pages."""
    assert client.post(f"/revision/tarea/{task.pk}/tomar/").status_code == 302
    data = {"decision": decision, "comment": comment, **extra}
    confirm_page = client.post(f"/revision/tarea/{task.pk}/decidir/", data)
    assert confirm_page.status_code == 200
    assert "Confirmar" in confirm_page.content.decode()
    return client.post(f"/revision/tarea/{task.pk}/decidir/", {**data, "confirm": "True"})


def test_submit_verify_approve_activate_login(
    celery_worker: WorkerProcess,
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
) -> None:
    request = submit(good_certificate)
    assert request.tracking_number.startswith("SOL-")
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)

    reviewer_client = logged_in(reviewer)
    queue = reviewer_client.get("/revision/")
    assert request.tracking_number in queue.content.decode()
    response = decide(reviewer_client, review_task(request), "approve")
    assert response.status_code == 302

    wait_for_status(request, RequestStatus.ACTIVE)
    assert state_changes(request) == [
        "submitted",
        "certificate_verified",
        "company_approved",
        "active",
    ]
    applicant = Client()
    login = applicant.post("/iniciar-sesion/", {"username": "jperez01", "password": PASSWORD})
    assert login.status_code == 302
    page = applicant.get("/mi-pagina/")
    assert "jperez01" in page.content.decode()
    assert request.process.status == STATUS.DONE


def test_observe_correct_verify_again_approve(
    celery_worker: WorkerProcess,
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
) -> None:
    request = submit(good_certificate)
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    reviewer_client = logged_in(reviewer)
    decide(
        reviewer_client,
        review_task(request),
        "observe",
        "La dirección de la empresa está incompleta.",
        observed_items=["direccion_empresa"],
    )
    wait_for_status(request, RequestStatus.OBSERVED)
    assert request.observed_items == ["direccion_empresa"]

    applicant = status_client(request)
    status_page = applicant.get(status_path(request))
    assert "La dirección de la empresa está incompleta." in status_page.content.decode()
    correction_client(request, applicant)
    correction = applicant.post(
        correct_path(request),
        {
            "ruc": request.ruc,
            "razon_social": request.razon_social,
            "direccion_empresa": "Av. Amazonas N24-03 y Colón, Edificio Andino, piso 4, Quito",
            "telefono_empresa": "022345678",
            "cedula": request.cedula,
            "nombre_usuario": request.nombre_usuario,
            "email": request.email,
        },
    )
    assert correction.status_code == 302, correction.content.decode()[:2000]
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    assert request.company_details.direccion_empresa.endswith("piso 4, Quito")

    decide(reviewer_client, review_task(request), "approve")
    wait_for_status(request, RequestStatus.ACTIVE)
    statuses = state_changes(request)
    assert statuses == [
        "submitted",
        "certificate_verified",
        "observed",
        "submitted",
        "certificate_verified",
        "company_approved",
        "active",
    ]


def test_reject_with_reason(
    celery_worker: WorkerProcess,
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
) -> None:
    request = submit(good_certificate)
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    reason = RejectionReason.objects.get(text__startswith="La empresa no tiene autorización")
    decide(
        logged_in(reviewer), review_task(request), "reject", "Vencida en 2025.", reason=reason.pk
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert request.rejection_reason == f"{reason.text}. Vencida en 2025."
    assert request.process.status == STATUS.DONE
    assert not User.objects.filter(username="jperez01").exists()
    page = status_client(request).get(status_path(request))
    assert "Vencida en 2025." in page.content.decode()


def test_cedula_mismatch_fails_verification_with_reason(
    celery_worker: WorkerProcess,
    submit: Callable[..., RegistrationRequest],
    test_ca: pki.CertificateAndKey,
) -> None:
    other_person = pki.make_leaf(test_ca, cedula="0926687856", ruc=pki.COMPANY_RUC)
    request = submit(pki.to_der(other_person[0]), signer=other_person)
    wait_for_status(request, RequestStatus.VERIFICATION_FAILED)
    reasons = registration_selectors.request_verification_reasons(request=request)
    assert any("0926687856" in r and pki.DEFAULT_CEDULA in r for r in reasons), reasons
    page = status_client(request).get(status_path(request))
    body = page.content.decode()
    assert "Verificación de certificado fallida" in body
    assert "0926687856" in body
    assert not Task.objects.filter(flow_task=RepresentanteFlow.review).exists()


def test_job_delivered_twice_changes_nothing(
    celery_worker: WorkerProcess,
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
) -> None:
    request = submit(good_certificate)
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    job = Task.objects.get(
        process__registrationprocess__request=request,
        flow_task=RepresentanteFlow.verify_certificate,
    )
    assert job.status == STATUS.DONE
    events_before = request.events.count()
    tasks_before = Task.objects.filter(process__registrationprocess__request=request).count()

    from django.conf import settings

    for _ in range(2):
        run_flow_job.apply_async(args=(job.pk,), queue=settings.ECUAPASS_JOB_QUEUE)
    # A marker job sent after the duplicates: once it has run, so have they.
    marker = run_flow_job.apply_async(args=(-1,), queue=settings.ECUAPASS_JOB_QUEUE)
    wait_for(lambda: f"{marker.id}] succeeded" in celery_worker.log.read_text(), what="marker job")

    request.refresh_from_db()
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED
    assert request.events.count() == events_before
    assert (
        Task.objects.filter(process__registrationprocess__request=request).count() == tasks_before
    )


def test_transient_failure_is_retried_with_backoff(
    reference_data: None,
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    artifacts_dir: Path,
    settings: Any,
) -> None:
    """The flow lock is held elsewhere: the job gives up the attempt, retries later, succeeds."""
    queue = f"retry-{uuid.uuid4().hex[:8]}"
    settings.ECUAPASS_JOB_QUEUE = queue
    request = submit(good_certificate)  # the message waits: nobody consumes `queue` yet
    process_pk = request.process.pk

    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]
    ) as holder:
        # The row viewflow's select_for_update_lock takes for this flow's process class.
        holder.execute(
            "SELECT 1 FROM approvals_registrationprocess WHERE process_ptr_id = %s FOR UPDATE",
            (process_pk,),
        )
        worker = WorkerProcess(
            broker_url=TEST_REDIS_URL, queue=queue, log=artifacts_dir / "celery-worker-retry.log"
        )
        try:
            wait_for(
                lambda: "Retry in" in worker.log.read_text(),
                timeout=60,
                what="the job to schedule a retry",
            )
            request.refresh_from_db()
            assert request.status == RequestStatus.SUBMITTED
            holder.rollback()  # the lock is released
            wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED, timeout=90)
        finally:
            worker.stop()
    assert "FlowLockFailed" in worker.log.read_text()
