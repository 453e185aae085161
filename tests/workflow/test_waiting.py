"""Requests waiting for their applicant: one reminder, then expiry; corrections go back to
the reviewer who observed them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import services as approval_services
from registration import services
from registration.kinds import declaration_for, field_value
from registration.models import Notification, RegistrationRequest, RequestStatus, User
from tests.conftest import run_pending_jobs, state_changes
from tests.support.status_access import status_client, status_path
from workflow import services as process_services
from workflow.flows.representante import RepresentanteFlow

pytestmark = pytest.mark.django_db


def _age(request: RegistrationRequest, **delta: float) -> None:
    """Pretend the request entered its state this long ago."""
    RegistrationRequest.objects.filter(pk=request.pk).update(
        status_changed_at=timezone.now() - timedelta(**delta)
    )


def _task(request: RegistrationRequest, node: object) -> Task:
    return Task.objects.filter(
        process__registrationprocess__request=request, flow_task=node
    ).latest("pk")


def _observe(request: RegistrationRequest, reviewer: User, items: list[str]) -> None:
    run_pending_jobs(request)
    task = _task(request, RepresentanteFlow.review)
    approval_services.review_take(task_pk=task.pk, actor=reviewer)
    approval_services.review_decide(
        task_pk=task.pk,
        actor=reviewer,
        decision=approval_services.Decision.OBSERVE,
        comment="Corrija la dirección.",
        observed_items=items,
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.OBSERVED


def _correct(request: RegistrationRequest) -> None:
    data = services.CorrectionData(
        **{
            name: field_value(request, name)
            for name in declaration_for(request.kind).correctable_fields
        },
    )
    process_services.correction_submit(request=request, data=data)
    request.refresh_from_db()


def test_an_unconfirmed_request_is_reminded_once_then_expires(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, settings: object
) -> None:
    request = submit(good_certificate, confirm=False)
    assert process_services.waiting_sweep() == {"reminded": 0, "expired": 0}  # too early

    _age(request, hours=settings.ECUAPASS_EMAIL_CONFIRM_REMINDER_HOURS + 1)  # type: ignore[attr-defined]
    assert process_services.waiting_sweep() == {"reminded": 1, "expired": 0}
    assert process_services.waiting_sweep() == {"reminded": 0, "expired": 0}  # once only
    reminder = Notification.objects.get(request=request, kind="reminder")
    assert "confirme su correo" in reminder.body and request.tracking_number in reminder.body

    _age(request, hours=settings.ECUAPASS_EMAIL_CONFIRM_EXPIRY_HOURS + 1)  # type: ignore[attr-defined]
    assert process_services.waiting_sweep() == {"reminded": 0, "expired": 1}
    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED
    assert state_changes(request) == ["submitted", "expired"]
    assert request.process.status == STATUS.DONE
    assert _task(request, RepresentanteFlow.expired).status == STATUS.DONE
    assert Notification.objects.filter(request=request, kind="expired").count() == 1
    assert process_services.waiting_sweep() == {"reminded": 0, "expired": 0}

    # The ID. usuario and cédula are free again for a new request.
    assert services.availability_errors(id_usuario=request.id_usuario, cedula=request.cedula) == {}
    # A code that arrives late changes nothing, and the applicant is told why.
    late = status_client(request)
    page = late.post(
        status_path(request) + "confirmar-correo/",
        {"codigo": "123456"},
    )
    assert page.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED and request.email_confirmed_at is None
    status_page = late.get(page["Location"]).content.decode()
    assert "caducó porque no se completó a tiempo" in status_page
    assert "ya no espera la confirmación del correo" in status_page
    assert "ya está confirmado" not in status_page
    assert "registrar una nueva solicitud" in status_page


def test_an_observed_request_is_reminded_before_it_expires(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
    settings: object,
) -> None:
    request = submit(good_certificate)
    _observe(request, reviewer, ["direccion_empresa"])
    expiry = settings.ECUAPASS_CORRECTION_EXPIRY_DAYS  # type: ignore[attr-defined]
    before = settings.ECUAPASS_CORRECTION_REMINDER_DAYS_BEFORE  # type: ignore[attr-defined]

    _age(request, days=expiry - before - 1)
    assert process_services.waiting_sweep() == {"reminded": 0, "expired": 0}
    _age(request, days=expiry - before + 0.5)
    assert process_services.waiting_sweep() == {"reminded": 1, "expired": 0}
    reminder = Notification.objects.get(request=request, kind="reminder")
    assert "espera sus correcciones" in reminder.body
    status_page = status_client(request).get(status_path(request))
    assert "Plazo para corregir" in status_page.content.decode()
    assert "Debe corregir: Dirección de empresa" in status_page.content.decode()

    _age(request, days=expiry + 0.5)
    assert process_services.waiting_sweep() == {"reminded": 0, "expired": 1}
    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED
    assert "no fue corregida a tiempo" in request.events.last().comment  # type: ignore[union-attr]
    with pytest.raises(services.TransitionNotAllowed):
        _correct(request)


def test_a_correction_restarts_the_clock_and_earns_a_new_reminder(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
    settings: object,
) -> None:
    request = submit(good_certificate)
    _observe(request, reviewer, ["direccion_empresa"])
    _age(request, days=settings.ECUAPASS_CORRECTION_EXPIRY_DAYS - 2)  # type: ignore[attr-defined]
    assert process_services.waiting_sweep()["reminded"] == 1
    _correct(request)
    assert request.status == RequestStatus.SUBMITTED and request.reminder_sent_at is None
    run_pending_jobs(request)
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED
    assert process_services.waiting_sweep() == {"reminded": 0, "expired": 0}


def test_expiry_loses_to_a_correction_that_came_first(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
    settings: object,
) -> None:
    request = submit(good_certificate)
    _observe(request, reviewer, ["direccion_empresa"])
    stale = RegistrationRequest.objects.get(pk=request.pk)  # what the sweep loaded
    _correct(request)
    assert process_services.waiting_request_expire(request=stale) is False
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_a_corrected_request_goes_back_to_the_reviewer_who_observed_it(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
) -> None:
    request = submit(good_certificate)
    _observe(request, reviewer, ["direccion_empresa"])
    _correct(request)
    run_pending_jobs(request)
    task = _task(request, RepresentanteFlow.review)
    assert task.status == STATUS.ASSIGNED and task.owner_id == reviewer.pk
    assert f"Vuelve a {reviewer.username}" in request.events.last().comment  # type: ignore[union-attr]
    approval_services.review_decide(
        task_pk=task.pk, actor=reviewer, decision=approval_services.Decision.APPROVE
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPANY_APPROVED


def test_if_that_reviewer_is_gone_the_correction_waits_in_the_shared_queue(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
) -> None:
    request = submit(good_certificate)
    _observe(request, reviewer, ["direccion_empresa"])
    User.objects.filter(pk=reviewer.pk).update(is_active=False)
    _correct(request)
    run_pending_jobs(request)
    task = _task(request, RepresentanteFlow.review)
    assert task.status == STATUS.NEW and task.owner_id is None


def test_a_changed_email_is_confirmed_again_before_verification(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
) -> None:
    request = submit(good_certificate)
    _observe(request, reviewer, ["email"])
    data = services.CorrectionData(
        **{
            **{
                name: field_value(request, name)
                for name in declaration_for(request.kind).correctable_fields
            },
            "email": "nuevo.correo@example.com",
        }
    )
    process_services.correction_submit(request=request, data=data)
    request.refresh_from_db()
    assert request.email == "nuevo.correo@example.com" and request.email_confirmed_at is None
    assert _task(request, RepresentanteFlow.confirm_email).status == STATUS.NEW
    code = request.codes.filter(email="nuevo.correo@example.com").first()
    assert code is not None
    assert (
        process_services.email_confirm_submit(request=request, code=services.code_value(code))
        == services.CodeCheck.OK
    )
    run_pending_jobs(request)
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED


def test_the_waiting_sweep_is_scheduled_under_beat() -> None:
    from workflow.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "workflow.tasks.sweep_waiting_requests" in tasks
