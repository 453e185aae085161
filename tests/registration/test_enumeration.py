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
