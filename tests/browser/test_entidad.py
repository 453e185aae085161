"""A public entity's head registers as Representante de la entidad (SENAE approves, with the
appointment), then an official asks for a user and the entity's representative approves it,
granting a VUE procedure, in a real browser, on a desktop and on a phone (issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from registration import services
from registration.models import CodePurpose, RegistrationRequest, RequestStatus, User
from tests.browser.test_solicitud import (
    VIEWPORTS,
    assert_every_control_is_labelled,
    assert_no_horizontal_scroll,
    by_label,
    check_button,
    fill_password_answers_and_address,
    sign_the_challenge,
)
from tests.conftest import PASSWORD, WorkerProcess, verified_login, wait_for_status
from tests.support import pki
from tests.support.entities import (
    ENTITY_NAME,
    ENTITY_REPRESENTATIVE_CEDULA,
    ENTITY_RUC,
    OFFICIAL_CEDULA,
    appointment_pdf,
    entity_certificate,
    official_certificate,
)
from workflow.flows.representante_entidad import RepresentanteEntidadFlow

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

HEAD_CEDULA = ENTITY_REPRESENTATIVE_CEDULA
__all__ = ["entity_certificate", "official_certificate"]  # fixtures


def _appointment_pdf(path: Path) -> Path:
    path.write_bytes(appointment_pdf())
    return path


def _log_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/iniciar-sesion/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/mi-pagina/")


def _confirm_email(page: Any, request: RegistrationRequest) -> None:
    code = request.codes.get(purpose=CodePurpose.EMAIL_CONFIRM)
    page.get_by_label("Código de confirmación").fill(services.code_value(code))
    page.get_by_role("button", name="Confirmar correo").click()


def _review_task(request: RegistrationRequest) -> Task:
    return Task.objects.get(
        process__registrationprocess__request=request,
        flow_task=RepresentanteEntidadFlow.review,
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_an_entity_representative_is_approved_by_senae_then_approves_an_official(
    device: str,
    chromium: Any,
    live_server: Any,
    celery_worker: WorkerProcess,
    reviewer: User,
    entity_certificate: pki.CertificateAndKey,
    official_certificate: pki.CertificateAndKey,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    width = VIEWPORTS[device]["viewport"]["width"]
    head_username = f"ent{device[:4]}"
    official_username = f"fun{device[:4]}"
    head_context = chromium.new_context(locale="es-EC", **VIEWPORTS[device])
    official_context = chromium.new_context(locale="es-EC", **VIEWPORTS[device])
    senae_context = chromium.new_context(locale="es-EC", **VIEWPORTS[device])
    client = verified_login(Client(), reviewer)
    senae_context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    head = head_context.new_page()
    official = official_context.new_page()
    senae = senae_context.new_page()
    head_cer = tmp_path / "firma-maxima-autoridad.cer"
    head_cer.write_bytes(pki.to_der(entity_certificate[0]))
    official_cer = tmp_path / "firma-funcionario.cer"
    official_cer.write_bytes(pki.to_der(official_certificate[0]))
    appointment = _appointment_pdf(tmp_path / "nombramiento-ministra.pdf")

    def shot(p: Any, name: str) -> None:
        p.screenshot(path=str(screenshots / f"{device}-entidad-{name}.png"), full_page=True)

    try:
        # Before the entity has a representative, an official's Consultar is refused.
        official.goto(live_server.url + "/solicitud-del-uso/")
        official.get_by_role("link", name="Solicitud del uso (Entidad)", exact=True).click()
        official.wait_for_url("**/solicitud-del-uso/entidad/")
        by_label(official, "RUC de la entidad").fill(ENTITY_RUC)
        official.get_by_role("button", name="Consultar").click()
        official.get_by_text(
            "debe registrarse primero con «Solicitud del uso (Representante de la entidad)»"
        ).wait_for()

        # Paso 2 → Solicitud del uso (Representante de la entidad)
        head.goto(live_server.url + "/solicitud-del-uso/")
        head.get_by_role("link", name="Solicitud del uso (Representante de la entidad)").click()
        head.wait_for_url("**/solicitud-del-uso/representante-entidad/")
        assert_no_horizontal_scroll(head, width)
        assert_every_control_is_labelled(head)

        by_label(head, "RUC de la entidad").fill(ENTITY_RUC)
        by_label(head, "Nombre de la entidad").fill(ENTITY_NAME)
        by_label(head, "Dirección de la entidad").fill(
            "Av. Amazonas y Unión Nacional de Periodistas"
        )
        by_label(head, "Teléfono de la entidad").fill("022345678")
        by_label(head, "ID. usuario").fill(head_username)
        check_button(head, "ID. usuario").click()
        head.get_by_text("El ID. usuario está disponible.").wait_for()
        by_label(head, "Doc. Identificación").fill(HEAD_CEDULA)
        by_label(head, "Nombre Usuario").fill("ANA LUCIA TORRES MENA")
        fill_password_answers_and_address(head)
        by_label(head, "Correo Electrónico").fill(f"{head_username}@produccion.gob.ec")
        by_label(head, "Confirmación de correo electrónico").fill(
            f"{head_username}@produccion.gob.ec"
        )
        by_label(head, "Posición").select_option(label="MÁXIMA AUTORIDAD")
        head.locator("#id_nombramiento").set_input_files(str(appointment))
        by_label(head, "Buscar").set_input_files(str(head_cer))
        head.get_by_role("button", name="Cargar").click()
        head.locator("#file-rows tr", has_text="firma-maxima-autoridad.cer").wait_for()
        sign_the_challenge(head, entity_certificate, tmp_path)

        # Registrar without a Trámite de la VUE: the message, and the appointment is kept.
        head.get_by_role("button", name="Registrar").click()
        error = head.locator("#id_procedures_error")
        error.wait_for()
        assert error.inner_text() == "Elija al menos un trámite de la VUE que maneje la entidad."
        assert head.locator("#error-summary a[href='#id_procedures_0']").is_visible()
        kept = head.locator("#nombramiento-cargado")
        assert "Archivo cargado:" in kept.inner_text()
        assert "nombramiento-ministra.pdf" in kept.inner_text()
        assert by_label(head, "Nombre de la entidad").input_value() == ENTITY_NAME
        assert "firma-maxima-autoridad.cer" in head.locator("#file-rows").inner_text()
        assert not RegistrationRequest.objects.filter(id_usuario=head_username).exists()
        assert_no_horizontal_scroll(head, width)
        shot(head, "01-error-conservado")

        # Tick CO and DDO and register, without choosing the appointment again.
        head.locator("#tramites").get_by_label("CO: Certificado de Origen").check()
        head.locator("#tramites").get_by_label(
            "DDO: Declaración Juramentada de Origen (DDO)"
        ).check()
        assert "Firma adjunta: reto.p7s" in head.locator("#posesion").inner_text()
        head.get_by_role("button", name="Registrar").click()
        head.wait_for_url("**/solicitud-del-uso/estado/SOL-**")

        request = RegistrationRequest.objects.get(id_usuario=head_username)
        assert request.kind == "representante_entidad"
        assert request.ruc == ENTITY_RUC
        assert request.posicion == "MÁXIMA AUTORIDAD"
        _confirm_email(head, request)
        wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)  # the job, on the worker
        head.reload()
        head.get_by_text("Un revisor del SENAE revisará la solicitud.").wait_for()
        shot(head, "02-estado")

        # SENAE: the entity block and the appointment on the review page, then Aprobar.
        task = _review_task(request)
        senae.goto(f"{live_server.url}/revision/tarea/{task.pk}/")
        organisation = senae.locator("#organizacion")
        organisation.wait_for()
        text = organisation.inner_text()
        for expected in ("RUC de la entidad", ENTITY_RUC, "Nombre de la entidad", ENTITY_NAME):
            assert expected in text
        assert "Teléfono de la entidad\n+59322345678" in text
        assert "Trámites de la VUE\nCO, DDO" in text
        link = senae.locator("#nombramiento").get_by_role("link", name="nombramiento-ministra.pdf")
        assert link.get_attribute("href") == f"/revision/tarea/{task.pk}/nombramiento/"
        with senae.expect_download() as download_info:
            link.click()
        downloaded = Path(download_info.value.path())
        assert downloaded.read_bytes() == appointment.read_bytes()
        senae.get_by_role("button", name="Tomar").click()
        senae.get_by_label("Aprobar", exact=True).check()
        shot(senae, "03-revision")
        senae.get_by_role("button", name="Continuar").click()
        senae.get_by_role("button", name="Confirmar").click()
        wait_for_status(request, RequestStatus.ACTIVE)

        # The official: Consultar fills the entity's name now; register with FUNCIONARIO.
        official.reload()
        by_label(official, "RUC de la entidad").fill(ENTITY_RUC)
        official.get_by_role("button", name="Consultar").click()
        official.get_by_text("Entidad registrada en la VUE").wait_for()
        assert by_label(official, "Nombre de la entidad").input_value() == ENTITY_NAME
        assert_no_horizontal_scroll(official, width)
        assert_every_control_is_labelled(official)
        by_label(official, "ID. usuario").fill(official_username)
        check_button(official, "ID. usuario").click()
        official.get_by_text("El ID. usuario está disponible.").wait_for()
        by_label(official, "Doc. Identificación").fill(OFFICIAL_CEDULA)
        by_label(official, "Nombre Usuario").fill("PEDRO SALAZAR RUIZ")
        fill_password_answers_and_address(official)
        by_label(official, "Correo Electrónico").fill(f"{official_username}@produccion.gob.ec")
        by_label(official, "Confirmación de correo electrónico").fill(
            f"{official_username}@produccion.gob.ec"
        )
        by_label(official, "Posición").select_option(label="FUNCIONARIO")
        by_label(official, "Buscar").set_input_files(str(official_cer))
        official.get_by_role("button", name="Cargar").click()
        official.locator("#file-rows tr", has_text="firma-funcionario.cer").wait_for()
        sign_the_challenge(official, official_certificate, tmp_path)
        shot(official, "04-formulario-funcionario")
        official.get_by_role("button", name="Registrar").click()
        official.wait_for_url("**/solicitud-del-uso/estado/SOL-**")

        member = RegistrationRequest.objects.get(id_usuario=official_username)
        assert member.kind == "entidad"
        assert member.posicion == "FUNCIONARIO"
        _confirm_email(official, member)
        wait_for_status(member, RequestStatus.CERTIFICATE_VERIFIED)
        official.reload()
        official.get_by_text("Un representante de la entidad revisará la solicitud.").wait_for()
        assert_no_horizontal_scroll(official, width)

        # The entity's representative: the count in the header, the request, the procedure.
        _log_in(head, live_server.url, head_username)
        assert "Representante de" in head.locator("#entidad-representada").inner_text()
        header = head.locator("#administracion-empleado")
        assert "Administración de usuarios de la entidad" in header.inner_text()
        assert "1 por aprobar" in header.inner_text()
        header.click()
        head.get_by_role("link", name="Revisar").click()
        head.get_by_text("PEDRO SALAZAR RUIZ").first.wait_for()
        assert_no_horizontal_scroll(head, width)
        assert_every_control_is_labelled(head)
        head.get_by_label("Aprobar y asignar trámites de la VUE").check()
        head.locator("#codigos").get_by_label("CO: Certificado de Origen").check()
        shot(head, "05-decision")
        head.get_by_role("button", name="Continuar").click()
        head.locator("#confirmar-decision").wait_for()
        assert "CO" in head.locator("#codigos-a-asignar").inner_text()
        head.get_by_role("button", name="Confirmar").click()
        head.get_by_text(
            f"Decisión registrada para la solicitud {member.tracking_number}."
        ).wait_for()
        wait_for_status(member, RequestStatus.ACTIVE)

        # The official logs in and sees the granted procedure in Mi página.
        _log_in(official, live_server.url, official_username)
        granted = official.locator("#permisos-entidad").inner_text()
        assert ENTITY_NAME in granted
        assert "CO: Certificado de Origen" in granted
        assert "DDO" not in granted
        assert_no_horizontal_scroll(official, width)
        shot(official, "06-mi-pagina")
    finally:
        head_context.close()
        official_context.close()
        senae_context.close()
