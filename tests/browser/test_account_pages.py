"""The account pages a user meets after Registrar, on a phone and on a desktop:
every control labelled, nothing wider than the screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from registration.models import User
from tests.browser.test_solicitud import (
    assert_every_control_is_labelled,
    assert_no_horizontal_scroll,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = {
    "buscar-id": "/buscar-id/",
    "consulta": "/solicitud-del-uso/consulta/",
    "mi-pagina": "/mi-pagina/",
    "buzon": "/mi-pagina/buzon/",
    "login": "/iniciar-sesion/",
}


@pytest.mark.parametrize("width", [360, 1280])
def test_account_pages_fit_the_screen_and_label_every_control(
    chromium: Any, live_server: Any, reference_data: None, screenshots: Path, width: int
) -> None:
    user = User(username="mlopez01", first_name="MARIA LOPEZ", cedula="0926687856")
    user.email, user.celular, user.recibir_sms = "mlopez@example.com", "+593991234567", True
    user.set_password(PASSWORD)
    user.save()
    django_client = Client()
    django_client.force_login(user)
    session = django_client.cookies[settings.SESSION_COOKIE_NAME].value

    context = chromium.new_context(locale="es-EC", viewport={"width": width, "height": 800})
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page = context.new_page()
    try:
        for name, path in PAGES.items():
            if name == "login":
                context.clear_cookies()
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == 200, (name, response)
            if name == "mi-pagina":
                assert "mlopez01" in page.content() and "m***@example.com" not in page.content()
            assert_every_control_is_labelled(page)
            assert_no_horizontal_scroll(page, width)
            page.screenshot(path=str(screenshots / f"cuenta-{width}-{name}.png"), full_page=True)
    finally:
        context.close()
