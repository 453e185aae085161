"""An applicant corrects an observed request in the browser; the reviewer sees the change."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from viewflow.workflow.models import Task

from approvals import services as approval_services
from registration import services
from registration.models import CodePurpose, RegistrationRequest, RequestStatus, User
from tests.conftest import run_pending_jobs
from tests.support.status_access import link_path, status_path
from workflow.flows.representante import RepresentanteFlow

pytestmark = pytest.mark.django_db(transaction=True)


def _review_task(request: RegistrationRequest) -> Task:
    return Task.objects.filter(
        process__registrationprocess__request=request, flow_task=RepresentanteFlow.review
    ).latest("pk")


def test_only_the_observed_email_can_be_changed_and_must_be_confirmed_again(
    chromium: Any,
    live_server: Any,
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
    screenshots: Path,
) -> None:
    request = submit(good_certificate)
    run_pending_jobs(request)
    task = _review_task(request)
    approval_services.review_take(task_pk=task.pk, actor=reviewer)
    approval_services.review_decide(
        task_pk=task.pk,
        actor=reviewer,
        decision=approval_services.Decision.OBSERVE,
        comment="El correo no corresponde a la empresa.",
        observed_items=["email"],
    )
    context = chromium.new_context(locale="es-EC")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}{link_path(request)}")
        assert "Debe corregir: Correo Electrónico" in page.content()
        page.get_by_role("link", name="Corregir la solicitud").click()
        # The link only shows the request; changing it needs the code sent to its email.
        page.get_by_role("heading", name="Confirme que es usted").wait_for()
        page.get_by_role("button", name=re.compile("^Enviar código a")).click()
        page.get_by_text("Le enviamos un código a j***@example.com").wait_for()
        access_code = request.codes.filter(purpose=CodePurpose.CORRECTION).first()
        assert access_code is not None and access_code.email == "jperez@example.com"
        page.get_by_label("Código de confirmación").fill(services.code_value(access_code))
        page.get_by_role("button", name="Continuar a la corrección").click()
        page.get_by_text("El correo no corresponde a la empresa.").first.wait_for()
        assert page.get_by_label("RUC empresa", exact=True).is_disabled()
        email = page.get_by_label(re.compile(r"^Correo Electrónico Corrija este dato"))
        assert email.is_enabled()
        email.fill("jperez@andina.com.ec")
        page.get_by_label("Confirmación de correo electrónico").fill("jperez@andina.com.ec")
        page.screenshot(path=str(screenshots / "correccion-01-solo-correo.png"), full_page=True)
        page.get_by_role("button", name="Enviar corrección").click()
        page.get_by_role("heading", name="Confirme su correo electrónico").wait_for()

        request.refresh_from_db()
        assert request.email == "jperez@andina.com.ec" and request.status == RequestStatus.SUBMITTED
        code = request.codes.filter(purpose=CodePurpose.EMAIL_CONFIRM).first()
        assert code is not None and code.email == "jperez@andina.com.ec"
        page.get_by_label("Código de confirmación").fill(services.code_value(code))
        page.get_by_role("button", name="Confirmar correo").click()
        page.get_by_text("Correo confirmado").wait_for()
        assert page.url == f"{live_server.url}{status_path(request)}"
    finally:
        context.close()

    run_pending_jobs(request)
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED
    task = _review_task(request)
    assert task.owner_id == reviewer.pk  # back to the reviewer who observed it
    assert request.versions.count() == 2
