"""Issue 10 §3: nobody can tell who is registered, and nobody can lock anyone out.

The pages do the same work for a registered and an unknown subject (the same
SQL statements, the same jobs), reset codes are capped per user however many
clients ask, login locks per (ID. usuario, client) and throttles an ID without
locking its owner out, and "Comprobar disponibilidad" is bounded per client
and per subject.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registration import services
from registration.models import AccountAction, AccountEvent, CodePurpose, OneTimeCode
from registration.tasks import send_one_time_code
from tests.conftest import PASSWORD
from tests.registration import test_recovery
from tests.registration.test_recovery import EMAIL, OTHER_CEDULA, active_user
from tests.support import pki

pytestmark = pytest.mark.django_db
jobs = test_recovery.jobs  # the same fixture: mail jobs kept, lookup and reset jobs run at once

Capture = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]
_VERB = re.compile(
    r"^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|SAVEPOINT|RELEASE SAVEPOINT|"
    r"ROLLBACK TO SAVEPOINT)\b"
)
_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?([a-z_]+)"?', re.IGNORECASE)


def statement_shape(sql: str) -> tuple[str, str, bool]:
    """What a statement costs, without its values: the verb, the table, a row lock."""
    verb = _VERB.match(sql)
    table = _TABLE.search(sql)
    return (
        verb.group(1) if verb else sql.split()[0],
        table.group(1) if table else "",
        "FOR UPDATE" in sql,
    )


def work_of(
    capture: Capture, client: Client, path: str, data: dict[str, str]
) -> tuple[int, list[tuple[str, str, bool]], int]:
    """The answer's status, the statements the page ran and the jobs it left for after commit."""
    with capture() as callbacks, CaptureQueriesContext(connection) as queries:
        response = client.post(path, data)
    return response.status_code, [statement_shape(q["sql"]) for q in queries], len(callbacks)


# --- The same work for a registered and an unknown subject -----------------------------


