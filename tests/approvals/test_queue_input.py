"""The review queues refuse bad filters with a Spanish message instead of an HTTP 500."""

from __future__ import annotations

import pytest
from django.test import Client

from approvals.selectors import QUEUES
from registration.models import User
from tests.conftest import verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.services]

TEXT_FILTERS = ["q", "tipo", "ruc", "provincia", "verificacion"]


@pytest.mark.parametrize("queue", list(QUEUES))
@pytest.mark.parametrize("name", TEXT_FILTERS)
def test_a_nul_byte_in_a_filter_is_refused_in_spanish_in_every_queue(
    supervisor: User, queue: str, name: str
) -> None:
    client = verified_login(Client(), supervisor)
    response = client.get("/revision/", {"cola": queue, name: "SOL\x00-2026"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Se ignoró" in body
    assert "\x00" not in body
    assert "Revisión de solicitudes" in body


@pytest.mark.parametrize("name", ["pagina", "oce"])
@pytest.mark.parametrize("value", ["²", "٣", "1²", "-1", "0", str(2**63), "9" * 40])
def test_numbers_outside_ascii_digits_or_bounds_are_refused_in_spanish(
    reviewer: User, name: str, value: str
) -> None:
    client = verified_login(Client(), reviewer)
    response = client.get("/revision/", {name: value})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Se ignoró" in body
    assert "No hay solicitudes en esta cola" in body


def test_valid_filters_still_answer_200_and_keep_their_values(reviewer: User) -> None:
    client = verified_login(Client(), reviewer)
    response = client.get(
        "/revision/",
        {
            "cola": "decididas",
            "q": "PEREZ",
            "ruc": "1790011674001",
            "pagina": "2",
            "orden": "recientes",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="PEREZ"' in body
    assert "Página 2" in body


@pytest.mark.parametrize("reason", ["perdió\x00 el teléfono", "x" * 151])
def test_a_second_factor_reset_reason_with_nul_or_too_long_is_refused_in_spanish(
    supervisor: User, reviewer: User, reason: str
) -> None:
    client = verified_login(Client(), supervisor)
    response = client.post(
        f"/revision/personal/{reviewer.pk}/restablecer-2fa/", {"motivo": reason}, follow=True
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Los caracteres nulos no están permitidos." in body or "150 caracteres" in body
    assert "restablecido" not in body


@pytest.mark.parametrize(
    "query", [{"desde": "2026-13-01"}, {"hasta": "²⁰²⁶-01-01"}, {"desde": "\x00"}]
)
def test_bad_audit_dates_are_refused_in_spanish(supervisor: User, query: dict[str, str]) -> None:
    response = verified_login(Client(), supervisor).get("/revision/auditoria.csv", query)
    assert response.status_code == 400
    assert "Fechas no válidas: use AAAA-MM-DD" in response.content.decode()


def test_good_audit_dates_still_export(supervisor: User) -> None:
    response = verified_login(Client(), supervisor).get(
        "/revision/auditoria.csv", {"desde": "2026-01-01", "hasta": "2026-12-31"}
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"fecha,solicitud")  # type: ignore[attr-defined]
