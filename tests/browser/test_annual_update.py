"""The annual data update in a real browser: a user disabled for missing it logs in,
reads why, updates with the emailed code and is enabled again (issue 15)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from registration import services
from registration.models import AnnualNoticeKind, CodePurpose, OneTimeCode, RequestStatus, User
from tests.browser.test_solicitud import (
    VIEWPORTS,
    assert_every_control_is_labelled,
    assert_no_horizontal_scroll,
    by_label,
)
from tests.conftest import PASSWORD
from tests.support.employees import representative

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["representative"]  # fixtures


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_disabled_user_updates_their_data_and_is_enabled_again(
    device: str, chromium: Any, live_server: Any, representative: User, screenshots: Path
) -> None:
    width = VIEWPORTS[device]["viewport"]["width"]
    User.objects.filter(pk=representative.pk).update(
        date_joined=datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
    )
    assert services.annual_notice_send(
        user_id=representative.pk,
        year=2027,
        kind=AnnualNoticeKind.DISABLED,
        today=datetime.date(2027, 2, 1),
    )
    representative.refresh_from_db()
    request = services.update_request(user=representative)
    assert request is not None and request.status == RequestStatus.DISABLED

    context = chromium.new_context(locale="es-EC", **VIEWPORTS[device])
    page = context.new_page()

    def shot(name: str) -> None:
        page.screenshot(
            path=str(screenshots / f"{device}-actualizacion-{name}.png"), full_page=True
        )

    try:
        page.goto(live_server.url + "/iniciar-sesion/")
        page.locator("#id_username").fill(representative.username)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_password").press("Enter")
        page.wait_for_url("**/mi-pagina/modificar-informacion/")
        assert "Su usuario está deshabilitado" in page.content()
        assert "No actualizó sus datos hasta el 31/01/2027" in page.content()
        assert_no_horizontal_scroll(page, width)
        assert_every_control_is_labelled(page)
        shot("deshabilitado")

        by_label(page, "Dirección").fill("Av. Amazonas N24-99, Quito")
        page.get_by_role("button", name="Enviar código").click()
        page.wait_for_load_state()
        assert "Le enviamos un código" in page.content()
        assert by_label(page, "Dirección").input_value() == "Av. Amazonas N24-99, Quito"
        code = OneTimeCode.objects.filter(
            user=representative, purpose=CodePurpose.DATA_UPDATE
        ).latest("created")
        by_label(page, "Código enviado a su correo").fill(services.code_value(code))
        page.get_by_role("button", name="Guardar").click()
        page.wait_for_url("**/mi-pagina/")
        assert "Sus datos se actualizaron" in page.content()
        assert "Modificar información del uso" in page.content()
        shot("actualizado")
    finally:
        context.close()
    request.refresh_from_db()
    assert request.status == RequestStatus.ACTIVE
    assert request.direccion == "Av. Amazonas N24-99, Quito"
