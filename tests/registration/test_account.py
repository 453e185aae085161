"""Mi página: the user's data, password, email (re-verified by code) and SMS preference."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registration import services
from registration.models import (
    AccountAction,
    AccountEvent,
    AccountNotice,
    CodePurpose,
    Notification,
    NotificationKind,
    OneTimeCode,
    RegistrationRequest,
    RequestStatus,
    User,
)
from registration.services.account import PASSWORD_FAILURE_LIMIT
from registration.services.notices import NOTICE_RESEND_WITHIN
from registration.tasks import (
    deliver_notification,
    resend_pending_notifications,
    send_account_notice,
    send_one_time_code,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

MI_PAGINA = "/mi-pagina/"
PASSWORD_URL = "/mi-pagina/contrasena/"
EMAIL_URL = "/mi-pagina/correo/"
CONFIRM_URL = "/mi-pagina/correo/confirmar/"
RESEND_URL = "/mi-pagina/correo/reenviar/"
SMS_URL = "/mi-pagina/sms/"
NEW_PASSWORD = "Otra-Clave-Segura-2027"
OLD_EMAIL = "mlopez@example.com"
NEW_EMAIL = "juan.perez@empresa.com.ec"


# --- Fixtures and helpers -----------------------------------------------------------


@pytest.fixture
def account(reference_data: None) -> User:
    user = User(username="mlopez01", first_name="MARIA LOPEZ", cedula="0926687856", email=OLD_EMAIL)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def client_of(account: User) -> Client:
    client = Client(REMOTE_ADDR="10.20.30.40")
    client.force_login(account)
    return client


Jobs = list[tuple[str, tuple[Any, ...]]]


@pytest.fixture
def jobs(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> Iterator[tuple[Jobs, Callable[[], Any]]]:
    """Enqueued jobs run at once, as a worker would; their messages are kept for replays.

    `after_commit()` is a context manager that runs what the code under it queues on commit.
    """
    enqueued: Jobs = []
    for task in (send_account_notice, send_one_time_code):

        def run_now(args: tuple[Any, ...], task: Any = task, **_: Any) -> None:
            enqueued.append((task.name, args))
            task.run(*args)

        monkeypatch.setattr(task, "apply_async", run_now)

    @contextmanager
    def after_commit() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield

    yield enqueued, after_commit


def broker_down(*args: Any, **kwargs: Any) -> None:
    raise ConnectionError("broker no disponible")


def body(response: Any) -> str:
    return str(response.content.decode())


def events(user: User, action: AccountAction) -> list[AccountEvent]:
    return list(AccountEvent.objects.filter(user=user, action=action).order_by("created", "id"))


def live_code(user: User) -> OneTimeCode:
    return OneTimeCode.objects.get(
        user=user, purpose=CodePurpose.EMAIL_CHANGE, used__isnull=True, retired__isnull=True
    )


def code_in_mail(to: str) -> str:
    found = [m for m in mail.outbox if m.to == [to]]
    assert found, f"no email to {to}"
    match = re.search(r"\b(\d{6})\b", str(found[-1].body))
    assert match is not None
    return match.group(1)


def password_data(
    current: str = PASSWORD, new: str = NEW_PASSWORD, new2: str | None = None
) -> dict[str, str]:
    return {"current_password": current, "new_password": new, "new_password2": new2 or new}


# --- Page and access ----------------------------------------------------------------


def test_mi_pagina_shows_the_users_data_and_the_company_of_the_active_request(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate)
    user = User.objects.create_user(
        username="jperez01",
        password=PASSWORD,
        first_name="JUAN CARLOS PEREZ GOMEZ",
        cedula=request.cedula,
        email=OLD_EMAIL,
        celular="+593991234567",
        recibir_sms=True,
    )
    client = Client()
    client.force_login(user)
    before = body(client.get(MI_PAGINA))
    assert "IMPORTADORA ANDINA S.A." not in before  # no active request yet
    RegistrationRequest.objects.filter(pk=request.pk).update(user=user, status=RequestStatus.ACTIVE)

    page = body(client.get(MI_PAGINA))
    for shown in (
        "<dt>ID. usuario</dt><dd>jperez01</dd>",
        "<dt>Nombre Usuario</dt><dd>JUAN CARLOS PEREZ GOMEZ</dd>",
        f"<dt>Doc. Identificación</dt><dd>{request.cedula}</dd>",
        f"<dt>Correo Electrónico</dt><dd>{OLD_EMAIL}</dd>",
        "<dt>Celular</dt><dd>0991234567</dd>",
        "<dt>Recibir mensaje SMS</dt><dd>Recibir</dd>",
        f"<dt>RUC empresa</dt><dd>{request.ruc}</dd>",
        "<dt>Razón Social</dt><dd>IMPORTADORA ANDINA S.A.</dd>",
    ):
        assert shown in page
    for section in ("Cambiar contraseña", "Cambiar correo electrónico", "Preferencia de SMS"):
        assert f"<h2>{section}</h2>" in page
    assert request.tracking_number in page  # Mis solicitudes, linked to the status page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # two forms ask for the password: their fields differ
    assert 'href="/mi-pagina/buzon/"' in page


def test_the_mailbox_link_shows_the_unread_count(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, account: User
) -> None:
    request = submit(good_certificate)
    RegistrationRequest.objects.filter(pk=request.pk).update(user=account)
    _message_for(request)
    unread = Notification.objects.filter(request=request, read__isnull=True).count()
    client = Client()
    client.force_login(account)
    assert f"Tiene <strong>{unread}</strong> mensaje" in body(client.get(MI_PAGINA))
    client.get("/mi-pagina/buzon/")
    assert "No tiene mensajes nuevos." in body(client.get(MI_PAGINA))


def test_a_reviewer_keeps_the_link_to_the_review_queue(reviewer: User) -> None:
    client = Client()
    client.force_login(reviewer)
    page = body(client.get(MI_PAGINA))
    assert f'href="{reverse("approvals:queue")}"' in page
    assert "<h2>Cambiar contraseña</h2>" in page


def test_anonymous_users_are_sent_to_login_and_nothing_changes(account: User) -> None:
    client = Client()
    for url, data in (
        (MI_PAGINA, None),
        (PASSWORD_URL, password_data()),
        (EMAIL_URL, {"new_email": NEW_EMAIL, "current_password": PASSWORD}),
        (CONFIRM_URL, {"codigo": "123456"}),
        (RESEND_URL, {}),
        (SMS_URL, {"celular": "0991234567", "recibir_sms": "1"}),
    ):
        response = client.get(url) if data is None else client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/iniciar-sesion/?next="), url
    account.refresh_from_db()
    assert account.check_password(PASSWORD) and account.email == OLD_EMAIL
    assert not account.recibir_sms
    assert not AccountEvent.objects.exists() and not OneTimeCode.objects.exists()


def test_a_get_on_a_change_url_goes_back_to_the_page_and_changes_nothing(
    client_of: Client, account: User
) -> None:
    for url, section in ((PASSWORD_URL, "contrasena"), (EMAIL_URL, "correo"), (SMS_URL, "sms")):
        response = client_of.get(url, password_data())
        assert response.status_code == 302 and response["Location"] == f"{MI_PAGINA}#{section}"
    account.refresh_from_db()
    assert account.check_password(PASSWORD)
    assert not AccountEvent.objects.exists()


def test_a_post_without_csrf_token_is_refused(account: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(account)
    response = client.post(PASSWORD_URL, password_data())
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.check_password(PASSWORD)


# --- Cambiar contraseña -------------------------------------------------------------


def test_changing_the_password_keeps_the_session_and_the_old_one_stops_working(
    client_of: Client, account: User, jobs: tuple[Jobs, Callable[[], Any]]
) -> None:
    enqueued, after_commit = jobs
    with after_commit():
        response = client_of.post(PASSWORD_URL, password_data())
    assert response.status_code == 302 and response["Location"] == f"{MI_PAGINA}#contenido"
    page = client_of.get(MI_PAGINA)
    assert page.status_code == 200  # still logged in
    assert "Su contraseña cambió." in body(page)

    account.refresh_from_db()
    assert not account.check_password(PASSWORD)
    login = Client()
    assert (
        login.post("/iniciar-sesion/", {"username": "mlopez01", "password": PASSWORD}).status_code
        == 200
    )
    assert (
        login.post(
            "/iniciar-sesion/", {"username": "mlopez01", "password": NEW_PASSWORD}
        ).status_code
        == 302
    )
    [event] = events(account, AccountAction.PASSWORD_CHANGED)
    assert event.outcome == "contraseña cambiada" and event.source_ip == "10.20.30.40"
    assert PASSWORD not in event.subject and NEW_PASSWORD not in event.subject

    [notice] = mail.outbox
    assert notice.to == [OLD_EMAIL] and "contraseña cambió" in notice.subject
    assert "1800-223223" in notice.body and NEW_PASSWORD not in notice.body
    assert [name for name, _ in enqueued] == [send_account_notice.name]


def test_a_wrong_current_password_is_refused_clearly_and_audited(
    client_of: Client, account: User, jobs: tuple[Jobs, Callable[[], Any]]
) -> None:
    _, after_commit = jobs
    with after_commit():
        response = client_of.post(PASSWORD_URL, password_data(current="no-es-la-clave"))
    assert response.status_code == 400
    page = body(response)
    assert "La contraseña actual no es correcta." in page
    assert "no-es-la-clave" not in page and NEW_PASSWORD not in page  # passwords are not kept
    account.refresh_from_db()
    assert account.check_password(PASSWORD)
    [event] = events(account, AccountAction.PASSWORD_CHANGED)
    assert event.outcome == "contraseña actual incorrecta"
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("new", "new2", "message"),
    [
        ("corta1", None, "La contraseña es demasiado corta"),
        ("password123", None, "Esta contraseña es demasiado común"),
        ("1234567890123", None, "Esta contraseña es completamente numérica"),
        ("mlopez01-clave", None, "La contraseña es demasiado similar"),
        (
            NEW_PASSWORD,
            "Otra-Cosa-2027-xyz",
            "La confirmación no coincide con la contraseña nueva.",
        ),
        (PASSWORD, None, "La contraseña nueva debe ser distinta de la actual."),
    ],
)
def test_the_new_password_must_pass_the_validators(
    client_of: Client, account: User, new: str, new2: str | None, message: str
) -> None:
    response = client_of.post(PASSWORD_URL, password_data(new=new, new2=new2))
    assert response.status_code == 400
    assert message in body(response)
    account.refresh_from_db()
    assert account.check_password(PASSWORD)
    assert not AccountEvent.objects.exists()  # refused by shape: the current one was not tried


def test_repeated_wrong_current_passwords_lock_the_change_for_a_while(
    client_of: Client, account: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(PASSWORD_FAILURE_LIMIT):
        assert client_of.post(PASSWORD_URL, password_data(current="adivinando")).status_code == 400
    # Even the right password is refused now, so guessing learns nothing.
    response = client_of.post(PASSWORD_URL, password_data())
    assert response.status_code == 429
    assert "Demasiados intentos" in body(response)
    account.refresh_from_db()
    assert account.check_password(PASSWORD)
    # The email change asks for the same password and shares the count.
    response = client_of.post(EMAIL_URL, {"new_email": NEW_EMAIL, "current_password": PASSWORD})
    assert response.status_code == 429
    assert not OneTimeCode.objects.exists()
    # After the window, the right password works again.
    later = timezone.now() + timedelta(minutes=16)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    assert client_of.post(PASSWORD_URL, password_data()).status_code == 302


def test_a_double_submitted_password_change_changes_once_and_reports_success(
    client_of: Client, account: User, jobs: tuple[Jobs, Callable[[], Any]]
) -> None:
    _, after_commit = jobs
    with after_commit():
        first = client_of.post(PASSWORD_URL, password_data())
        second = client_of.post(PASSWORD_URL, password_data())
    assert first.status_code == second.status_code == 302
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    assert [e.outcome for e in events(account, AccountAction.PASSWORD_CHANGED)] == [
        "contraseña cambiada"
    ]
    assert len(mail.outbox) == 1


def test_the_notice_job_run_twice_sends_once_and_a_failed_send_can_be_retried(
    client_of: Client,
    account: User,
    jobs: tuple[Jobs, Callable[[], Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enqueued, after_commit = jobs
    with after_commit():
        client_of.post(PASSWORD_URL, password_data())
    [(name, args)] = enqueued
    assert name == send_account_notice.name and len(mail.outbox) == 1
    send_account_notice.run(*args)  # a redelivered message
    send_account_notice.run(*args)
    assert len(mail.outbox) == 1

    # A send that fails gives its claim back, so the retry sends it.
    def smtp_down(*a: Any, **k: Any) -> None:
        raise OSError("SMTP no disponible")

    notice = services.account_notice_queue(user=account, to=OLD_EMAIL, subject="s", body="b")
    with monkeypatch.context() as patched, pytest.raises(OSError, match="SMTP"):
        patched.setattr("registration.services.notices.send_mail", smtp_down)
        services.account_notice_send(notice_id=notice.pk)
    notice.refresh_from_db()
    assert notice.sent is None
    assert services.account_notice_send(notice_id=notice.pk)
    assert not services.account_notice_send(notice_id=notice.pk)
    assert len(mail.outbox) == 2
    notice.refresh_from_db()
    assert notice.sent is not None


def test_a_notice_queued_while_the_broker_is_down_is_sent_by_the_beat_sweep(
    client_of: Client,
    account: User,
    jobs: tuple[Jobs, Callable[[], Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enqueued, after_commit = jobs
    with monkeypatch.context() as patched:
        patched.setattr(send_account_notice, "apply_async", broker_down)
        with after_commit():
            response = client_of.post(PASSWORD_URL, password_data())
    assert response.status_code == 302  # the change stands
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    [notice] = AccountNotice.objects.filter(user=account)
    assert notice.to == OLD_EMAIL and notice.sent is None and mail.outbox == []

    # Too fresh to tell from a job still on its way: left alone.
    assert services.account_notices_resend_pending() == 0
    AccountNotice.objects.filter(pk=notice.pk).update(created=timezone.now() - timedelta(minutes=5))
    assert resend_pending_notifications.run() == 1
    assert enqueued == [(send_account_notice.name, (notice.pk,))]
    [sent] = mail.outbox
    assert sent.to == [OLD_EMAIL] and "contraseña cambió" in sent.subject
    notice.refresh_from_db()
    assert notice.sent is not None


def test_the_sweep_leaves_sent_notices_and_those_too_old_to_matter(
    client_of: Client, account: User, jobs: tuple[Jobs, Callable[[], Any]]
) -> None:
    enqueued, after_commit = jobs
    with after_commit():
        client_of.post(PASSWORD_URL, password_data())
    [sent] = AccountNotice.objects.filter(user=account)
    assert sent.sent is not None and len(mail.outbox) == 1
    # Two notices whose jobs never reached the broker (their on-commit never ran).
    stale = services.account_notice_queue(user=account, to=OLD_EMAIL, subject="s", body="vieja")
    recent = services.account_notice_queue(user=account, to=OLD_EMAIL, subject="s", body="nueva")
    now = timezone.now()
    AccountNotice.objects.filter(pk__in=[sent.pk, recent.pk]).update(
        created=now - timedelta(hours=1)
    )
    AccountNotice.objects.filter(pk=stale.pk).update(
        created=now - NOTICE_RESEND_WITHIN - timedelta(minutes=1)
    )
    enqueued.clear()

    assert services.account_notices_resend_pending() == 1
    assert enqueued == [(send_account_notice.name, (recent.pk,))]
    assert [m.body for m in mail.outbox[1:]] == ["nueva"]
    stale.refresh_from_db()
    assert stale.sent is None
    assert services.account_notices_resend_pending() == 0  # all sent or too old


def test_a_notice_whose_retries_ran_out_is_sent_by_the_sweep(
    account: User, jobs: tuple[Jobs, Callable[[], Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    enqueued, _ = jobs
    notice = services.account_notice_queue(user=account, to=OLD_EMAIL, subject="s", body="b")

    def smtp_down(*a: Any, **k: Any) -> None:
        raise OSError("SMTP no disponible")

    with monkeypatch.context() as patched, pytest.raises(OSError, match="SMTP"):
        patched.setattr("registration.services.notices.send_mail", smtp_down)
        send_account_notice.run(notice.pk)  # the last retry, SMTP still down
    assert mail.outbox == []
    AccountNotice.objects.filter(pk=notice.pk).update(created=timezone.now() - timedelta(minutes=5))
    assert services.account_notices_resend_pending() == 1  # the claim was given back
    assert enqueued == [(send_account_notice.name, (notice.pk,))]
    assert len(mail.outbox) == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_notice_at_once_send_it_once(
    account: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(send_account_notice, "apply_async", lambda args, **_: None)
    notice = services.account_notice_queue(user=account, to=OLD_EMAIL, subject="s", body="b")
    start = threading.Barrier(2)
    results: list[bool] = []

    def deliver() -> None:
        try:
            start.wait(10)
            results.append(services.account_notice_send(notice_id=notice.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1


# --- Cambiar correo electrónico -----------------------------------------------------


def test_the_email_changes_only_after_the_code_and_the_old_address_is_told(
    client_of: Client, account: User, jobs: tuple[Jobs, Callable[[], Any]]
) -> None:
    _, after_commit = jobs
    with after_commit():
        response = client_of.post(
            EMAIL_URL, {"new_email": NEW_EMAIL, "current_password": PASSWORD}, follow=True
        )
    assert f"Le enviamos un código a {NEW_EMAIL}" in body(response)
    assert f"Enviamos un código a <strong>{NEW_EMAIL}</strong>" in body(response)
    account.refresh_from_db()
    assert account.email == OLD_EMAIL  # not yet
    code = code_in_mail(NEW_EMAIL)
    [requested] = events(account, AccountAction.EMAIL_CHANGE_REQUESTED)
    assert requested.subject == "j***@empresa.com.ec" and NEW_EMAIL not in requested.subject

    with after_commit():
        response = client_of.post(CONFIRM_URL, {"codigo": code}, follow=True)
    assert f"Su Correo Electrónico ahora es {NEW_EMAIL}" in body(response)
    account.refresh_from_db()
    assert account.email == NEW_EMAIL
    [changed] = events(account, AccountAction.EMAIL_CHANGED)
    assert changed.subject == "m***@example.com → j***@empresa.com.ec"
    notice = mail.outbox[-1]
    assert notice.to == [OLD_EMAIL] and "correo electrónico cambió" in notice.subject
    assert "1800-223223" in notice.body and NEW_EMAIL not in notice.body


def test_a_wrong_code_leaves_the_email_as_it_was(client_of: Client, account: User) -> None:
    client_of.post(EMAIL_URL, {"new_email": NEW_EMAIL, "current_password": PASSWORD})
    right = services.code_value(live_code(account))
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    response = client_of.post(CONFIRM_URL, {"codigo": wrong})
    assert response.status_code == 400
    assert "El código no es correcto." in body(response)
    assert f'value="{wrong}"' in body(response)  # what was typed stays
    response = client_of.post(CONFIRM_URL, {"codigo": "12ab"})
    assert "El código tiene 6 dígitos." in body(response)
    account.refresh_from_db()
    assert account.email == OLD_EMAIL
    assert not events(account, AccountAction.EMAIL_CHANGED)


def test_an_expired_code_does_not_change_the_email(client_of: Client, account: User) -> None:
    client_of.post(EMAIL_URL, {"new_email": NEW_EMAIL, "current_password": PASSWORD})
    row = live_code(account)
    OneTimeCode.objects.filter(pk=row.pk).update(expires=timezone.now() - timedelta(seconds=1))
    response = client_of.post(CONFIRM_URL, {"codigo": services.code_value(row)})
    assert response.status_code == 400
    assert "El código venció o ya fue usado." in body(response)
    account.refresh_from_db()
    assert account.email == OLD_EMAIL


def test_a_code_sent_for_another_user_cannot_be_used(
    client_of: Client, account: User, outsider: User
) -> None:
    services.email_change_request(
        user=outsider,
        new_email="curioso@example.com",
        current_password=PASSWORD,
        source_ip="10.0.0.9",
    )
    theirs = services.code_value(live_code(outsider))
    response = client_of.post(CONFIRM_URL, {"codigo": theirs})
    assert response.status_code == 400  # this user has no pending change
    client_of.post(EMAIL_URL, {"new_email": NEW_EMAIL, "current_password": PASSWORD})
    response = client_of.post(CONFIRM_URL, {"codigo": theirs})
    assert response.status_code == 400  # and with one, theirs is not ours
    account.refresh_from_db()
    outsider.refresh_from_db()
    assert account.email == OLD_EMAIL and outsider.email == ""
    assert live_code(outsider).used is None  # their code still works for them


def test_asking_for_an_email_change_needs_the_current_password(
    client_of: Client, account: User
) -> None:
    response = client_of.post(EMAIL_URL, {"new_email": NEW_EMAIL, "current_password": "otra"})
    assert response.status_code == 400
    page = body(response)
    assert "La contraseña actual no es correcta." in page
    assert f'value="{NEW_EMAIL}"' in page  # the typed address is kept, the password is not
    assert not OneTimeCode.objects.exists()
    [event] = events(account, AccountAction.EMAIL_CHANGE_REQUESTED)
    assert event.outcome == "contraseña actual incorrecta"


def test_the_new_address_must_be_valid_and_different(client_of: Client) -> None:
    response = client_of.post(EMAIL_URL, {"new_email": "juan@", "current_password": PASSWORD})
    assert "Ingrese un correo electrónico válido" in body(response)
    response = client_of.post(
        EMAIL_URL, {"new_email": OLD_EMAIL.upper(), "current_password": PASSWORD}
    )
    assert "Ese ya es su Correo Electrónico." in body(response)
    assert not OneTimeCode.objects.exists()


def test_an_address_of_another_user_is_answered_like_any_other_and_still_needs_the_code(
    client_of: Client, account: User, outsider: User, jobs: tuple[Jobs, Callable[[], Any]]
) -> None:
    _, after_commit = jobs
    User.objects.filter(pk=outsider.pk).update(email="ocupado@example.com")

    def answer(address: str) -> str:
        with after_commit():
            page = body(
                client_of.post(
                    EMAIL_URL, {"new_email": address, "current_password": PASSWORD}, follow=True
                )
            )
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page).replace(address, "")

    taken = answer("ocupado@example.com")
    free = answer("libre@example.com")
    assert taken == free
    account.refresh_from_db()
    assert account.email == OLD_EMAIL
    assert OneTimeCode.objects.filter(user=account, email="ocupado@example.com").exists()


def test_resending_the_code_waits_a_minute_and_retires_the_old_code(
    client_of: Client, account: User, jobs: tuple[Jobs, Callable[[], Any]]
) -> None:
    _, after_commit = jobs
    with after_commit():
        client_of.post(EMAIL_URL, {"new_email": NEW_EMAIL, "current_password": PASSWORD})
    first = code_in_mail(NEW_EMAIL)
    page = body(client_of.post(RESEND_URL, follow=True))
    assert "Ya le enviamos un código hace menos de un minuto." in page
    assert OneTimeCode.objects.count() == 1

    OneTimeCode.objects.update(created=timezone.now() - timedelta(minutes=2))
    with after_commit():
        page = body(client_of.post(RESEND_URL, follow=True))
    assert "Le enviamos un código nuevo." in page
    second = code_in_mail(NEW_EMAIL)
    assert len([m for m in mail.outbox if m.to == [NEW_EMAIL]]) == 2
    if first != second:  # (one in a million they are equal)
        assert client_of.post(CONFIRM_URL, {"codigo": first}).status_code == 400
    assert client_of.post(CONFIRM_URL, {"codigo": second}).status_code == 302
    account.refresh_from_db()
    assert account.email == NEW_EMAIL
    assert [e.outcome for e in events(account, AccountAction.EMAIL_CHANGE_REQUESTED)] == [
        "código enviado",
        "código reenviado",
    ]


def test_codes_per_hour_are_bounded(client_of: Client, account: User) -> None:
    for i in range(5):
        OneTimeCode.objects.update(created=timezone.now() - timedelta(minutes=2))
        response = client_of.post(
            EMAIL_URL, {"new_email": f"otro{i}@example.com", "current_password": PASSWORD}
        )
        assert response.status_code == 302
    response = client_of.post(
        EMAIL_URL, {"new_email": "otro9@example.com", "current_password": PASSWORD}
    )
    assert response.status_code == 400
    assert "Ya le enviamos varios códigos en la última hora." in body(response)
    assert OneTimeCode.objects.filter(user=account).count() == 5


def test_resending_without_a_pending_change_says_what_to_do(client_of: Client) -> None:
    page = body(client_of.post(RESEND_URL, follow=True))
    assert "No hay un cambio de correo pendiente" in page
    assert not OneTimeCode.objects.exists()


def test_double_submits_of_the_email_change_send_one_code_and_change_once(
    client_of: Client, account: User, jobs: tuple[Jobs, Callable[[], Any]]
) -> None:
    _, after_commit = jobs
    data = {"new_email": NEW_EMAIL, "current_password": PASSWORD}
    with after_commit():
        assert client_of.post(EMAIL_URL, data).status_code == 302
        assert client_of.post(EMAIL_URL, data).status_code == 302
    assert OneTimeCode.objects.count() == 1 and len(mail.outbox) == 1
    code = code_in_mail(NEW_EMAIL)
    with after_commit():
        assert client_of.post(CONFIRM_URL, {"codigo": code}).status_code == 302
        assert client_of.post(CONFIRM_URL, {"codigo": code}).status_code == 302
    account.refresh_from_db()
    assert account.email == NEW_EMAIL
    assert len(events(account, AccountAction.EMAIL_CHANGED)) == 1
    assert len([m for m in mail.outbox if m.to == [OLD_EMAIL]]) == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_change_the_email_once(
    account: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    notices: list[tuple[Any, ...]] = []
    monkeypatch.setattr(send_one_time_code, "apply_async", lambda args, **_: None)
    monkeypatch.setattr(send_account_notice, "apply_async", lambda args, **_: notices.append(args))
    services.email_change_request(
        user=account, new_email=NEW_EMAIL, current_password=PASSWORD, source_ip=None
    )
    code = services.code_value(live_code(account))
    start = threading.Barrier(2)
    results: list[services.CodeCheck] = []

    def confirm() -> None:
        try:
            user = User.objects.get(pk=account.pk)
            start.wait(10)
            results.append(services.email_change_confirm(user=user, code=code, source_ip=None))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [services.CodeCheck.OK, services.CodeCheck.OK]
    account.refresh_from_db()
    assert account.email == NEW_EMAIL
    assert len(events(account, AccountAction.EMAIL_CHANGED)) == 1
    assert [AccountNotice.objects.get(pk=pk).to for (pk,) in notices] == [OLD_EMAIL]


# --- Preferencia de SMS ---------------------------------------------------------------


def test_receiving_sms_needs_a_valid_celular(client_of: Client, account: User) -> None:
    response = client_of.post(SMS_URL, {"celular": "", "recibir_sms": "1"})
    assert response.status_code == 400
    assert "Para recibir mensajes SMS ingrese su Celular." in body(response)
    response = client_of.post(SMS_URL, {"celular": "022345678", "recibir_sms": "1"})
    assert "Ingrese un celular: el número ingresado es un teléfono fijo." in body(response)
    assert 'value="022345678"' in body(response)  # what was typed stays
    response = client_of.post(SMS_URL, {"celular": "12345", "recibir_sms": "1"})
    assert "El celular debe empezar con 09" in body(response)
    account.refresh_from_db()
    assert (account.recibir_sms, account.celular) == (False, "")
    assert not events(account, AccountAction.SMS_PREFERENCE)


def test_the_sms_preference_changes_the_users_fields_and_is_audited(
    client_of: Client, account: User
) -> None:
    response = client_of.post(SMS_URL, {"celular": "099 123 4567", "recibir_sms": "1"}, follow=True)
    assert "Preferencia guardada: recibirá mensajes SMS en el 0991234567." in body(response)
    account.refresh_from_db()
    assert (account.recibir_sms, account.celular) == (True, "+593991234567")
    client_of.post(SMS_URL, {"celular": "0991234567", "recibir_sms": "1"})  # the same again
    client_of.post(SMS_URL, {"celular": "0991234567", "recibir_sms": "0"})
    account.refresh_from_db()
    assert (account.recibir_sms, account.celular) == (False, "+593991234567")
    audit = events(account, AccountAction.SMS_PREFERENCE)
    assert [e.outcome for e in audit] == ["recibir SMS: sí", "recibir SMS: no"]
    assert all(e.subject == "+59399*****67" for e in audit)
    # Without SMS the Celular may be cleared.
    client_of.post(SMS_URL, {"celular": "", "recibir_sms": "0"})
    account.refresh_from_db()
    assert account.celular == ""


def _message_for(request: RegistrationRequest) -> Notification:
    """A fresh message about the request, as the next state change would write it."""
    event = request.events.order_by("id").first()
    assert event is not None
    return Notification.objects.create(
        request=request,
        kind=NotificationKind.ACTIVE,
        event=event,
        subject="ECUAPASS: Usuario activo",
        body="Su usuario jperez01 está activo.\n\nhttp://127.0.0.1:8000/",
    )


def _sms_sent(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "registration.sms"]


def test_turning_sms_on_in_mi_pagina_makes_notifications_send_them(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    client_of: Client,
    account: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    request = submit(good_certificate, recibir_sms="0")  # the request said no
    RegistrationRequest.objects.filter(pk=request.pk).update(user=account)
    client_of.post(SMS_URL, {"celular": "0987654321", "recibir_sms": "1"})
    caplog.set_level("INFO", logger="registration.sms")
    deliver_notification.run(_message_for(request).pk)
    [sms] = _sms_sent(caplog)
    assert "+593987654321" in sms
    assert mail.outbox[-1].to == [OLD_EMAIL]


def test_turning_sms_off_in_mi_pagina_stops_them(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    client_of: Client,
    account: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    request = submit(good_certificate, recibir_sms="1")  # the request said yes
    RegistrationRequest.objects.filter(pk=request.pk).update(user=account)
    client_of.post(SMS_URL, {"celular": "0991234567", "recibir_sms": "1"})
    client_of.post(SMS_URL, {"celular": "0991234567", "recibir_sms": "0"})
    caplog.set_level("INFO", logger="registration.sms")
    deliver_notification.run(_message_for(request).pk)
    assert _sms_sent(caplog) == []
    assert len(mail.outbox) == 1  # the email still goes


# --- Abuse ----------------------------------------------------------------------------


def test_a_client_posting_too_fast_is_asked_to_wait(
    client_of: Client, account: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("registration.ratelimit.time.time", lambda: 1_800_000_000.0)
    monkeypatch.setattr("registration.views.account.POSTS_PER_MINUTE", 2)
    codes = [
        client_of.post(SMS_URL, {"celular": "0991234567", "recibir_sms": str(i % 2)}).status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]
    assert len(events(account, AccountAction.SMS_PREFERENCE)) == 2
