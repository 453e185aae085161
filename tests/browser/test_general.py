"""A person asks for a General user in a real browser, on a desktop and on a phone (issue 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from registration import services
from registration.models import CodePurpose, RegistrationRequest, RequestKind, RequestStatus
from tests.browser.test_solicitud import (
    VIEWPORTS,
    assert_every_control_is_labelled,
    assert_no_horizontal_scroll,
    by_label,
    check_button,
    fill_password_answers_and_address,
)
from tests.conftest import PASSWORD, WorkerProcess, wait_for_status

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_person_registers_as_a_general_user_confirms_the_email_and_logs_in(
    device: str,
    chromium: Any,
    live_server: Any,
    celery_worker: WorkerProcess,
    reference_data: None,
    screenshots: Path,
) -> None:
    context = chromium.new_context(locale="es-EC", **VIEWPORTS[device])
    page = context.new_page()
    width = VIEWPORTS[device]["viewport"]["width"]
    username = f"general{device[:4]}"

    def shot(name: str) -> None:
        page.screenshot(path=str(screenshots / f"{device}-general-{name}.png"), full_page=True)

    try:
        page.goto(live_server.url + "/solicitud-del-uso/")
        page.get_by_role("link", name="Solicitud del uso (General)").click()
        page.wait_for_url("**/solicitud-del-uso/general/")
        assert_no_horizontal_scroll(page, width)
        assert_every_control_is_labelled(page)

        by_label(page, "ID. usuario").fill(username)
        check_button(page, "ID. usuario").click()
        page.get_by_text("El ID. usuario está disponible.").wait_for()
        country = by_label(page, "País emisor del pasaporte")
        assert not country.is_visible()  # a cédula needs no issuing country
        by_label(page, "Tipo de documento").select_option(label="PASAPORTE")
        assert country.is_visible()
        by_label(page, "Doc. Identificación").fill("AB1234567")
        check_button(page, "Doc. Identificación").click()
        page.get_by_text("El Doc. Identificación está disponible.").wait_for()
        by_label(page, "País emisor del pasaporte").select_option(label="Perú")
        by_label(page, "Nombre Usuario").fill("ANA MARÍA QUISPE")
        fill_password_answers_and_address(page)
        by_label(page, "Correo Electrónico").fill(f"{username}@example.com")
        by_label(page, "Confirmación de correo electrónico").fill(f"{username}@ejemplo.com")
        shot("01-form")

        # A slip in the confirmation: told in Spanish, nothing else lost.
        page.get_by_role("button", name="Registrar").click()
        page.locator("#error-summary").wait_for()
        assert "La confirmación no coincide con el Correo Electrónico." in page.content()
        assert by_label(page, "Doc. Identificación").input_value() == "AB1234567"
        assert by_label(page, "País emisor del pasaporte").input_value() == "PE"
        assert by_label(page, "Dirección").input_value() == "Calle Los Pinos 45"
        assert by_label(page, "Contraseña").input_value() == PASSWORD
        assert_no_horizontal_scroll(page, width)
        by_label(page, "Confirmación de correo electrónico").fill(f"{username}@example.com")
        page.get_by_role("button", name="Registrar").click()
        page.wait_for_url("**/solicitud-del-uso/estado/SOL-**")
        shot("02-status")

        request = RegistrationRequest.objects.get(id_usuario=username)
        assert (request.kind, request.cedula, request.doc_country) == (
            RequestKind.GENERAL,
            "AB1234567",
            "PE",
        )
        assert request.tracking_number in page.content()
        code = request.codes.get(purpose=CodePurpose.EMAIL_CONFIRM)
        page.get_by_label("Código de confirmación").fill(services.code_value(code))
        page.get_by_role("button", name="Confirmar correo").click()
        wait_for_status(request, RequestStatus.ACTIVE)  # the activation job, on the worker
        page.reload()
        page.get_by_text("Activa").first.wait_for()
        assert_no_horizontal_scroll(page, width)

        page.goto(live_server.url + "/iniciar-sesion/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_password").press("Enter")
        page.wait_for_url("**/mi-pagina/")
        assert page.locator("#usuario-general").is_visible()
        assert_no_horizontal_scroll(page, width)
        shot("03-mi-pagina")

        response = page.goto(live_server.url + "/mi-pagina/empresa/")
        assert response is not None and response.status == 403
        assert page.get_by_text("usuario general").first.is_visible()
        assert page.get_by_role("link", name="Solicitud del uso (Representante)").is_visible()
        assert_no_horizontal_scroll(page, width)
    finally:
        context.close()
