"""In a real browser: the error summary takes the user to each error, and the queue fits 1280 px."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from registration.models import RegistrationRequest, User
from tests.conftest import run_pending_jobs, verified_login

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# How many lines an element's text takes (one client rect per line box of an inline run).
LINES = """el => { const r = document.createRange(); r.selectNodeContents(el);
  const tops = new Set(Array.from(r.getClientRects()).map(c => Math.round(c.top)));
  return tops.size; }"""


def test_the_error_summary_focuses_the_first_error_and_each_link_reaches_its_field(
    chromium: Any, live_server: Any, reference_data: None
) -> None:
    context = chromium.new_context(locale="es-EC", **DESKTOP)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/solicitud-del-uso/representante/")
        page.locator("#id_razon_social").fill("IMPORTADORA ANDINA S.A.")
        page.get_by_role("button", name="Registrar").click()
        summary = page.locator("#error-summary")
        summary.wait_for()
        links = summary.get_by_role("link")
        assert links.count() >= 5
        first = links.first
        assert first.get_attribute("href") == "#id_ruc"
        # The page opens on the summary with the focus on its first error.
        assert page.evaluate("document.activeElement.getAttribute('href')") == "#id_ruc"
        assert page.evaluate("window.scrollY") < 400
        # Each link takes the focus to its own field, far down the page included.
        for href in ("#id_email", "#id_certificados", "#id_firma_reto"):
            summary.locator(f"a[href='{href}']").click()
            assert page.evaluate("document.activeElement.id") == href[1:]
            assert page.evaluate("window.scrollY") > 400
            page.evaluate("window.scrollTo(0, 0)")
        oce = summary.locator("a[href='#oce-rows']")
        assert oce.inner_text().startswith("Tipo de OCEs: Agregue al menos un OCE")
    finally:
        context.close()


def test_the_queue_keeps_tomar_and_tracking_numbers_on_one_line_at_1280_px(
    chromium: Any,
    live_server: Any,
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
) -> None:
    request = submit(
        good_certificate,
        razon_social="IMPORTADORA Y EXPORTADORA ANDINA DEL PACIFICO COMERCIAL S.A.",
        nombre_usuario="JUAN CARLOS DE LOS SANTOS PEREZ GOMEZ",
    )
    run_pending_jobs(request)
    client = verified_login(Client(), reviewer)
    context = chromium.new_context(locale="es-EC", **DESKTOP)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    try:
        page.goto(live_server.url + "/revision/?cola=sin-asignar")
        take = page.get_by_role("button", name=f"Tomar {request.tracking_number}")
        take.wait_for()
        assert take.evaluate(LINES) == 1
        number = page.locator("table.queue").get_by_role("link", name=request.tracking_number)
        assert number.evaluate(LINES) == 1
        # One line: no taller than the other one-line buttons on the page.
        filtrar = page.get_by_role("button", name="Filtrar").bounding_box()
        box = take.bounding_box()
        assert box is not None and filtrar is not None
        assert box["height"] <= filtrar["height"] + 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    finally:
        context.close()
