"""Public entities: "Representante de la entidad" (SENAE approves) and "Entidad" (the
entity's representative approves, granting VUE procedures) (issue 14)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from approvals import company
from approvals import services as approval_services
from registration import services
from registration.models import (
    AppointmentFile,
    Company,
    EntityDetails,
    RegistrationRequest,
    RequestKind,
    RequestStatus,
    User,
)
from registration.selectors import user_is_company_user
from tests.conftest import (
    PASSWORD,
    challenge_of,
    confirm_email,
    person_fields,
    sign_challenge,
    verified_login,
    wait_for_status,
)
from tests.support import pki
from tests.support.employees import employee_certificate, representative
from tests.support.entities import (
    ENTITY_NAME,
    ENTITY_RUC,
    OFFICIAL_CEDULA,
    appointment_pdf,
    entity_certificate,
    entity_form,
    entity_representative,
    entity_review_task,
    observe_entity,
    official_certificate,
    submit_entity,
)
from tests.support.status_access import correct_path, correction_client

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

__all__ = [
    "employee_certificate",
    "entity_certificate",
    "entity_representative",
    "official_certificate",
    "representative",
    "submit_entity",
]


def logged_in(username: str) -> Client:
    client = Client()
    response = client.post("/iniciar-sesion/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def official_form(
    client: Client, signer: pki.CertificateAndKey, **overrides: Any
) -> dict[str, Any]:
    html = client.get("/solicitud-del-uso/entidad/").content.decode()
    token, challenge = challenge_of(html)
    nonce = re.search(r'name="reto_nonce" value="([^"]+)"', html)
    assert nonce is not None
    data: dict[str, Any] = {
        "submission_token": token,
        "reto_nonce": nonce.group(1),
        "ruc": ENTITY_RUC,
        **person_fields(),
        "id_usuario": "psalazar01",
        "cedula": OFFICIAL_CEDULA,
        "nombre_usuario": "PEDRO SALAZAR RUIZ",
        "email": "psalazar@example.com",
        "email2": "psalazar@example.com",
        "posicion": "ANALISTA",
        "senae_email": "",
        "recibir_sms": "0",
        "certificados": SimpleUploadedFile("funcionario.cer", pki.to_der(signer[0])),
        "firma_reto": SimpleUploadedFile("reto.p7s", sign_challenge(challenge, signer)),
    }
    data.update(overrides)
    return data


@pytest.fixture
def submit_official(
    official_certificate: pki.CertificateAndKey,
) -> Callable[[], RegistrationRequest]:
    def _submit() -> RegistrationRequest:
        client = Client()
        response = client.post(
            "/solicitud-del-uso/entidad/", official_form(client, official_certificate)
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        request = RegistrationRequest.objects.get(id_usuario="psalazar01")
        confirm_email(request)
        return request

    return _submit


# --- The Representante de la entidad's form -------------------------------------------


def test_the_entity_form_refuses_bad_input_in_spanish_and_keeps_the_rest(
    reference_data: None, entity_certificate: pki.CertificateAndKey
) -> None:
    client = Client()
    certificate = pki.to_der(entity_certificate[0])
    # A company's RUC, no procedure, and a file that is not a PDF.
    response = client.post(
        "/solicitud-del-uso/representante-entidad/",
        entity_form(
            client,
            certificate=certificate,
            signer=entity_certificate,
            appointment=b"%PDF-1.4 esto no es un PDF",
            ruc=pki.COMPANY_RUC,
            procedures=[],
        ),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "El RUC de una entidad pública tiene 6 como tercer dígito" in html
    assert "Elija al menos un trámite de la VUE" in html
    assert "no se puede leer como PDF" in html
    assert 'value="atorres01"' in html and 'value="ANA LUCIA TORRES MENA"' in html
    assert "funcionario.cer" in html  # the certificate is kept
    assert 'id="nombramiento-cargado"' not in html  # the bad file was not kept

    # A real PDF is kept through another failed submit, and need not be sent again.
    response = client.post(
        "/solicitud-del-uso/representante-entidad/",
        entity_form(
            client, certificate=None, signer=None, appointment=appointment_pdf(2), procedures=[]
        ),
    )
    assert response.status_code == 400
    assert 'id="nombramiento-cargado"' in response.content.decode()
    response = client.post(
        "/solicitud-del-uso/representante-entidad/",
        entity_form(client, certificate=None, signer=entity_certificate),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    request = RegistrationRequest.objects.get(id_usuario="atorres01")
    assert request.kind == RequestKind.REPRESENTANTE_ENTIDAD
    assert AppointmentFile.objects.get(request=request).pages == 2
    assert EntityDetails.objects.get(request=request).procedures == ["CO", "DCP"]
    assert request.posicion == "MÁXIMA AUTORIDAD"


def test_an_appointment_that_is_too_big_or_protected_is_refused(
    reference_data: None, entity_certificate: pki.CertificateAndKey, settings: Any
) -> None:
    from pypdf import PdfWriter

    settings.ECUAPASS_APPOINTMENT_MAX_BYTES = 600
    client = Client()
    response = client.post(
        "/solicitud-del-uso/representante-entidad/",
        entity_form(client, certificate=None, signer=None, appointment=appointment_pdf(20)),
    )
    assert "el máximo para el nombramiento" in response.content.decode()

    settings.ECUAPASS_APPOINTMENT_MAX_BYTES = 2 * 1024 * 1024
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.encrypt("clave")
    import io

    buffer = io.BytesIO()
    writer.write(buffer)
    response = client.post(
        "/solicitud-del-uso/representante-entidad/",
        entity_form(client, certificate=None, signer=None, appointment=buffer.getvalue()),
    )
    assert "protegido con contraseña" in response.content.decode()
    assert not RegistrationRequest.objects.exists()


# --- SENAE decides the Representante de la entidad -----------------------------------


def test_senae_reviews_the_entity_with_its_appointment_and_activates_it(
    submit_entity: Callable[..., RegistrationRequest],
    reviewer: User,
    celery_worker: Any,
) -> None:
    request = submit_entity()
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    task = entity_review_task(request)

    # It is in SENAE's queue, and the kind filter offers it.
    client = verified_login(Client(), reviewer)
    queue = client.get("/revision/", {"cola": "sin-asignar", "tipo": "representante_entidad"})
    assert request.tracking_number in queue.content.decode()
    assert 'value="representante_entidad"' in queue.content.decode()

    page = client.get(f"/revision/tarea/{task.pk}/").content.decode()
    assert "Información de la entidad" in page
    assert ENTITY_NAME in page and "CO, DCP" in page and "RUC de la entidad" in page
    assert f"/revision/tarea/{task.pk}/nombramiento/" in page
    download = client.get(f"/revision/tarea/{task.pk}/nombramiento/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]

    # Nobody else downloads it: not anonymous, not the applicant's browser.
    anonymous = Client().get(f"/revision/tarea/{task.pk}/nombramiento/")
    assert anonymous.status_code in (302, 403)

    approval_services.review_take(task_pk=task.pk, actor=reviewer)
    approval_services.review_decide(
        task_pk=task.pk, actor=reviewer, decision=approval_services.Decision.APPROVE
    )
    wait_for_status(request, RequestStatus.ACTIVE)
    entity = Company.objects.get(ruc=ENTITY_RUC)
    assert entity.razon_social == ENTITY_NAME
    assert entity.direccion.startswith("Av. Amazonas")
    rep = logged_in("atorres01")
    home = rep.get("/mi-pagina/").content.decode()
    assert "Trámites de la VUE de la entidad: CO, DCP" in home
    assert "Administración de usuarios de la entidad" in home


# --- The entity's representative decides its officials --------------------------------


def test_an_entity_without_an_active_representative_is_refused_at_the_form(
    reference_data: None, official_certificate: pki.CertificateAndKey
) -> None:
    client = Client()
    response = client.post(
        "/solicitud-del-uso/entidad/", official_form(client, official_certificate)
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "no tiene un representante activo" in html
    assert "Solicitud del uso (Representante de la entidad)" in html
    assert 'value="psalazar01"' in html
    answer = client.get("/solicitud-del-uso/entidad/consultar/", {"ruc": ENTITY_RUC}).json()
    assert answer["found"] is False and "Representante de la entidad" in answer["message"]


def test_the_entity_representative_grants_procedures_and_the_official_uses_them(
    entity_representative: User,
    representative: User,
    submit_official: Callable[[], RegistrationRequest],
) -> None:
    # Consultar names the entity from our own records.
    answer = Client().get("/solicitud-del-uso/entidad/consultar/", {"ruc": ENTITY_RUC}).json()
    assert answer["found"] is True and answer["razon_social"] == ENTITY_NAME
    # An employee's Consultar does not find an entity, nor an official's a company.
    assert (
        Client().get("/solicitud-del-uso/empleado/consultar/", {"ruc": ENTITY_RUC}).json()["found"]
        is False
    )
    assert (
        Client()
        .get("/solicitud-del-uso/entidad/consultar/", {"ruc": pki.COMPANY_RUC})
        .json()["found"]
        is False
    )

    request = submit_official()
    assert request.kind == RequestKind.ENTIDAD and request.razon_social == ENTITY_NAME
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)

    rep = logged_in("atorres01")
    home = rep.get("/mi-pagina/").content.decode()
    assert "Administración de usuarios de la entidad (1 por aprobar)" in home
    tasks = company.pending_employee_tasks(user=entity_representative)
    assert [company.task_request(t) for t in tasks] == [request]
    # A company's Representante sees nothing of it and can't decide it.
    assert company.pending_employee_tasks(user=representative) == []
    assert not services.may_decide_for(user=representative, request=request)
    task = tasks[0]
    page = rep.get(f"/mi-pagina/empleados/solicitud/{task.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Aprobar y asignar trámites de la VUE" in body
    assert 'value="CO"' in body and 'value="DCP"' in body and 'value="DDO"' not in body

    # A procedure the entity does not handle is refused, with nothing decided.
    with pytest.raises(company.CompanyDecisionError, match="DDO"):
        company.employee_decide(
            task_pk=task.pk,
            actor=entity_representative,
            decision=company.Decision.APPROVE,
            grants=[services.GrantEntry(code="DDO")],
        )
    request.refresh_from_db()
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED

    # Through the pages: the confirm step, then the decision.
    approve = {"decision": "approve", "codes": ["CO"], "comment": ""}
    confirm = rep.post(f"/mi-pagina/empleados/solicitud/{task.pk}/", approve)
    assert "¿Confirma" in confirm.content.decode()
    done = rep.post(f"/mi-pagina/empleados/solicitud/{task.pk}/", {**approve, "confirm": "True"})
    assert done.status_code == 302
    wait_for_status(request, RequestStatus.ACTIVE)
    request.refresh_from_db()
    assert [p.code for p in request.employment.procedures.all()] == ["CO"]
    assert request.company is not None and request.company.ruc == ENTITY_RUC

    official = logged_in("psalazar01")
    mine = official.get("/mi-pagina/").content.decode()
    assert 'id="permisos-entidad"' in mine and "CO: Certificado de Origen" in mine
    assert official.get("/mi-pagina/empresa/").status_code == 200
    # An official can't decide officials.
    assert official.get("/mi-pagina/empleados/").status_code == 403

    # The representative takes the procedures away, then revokes.
    services.employee_grants_change(request_id=request.pk, actor=entity_representative, grants=[])
    mine = official.get("/mi-pagina/").content.decode()
    assert "No está asignado el permiso al usuario" in mine
    services.employee_revoke(
        request_id=request.pk, actor=entity_representative, reason="Dejó la entidad."
    )
    assert request.events.filter(comment__contains="Funcionario revocado por atorres01").exists()
    assert not user_is_company_user(User.objects.get(username="psalazar01"))


def test_an_official_nobody_decides_reminds_the_entity_representative_then_expires(
    entity_representative: User,
    submit_official: Callable[[], RegistrationRequest],
    settings: Any,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from registration.models import Notification, NotificationKind
    from workflow import services as process_services

    def age(days: int) -> None:
        RegistrationRequest.objects.filter(pk=request.pk).update(
            status_changed_at=timezone.now() - timedelta(days=days)
        )

    request = submit_official()
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    expiry = settings.ECUAPASS_EMPLOYEE_DECISION_EXPIRY_DAYS
    age(expiry - settings.ECUAPASS_EMPLOYEE_DECISION_REMINDER_DAYS_BEFORE + 1)
    assert process_services.waiting_sweep() == {"reminded": 1, "expired": 0}
    reminder = Notification.objects.get(
        recipient=entity_representative, kind=NotificationKind.REMINDER
    )
    assert "Administración de usuarios de la entidad" in reminder.body
    assert "su entidad" in reminder.body

    age(expiry + 1)
    assert process_services.waiting_sweep() == {"reminded": 0, "expired": 1}
    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED
    assert company.pending_employee_tasks(user=entity_representative) == []


# --- Corrections of an entity's request ------------------------------------------------


def _entity_values(request: RegistrationRequest, **overrides: Any) -> dict[str, Any]:
    """Every data field of the correction page, as a browser posts it back."""
    return {
        "ruc": request.ruc,
        "razon_social": request.razon_social,
        "direccion_empresa": request.entity_details.direccion_empresa,
        "telefono_empresa": "023948760",
        "procedures": list(request.entity_details.procedures),
        "cedula": request.cedula,
        "nombre_usuario": request.nombre_usuario,
        "email": request.email,
        "email2": request.email,
        **overrides,
    }


def _ticked(html: str) -> list[str]:
    return sorted(
        re.findall(r'<input type="checkbox" name="procedures" value="([A-Z]+)"[^>]*checked', html)
    )


def test_an_observed_appointment_and_procedures_are_corrected_and_the_reviewer_sees_it(
    submit_entity: Callable[..., RegistrationRequest],
    reviewer: User,
    celery_worker: Any,
) -> None:
    request = submit_entity()
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    # The reviewer can name the appointment and the procedures (and no OCE table).
    task = entity_review_task(request)
    approval_services.review_take(task_pk=task.pk, actor=reviewer)
    review = verified_login(Client(), reviewer).get(f"/revision/tarea/{task.pk}/").content.decode()
    assert 'value="nombramiento"' in review and 'value="procedures"' in review
    assert 'value="oces"' not in review
    observe_entity(request, reviewer, ["nombramiento", "procedures"])

    applicant = correction_client(request)
    url = correct_path(request)
    html = applicant.get(url).content.decode()
    assert "<mark>Nombramiento o delegación</mark>" in html
    assert "<mark>Trámites de la VUE</mark>" in html
    assert 'name="nombramiento"' in html and "Archivo enviado: <strong>nombramiento.pdf" in html
    assert _ticked(html) == ["CO", "DCP"]
    assert 'id="oces"' not in html  # an entity has no OCE table
    assert re.search(r'name="razon_social"[^>]*disabled', html)

    # Not a PDF: refused in Spanish; the procedures ticked stay ticked.
    corrected = _entity_values(request, procedures=["CO", "DDO", "DCP"])
    bad = applicant.post(
        url, {**corrected, "nombramiento": SimpleUploadedFile("n.pdf", b"%PDF-1.4 roto")}
    )
    assert bad.status_code == 400
    assert "no se puede leer como PDF" in bad.content.decode()
    assert _ticked(bad.content.decode()) == ["CO", "DCP", "DDO"]
    # No new appointment: asked for; none of the procedures: refused.
    missing = applicant.post(url, _entity_values(request, procedures=[])).content.decode()
    assert "Adjunte el nombramiento o la delegación corregido" in missing
    assert "Elija al menos un trámite de la VUE" in missing

    # A good PDF is kept through a failed submit and goes with the next one.
    kept = applicant.post(
        url,
        {
            **_entity_values(request, procedures=[]),
            "nombramiento": SimpleUploadedFile("nombramiento-firmado.pdf", appointment_pdf(2)),
        },
    )
    assert kept.status_code == 400
    assert 'id="nombramiento-cargado"' in kept.content.decode()
    done = applicant.post(url, corrected)
    assert done.status_code == 302, done.content.decode()[:3000]

    request.refresh_from_db()
    appointment = AppointmentFile.objects.get(request=request)
    assert (appointment.original_name, appointment.pages) == ("nombramiento-firmado.pdf", 2)
    assert sorted(EntityDetails.objects.get(request=request).procedures) == ["CO", "DCP", "DDO"]
    comment = request.events.get(comment__startswith="Corregida").comment
    assert "Trámites de la VUE" in comment and "nombramiento o delegación" in comment

    # Verified again, back in SENAE's queue: the reviewer sees what changed.
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    task = entity_review_task(request)
    review = verified_login(Client(), reviewer).get(f"/revision/tarea/{task.pk}/").content.decode()
    assert "nombramiento-firmado.pdf" in review
    assert "CO, DDO, DCP" in review or "CO, DCP, DDO" in review


def test_an_entity_correction_keeps_a_public_ruc_and_refuses_what_was_not_observed(
    submit_entity: Callable[..., RegistrationRequest],
    reviewer: User,
    celery_worker: Any,
) -> None:
    request = submit_entity()
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    observe_entity(request, reviewer, ["ruc"])
    applicant = correction_client(request)
    url = correct_path(request)
    html = applicant.get(url).content.decode()
    assert "RUC de la entidad <mark>Corrija este dato</mark>" in html
    assert 'name="nombramiento"' not in html  # not observed: shown, not open
    assert "Archivo enviado: <strong>nombramiento.pdf" in html
    company = applicant.post(url, _entity_values(request, ruc=pki.COMPANY_RUC))
    assert company.status_code == 400
    assert "El RUC de una entidad pública tiene 6 como tercer dígito" in company.content.decode()

    # The service refuses, whatever sent it, a change to the procedures or the appointment.
    for data in (
        services.CorrectionData(procedures=("CO",)),
        services.CorrectionData(
            appointment=services.UploadedCertificate("otro.pdf", appointment_pdf())
        ),
    ):
        with pytest.raises(services.SubmissionConflict):
            services.request_resubmit(request_id=request.pk, data=data)
    request.refresh_from_db()
    assert request.status == RequestStatus.OBSERVED
    assert EntityDetails.objects.get(request=request).procedures == ["CO", "DCP"]
    assert AppointmentFile.objects.get(request=request).original_name == "nombramiento.pdf"


def test_the_entity_representatives_consultar_asks_the_registry_of_entities(
    reference_data: None,
) -> None:
    client = Client()
    form = client.get("/solicitud-del-uso/representante-entidad/").content.decode()
    assert 'data-company-url="/solicitud-del-uso/representante-entidad/consultar/"' in form
    unknown = client.get("/solicitud-del-uso/representante-entidad/consultar/", {"ruc": ENTITY_RUC})
    assert unknown.status_code == 200
    assert unknown.json()["message"].startswith("El RUC no consta en el registro de entidades.")
    company = client.get(
        "/solicitud-del-uso/representante-entidad/consultar/", {"ruc": pki.COMPANY_RUC}
    )
    assert company.status_code == 400
    assert "6 como tercer dígito" in company.json()["message"]
    # Without JavaScript, Consultar posts the form: the same answer, the typing kept.
    html = client.post(
        "/solicitud-del-uso/representante-entidad/",
        {"accion": "consultar", "ruc": ENTITY_RUC, "nombre_usuario": "ANA LUCIA TORRES MENA"},
    ).content.decode()
    assert "El RUC no consta en el registro de entidades." in html
    assert 'value="ANA LUCIA TORRES MENA"' in html
