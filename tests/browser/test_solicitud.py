"""A new applicant meets Pasos 1–5 in a real browser, on a desktop and on a phone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from registration import services
from registration.models import Company, RegistrationRequest, RequestStatus
from tests.conftest import PASSWORD, challenge_of, sign_challenge
from tests.support import pki

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORTS: dict[str, dict[str, Any]] = {
    "escritorio": {"viewport": {"width": 1280, "height": 900}},
    "telefono": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
}


def by_label(page: Any, label: str) -> Any:
    """The control whose label is exactly `label` (ignoring the red required marker)."""
    return page.get_by_label(re.compile(rf"^(\*\s*)?{re.escape(label)}$"))


def check_button(page: Any, label: str) -> Any:
    field = page.locator(".field", has=by_label(page, label))
    return field.get_by_role("button", name="Comprobar disponibilidad")


def assert_no_horizontal_scroll(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def fill_password_answers_and_address(page: Any) -> None:
    """The part of the person's block every kind's form fills the same way."""
    by_label(page, "Contraseña").fill(PASSWORD)
    by_label(page, "Confirmación de Contraseña").fill(PASSWORD)
    by_label(page, "Respuesta de Clave1").fill("Mayo")
    by_label(page, "Respuesta de Clave2").fill("San Francisco")
    by_label(page, "Respuesta de Clave3").fill("Cuenca")
    by_label(page, "Provincia").select_option(label="PICHINCHA")
    by_label(page, "Ciudad").select_option(label="QUITO")
    by_label(page, "Dirección").fill("Calle Los Pinos 45")
    by_label(page, "Teléfono1").fill("022345679")
    page.get_by_label(re.compile(r"Acepto el Convenio de uso de ECUAPASS")).check()


def assert_every_control_is_labelled(page: Any) -> None:
    unlabelled = page.evaluate(
        """Array.from(document.querySelectorAll('input, select, textarea'))
             .filter(e => e.type !== 'hidden' && !e.closest('template'))
             .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
             .map(e => e.name)"""
    )
    assert unlabelled == []


@pytest.fixture
def known_company(reference_data: None) -> Company:
    return Company.objects.create(
        ruc=pki.COMPANY_RUC,
        razon_social="IMPORTADORA ANDINA S.A.",
        direccion="Av. Amazonas N24-03 y Colón, Quito",
        telefono="+59322345678",
    )


@pytest.fixture
def certificate_file(tmp_path: Path, applicant_certificate: pki.CertificateAndKey) -> Path:
    path = tmp_path / "firma-representante.cer"
    path.write_bytes(pki.to_der(applicant_certificate[0]))
    return path


def sign_the_challenge(page: Any, signer: pki.CertificateAndKey, tmp_path: Path) -> None:
    """Do what the applicant does with FirmaEC or openssl: sign the shown challenge, attach it."""
    _, text = challenge_of(page.content())
    assert text in page.locator("#reto-texto").inner_text() + "\n"
    signature = tmp_path / "reto.p7s"
    signature.write_bytes(sign_challenge(text, signer))
    by_label(page, "Firma del reto (.p7s)").set_input_files(str(signature))


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_new_applicant_registers_as_representante(
    device: str,
    chromium: Any,
    live_server: Any,
    known_company: Company,
    certificate_file: Path,
    applicant_certificate: pki.CertificateAndKey,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    context = chromium.new_context(locale="es-EC", **VIEWPORTS[device])
    page = context.new_page()
    width = VIEWPORTS[device]["viewport"]["width"]

    def shot(name: str) -> None:
        page.screenshot(path=str(screenshots / f"{device}-{name}.png"), full_page=True)

    try:
        # Paso 1 → Paso 2 → Pasos 3–5
        page.goto(live_server.url + "/")
        assert page.get_by_text("IDIOMA: ESPAÑOL").is_visible()
        assert by_label(page, "ID. USUARIO:").is_visible()
        shot("01-portal")
        page.get_by_role("link", name="Solicitud del uso").first.click()
        page.get_by_role("link", name="Solicitud del uso (Representante)").click()
        page.wait_for_url("**/solicitud-del-uso/representante/")
        assert_no_horizontal_scroll(page, width)
        assert_every_control_is_labelled(page)

        # Información de empresa: Consultar fills it from the registry
        by_label(page, "RUC empresa").fill(pki.COMPANY_RUC)
        page.get_by_role("button", name="Consultar").click()
        page.get_by_text("Datos tomados del registro de empresas").wait_for()
        assert by_label(page, "Razón Social").input_value() == "IMPORTADORA ANDINA S.A."
        assert by_label(page, "Teléfono empresa").input_value() == "022345678"

        # Información de representante
        by_label(page, "ID. usuario").fill("jperez01")
        check_button(page, "ID. usuario").click()
        page.get_by_text("El ID. usuario está disponible.").wait_for()
        by_label(page, "Doc. Identificación").fill(pki.DEFAULT_CEDULA)
        check_button(page, "Doc. Identificación").click()
        page.get_by_text("El Doc. Identificación está disponible.").wait_for()
        by_label(page, "Nombre Usuario").fill("JUAN CARLOS PEREZ GOMEZ")
        fill_password_answers_and_address(page)
        by_label(page, "Operadora del celular").select_option(label="CLARO")
        by_label(page, "Celular").fill("0991234567")
        by_label(page, "Correo Electrónico").fill("jperez@example.com")
        by_label(page, "Confirmación de correo electrónico").fill("jperez@ejemplo.com")  # a slip
        check_button(page, "Confirmación de correo electrónico").click()
        page.get_by_text("El Correo Electrónico está disponible.").wait_for()

        # Tipo de OCEs: add two rows, remove one
        by_label(page, "Tipo de OCEs").select_option(label="AGENTE DE ADUANA")
        page.get_by_role("button", name="Agregar").click()
        by_label(page, "Código de OCEs 1").fill("03907058")
        by_label(page, "Mes de inicio 1").select_option(label="09")
        by_label(page, "Año de inicio 1").fill("2002")
        by_label(page, "Tipo de OCEs").select_option(label="LINEA NAVIERA")
        page.get_by_role("button", name="Agregar").click()
        by_label(page, "Código de OCEs 2").fill("16929838")
        by_label(page, "Mes de inicio 2").select_option(label="01")
        by_label(page, "Año de inicio 2").fill("2003")
        assert (
            by_label(page, "Tipo de OCEs de la fila 2").input_value()
            != by_label(page, "Tipo de OCEs de la fila 1").input_value()
        )
        by_label(page, "Seleccionar fila 1").check()
        page.locator("#oces").get_by_role("button", name="Eliminar").click()
        assert page.locator("tr.oce-row").count() == 1
        assert by_label(page, "Código de OCEs 1").input_value() == "16929838"

        # Identificación única de certificado digital: Buscar, Cargar
        by_label(page, "Buscar").set_input_files(str(certificate_file))
        page.get_by_role("button", name="Cargar").click()
        row = page.locator("#file-rows tr", has_text="firma-representante.cer")
        row.wait_for()
        size_kb = f"{certificate_file.stat().st_size / 1024:.1f} KByte"
        assert size_kb in row.inner_text()
        assert page.locator("#file-total").inner_text() == size_kb
        assert row.get_by_role("link", name="Descargar").is_visible()
        sign_the_challenge(page, applicant_certificate, tmp_path)
        shot("02-formulario-lleno")

        # Registrar with the slip: one message, nothing lost
        page.get_by_role("button", name="Registrar").click()
        # The field says it, and the summary links to it.
        page.get_by_text(
            "La confirmación no coincide con el Correo Electrónico.", exact=True
        ).wait_for()
        assert page.locator("#error-summary a[href='#id_email2']").is_visible()
        shot("03-error-conservado")
        assert by_label(page, "Razón Social").input_value() == "IMPORTADORA ANDINA S.A."
        assert by_label(page, "Contraseña").input_value() == PASSWORD
        assert by_label(page, "Respuesta de Clave3").input_value() == "Cuenca"
        assert by_label(page, "Ciudad").input_value() == "1701"
        assert by_label(page, "Código de OCEs 1").input_value() == "16929838"
        assert "firma-representante.cer" in page.locator("#file-rows").inner_text()
        assert RegistrationRequest.objects.count() == 0

        # Fix the one field and register (a double click creates one request)
        by_label(page, "Confirmación de correo electrónico").fill("jperez@example.com")
        page.get_by_role("button", name="Registrar").dblclick()
        page.wait_for_url("**/solicitud-del-uso/estado/**")
        page.get_by_role("heading", name="Solicitud registrada").wait_for()
        request = RegistrationRequest.objects.get()
        # The page has a clean URL: the tracking number, no token.
        assert page.url.endswith(f"/solicitud-del-uso/estado/{request.tracking_number}/?nueva=1")
        assert request.tracking_number in page.content()
        assert request.status == RequestStatus.SUBMITTED
        assert [o.code for o in request.oces.all()] == ["16929838"]
        assert request.certificates.get().original_name == "firma-representante.cer"
        assert request.possession_signature
        assert request.razon_social == "IMPORTADORA ANDINA S.A."
        assert_no_horizontal_scroll(page, width)
        shot("04-seguimiento")

        # The status page asks for the emailed code; with it the request goes on.
        code = services.code_value(request.codes.get())
        by_label(page, "Código de confirmación").fill(code)
        page.get_by_role("button", name="Confirmar correo").click()
        page.get_by_text("Correo confirmado").wait_for()
        request.refresh_from_db()
        assert request.email_confirmed_at is not None
        shot("05-correo-confirmado")
    finally:
        context.close()


def test_registration_works_with_javascript_off(
    chromium: Any,
    live_server: Any,
    reference_data: None,
    certificate_file: Path,
    applicant_certificate: pki.CertificateAndKey,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    context = chromium.new_context(locale="es-EC", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/solicitud-del-uso/representante/")
        values = {
            "RUC empresa": pki.COMPANY_RUC,
            "Razón Social": "IMPORTADORA ANDINA S.A.",
            "Dirección de empresa": "Av. Amazonas N24-03",
            "Teléfono empresa": "022345678",
            "ID. usuario": "jperez01",
            "Doc. Identificación": pki.DEFAULT_CEDULA,
            "Nombre Usuario": "JUAN CARLOS PEREZ GOMEZ",
            "Contraseña": PASSWORD,
            "Confirmación de Contraseña": PASSWORD,
            "Respuesta de Clave1": "Mayo",
            "Respuesta de Clave2": "San Francisco",
            "Respuesta de Clave3": "Cuenca",
            "Dirección": "Calle Los Pinos 45",
            "Teléfono1": "022345679",
            "Correo Electrónico": "jperez@example.com",
            "Confirmación de correo electrónico": "jperez@example.com",
            "Código de OCEs 1": "03907058",
            "Año de inicio 1": "2002",
        }
        for label, value in values.items():
            by_label(page, label).fill(value)
        by_label(page, "Provincia").select_option(label="PICHINCHA")
        by_label(page, "Ciudad").select_option(label="QUITO")
        by_label(page, "Tipo de OCEs de la fila 1").select_option(label="AGENTE DE ADUANA")
        by_label(page, "Mes de inicio 1").select_option(label="09")
        by_label(page, "Buscar").set_input_files(str(certificate_file))
        sign_the_challenge(page, applicant_certificate, tmp_path)
        page.get_by_label(re.compile(r"Acepto el Convenio de uso de ECUAPASS")).check()
        page.get_by_role("button", name="Registrar").click()
        page.get_by_role("heading", name="Solicitud registrada").wait_for()
        page.screenshot(path=str(screenshots / "sin-javascript-seguimiento.png"), full_page=True)
        assert RegistrationRequest.objects.get().certificates.count() == 1
    finally:
        context.close()
