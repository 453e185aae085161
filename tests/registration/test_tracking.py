"""Consulta de estado: tracking number plus cédula, no login, revealing nothing."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client

from registration.models import RegistrationRequest, User
from tests.support import pki
from tests.support.status_access import status_client, status_path

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    cache.clear()


def lookup(client: Client, tracking: str, cedula: str) -> tuple[int, str, str]:
    response = client.post(
        "/solicitud-del-uso/consulta/", {"tracking_number": tracking, "cedula": cedula}
    )
    return response.status_code, response.content.decode(), response.get("Location", "")


def test_tracking_number_and_cedula_open_the_status_page(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate)
    client = Client()
    status, _, location = lookup(client, request.tracking_number.lower(), pki.DEFAULT_CEDULA)
    assert status == 302
    assert location == status_path(request)  # no secret in the URL the browser ends on
    page = client.get(location).content.decode()
    assert request.tracking_number in page
    assert "Fecha estimada de decisión del SENAE" in page
    assert "Enviada" in page


def test_unknown_number_and_wrong_cedula_get_the_same_answer(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate)
    wrong_cedula = lookup(Client(), request.tracking_number, "0926687856")
    unknown_number = lookup(Client(), "SOL-2026-999999", pki.DEFAULT_CEDULA)
    assert wrong_cedula[0] == unknown_number[0] == 404

    def strip(body: str) -> str:
        """The page without the typed values and the per-request CSRF token."""
        body = body.replace("SOL-2026-999999", "").replace(request.tracking_number, "")
        body = body.replace("0926687856", "").replace(pki.DEFAULT_CEDULA, "")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)

    assert strip(wrong_cedula[1]) == strip(unknown_number[1])
    assert "No encontramos una solicitud con ese número y esa cédula." in wrong_cedula[1]


def test_the_lookup_is_rate_limited(
    reference_data: None, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One fixed minute, so the count can't restart mid-test at a minute boundary.
    monkeypatch.setattr("registration.ratelimit.time.time", lambda: 1_800_000_000.0)
    settings.ECUAPASS_STATUS_LOOKUP_PER_MINUTE = 2  # type: ignore[attr-defined]
    client = Client(REMOTE_ADDR="10.5.5.5")
    codes = [lookup(client, f"SOL-2026-00000{i}", pki.DEFAULT_CEDULA)[0] for i in range(4)]
    assert codes == [404, 404, 429, 429]


def test_the_status_page_polls_for_changes_and_the_account_links_to_it(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate)
    data = status_client(request).get(status_path(request) + "json/").json()
    assert data == {"status": "submitted", "label": "Enviada", "events": 2}  # + email confirmed
    # Without this browser's grant the JSON says nothing (the tracking number is no secret).
    refused = Client().get(status_path(request) + "json/")
    assert refused.status_code == 403
    assert "status" not in refused.json()
    user = User.objects.create_user(
        username="jperez01", password="Clave-Segura-2026", cedula=pki.DEFAULT_CEDULA
    )
    RegistrationRequest.objects.filter(pk=request.pk).update(user=user)
    client = Client()
    client.force_login(user)
    link = re.search(
        r'href="(/solicitud-del-uso/estado/[^"]+/)"', client.get("/mi-pagina/").content.decode()
    )
    assert link is not None
    assert link.group(1) == status_path(request)
    # The applicant's login is the access: no link or Consulta de estado needed.
    assert request.tracking_number in client.get(link.group(1)).content.decode()
    assert Client().get(link.group(1)).status_code == 403
