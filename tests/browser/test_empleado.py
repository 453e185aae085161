"""An employee asks for a user and the company's representative approves it, in a real
browser, on a desktop and on a phone (issue 13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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
from tests.conftest import PASSWORD, wait_for_status
from tests.support import pki
from tests.support.employees import EMPLOYEE_CEDULA, employee_certificate, representative

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

__all__ = ["employee_certificate", "representative"]  # fixtures


def _log_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/iniciar-sesion/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/mi-pagina/")


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_an_employee_registers_and_the_representative_approves_then_revokes(
    device: str,
    chromium: Any,
    live_server: Any,
    representative: User,
    employee_certificate: pki.CertificateAndKey,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    width = VIEWPORTS[device]["viewport"]["width"]
    username = f"emp{device[:4]}"
    employee_context = chromium.new_context(locale="es-EC", **VIEWPORTS[device])
    company_context = chromium.new_context(locale="es-EC", **VIEWPORTS[device])
    page = employee_context.new_page()
    rep = company_context.new_page()
    certificate = tmp_path / "firma-empleado.cer"
    certificate.write_bytes(pki.to_der(employee_certificate[0]))

    def shot(p: Any, name: str) -> None:
        p.screenshot(path=str(screenshots / f"{device}-empleado-{name}.png"), full_page=True)

    try:
        # Paso 2 → Solicitud del uso (Empleado)
        page.goto(live_server.url + "/solicitud-del-uso/")
        page.get_by_role("link", name="Solicitud del uso (Empleado)").click()
        page.wait_for_url("**/solicitud-del-uso/empleado/")
        assert_no_horizontal_scroll(page, width)
        assert_every_control_is_labelled(page)

        # Consultar: a RUC nobody represents is refused at once; the company's says its name.
        by_label(page, "RUC empresa").fill("1791251237001")
        page.get_by_role("button", name="Consultar").click()
        page.get_by_text("no tiene un representante activo en ECUAPASS").wait_for()
        by_label(page, "RUC empresa").fill(pki.COMPANY_RUC)
        page.get_by_role("button", name="Consultar").click()
        page.get_by_text("Empresa registrada en ECUAPASS").wait_for()
        assert by_label(page, "Razón Social").input_value() == "IMPORTADORA ANDINA S.A."

        by_label(page, "ID. usuario").fill(username)
        check_button(page, "ID. usuario").click()
        page.get_by_text("El ID. usuario está disponible.").wait_for()
        by_label(page, "Doc. Identificación").fill(EMPLOYEE_CEDULA)
        by_label(page, "Nombre Usuario").fill("MARIA JOSE LOPEZ VERA")
        fill_password_answers_and_address(page)
        by_label(page, "Correo Electrónico").fill(f"{username}@example.com")
        by_label(page, "Confirmación de correo electrónico").fill(f"{username}@example.com")
        by_label(page, "Posición").select_option(label="TRAMITADOR")
        by_label(page, "Buscar").set_input_files(str(certificate))
        page.get_by_role("button", name="Cargar").click()
        page.locator("#file-rows tr", has_text="firma-empleado.cer").wait_for()
        sign_the_challenge(page, employee_certificate, tmp_path)
        shot(page, "01-formulario")
        page.get_by_role("button", name="Registrar").click()
        page.wait_for_url("**/solicitud-del-uso/estado/SOL-**")

        request = RegistrationRequest.objects.get(id_usuario=username)
        assert request.posicion == "TRAMITADOR"
        code = request.codes.get(purpose=CodePurpose.EMAIL_CONFIRM)
        page.get_by_label("Código de confirmación").fill(services.code_value(code))
        page.get_by_role("button", name="Confirmar correo").click()
        wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)  # the job, on the worker
        page.reload()
        page.get_by_text("Un representante de la empresa revisará la solicitud.").wait_for()
        assert_no_horizontal_scroll(page, width)
        shot(page, "02-estado")

        # The representative: the count in the header, the request, codes and options.
        _log_in(rep, live_server.url, "jperez01")
        header = rep.locator("#administracion-empleado")
        assert "1 por aprobar" in header.inner_text()
        header.click()
        rep.get_by_role("link", name="Revisar").click()
        rep.get_by_text("MARIA JOSE LOPEZ VERA").first.wait_for()
        assert_no_horizontal_scroll(rep, width)
        assert_every_control_is_labelled(rep)
        rep.get_by_label("Aprobar y asignar códigos y opciones").check()
        rep.get_by_label("03907058 — AGENTE DE ADUANA").check()
        rep.locator("#codigos").get_by_label("Declaración aduanera (elaborar y enviar)").check()
        shot(rep, "03-decision")
        rep.get_by_role("button", name="Continuar").click()
        rep.locator("#confirmar-decision").wait_for()
        assert "Declaración aduanera" in rep.locator("#codigos-a-asignar").inner_text()
        rep.get_by_role("button", name="Confirmar").click()
        rep.get_by_text(
            f"Decisión registrada para la solicitud {request.tracking_number}."
        ).wait_for()
        wait_for_status(request, RequestStatus.ACTIVE)

        # The employee logs in and sees the company and the granted codes.
        _log_in(page, live_server.url, username)
        assert (
            "Empleado de IMPORTADORA ANDINA S.A." in page.locator("#permisos-empleado").inner_text()
        )
        page.get_by_role("link", name="Mi empresa").click()
        granted = page.locator("#codigos-asignados").inner_text()
        assert "03907058" in granted and "Declaración aduanera" in granted
        assert_no_horizontal_scroll(page, width)
        shot(page, "04-mi-empresa")

        # The representative revokes; company services refuse the employee after that.
        rep.goto(live_server.url + "/mi-pagina/empleados/activos/")
        rep.locator("#empleados").get_by_role("link", name="Ver").click()
        rep.get_by_label("Motivo de la revocación").fill("Ya no trabaja en la empresa.")
        rep.get_by_role("button", name="Revocar").click()
        rep.locator("#confirmar-revocacion").wait_for()
        rep.get_by_role("button", name="Confirmar la revocación").click()
        rep.get_by_text(f"Usuario {username} revocado.").wait_for()
        response = page.goto(live_server.url + "/mi-pagina/empresa/")
        assert response is not None and response.status == 403
        assert not services.user_is_company_user(User.objects.get(username=username))
    finally:
        employee_context.close()
        company_context.close()
