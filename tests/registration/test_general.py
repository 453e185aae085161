"""Solicitud del uso (General): the person's block alone, active once the email is confirmed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from viewflow.workflow.models import Process

from registration import services
from registration.models import (
    CertificateFile,
    OceRow,
    RegistrationRequest,
    RequestKind,
    RequestStatus,
    User,
)
from tests.conftest import (
    PASSWORD,
    WorkerProcess,
    confirm_email,
    form_data,
    person_fields,
    run_pending_jobs,
    wait_for_status,
)
from tests.support import pki
from workflow import services as process_services
from workflow.flows.general import GeneralFlow

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

URL = "/solicitud-del-uso/general/"


def general_form(client: Client, **overrides: Any) -> dict[str, Any]:
    page = client.get(URL).content.decode()
    token = re.search(r'name="submission_token" value="([^"]+)"', page)
    assert token is not None
    data: dict[str, Any] = {
        **person_fields(),
        "submission_token": token.group(1),
        "id_usuario": "mlopez01",
        "doc_country": "EC",
        "nombre_usuario": "MARÍA LÓPEZ",
        "email": "mlopez@example.com",
        "email2": "mlopez@example.com",
        "posicion": "USUARIO GENERAL",
        "recibir_sms": "1",
    }
    data.update(overrides)
    return data


@pytest.fixture
def submit_general(reference_data: None) -> Callable[..., RegistrationRequest]:
    def _submit(**overrides: Any) -> RegistrationRequest:
        client = Client()
        response = client.post(URL, general_form(client, **overrides))
        assert response.status_code == 302, response.content.decode()[:2000]
        return RegistrationRequest.objects.get(id_usuario=overrides.get("id_usuario", "mlopez01"))

    return _submit


def test_paso_2_links_the_general_form_which_has_no_company_block(reference_data: None) -> None:
    index = Client().get("/solicitud-del-uso/").content.decode()
    page = Client().get(URL).content.decode()

    assert 'href="/solicitud-del-uso/general/"' in index
    assert "Solicitud del uso(General)" in page
    assert 'name="ruc"' not in page and 'name="certificados"' not in page
    assert 'value="PASAPORTE"' in page and 'value="CEDULA DE IDENTIDAD"' in page


def test_a_general_request_is_active_once_the_code_is_confirmed_and_logs_in(
    celery_worker: WorkerProcess, submit_general: Callable[..., RegistrationRequest]
) -> None:
    request = submit_general()
    assert request.kind == RequestKind.GENERAL
    assert request.tracking_number.startswith("SOL-")
    assert not OceRow.objects.filter(request=request).exists()
    assert not CertificateFile.objects.filter(request=request).exists()
    process = Process.objects.get(registrationprocess__request=request)
    assert process.flow_class is GeneralFlow
    assert request.status == RequestStatus.SUBMITTED

    confirm_email(request)
    wait_for_status(request, RequestStatus.ACTIVE)

    user = User.objects.get(username="mlopez01")
    assert user.cedula == pki.DEFAULT_CEDULA and user.is_active
    client = Client()
    login = client.post("/iniciar-sesion/", {"username": "mlopez01", "password": PASSWORD})
    assert login.status_code == 302
    mi_pagina = client.get("/mi-pagina/").content.decode()
    assert "usuario es <strong>general</strong>" in mi_pagina
    refused = client.get("/mi-pagina/empresa/")
    assert refused.status_code == 403
    text = refused.content.decode()
    assert "usuario general" in text and "Solicitud del uso (Representante)" in text


@pytest.mark.usefixtures("jobs_off_the_broker")
def test_the_activation_job_runs_once_even_when_sent_twice(
    submit_general: Callable[..., RegistrationRequest],
) -> None:
    request = submit_general()
    confirm_email(request)
    run_pending_jobs(request)
    run_pending_jobs(request)  # nothing left to run: a second pass changes nothing

    request.refresh_from_db()
    assert request.status == RequestStatus.ACTIVE
    assert User.objects.filter(cedula=pki.DEFAULT_CEDULA).count() == 1
    with transaction.atomic():  # a redelivered job, as the worker runs it: a no-op
        services.request_activate(request_id=request.pk)
    assert [e.to_status for e in request.events.all()].count(RequestStatus.ACTIVE) == 1


@pytest.mark.usefixtures("jobs_off_the_broker")
def test_without_the_code_nothing_is_activated_and_the_wait_expires(
    submit_general: Callable[..., RegistrationRequest],
) -> None:
    request = submit_general()
    with transaction.atomic():  # not confirmed: refused quietly
        services.request_activate(request_id=request.pk)
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert not User.objects.filter(username="mlopez01").exists()

    assert process_services.waiting_request_expire(request=request)
    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED


@pytest.mark.usefixtures("jobs_off_the_broker")
def test_a_passport_needs_its_issuing_country_and_nothing_typed_is_lost(
    submit_general: Callable[..., RegistrationRequest],
) -> None:
    client = Client()
    response = client.post(
        URL, general_form(client, doc_type="PASAPORTE", cedula="ab 123-4567", doc_country="")
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Seleccione el país que emitió el pasaporte." in page
    assert 'value="MARÍA LÓPEZ"' in page and 'value="Calle Los Pinos 45"' in page

    request = submit_general(
        doc_type="PASAPORTE", cedula="ab 123-4567", doc_country="PE", id_usuario="mlopez02"
    )
    assert (request.doc_type, request.cedula, request.doc_country) == (
        "PASAPORTE",
        "AB1234567",
        "PE",
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cedula": "1234"}, "La cédula debe tener 10 dígitos."),
        ({"doc_type": "PASAPORTE", "cedula": "AB#12"}, "El número de pasaporte debe tener"),
        ({"email2": "otro@example.com"}, "La confirmación no coincide con el Correo Electrónico."),
    ],
)
def test_bad_input_is_told_in_spanish_and_keeps_the_other_fields(
    reference_data: None, overrides: dict[str, str], message: str
) -> None:
    client = Client()
    response = client.post(URL, general_form(client, **overrides))
    page = response.content.decode()

    assert response.status_code == 400
    assert message in page
    assert 'value="mlopez01"' in page and 'value="022345679"' in page
    assert not RegistrationRequest.objects.exists()


@pytest.mark.usefixtures("jobs_off_the_broker")
def test_a_second_general_request_for_the_same_cedula_is_refused(
    submit_general: Callable[..., RegistrationRequest],
) -> None:
    submit_general()
    client = Client()
    response = client.post(
        URL, general_form(client, id_usuario="otro0001", email="otro@example.com")
    )

    assert response.status_code == 400
    assert "Ya existe un usuario o una solicitud en trámite" in response.content.decode()


def test_availability_takes_a_passport_for_the_general_kind(reference_data: None) -> None:
    client = Client()
    general = client.get(
        "/solicitud-del-uso/disponibilidad/",
        {"campo": "cedula", "valor": "AB1234567", "tipo": "general"},
    )
    representante = client.get(
        "/solicitud-del-uso/disponibilidad/", {"campo": "cedula", "valor": "AB1234567"}
    )

    assert general.status_code == 200 and general.json()["available"] is True
    assert representante.status_code == 400


def test_a_general_user_asking_for_a_representante_user_keeps_the_account(
    celery_worker: WorkerProcess,
    submit_general: Callable[..., RegistrationRequest],
    applicant_certificate: pki.CertificateAndKey,
    good_certificate: bytes,
    reviewer: User,
) -> None:
    from approvals import services as approval_services
    from tests.workflow.test_process import review_task

    general = submit_general(
        id_usuario="jperez01", email="jperez@example.com", email2="jperez@example.com"
    )
    confirm_email(general)
    wait_for_status(general, RequestStatus.ACTIVE)
    account = User.objects.get(username="jperez01")

    # Another ID. usuario is refused with the reason; the same one is accepted.
    errors = services.availability_errors(
        id_usuario="jperez99", cedula=pki.DEFAULT_CEDULA, email="jperez@example.com"
    )
    assert "Ya tiene el usuario general «jperez01»" in errors["id_usuario"]
    assert "cedula" not in errors and "email" not in errors
    assert (
        services.availability_errors(
            id_usuario="jperez01", cedula=pki.DEFAULT_CEDULA, email="jperez@example.com"
        )
        == {}
    )

    client = Client()
    posted = client.post(
        "/solicitud-del-uso/representante/",
        form_data(
            client,
            certificate=good_certificate,
            signer=applicant_certificate,
            id_usuario="jperez01",
        ),
    )
    assert posted.status_code == 302, posted.content.decode()[:2000]
    company = RegistrationRequest.objects.get(id_usuario="jperez01", kind=RequestKind.REPRESENTANTE)
    confirm_email(company)
    wait_for_status(company, RequestStatus.CERTIFICATE_VERIFIED)
    task = review_task(company)
    approval_services.review_take(task_pk=task.pk, actor=reviewer)
    approval_services.review_decide(
        task_pk=task.pk, actor=reviewer, decision=approval_services.Decision.APPROVE
    )
    wait_for_status(company, RequestStatus.ACTIVE)

    assert User.objects.get(username="jperez01").pk == account.pk
    assert services.user_is_company_user(account)
    client = Client()
    login = client.post("/iniciar-sesion/", {"username": "jperez01", "password": PASSWORD})
    assert login.status_code == 302
    empresa = client.get("/mi-pagina/empresa/")
    assert empresa.status_code == 200
    assert "IMPORTADORA ANDINA S.A." in empresa.content.decode()
    general.refresh_from_db()
    assert general.status == RequestStatus.ACTIVE  # the General request's history stays


def test_buscar_id_and_reinicio_de_clave_work_for_a_passport_holder(
    celery_worker: WorkerProcess, submit_general: Callable[..., RegistrationRequest]
) -> None:
    from registration.models import AccountNotice, CodePurpose, OneTimeCode
    from tests.conftest import wait_for

    request = submit_general(doc_type="PASAPORTE", cedula="AB1234567", doc_country="PE")
    confirm_email(request)
    wait_for_status(request, RequestStatus.ACTIVE)
    user = User.objects.get(username="mlopez01")

    Client().post("/buscar-id/", {"cedula": "ab1234567", "email": "mlopez@example.com"})
    wait_for(
        lambda: AccountNotice.objects.filter(user=user, sent__isnull=False).exists(),
        what="the ID. usuario reminder",
    )
    assert "mlopez01" in AccountNotice.objects.get(user=user).body

    client = Client()
    client.post("/buscar-id/reinicio/", {"id_usuario": "mlopez01"})
    wait_for(
        lambda: OneTimeCode.objects.filter(user=user, purpose=CodePurpose.PASSWORD_RESET).exists(),
        what="the reset code",
    )
    code = OneTimeCode.objects.get(user=user, purpose=CodePurpose.PASSWORD_RESET)
    response = client.post("/buscar-id/reinicio/codigo/", {"codigo": services.code_value(code)})
    assert response["Location"] == "/buscar-id/reinicio/nueva-clave/"
    new_password = "Nueva-Clave-Andina-77"
    response = client.post(
        "/buscar-id/reinicio/nueva-clave/",
        {
            "answer1": "Mayo",
            "answer2": "San Francisco",
            "answer3": "Cuenca",
            "password": new_password,
            "password2": new_password,
        },
    )
    assert response.status_code == 302 and response["Location"] == "/iniciar-sesion/"
    user.refresh_from_db()
    assert user.check_password(new_password)
