"""Login with ID. usuario and contraseña: lockout after repeated failures, same answers."""

from __future__ import annotations

import pytest
from django.test import Client

from registration.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def attempt(client: Client, username: str, password: str) -> tuple[int, str]:
    response = client.post("/iniciar-sesion/", {"username": username, "password": password})
    return response.status_code, response.content.decode()


def test_three_wrong_passwords_lock_the_id_for_an_hour_from_that_client(
    reference_data: None,
) -> None:
    User.objects.create_user(username="jperez01", password=PASSWORD)
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(2):
        status, body = attempt(client, "jperez01", "equivocada")
        assert status == 200 and "ID. usuario o contraseña incorrectos." in body
    status, body = attempt(client, "jperez01", "equivocada")
    assert status == 429 and "bloqueado por una hora" in body
    # Even the right password is refused now from that address, in any browser.
    status, body = attempt(Client(REMOTE_ADDR="10.1.1.1"), "jperez01", PASSWORD)
    assert status == 429 and "bloqueado" in body


def test_unknown_ids_get_the_same_answers_and_the_same_lockout(reference_data: None) -> None:
    User.objects.create_user(username="existe01", password=PASSWORD)
    answers = {}
    for username in ("existe01", "noexiste"):
        client = Client()
        replies = [attempt(client, username, "equivocada") for _ in range(3)]
        answers[username] = [
            (status, "incorrectos" in body, "bloqueado" in body) for status, body in replies
        ]
    assert answers["existe01"] == answers["noexiste"]


def test_a_correct_login_resets_the_count_and_logout_ends_the_session(reference_data: None) -> None:
    User.objects.create_user(username="jperez01", password=PASSWORD)
    client = Client()
    attempt(client, "jperez01", "equivocada")
    attempt(client, "jperez01", "equivocada")
    status, _ = attempt(client, "jperez01", PASSWORD)
    assert status == 302
    client.post("/cerrar-sesion/")
    assert client.get("/mi-pagina/").status_code == 302
    attempt(client, "jperez01", "equivocada")
    attempt(client, "jperez01", "equivocada")
    assert attempt(client, "jperez01", PASSWORD)[0] == 302