def test_buscar_id_does_the_same_work_whether_or_not_the_data_match(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    active_user()
    registered = work_of(
        django_capture_on_commit_callbacks,
        Client(REMOTE_ADDR="10.30.0.1"),
        "/buscar-id/",
        {"cedula": pki.DEFAULT_CEDULA, "email": EMAIL},
    )
    unknown = work_of(
        django_capture_on_commit_callbacks,
        Client(REMOTE_ADDR="10.30.0.2"),
        "/buscar-id/",
        {"cedula": OTHER_CEDULA, "email": "nadie@example.com"},
    )
    assert registered == unknown
    assert registered[2] == 1  # one job either way: the lookup itself


def test_reset_step_1_does_the_same_work_for_a_registered_and_an_unknown_id(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    active_user()
    registered = work_of(
        django_capture_on_commit_callbacks,
        Client(REMOTE_ADDR="10.30.1.1"),
        "/buscar-id/reinicio/",
        {"id_usuario": "jperez01"},
    )
    unknown = work_of(
        django_capture_on_commit_callbacks,
        Client(REMOTE_ADDR="10.30.1.2"),
        "/buscar-id/reinicio/",
        {"id_usuario": "nadie001"},
    )
    assert registered == unknown
    assert registered[0] == 302 and registered[2] == 1


@pytest.mark.parametrize("code_state", ["live", "exhausted", "none"])
def test_reset_step_2_does_the_same_work_for_a_registered_and_an_unknown_id(
    reference_data: None,
    jobs: list[Any],
    django_capture_on_commit_callbacks: Capture,
    code_state: str,
    settings: Any,
) -> None:
    user = active_user()
    if code_state != "none":
        services.password_reset_request(username=user.username, source_ip=None)
    if code_state == "exhausted":
        OneTimeCode.objects.filter(user=user).update(attempts=settings.ECUAPASS_CODE_MAX_ATTEMPTS)
    seen = []
    for username, address in (("jperez01", "10.30.2.1"), ("nadie001", "10.30.2.2")):
        client = Client(REMOTE_ADDR=address)
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/buscar-id/reinicio/", {"id_usuario": username})
        if code_state == "none":
            OneTimeCode.objects.filter(user=user).delete()
        seen.append(
            work_of(
                django_capture_on_commit_callbacks,
                client,
                "/buscar-id/reinicio/codigo/",
                {"codigo": "000000"},  # wrong: nobody's code is derived as 000000 here
            )
        )
    registered, unknown = seen
    assert registered == unknown
    assert registered[0] == 200


def test_a_wrong_login_does_the_same_work_for_a_registered_and_an_unknown_id(
    reference_data: None, django_capture_on_commit_callbacks: Capture
) -> None:
    active_user()
    registered = work_of(
        django_capture_on_commit_callbacks,
        Client(REMOTE_ADDR="10.30.3.1"),
        "/iniciar-sesion/",
        {"username": "jperez01", "password": "equivocada"},
    )
    unknown = work_of(
        django_capture_on_commit_callbacks,
        Client(REMOTE_ADDR="10.30.3.2"),
        "/iniciar-sesion/",
        {"username": "nadie001", "password": "equivocada"},
    )
    assert registered == unknown


# --- Reset codes per user per hour ---------------------------------------------------------


def test_reset_codes_are_capped_per_user_per_hour_across_rotating_clients(
    reference_data: None,
    jobs: list[Any],
    django_capture_on_commit_callbacks: Capture,
    settings: Any,
) -> None:
    settings.ECUAPASS_CODES_PER_HOUR = 3
    user = active_user()

    def ask(address: str) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            response = Client(REMOTE_ADDR=address).post(
                "/buscar-id/reinicio/", {"id_usuario": "jperez01"}
            )
        return response.status_code

    # Every client is under its own rate limit: six different addresses, one try each.
    assert [ask(f"10.31.0.{n}") for n in range(6)] == [302] * 6
    codes = OneTimeCode.objects.filter(user=user, purpose=CodePurpose.PASSWORD_RESET)
    assert codes.count() == 3
    assert [task for task, _ in jobs] == [send_one_time_code] * 3
    capped = AccountEvent.objects.filter(
        action=AccountAction.RESET_REQUESTED, user=user, outcome__startswith="límite de códigos"
    )
    assert capped.count() == 3
    # An hour later the owner can get a code again.
    codes.update(created=timezone.now() - timedelta(hours=1, minutes=1))
    assert ask("10.31.1.1") == 302
    assert codes.count() == 4


# --- Login: lock per (ID, client), throttle per ID, tell the owner ------------------------


def login(address: str, username: str, password: str, client: Client | None = None) -> str:
    """What the login page answered: "ok", "incorrecto", "bloqueado" or "espere"."""
    response = (client or Client(REMOTE_ADDR=address)).post(
        "/iniciar-sesion/", {"username": username, "password": password}
    )
    body = response.content.decode()
    if response.status_code == 302:
        return "ok"
    if response.status_code == 429 and "bloqueado por una hora" in body:
        return "bloqueado"
    if "Espere un minuto" in body:
        return "espere"
    assert "ID. usuario o contraseña incorrectos." in body
    return "incorrecto"


@pytest.fixture
def one_minute(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Freeze the rate-limit clock (so no window ends mid-test); call it to move it."""
    now = [1_800_000_000.0]
    monkeypatch.setattr("registration.ratelimit.time.time", lambda: now[0])

    def move(seconds: float) -> None:
        now[0] += seconds

    return move


def test_wrong_passwords_from_one_address_do_not_lock_the_id_from_another(
    reference_data: None, reviewer: Any, one_minute: Callable[[float], None]
) -> None:
    # Anyone who knows a reviewer's ID. usuario tries to lock them out.
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    answers = [login("", reviewer.username, "equivocada", attacker) for _ in range(4)]
    assert answers == ["incorrecto", "incorrecto", "bloqueado", "bloqueado"]
    # The reviewer, from the office, still gets in.
    assert login("10.20.30.40", reviewer.username, PASSWORD) == "ok"


def test_many_addresses_get_a_short_wait_not_a_lock_and_the_owner_gets_in(
    reference_data: None, settings: Any, one_minute: Callable[[float], None]
) -> None:
    settings.ECUAPASS_LOGIN_ID_FAILURES_PER_MINUTE = 4
    active_user()
    # Four addresses, one guess each: the ID has failed its 4 allowed times this minute.
    assert [login(f"198.51.100.{n}", "jperez01", "equivocada") for n in range(4)] == [
        "incorrecto"
    ] * 4
    # For the rest of the minute, nobody's password is checked for this ID: not a guess,
    # and not the owner's right one (the same for an unknown ID).
    assert login("198.51.100.200", "jperez01", "adivinanza") == "espere"
    assert login("10.0.0.5", "jperez01", PASSWORD) == "espere"
    # Not a lock: a minute later the owner's password works, from a new browser.
    one_minute(60)
    assert login("10.0.0.5", "jperez01", PASSWORD) == "ok"


def test_the_wait_is_the_same_for_an_unknown_id(
    reference_data: None, settings: Any, one_minute: Callable[[float], None]
) -> None:
    settings.ECUAPASS_LOGIN_ID_FAILURES_PER_MINUTE = 2
    active_user()
    replies = {}
    for username in ("jperez01", "nadie001"):
        replies[username] = [login(f"198.51.101.{n}", username, "equivocada") for n in range(3)]
    assert replies["jperez01"] == replies["nadie001"] == ["incorrecto", "incorrecto", "espere"]


def test_a_browser_the_owner_used_before_is_not_held_back(
    reference_data: None, settings: Any, one_minute: Callable[[float], None]
) -> None:
    settings.ECUAPASS_LOGIN_ID_FAILURES_PER_MINUTE = 2
    active_user()
    own = Client(REMOTE_ADDR="10.0.0.7")
    assert login("", "jperez01", PASSWORD, own) == "ok"
    own.post("/cerrar-sesion/")
    for n in range(3):
        login(f"198.51.102.{n}", "jperez01", "equivocada")
    assert login("10.0.0.8", "jperez01", PASSWORD) == "espere"  # a new browser waits
    assert login("", "jperez01", PASSWORD, own) == "ok"  # the owner's own browser does not


def test_reinicio_de_clave_lifts_the_locks_and_lets_that_browser_past_the_wait(
    reference_data: None,
    jobs: list[Any],
    settings: Any,
    django_capture_on_commit_callbacks: Capture,
    one_minute: Callable[[float], None],
) -> None:
    user = active_user()
    for _ in range(3):
        login("10.0.0.9", "jperez01", "equivocada")
    assert login("10.0.0.9", "jperez01", PASSWORD) == "bloqueado"
    # And the ID is being guessed from elsewhere too: new browsers wait.
    settings.ECUAPASS_LOGIN_ID_FAILURES_PER_MINUTE = 3
    assert login("10.0.0.10", "jperez01", PASSWORD) == "espere"
    client, _ = test_recovery.verified_client(
        user, django_capture_on_commit_callbacks, address="10.0.0.9"
    )
    response = client.post("/buscar-id/reinicio/nueva-clave/", test_recovery.answers_form())
    assert response.status_code == 302
    # The reset lifted the lock of that address, and that browser is known now.
    assert login("", "jperez01", test_recovery.NEW_PASSWORD, client) == "ok"
    assert login("10.0.0.10", "jperez01", test_recovery.NEW_PASSWORD) == "espere"


def test_the_owner_is_emailed_once_when_their_id_is_attacked(
    reference_data: None,
    jobs: list[Any],
    settings: Any,
    django_capture_on_commit_callbacks: Capture,
    one_minute: Callable[[float], None],
) -> None:
    settings.ECUAPASS_LOGIN_ATTACK_NOTICE_FAILURES = 5
    user = active_user()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(12):
            login(f"198.51.103.{n}", "jperez01", "equivocada")
            login(f"198.51.103.{n}", "nadie001", "equivocada")
            one_minute(5)
    notices = [test_recovery.notice_of(args) for _, args in jobs]
    assert [(n.user_id, n.to) for n in notices] == [(user.pk, EMAIL)]
    assert "intentos fallidos" in notices[0].subject
    assert "jperez01" in notices[0].body and "Reinicio de clave" in notices[0].body
    test_recovery.run_jobs(jobs)
    # The next hour it may be told again.
    one_minute(3600)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            login(f"198.51.104.{n}", "jperez01", "equivocada")
    assert len(jobs) == 1


# --- Comprobar disponibilidad: the one deliberate exception, bounded ---------------------

AVAILABILITY = "/solicitud-del-uso/disponibilidad/"


def test_availability_of_one_value_is_limited_across_rotating_addresses(
    reference_data: None, settings: Any, one_minute: Callable[[float], None]
) -> None:
    settings.ECUAPASS_AVAILABILITY_PER_SUBJECT_PER_HOUR = 3
    active_user()
    asked = [
        Client(REMOTE_ADDR=f"192.0.2.{n}").get(AVAILABILITY, {"campo": "email", "valor": value})
        for n, value in enumerate([EMAIL, EMAIL.upper(), EMAIL, EMAIL, EMAIL])
    ]
    assert [r.status_code for r in asked] == [200, 200, 200, 429, 429]
    assert asked[0].json()["available"] is False  # it is registered, and it says so
    assert "se consultó demasiadas veces" in asked[3].json()["message"]
    # Other values are not held back, and after the hour the value can be asked again.
    other = Client(REMOTE_ADDR="192.0.2.99").get(
        AVAILABILITY, {"campo": "email", "valor": "libre@example.com"}
    )
    assert other.status_code == 200 and other.json()["available"] is True
    one_minute(3600)
    again = Client(REMOTE_ADDR="192.0.2.100").get(AVAILABILITY, {"campo": "email", "valor": EMAIL})
    assert again.status_code == 200


def test_availability_is_limited_per_address_per_hour(
    reference_data: None, settings: Any, one_minute: Callable[[float], None]
) -> None:
    settings.ECUAPASS_AVAILABILITY_PER_IP_PER_HOUR = 4
    client = Client(REMOTE_ADDR="192.0.2.200")
    statuses = []
    for n in range(6):  # a few a minute: under the per-minute limit, over the hourly one
        response = client.get(AVAILABILITY, {"campo": "id_usuario", "valor": f"libre{n:03d}"})
        statuses.append(response.status_code)
        one_minute(60)
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert "Demasiadas consultas" in response.json()["message"]


def test_the_readme_names_availability_as_the_one_deliberate_exception() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    readme = " ".join(text.split())
    assert '"Comprobar disponibilidad" is the one deliberate exception' in readme
    for setting in (
        "ECUAPASS_AVAILABILITY_PER_IP_PER_HOUR",
        "ECUAPASS_AVAILABILITY_PER_SUBJECT_PER_HOUR",
    ):
        assert f"| `{setting}` |" in readme


def test_with_the_broker_down_the_lookup_and_reset_jobs_run_in_the_request(
    reference_data: None,
    jobs: list[Any],
    django_capture_on_commit_callbacks: Capture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from registration.tasks import lookup_user_id, request_password_reset

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("broker no disponible")

    user = active_user()
    monkeypatch.setattr(lookup_user_id, "apply_async", broker_down)
    monkeypatch.setattr(request_password_reset, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        found = Client().post("/buscar-id/", {"cedula": pki.DEFAULT_CEDULA, "email": EMAIL})
        reset = Client().post("/buscar-id/reinicio/", {"id_usuario": "jperez01"})
    assert (found.status_code, reset.status_code) == (302, 302)
    # The ID reminder and the reset code were still written and queued for sending.
    assert AccountEvent.objects.filter(action=AccountAction.ID_LOOKUP, user=user).exists()
    assert OneTimeCode.objects.filter(user=user, purpose=CodePurpose.PASSWORD_RESET).count() == 1
    assert sorted(task.name for task, _ in jobs) == sorted(
        ["registration.tasks.send_account_notice", "registration.tasks.send_one_time_code"]
    )
