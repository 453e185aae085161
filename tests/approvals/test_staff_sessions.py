"""Staff sessions end when idle and after a maximum lifetime, taking the TOTP verification along."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from approvals.middleware import SESSION_ENDED
from registration.models import User
from tests.conftest import PASSWORD, verified_login
from tests.support import pki

pytestmark = pytest.mark.django_db

START = 1_800_000_000.0


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = START
        monkeypatch.setattr("approvals.middleware.time.time", lambda: self.now)

    def advance(self, *, minutes: float) -> None:
        self.now += minutes * 60


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, settings: object) -> Clock:
    settings.ECUAPASS_STAFF_IDLE_MINUTES = 30  # type: ignore[attr-defined]
    settings.ECUAPASS_STAFF_SESSION_HOURS = 12  # type: ignore[attr-defined]
    return Clock(monkeypatch)


def test_an_idle_reviewer_session_ends_and_the_second_factor_with_it(
    clock: Clock, reviewer: User
) -> None:
    client = verified_login(Client(), reviewer)
    assert client.get("/revision/").status_code == 200
    session_key = client.session.session_key
    clock.advance(minutes=29)
    assert client.get("/revision/").status_code == 200  # still active: the idle clock restarts
    clock.advance(minutes=29)
    assert client.get("/revision/").status_code == 200
    clock.advance(minutes=31)
    ended = client.get("/revision/", follow=True)
    assert ended.redirect_chain[0][0].startswith("/iniciar-sesion/")
    assert SESSION_ENDED in ended.content.decode()
    assert not Session.objects.filter(session_key=session_key).exists()
    # Logging in again with the password alone does not bring the verification back.
    client.force_login(reviewer)
    again = client.get("/revision/")
    assert again.status_code == 302 and "/revision/2fa/" in again["Location"]


def test_a_busy_reviewer_session_still_ends_after_its_maximum_lifetime(
    clock: Clock, reviewer: User
) -> None:
    client = verified_login(Client(), reviewer)
    assert client.get("/revision/").status_code == 200
    for _ in range(12 * 3 - 1):  # a request every 20 minutes for just under 12 hours
        clock.advance(minutes=20)
        assert client.get("/revision/").status_code == 200
    clock.advance(minutes=21)
    ended = client.get("/revision/")
    assert ended.status_code == 302 and ended["Location"].startswith("/iniciar-sesion/")


def test_applicant_sessions_are_not_cut_by_the_staff_limits_and_last_hours_not_weeks(
    clock: Clock, reference_data: None, settings: object
) -> None:
    user = User.objects.create_user(
        username="jperez01", password=PASSWORD, cedula=pki.DEFAULT_CEDULA
    )
    client = Client()
    client.force_login(user)
    assert client.get("/mi-pagina/").status_code == 200
    clock.advance(minutes=90)
    assert client.get("/mi-pagina/").status_code == 200
    assert settings.SESSION_COOKIE_AGE == 8 * 3600  # type: ignore[attr-defined]
    assert client.session.get_expiry_age() == 8 * 3600
