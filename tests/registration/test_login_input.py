"""The login form bounds the ID. usuario on the server: no over-long text reaches django-axes."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client

from registration.models import User
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.services]


@pytest.mark.parametrize("length", [21, 255, 256, 5000])
def test_an_over_long_id_is_refused_in_spanish_like_a_wrong_login(
    reference_data: None, length: int
) -> None:
    response = Client().post("/iniciar-sesion/", {"username": "a" * length, "password": "x"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "El ID. usuario tiene como máximo 20 caracteres." in body
    assert 'name="username"' in body
    assert not AccessAttempt.objects.exists()
    assert not AccessFailureLog.objects.exists()


def test_a_nul_byte_in_the_id_is_refused_in_spanish(reference_data: None) -> None:
    response = Client().post("/iniciar-sesion/", {"username": "jperez\x0001", "password": "x"})
    assert response.status_code == 200
    assert "Los caracteres nulos no están permitidos." in response.content.decode()


def test_a_twenty_character_id_still_logs_in(reference_data: None) -> None:
    User.objects.create_user(username="u" * 20, password=PASSWORD)
    response = Client().post("/iniciar-sesion/", {"username": "u" * 20, "password": PASSWORD})
    assert response.status_code == 302
