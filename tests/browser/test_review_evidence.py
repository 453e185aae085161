"""In a real browser: on the review page a warning looks like a warning (amber ⚠), not a tick."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from registration.models import RegistrationRequest, User
from tests.approvals.test_review import review_task
from tests.conftest import run_pending_jobs, verified_login

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

AMBER = "rgb(138, 90, 0)"


def test_the_soft_fail_revocation_row_shows_an_amber_warning_sign_on_review_and_queue(
    chromium: Any,
    live_server: Any,
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
    settings: Any,
) -> None:
    settings.ECUAPASS_REVOCATION_MODE = "soft-fail"
    # The test certificate names no CRL: its revocation can't be checked, accepted under soft-fail.
    request = submit(good_certificate)
    run_pending_jobs(request)
    task = review_task(request)
    client = verified_login(Client(), reviewer)
    context = chromium.new_context(locale="es-EC")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        page.goto(f"{live_server.url}/revision/tarea/{task.pk}/")
        row = page.locator("ul.findings li", has_text="No se pudo comprobar si el certificado")
        row.wait_for()
        text = row.inner_text()
        assert text.startswith("⚠") and "✔" not in text
        assert "warning" in (row.get_attribute("class") or "").split()
        assert row.evaluate("el => getComputedStyle(el).color") == AMBER
        outcome = page.locator("#verificacion-resultado")
        assert outcome.inner_text() == "⚠ Verificada con advertencias"
        assert outcome.evaluate("el => getComputedStyle(el).color") == AMBER
        # The rows that did pass keep their tick.
        ok = page.locator("ul.findings li.ok", has_text="La cédula del certificado coincide")
        assert ok.inner_text().startswith("✔")

        page.goto(f"{live_server.url}/revision/?cola=sin-asignar")
        cell = page.locator("table.queue td.verification-warning")
        cell.wait_for()
        assert cell.inner_text() == "⚠ Verificada con advertencias"
        assert cell.evaluate("el => getComputedStyle(el).color") == AMBER
        assert not [m for m in console if "Content Security Policy" in m], console
    finally:
        context.close()
