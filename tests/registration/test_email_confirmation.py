"""Email confirmation: the request reaches verification and review only after the code."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core import mail
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from registration import services
from registration.models import CodePurpose, OneTimeCode, RegistrationRequest, RequestStatus
from registration.tasks import send_one_time_code
from tests.conftest import run_pending_jobs, state_changes
from tests.support import pki
from tests.support.status_access import link_path, status_client, status_path
from workflow.flows.representante import RepresentanteFlow

pytestmark = pytest.mark.django_db


def _latest_code(request: RegistrationRequest) -> OneTimeCode:
    code = request.codes.filter(purpose=CodePurpose.EMAIL_CONFIRM).first()
    assert code is not None
    return code


def _tasks(request: RegistrationRequest, node: object) -> list[Task]:
    return list(Task.objects.filter(process__registrationprocess__request=request, flow_task=node))


def test_a_new_request_waits_for_the_code_before_its_certificate_is_verified(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate, confirm=False)
    assert request.status == RequestStatus.SUBMITTED and request.email_confirmed_at is None
    assert not _tasks(request, RepresentanteFlow.verify_certificate)
    [waiting] = _tasks(request, RepresentanteFlow.confirm_email)
    assert waiting.status == STATUS.NEW

    page = status_client(request).get(status_path(request)).content.decode()
    assert "Confirme su correo electrónico" in page
    assert "j***@example.com" in page or "***@" in page
    assert request.email not in page  # the full address is not shown on a bearer link
    assert "Fecha estimada de decisión" not in page  # no date until the email is confirmed

    code = _latest_code(request)
    send_one_time_code.run(code.pk)
    [message] = mail.outbox
    assert message.to == [request.email]
    assert services.code_value(code) in message.body
    assert link_path(request) in message.body


def test_the_code_job_run_twice_sends_once(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate, confirm=False)
    code = _latest_code(request)
    send_one_time_code.run(code.pk)
    send_one_time_code.run(code.pk)  # a redelivered message
    assert len(mail.outbox) == 1


def test_the_right_code_confirms_and_the_process_goes_on(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate, confirm=False)
    client = status_client(request)
    code = services.code_value(_latest_code(request))
    response = client.post(status_path(request) + "confirmar-correo/", {"codigo": f" {code} "})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.email_confirmed_at is not None
    assert "Correo confirmado" in client.get(response["Location"]).content.decode()
    [job] = _tasks(request, RepresentanteFlow.verify_certificate)
    assert job.status == STATUS.SCHEDULED
    run_pending_jobs(request)
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED
    assert "Correo electrónico confirmado." in [e.comment for e in request.events.all()]

    # A second post (double click, back button) changes nothing and says so.
    again = client.post(status_path(request) + "confirmar-correo/", {"codigo": code})
    assert again.status_code == 302
    assert len(_tasks(request, RepresentanteFlow.verify_certificate)) == 1


def test_a_wrong_code_is_refused_and_too_many_need_a_new_code(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, settings: object
) -> None:
    settings.ECUAPASS_CODE_MAX_ATTEMPTS = 3  # type: ignore[attr-defined]
    request = submit(good_certificate, confirm=False)
    client = status_client(request)
    right = services.code_value(_latest_code(request))
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    url = status_path(request) + "confirmar-correo/"

    first = client.post(url, {"codigo": wrong})
    assert first.status_code == 400
    assert "El código no es correcto" in first.content.decode()
    assert 'value="' + wrong + '"' in first.content.decode()  # what was typed stays
    malformed = client.post(url, {"codigo": "12ab"})
    assert "El código tiene 6 dígitos." in malformed.content.decode()
    client.post(url, {"codigo": wrong})
    third = client.post(url, {"codigo": wrong})
    assert "Demasiados intentos con este código" in third.content.decode()
    # Even the right code no longer works once the attempts are used up.
    assert "Demasiados intentos" in client.post(url, {"codigo": right}).content.decode()
    request.refresh_from_db()
    assert request.email_confirmed_at is None

    resent = client.post(status_path(request) + "reenviar-codigo/")
    assert resent.status_code == 302
    new_code = _latest_code(request)
    assert services.code_value(new_code) != right or new_code.attempts == 0
    assert client.post(url, {"codigo": services.code_value(new_code)}).status_code == 302
    request.refresh_from_db()
    assert request.email_confirmed_at is not None


def test_a_resent_code_retires_the_old_one_and_resending_is_bounded(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, settings: object
) -> None:
    settings.ECUAPASS_CODES_PER_HOUR = 2  # type: ignore[attr-defined]
    request = submit(good_certificate, confirm=False)
    old = _latest_code(request)
    client = status_client(request)
    assert client.post(status_path(request) + "reenviar-codigo/").status_code == 302
    old.refresh_from_db()
    assert old.retired is not None
    outcome = client.post(
        status_path(request) + "confirmar-correo/", {"codigo": services.code_value(old)}
    )
    assert outcome.status_code == 400
    assert "El código no es correcto" in outcome.content.decode()  # only the newest one works
    third = client.post(status_path(request) + "reenviar-codigo/")
    assert third.status_code == 429
    assert "Ya enviamos varios códigos" in third.content.decode()
    assert request.codes.count() == 2


def test_an_expired_code_is_refused(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    request = submit(good_certificate, confirm=False)
    code = _latest_code(request)
    OneTimeCode.objects.filter(pk=code.pk).update(expires=timezone.now() - timedelta(seconds=1))
    response = status_client(request).post(
        status_path(request) + "confirmar-correo/", {"codigo": services.code_value(code)}
    )
    assert "venció o ya fue usado" in response.content.decode()


def test_a_code_of_another_request_does_not_confirm_this_one(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    test_ca: pki.CertificateAndKey,
) -> None:
    first = submit(good_certificate, confirm=False)
    other = pki.make_leaf(test_ca, cedula="0926687856", ruc=pki.COMPANY_RUC)
    second = submit(
        pki.to_der(other[0]),
        signer=other,
        confirm=False,
        id_usuario="mlopez02",
        cedula="0926687856",
        email="mlopez@example.com",
        email2="mlopez@example.com",
    )
    foreign = services.code_value(_latest_code(first))
    own = services.code_value(_latest_code(second))
    if foreign == own:  # one in a million: the derived codes collide
        pytest.skip("derived codes collided")
    response = status_client(second).post(
        status_path(second) + "confirmar-correo/", {"codigo": foreign}
    )
    assert response.status_code == 400
    second.refresh_from_db()
    assert second.email_confirmed_at is None


def test_code_entries_are_rate_limited_per_client(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, settings: object
) -> None:
    settings.ECUAPASS_CODE_TRIES_PER_MINUTE = 2  # type: ignore[attr-defined]
    settings.ECUAPASS_CODE_MAX_ATTEMPTS = 50  # type: ignore[attr-defined]
    request = submit(good_certificate, confirm=False)
    url = status_path(request) + "confirmar-correo/"
    client = status_client(request)
    codes = [client.post(url, {"codigo": "000000"}).status_code for _ in range(3)]
    assert codes[-1] == 429


def test_the_submitted_message_asks_for_the_code(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate, confirm=False)
    notification = request.notifications.get(kind="submitted")
    assert "Confirme su correo electrónico" in notification.body
    assert state_changes(request) == ["submitted"]


def test_a_code_the_broker_never_got_is_sent_by_the_beat_sweep(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from registration.tasks import resend_pending_notifications

    request = submit(good_certificate, confirm=False)
    code = _latest_code(request)
    OneTimeCode.objects.filter(pk=code.pk).update(created=timezone.now() - timedelta(minutes=5))
    sent: list[tuple[int, ...]] = []
    monkeypatch.setattr(send_one_time_code, "apply_async", lambda args, **_: sent.append(args))
    resend_pending_notifications.run()
    assert sent == [(code.pk,)]
    send_one_time_code.run(code.pk)
    assert len(mail.outbox) == 1
    sent.clear()
    resend_pending_notifications.run()  # sent now: nothing more to do
    assert sent == []


def test_a_code_whose_worker_died_mid_send_is_sent_again(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    request = submit(good_certificate, confirm=False)
    code = _latest_code(request)
    # Claimed 11 minutes ago and never marked sent: that worker is gone.
    OneTimeCode.objects.filter(pk=code.pk).update(claimed=timezone.now() - timedelta(minutes=11))
    assert services.codes_resend_unsent() == 1
    send_one_time_code.run(code.pk)
    assert len(mail.outbox) == 1
    code.refresh_from_db()
    assert code.sent is not None
    assert services.codes_resend_unsent() == 0


def test_old_codes_and_notices_are_purged_and_recent_ones_kept(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from registration.models import AccountNotice
    from registration.tasks import purge_old_codes_and_notices
    from workflow.celery import app

    request = submit(good_certificate, confirm=False)
    recent = _latest_code(request)
    old = OneTimeCode.objects.create(
        purpose=CodePurpose.EMAIL_CONFIRM,
        request=request,
        email=request.email,
        nonce="x",
        expires=timezone.now() - timedelta(days=31),
        retired=timezone.now() - timedelta(days=31),
    )
    old_notice = AccountNotice.objects.create(to="a@example.com", subject="s", body="b")
    AccountNotice.objects.filter(pk=old_notice.pk).update(
        created=timezone.now() - timedelta(days=91)
    )
    new_notice = AccountNotice.objects.create(to="a@example.com", subject="s", body="b")
    assert purge_old_codes_and_notices.run() == {"codes": 1, "notices": 1}
    assert list(OneTimeCode.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not OneTimeCode.objects.filter(pk=old.pk).exists()
    assert list(AccountNotice.objects.values_list("pk", flat=True)) == [new_notice.pk]
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "registration.tasks.purge_old_codes_and_notices" in tasks
