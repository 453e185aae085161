"""Buscar ID/Reinicio de clave: same answers either way, emails sent once, audited, bounded."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from registration import services
from registration.models import (
    AccountAction,
    AccountEvent,
    AccountNotice,
    CodePurpose,
    CompanyDetails,
    OneTimeCode,
    RegistrationRequest,
    RequestKind,
    RequestStatus,
    SecurityQuestion,
    User,
)
from registration.tasks import (
    lookup_user_id,
    request_password_reset,
    send_account_notice,
    send_one_time_code,
)
from tests.conftest import PASSWORD, run_pending_jobs
from tests.support import pki

pytestmark = pytest.mark.django_db

EMAIL = "jperez@example.com"
ANSWERS = ("Mayo", "San Francisco", "Cuenca")
NEW_PASSWORD = "Nueva-Clave-Andina-77"
OTHER_CEDULA = "0912345675"
Capture = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


# --- Helpers ------------------------------------------------------------------------


def active_user(
    *,
    username: str = "jperez01",
    cedula: str = pki.DEFAULT_CEDULA,
    email: str = EMAIL,
    is_active: bool = True,
) -> User:
    """A user as activation leaves it: the password, and an active request with the answers."""
    user = User.objects.create_user(
        username=username, password=PASSWORD, email=email, cedula=cedula, is_active=is_active
    )
    questions = {q.slot: q for q in SecurityQuestion.objects.all()}
    request = RegistrationRequest.objects.create(
        tracking_number=f"SOL-2026-{user.pk:06d}",
        kind=RequestKind.REPRESENTANTE,
        status=RequestStatus.ACTIVE,
        ruc=pki.COMPANY_RUC,
        razon_social="IMPORTADORA ANDINA S.A.",
        id_usuario=username,
        cedula=cedula,
        nombre_usuario="JUAN CARLOS PEREZ GOMEZ",
        password_hash=user.password,
        question1=questions[1],
        answer1_hash=services.hash_security_answer(ANSWERS[0]),
        question2=questions[2],
        answer2_hash=services.hash_security_answer(ANSWERS[1]),
        question3=questions[3],
        answer3_hash=services.hash_security_answer(ANSWERS[2]),
        province_id="17",
        canton_id="1701",
        direccion="Calle Los Pinos 45",
        telefono1="+59322345679",
        email=email,
        user=user,
    )
    CompanyDetails.objects.create(
        request=request,
        direccion_empresa="Av. Amazonas N24-03 y Colón, Quito",
        telefono_empresa="+59322345678",
    )
    return user


@pytest.fixture
def jobs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, tuple[Any, ...]]]:
    """What the views enqueue after commit, kept instead of sent to the broker."""
    queued: list[tuple[Any, tuple[Any, ...]]] = []
    for task in (send_one_time_code, send_account_notice):
        monkeypatch.setattr(
            task,
            "apply_async",
            lambda args, _task=task, **kwargs: queued.append((_task, tuple(args))),
        )
    # Buscar ID and Reinicio step 1 are jobs for every submission: run them as a worker
    # would, at once; the emails they queue are kept above.
    for task in (lookup_user_id, request_password_reset):
        monkeypatch.setattr(
            task, "apply_async", lambda args, _task=task, **kwargs: _task.run(*args)
        )
    return queued


def run_jobs(jobs: list[tuple[Any, tuple[Any, ...]]]) -> None:
    for task, args in jobs:
        task.run(*args)
    jobs.clear()


def notice_of(args: tuple[Any, ...]) -> AccountNotice:
    """The notice a queued `send_account_notice` job would send (it carries only the id)."""
    (notice_id,) = args
    return AccountNotice.objects.get(pk=notice_id)


def comparable(content: bytes, username: str = "") -> str:
    """The page without what differs per request (CSRF token) or was typed (the ID)."""
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", content.decode())
    return body.replace(username, "<ID>") if username else body


def live_code(user: User) -> str:
    code = OneTimeCode.objects.filter(
        user=user, purpose=CodePurpose.PASSWORD_RESET, used__isnull=True, retired__isnull=True
    ).get()
    return services.code_value(code)


def another_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def answers_form(answers: tuple[str, str, str] = ANSWERS, **overrides: str) -> dict[str, str]:
    return {
        "answer1": answers[0],
        "answer2": answers[1],
        "answer3": answers[2],
        "password": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }


def login(client: Client, username: str, password: str) -> int:
    return client.post("/iniciar-sesion/", {"username": username, "password": password}).status_code


def verified_client(
    user: User, capture: Capture, *, address: str = "10.0.0.1"
) -> tuple[Client, OneTimeCode]:
    """A browser that asked for a code for `user` and entered it."""
    client = Client(REMOTE_ADDR=address)
    with capture(execute=True):
        client.post("/buscar-id/reinicio/", {"id_usuario": user.username})
    response = client.post("/buscar-id/reinicio/codigo/", {"codigo": live_code(user)})
    assert (
        response.status_code == 302 and response["Location"] == "/buscar-id/reinicio/nueva-clave/"
    )
    code = OneTimeCode.objects.filter(user=user, used__isnull=False).order_by("-used").first()
    assert code is not None
    return client, code


# --- Buscar ID ----------------------------------------------------------------------


def test_the_entry_page_offers_both_and_the_home_page_links_to_it(reference_data: None) -> None:
    page = Client().get("/buscar-id/").content.decode()
    for label in ("Buscar ID", "Reinicio de clave", "Doc. Identificación", "Correo Electrónico"):
        assert label in page
    assert "aún no" not in page
    assert 'href="/buscar-id/"' in Client().get("/").content.decode()


def test_buscar_id_answers_the_same_whether_or_not_the_data_match(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    active_user()
    active_user(username="inactivo1", cedula="1711111110", email="i@example.com", is_active=False)
    attempts = {
        "match": {"cedula": pki.DEFAULT_CEDULA, "email": "JPerez@Example.com"},
        "unknown cedula": {"cedula": OTHER_CEDULA, "email": EMAIL},
        "wrong email": {"cedula": pki.DEFAULT_CEDULA, "email": "otro@example.com"},
        "inactive user": {"cedula": "1711111110", "email": "i@example.com"},
    }
    pages = {}
    for name, data in attempts.items():
        client = Client()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/buscar-id/", data)
        followed = client.get(response["Location"])
        pages[name] = (response.status_code, response["Location"], comparable(followed.content))
    assert len(set(pages.values())) == 1
    status, location, body = pages["match"]
    assert (status, location) == (302, "/buscar-id/")
    assert "le enviamos su ID. usuario al correo registrado" in body
    # Only the match queued an email, to the registered address (not as typed).
    assert [(task, notice_of(args).to) for task, args in jobs] == [(send_account_notice, EMAIL)]


def test_the_id_goes_only_to_the_registered_email_and_a_replayed_job_sends_once(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    active_user()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/buscar-id/", {"cedula": "171430710-3", "email": " JPEREZ@EXAMPLE.COM "})
    assert len(jobs) == 1
    task, args = jobs[0]
    task.run(*args)
    task.run(*args)  # a redelivered message
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [EMAIL]
    assert "jperez01" in mail.outbox[0].body
    # A second request is a second email (a new job, a new claim).
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/buscar-id/", {"cedula": pki.DEFAULT_CEDULA, "email": EMAIL})
    run_jobs(jobs)
    assert len(mail.outbox) == 2
    user = User.objects.get(username="jperez01")
    assert list(AccountNotice.objects.values_list("user", "to")) == [(user.pk, EMAIL)] * 2


def test_an_id_reminder_queued_while_the_broker_is_down_is_sent_by_the_sweep(
    reference_data: None,
    jobs: list[Any],
    django_capture_on_commit_callbacks: Capture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    active_user()

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("broker no disponible")

    with monkeypatch.context() as patched:
        patched.setattr(send_account_notice, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post("/buscar-id/", {"cedula": pki.DEFAULT_CEDULA, "email": EMAIL})
    assert response.status_code == 302 and jobs == [] and mail.outbox == []
    AccountNotice.objects.update(created=timezone.now() - timedelta(minutes=5))
    assert services.account_notices_resend_pending() == 1
    run_jobs(jobs)
    [sent] = mail.outbox
    assert sent.to == [EMAIL] and "jperez01" in sent.body
    assert services.account_notices_resend_pending() == 0


def test_every_lookup_is_audited_with_the_email_masked_and_the_source_ip(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    user = active_user()
    with django_capture_on_commit_callbacks(execute=True):  # the lookup job audits it
        Client(REMOTE_ADDR="10.9.9.9").post(
            "/buscar-id/", {"cedula": pki.DEFAULT_CEDULA, "email": EMAIL}
        )
        Client(REMOTE_ADDR="10.9.9.8").post(
            "/buscar-id/", {"cedula": OTHER_CEDULA, "email": "nadie@example.com"}
        )
    events = list(
        AccountEvent.objects.filter(action=AccountAction.ID_LOOKUP)
        .order_by("id")
        .values_list("user", "subject", "outcome", "source_ip")
    )
    assert events == [
        (
            user.pk,
            f"cédula {pki.DEFAULT_CEDULA}, correo j***@example.com",
            "ID. usuario enviado",
            "10.9.9.9",
        ),
        (None, f"cédula {OTHER_CEDULA}, correo n***@example.com", "sin coincidencia", "10.9.9.8"),
    ]
    assert not AccountEvent.objects.filter(subject__icontains="nadie@").exists()


def test_buscar_id_form_errors_are_spanish_and_keep_what_was_typed(reference_data: None) -> None:
    response = Client().post("/buscar-id/", {"cedula": "1714307104", "email": "jperez@"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "el dígito verificador no coincide" in body
    assert "Escriba un correo electrónico válido." in body
    assert 'value="1714307104"' in body and 'value="jperez@"' in body
    assert not AccountEvent.objects.exists()


def test_recovery_is_rate_limited_per_client(
    reference_data: None,
    jobs: list[Any],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    # One fixed minute, so the count can't restart mid-test at a minute boundary.
    monkeypatch.setattr("registration.ratelimit.time.time", lambda: 1_800_000_000.0)
    settings.ECUAPASS_RECOVERY_RATE_PER_MINUTE = 2
    active_user()
    client = Client(REMOTE_ADDR="10.7.7.7")
    data = {"cedula": pki.DEFAULT_CEDULA, "email": EMAIL}
    with django_capture_on_commit_callbacks(execute=True):  # the lookup jobs audit them
        statuses = [client.post("/buscar-id/", data).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    refused = client.post("/buscar-id/", data)
    assert "Demasiados intentos seguidos" in refused.content.decode()
    assert 'value="1714307103"' in refused.content.decode()
    assert AccountEvent.objects.filter(action=AccountAction.ID_LOOKUP).count() == 2
    reset = [
        client.post("/buscar-id/reinicio/", {"id_usuario": "jperez01"}).status_code
        for _ in range(3)
    ]
    assert reset == [302, 302, 429]
    codes = [
        client.post("/buscar-id/reinicio/codigo/", {"codigo": "123456"}).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    # Another client is not held back.
    assert Client(REMOTE_ADDR="10.7.7.8").post("/buscar-id/", data).status_code == 302


# --- Reinicio de clave ----------------------------------------------------------------


def test_full_reset_changes_the_password_tells_the_user_and_audits_it(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    user = active_user()
    client = Client(REMOTE_ADDR="10.1.2.3")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/buscar-id/reinicio/", {"id_usuario": "jperez01"})
    assert response.status_code == 302 and response["Location"] == "/buscar-id/reinicio/codigo/"
    assert "/codigo/" in response["Location"] and "jperez01" not in response["Location"]
    run_jobs(jobs)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL]
    code = re.search(r"\b(\d{6})\b", str(mail.outbox[0].body))
    assert code is not None
    page = client.get("/buscar-id/reinicio/codigo/").content.decode()
    assert "le enviamos un código al correo registrado" in page

    response = client.post("/buscar-id/reinicio/codigo/", {"codigo": code.group(1)})
    assert response["Location"] == "/buscar-id/reinicio/nueva-clave/"
    page = client.get("/buscar-id/reinicio/nueva-clave/").content.decode()
    for question in SecurityQuestion.objects.values_list("text", flat=True):
        assert question in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/buscar-id/reinicio/nueva-clave/",
            answers_form(("MAYO", "san  francisco", "Cuénca")),
        )
    assert response.status_code == 302 and response["Location"] == "/iniciar-sesion/"
    login_page = client.get("/iniciar-sesion/").content.decode()
    assert "Su clave fue cambiada." in login_page

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    assert login(Client(), "jperez01", PASSWORD) == 200
    assert login(Client(), "jperez01", NEW_PASSWORD) == 302

    run_jobs(jobs)
    notice = mail.outbox[-1]
    assert notice.to == [EMAIL] and "fue cambiada" in notice.subject
    [row] = AccountNotice.objects.filter(user=user)
    assert row.to == EMAIL and row.subject == notice.subject and row.sent is not None
    assert list(
        AccountEvent.objects.filter(user=user).order_by("id").values_list("action", "outcome")
    ) == [
        (AccountAction.RESET_REQUESTED, "código enviado a j***@example.com"),
        (AccountAction.RESET_REQUESTED, "código verificado"),
        (AccountAction.RESET_DONE, "clave cambiada"),
    ]
    assert set(AccountEvent.objects.values_list("source_ip", flat=True)) == {"10.1.2.3"}
    # The flow is over: the last step is not reachable again from this session.
    again = client.get("/buscar-id/reinicio/nueva-clave/")
    assert again.status_code == 302 and again["Location"] == "/buscar-id/"


def test_reset_pages_answer_the_same_for_existing_and_unknown_ids(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    user = active_user()
    active_user(username="inactivo1", cedula="1711111110", email="i@example.com", is_active=False)
    wrong = another_code("000000")

    def walk(username: str, address: str) -> list[tuple[int, str, str]]:
        client = Client(REMOTE_ADDR=address)
        seen = []
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/buscar-id/reinicio/", {"id_usuario": username})
        seen.append((response.status_code, response["Location"], ""))
        seen.append((200, "", comparable(client.get(response["Location"]).content, username)))
        nonlocal wrong
        if username == user.username:
            wrong = another_code(live_code(user))
        for _ in range(5):  # ECUAPASS_CODE_MAX_ATTEMPTS
            response = client.post("/buscar-id/reinicio/codigo/", {"codigo": wrong})
            location = response.get("Location", "")
            seen.append((response.status_code, location, comparable(response.content, username)))
        seen.append((200, "", comparable(client.get("/buscar-id/").content, username)))
        return seen

    existing = walk("jperez01", "10.3.0.1")
    for username, address in (("nadie001", "10.3.0.2"), ("inactivo1", "10.3.0.3")):
        assert walk(username, address) == existing
    assert "El código no es correcto o ya no es válido." in existing[2][2]
    assert existing[-2][:2] == (302, "/buscar-id/")
    assert "Demasiados intentos con el código. Pida un código nuevo." in existing[-1][2]
    # Only the real, active user got a code; every wrong attempt was audited.
    assert [task for task, _ in jobs] == [send_one_time_code]
    assert AccountEvent.objects.filter(action=AccountAction.RESET_FAILED).count() == 15
    assert AccountEvent.objects.filter(action=AccountAction.RESET_FAILED, user=user).count() == 5
    assert AccountEvent.objects.filter(
        action=AccountAction.RESET_REQUESTED, user__isnull=True, subject="ID. usuario nadie001"
    ).exists()


def test_a_wrong_code_is_refused_and_the_right_one_still_works(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    user = active_user()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/buscar-id/reinicio/", {"id_usuario": "jperez01"})
    code = live_code(user)
    response = client.post("/buscar-id/reinicio/codigo/", {"codigo": another_code(code)})
    assert response.status_code == 200
    assert "El código no es correcto o ya no es válido." in response.content.decode()
    assert AccountEvent.objects.filter(
        user=user, action=AccountAction.RESET_FAILED, outcome="código wrong"
    ).exists()
    assert client.get("/buscar-id/reinicio/nueva-clave/")["Location"] == "/buscar-id/"
    bad_shape = client.post("/buscar-id/reinicio/codigo/", {"codigo": "12ab"}).content.decode()
    assert "El código tiene 6 dígitos." in bad_shape
    response = client.post("/buscar-id/reinicio/codigo/", {"codigo": f" {code} "})
    assert response["Location"] == "/buscar-id/reinicio/nueva-clave/"


def test_an_expired_or_replaced_code_is_refused(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    user = active_user()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/buscar-id/reinicio/", {"id_usuario": "jperez01"})
    first = live_code(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/buscar-id/reinicio/", {"id_usuario": "jperez01"})
    response = client.post("/buscar-id/reinicio/codigo/", {"codigo": first})
    if first != live_code(user):  # the new code could, once in a million, be the same
        assert "El código no es correcto o ya no es válido." in response.content.decode()
    OneTimeCode.objects.filter(user=user).update(expires=timezone.now() - timedelta(seconds=1))
    response = client.post("/buscar-id/reinicio/codigo/", {"codigo": live_code(user)})
    assert response.status_code == 200
    assert "El código no es correcto o ya no es válido." in response.content.decode()
    assert AccountEvent.objects.filter(
        user=user, action=AccountAction.RESET_FAILED, outcome="código missing"
    ).exists()


def test_an_exhausted_code_stops_working_even_from_a_fresh_browser(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    user = active_user()
    client = Client(REMOTE_ADDR="10.4.0.1")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/buscar-id/reinicio/", {"id_usuario": "jperez01"})
    code = live_code(user)
    responses = [
        client.post("/buscar-id/reinicio/codigo/", {"codigo": another_code(code)}) for _ in range(5)
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 302]
    assert client.get("/buscar-id/reinicio/codigo/")["Location"] == "/buscar-id/"
    assert "Demasiados intentos con el código" in client.get("/buscar-id/").content.decode()
    # The bound is on the code itself: the right code, from anywhere, no longer works.
    assert (
        services.password_reset_code_verify(username="jperez01", code=code, source_ip="10.4.0.2")
        is None
    )
    assert AccountEvent.objects.filter(user=user, outcome="código exhausted").count() == 2


def test_the_last_step_needs_a_verified_session(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    active_user()
    client = Client()
    response = client.get("/buscar-id/reinicio/nueva-clave/")
    assert response.status_code == 302 and response["Location"] == "/buscar-id/"
    assert "escriba primero su ID. usuario" in client.get("/buscar-id/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/buscar-id/reinicio/", {"id_usuario": "jperez01"})
    response = client.post("/buscar-id/reinicio/nueva-clave/", answers_form())
    assert response.status_code == 302 and response["Location"] == "/buscar-id/"
    assert login(Client(), "jperez01", NEW_PASSWORD) == 200


def test_wrong_answers_are_counted_and_the_third_ends_the_verification(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    user = active_user()
    client, code = verified_client(user, django_capture_on_commit_callbacks)
    wrong = ("Mayo", "San Francisco", "Quito")
    first = client.post("/buscar-id/reinicio/nueva-clave/", answers_form(wrong))
    body = first.content.decode()
    assert first.status_code == 200
    assert "no coinciden con las registradas. Le quedan 2 intentos." in body
    assert 'value="Quito"' in body and NEW_PASSWORD not in body  # answers kept, passwords not
    second = client.post("/buscar-id/reinicio/nueva-clave/", answers_form(wrong)).content.decode()
    assert "Le quedan 1 intento." in second
    third = client.post("/buscar-id/reinicio/nueva-clave/", answers_form(wrong))
    assert third.status_code == 302 and third["Location"] == "/buscar-id/"
    assert "Demasiados intentos con las respuestas" in client.get("/buscar-id/").content.decode()
    # Even with the right answers now, and from a replayed session, nothing changes.
    again = client.post("/buscar-id/reinicio/nueva-clave/", answers_form())
    assert again["Location"] == "/buscar-id/"
    result = services.password_reset_complete(
        code_id=code.pk, answers=ANSWERS, password=NEW_PASSWORD, source_ip=None
    )
    assert result.outcome == services.ResetOutcome.LOCKED
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert (
        AccountEvent.objects.filter(
            user=user, action=AccountAction.RESET_FAILED, outcome="respuestas incorrectas"
        ).count()
        == 3
    )
    # A new code opens a new verification with a fresh count.
    client, _ = verified_client(user, django_capture_on_commit_callbacks, address="10.0.0.2")
    response = client.post("/buscar-id/reinicio/nueva-clave/", answers_form())
    assert response["Location"] == "/iniciar-sesion/"


def test_the_verification_lasts_only_a_few_minutes(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    user = active_user()
    client, code = verified_client(user, django_capture_on_commit_callbacks)
    OneTimeCode.objects.filter(pk=code.pk).update(used=timezone.now() - timedelta(minutes=11))
    response = client.post("/buscar-id/reinicio/nueva-clave/", answers_form())
    assert response.status_code == 302 and response["Location"] == "/buscar-id/"
    assert "Pida un código nuevo." in client.get("/buscar-id/").content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_problems_are_spanish_and_keep_the_answers(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    user = active_user()
    client, _ = verified_client(user, django_capture_on_commit_callbacks)
    mismatch = client.post(
        "/buscar-id/reinicio/nueva-clave/", answers_form(password2="Otra-Clave-Distinta-9")
    ).content.decode()
    assert "La confirmación no coincide con la contraseña." in mismatch
    assert 'value="San Francisco"' in mismatch and NEW_PASSWORD not in mismatch
    weak = client.post(
        "/buscar-id/reinicio/nueva-clave/", answers_form(password="12345", password2="12345")
    ).content.decode()
    assert "contraseña" in weak.lower() and 'class="error"' in weak
    # Neither counted as a wrong answer: the right answers still work.
    assert not AccountEvent.objects.filter(action=AccountAction.RESET_FAILED).exists()
    response = client.post("/buscar-id/reinicio/nueva-clave/", answers_form())
    assert response["Location"] == "/iniciar-sesion/"


def test_a_double_submit_resets_once_and_does_not_crash(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    user = active_user()
    client, code = verified_client(user, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/buscar-id/reinicio/nueva-clave/", answers_form())
    second = client.post("/buscar-id/reinicio/nueva-clave/", answers_form())  # stale form
    assert first["Location"] == "/iniciar-sesion/"
    assert second.status_code == 302 and second["Location"] == "/buscar-id/"
    replay = services.password_reset_complete(
        code_id=code.pk, answers=ANSWERS, password="Otra-Clave-Distinta-9", source_ip=None
    )
    assert replay.outcome == services.ResetOutcome.ALREADY_DONE
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AccountEvent.objects.filter(action=AccountAction.RESET_DONE).count() == 1
    assert [task for task, _ in jobs if task is send_account_notice] == [send_account_notice]


def test_a_reset_clears_the_login_lockout(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    user = active_user()
    for _ in range(3):
        login(Client(), "jperez01", "equivocada")
    assert login(Client(), "jperez01", PASSWORD) == 429
    client, _ = verified_client(user, django_capture_on_commit_callbacks)
    client.post("/buscar-id/reinicio/nueva-clave/", answers_form())
    assert login(Client(), "jperez01", NEW_PASSWORD) == 302


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_final_submits_reset_once(reference_data: None, jobs: list[Any]) -> None:
    user = active_user()
    services.password_reset_request(username=user.username, source_ip=None)
    code_id = services.password_reset_code_verify(
        username=user.username, code=live_code(user), source_ip=None
    )
    assert code_id is not None
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(password: str) -> None:
        try:
            start.wait(10)
            result = services.password_reset_complete(
                code_id=code_id, answers=ANSWERS, password=password, source_ip=None
            )
            outcomes.append(result.outcome)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=submit, args=(p,)) for p in (NEW_PASSWORD, "Otra-Clave-Distinta-9")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["already_done", "done"]
    assert AccountEvent.objects.filter(action=AccountAction.RESET_DONE).count() == 1


# --- Through the real registration flow ---------------------------------------------


def test_a_user_activated_through_the_flow_can_reset_with_the_form_answers(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
    jobs: list[Any],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    from viewflow.workflow.models import Task

    from approvals import services as approval_services
    from workflow.flows.representante import RepresentanteFlow

    request = submit(good_certificate)
    run_pending_jobs(request)
    task = Task.objects.get(
        process__registrationprocess__request=request, flow_task=RepresentanteFlow.review
    )
    approval_services.review_take(task_pk=task.pk, actor=reviewer)
    approval_services.review_decide(
        task_pk=task.pk, actor=reviewer, decision=approval_services.Decision.APPROVE
    )
    run_pending_jobs(request)
    assert request.status == RequestStatus.ACTIVE and request.user is not None
    client, _ = verified_client(request.user, django_capture_on_commit_callbacks)
    response = client.post("/buscar-id/reinicio/nueva-clave/", answers_form())
    assert response["Location"] == "/iniciar-sesion/"
    assert login(Client(), "jperez01", NEW_PASSWORD) == 302


def test_users_without_security_answers_cannot_reset_online(
    reference_data: None, jobs: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    User.objects.create_user(username="revisor9", password=PASSWORD, email="r@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/buscar-id/reinicio/", {"id_usuario": "revisor9"})
    assert response["Location"] == "/buscar-id/reinicio/codigo/"
    assert jobs == []
    assert AccountEvent.objects.get().outcome == "sin coincidencia"
