"""The status page follows the request while it is open, without reloading."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from registration import services
from registration.models import CodePurpose, RegistrationRequest
from tests.support.status_access import link_path, status_path
from workflow import services as process_services

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_open_status_page_updates_in_place_when_the_request_moves(
    chromium: Any,
    live_server: Any,
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    settings: Any,
) -> None:
    settings.ECUAPASS_STATUS_POLL_SECONDS = 1
    request = submit(good_certificate, confirm=False)
    context = chromium.new_context(locale="es-EC")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        page.goto(f"{live_server.url}{link_path(request)}")
        # The link is exchanged once; the page the browser stays on carries no secret.
        assert page.url == f"{live_server.url}{status_path(request)}"
        polled: list[str] = []
        page.on("request", lambda r: polled.append(r.url) if "/json/" in r.url else None)
        page.get_by_role("heading", name="Confirme su correo electrónico").wait_for()
        page.evaluate("window.__sameDocument = true")

        # Confirmed elsewhere (another tab, another device): this page follows.
        code = request.codes.get(purpose=CodePurpose.EMAIL_CONFIRM)
        outcome = process_services.email_confirm_submit(
            request=request, code=services.code_value(code)
        )
        assert outcome == services.CodeCheck.OK
        page.get_by_text("Correo electrónico confirmado.").wait_for(timeout=10_000)
        assert page.get_by_role("heading", name="Confirme su correo electrónico").count() == 0
        assert page.evaluate("window.__sameDocument") is True  # swapped in place, not reloaded
        # Under the Content-Security-Policy: nothing on the page was refused.
        assert not [m for m in console if "Content Security Policy" in m], console
        assert polled and all(
            url == f"{live_server.url}{status_path(request)}json/" for url in polled
        )
        assert services.request_access_token(request) not in page.url
    finally:
        context.close()
