"""Reviewers and supervisors need a TOTP code after their password; applicants don't."""

from __future__ import annotations

import re
import time
from base64 import b32encode
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp

from approvals.models import StaffTOTPDevice
from registration.models import User
from tests.conftest import PASSWORD, verified_login

pytestmark = pytest.mark.django_db

QUEUE = "/revision/"
FAILED_JOBS = "/revision/trabajos-fallidos/"


def enroll_url(next_url: str = QUEUE) -> str:
    return f"{reverse('approvals:two_factor_enroll')}?next={quote(next_url, safe='')}"


def verify_url(next_url: str = QUEUE) -> str:
    return f"{reverse('approvals:two_factor_verify')}?next={quote(next_url, safe='')}"


def client_for(user: User) -> Client:
    client = Client()
    password_login(client, user)
    return client


def password_login(client: Client, user: User) -> None:
    """The login page, as a person uses it (django-axes watches it)."""
    response = client.post("/iniciar-sesion/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def code_for(device: StaffTOTPDevice) -> str:
    """The code an authenticator app shows now, or the next one if now's was already used."""
    device.refresh_from_db()
    now_t = (int(time.time()) - device.t0) // device.step
    drift = max(device.drift, device.last_t + 1 - now_t)
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift)
    return f"{token:0{device.digits}d}"


def wrong_code_for(device: StaffTOTPDevice) -> str:
    right = {int(code_for(device))}
    return next(f"{n:06d}" for n in (123456, 654321, 111111) if n not in right)


def unthrottle(device: StaffTOTPDevice) -> None:
    """Let the back-off after a refused code pass, as waiting would."""
    StaffTOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(days=1)
    )


def enroll(client: Client, user: User, next_url: str = QUEUE) -> StaffTOTPDevice:
    """First login: scan (read the device) and confirm with a current code."""
    assert client.get(enroll_url(next_url)).status_code == 200
    device = StaffTOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(enroll_url(next_url), {"otp_token": code_for(device)})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == next_url
    return StaffTOTPDevice.objects.get(pk=device.pk)


# --- Anonymous and applicants ------------------------------------------------------


def test_anonymous_is_sent_to_login_not_to_the_second_factor(reference_data: None) -> None:
    client = Client()
    for url in (QUEUE, reverse("approvals:two_factor_enroll"), verify_url()):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/iniciar-sesion/?next=")
    assert not StaffTOTPDevice.objects.exists()


def test_an_applicant_is_untouched_by_the_second_factor(outsider: User) -> None:
    client = client_for(outsider)
    assert client.get("/mi-pagina/").status_code == 200
    assert client.get(QUEUE).status_code == 403  # as before: forbidden, not enrolment
    assert client.get(FAILED_JOBS).status_code == 403
    assert client.get(enroll_url()).status_code == 403
    assert client.post(verify_url(), {"otp_token": "123456"}).status_code == 403
    assert not StaffTOTPDevice.objects.filter(user=outsider).exists()


# --- Reviewer ------------------------------------------------------------------------


def test_reviewer_first_login_enrolls_and_then_reaches_the_queue(reviewer: User) -> None:
    client = client_for(reviewer)
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"] == enroll_url(QUEUE)

    page = client.get(response["Location"]).content.decode()
    device = StaffTOTPDevice.objects.get(user=reviewer, confirmed=False)
    assert "<svg" in page
    secret = re.search(r'id="clave-totp">([A-Z2-7 ]+)<', page)
    assert secret is not None
    assert secret.group(1).replace(" ", "") in device.config_url
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    assert '<label for="id_otp_token">' in page

    response = client.post(enroll_url(QUEUE), {"otp_token": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert StaffTOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(QUEUE).status_code == 200
    # A reviewer still can't reach supervisor pages: 2FA adds a check, it grants nothing.
    assert client.get(FAILED_JOBS).status_code == 403


def test_reloading_the_enrolment_page_keeps_the_same_secret(reviewer: User) -> None:
    client = client_for(reviewer)
    first = client.get(enroll_url()).content.decode()
    second = client.get(enroll_url()).content.decode()
    secret = re.compile(r'id="clave-totp">([A-Z2-7 ]+)<')
    assert secret.findall(first) == secret.findall(second)
    assert StaffTOTPDevice.objects.filter(user=reviewer).count() == 1


def test_a_wrong_code_is_refused_with_a_message_and_retries_are_throttled(
    reviewer: User,
) -> None:
    client = client_for(reviewer)
    client.get(enroll_url())
    device = StaffTOTPDevice.objects.get(user=reviewer, confirmed=False)

    refused = client.post(enroll_url(), {"otp_token": wrong_code_for(device)})
    assert refused.status_code == 400
    assert "El código no es correcto" in refused.content.decode()
    assert not StaffTOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(QUEUE).status_code == 302

    # Right away, even the right code waits for the back-off.
    throttled = client.post(enroll_url(), {"otp_token": code_for(device)})
    assert throttled.status_code == 400
    assert "Demasiados intentos fallidos" in throttled.content.decode()
    assert not StaffTOTPDevice.objects.get(pk=device.pk).confirmed

    unthrottle(device)
    assert client.post(enroll_url(), {"otp_token": code_for(device)}).status_code == 302
    assert client.get(QUEUE).status_code == 200


def test_a_code_that_is_not_six_digits_is_refused_before_checking(reviewer: User) -> None:
    client = client_for(reviewer)
    client.get(enroll_url())
    response = client.post(enroll_url(), {"otp_token": "12ab"})
    assert response.status_code == 400
    assert "6 dígitos" in response.content.decode()
    assert StaffTOTPDevice.objects.get(user=reviewer).throttling_failure_count == 0


def test_next_login_must_verify_before_the_queue(reviewer: User) -> None:
    enroll(client_for(reviewer), reviewer)
    device = StaffTOTPDevice.objects.get(user=reviewer, confirmed=True)

    client = client_for(reviewer)
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"] == verify_url(QUEUE)
    # Enrolment is closed once a device is confirmed: no new secret is shown.
    enroll_page = client.get(enroll_url())
    assert enroll_page.status_code == 302
    assert enroll_page["Location"] == verify_url(QUEUE)
    assert StaffTOTPDevice.objects.filter(user=reviewer).count() == 1

    page = client.get(verify_url()).content.decode()
    assert 'autocomplete="one-time-code"' in page
    assert "<svg" not in page

    refused = client.post(verify_url(), {"otp_token": wrong_code_for(device)})
    assert refused.status_code == 400
    assert "El código no es correcto" in refused.content.decode()
    assert client.get(QUEUE).status_code == 302

    unthrottle(device)
    response = client.post(verify_url(), {"otp_token": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert client.get(QUEUE).status_code == 200


def test_a_used_code_is_not_accepted_again(reviewer: User) -> None:
    client = client_for(reviewer)
    client.get(enroll_url())
    device = StaffTOTPDevice.objects.get(user=reviewer, confirmed=False)
    code = code_for(device)
    assert client.post(enroll_url(), {"otp_token": code}).status_code == 302

    replay = client_for(reviewer).post(verify_url(), {"otp_token": code})
    assert replay.status_code == 400
    assert "El código no es correcto" in replay.content.decode()


def test_logging_out_ends_the_verified_session(reviewer: User) -> None:
    client = client_for(reviewer)
    enroll(client, reviewer)
    client.post("/cerrar-sesion/")
    password_login(client, reviewer)
    assert client.get(QUEUE)["Location"] == verify_url(QUEUE)


def test_only_the_latest_enrolment_page_can_be_confirmed(reviewer: User) -> None:
    """A secret is shown to one session: opening enrolment elsewhere replaces it."""
    first, second = client_for(reviewer), client_for(reviewer)
    first.get(enroll_url())
    first_device = StaffTOTPDevice.objects.get(user=reviewer, confirmed=False)
    second.get(enroll_url())
    assert not StaffTOTPDevice.objects.filter(pk=first_device.pk).exists()

    stale = first.post(enroll_url(), {"otp_token": f"{totp(first_device.bin_key):06d}"})
    assert stale.status_code == 400
    assert "se reinició" in stale.content.decode()
    # The refusal shows the first session a new secret, which replaces the second's.
    current = StaffTOTPDevice.objects.get(user=reviewer, confirmed=False)
    assert current.pk != first_device.pk
    assert b32encode(current.bin_key).decode()[:4] in stale.content.decode()

    assert first.post(enroll_url(), {"otp_token": code_for(current)}).status_code == 302
    assert StaffTOTPDevice.objects.filter(user=reviewer).count() == 1
    # The other session is sent to verification, not to a fresh enrolment.
    assert second.get(QUEUE)["Location"] == verify_url(QUEUE)
    assert second.get(enroll_url())["Location"] == verify_url(QUEUE)


def test_next_must_stay_on_this_site(reviewer: User) -> None:
    client = client_for(reviewer)
    client.get(enroll_url("https://ejemplo.invalid/"))
    device = StaffTOTPDevice.objects.get(user=reviewer, confirmed=False)
    response = client.post(enroll_url("https://ejemplo.invalid/"), {"otp_token": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == QUEUE


# --- Supervisor --------------------------------------------------------------------


def test_supervisor_enrolls_then_must_verify_on_each_login(supervisor: User) -> None:
    client = client_for(supervisor)
    response = client.get(FAILED_JOBS)
    assert response["Location"] == enroll_url(FAILED_JOBS)
    device = enroll(client, supervisor, next_url=FAILED_JOBS)
    assert device.confirmed
    assert client.get(FAILED_JOBS).status_code == 200
    assert client.get(QUEUE).status_code == 200

    later = client_for(supervisor)
    assert later.get(FAILED_JOBS)["Location"] == verify_url(FAILED_JOBS)
    response = later.post(verify_url(FAILED_JOBS), {"otp_token": code_for(device)})
    assert response["Location"] == FAILED_JOBS
    assert later.get(FAILED_JOBS).status_code == 200


def test_the_admin_needs_the_second_factor_too(reference_data: None) -> None:
    admin_user = User.objects.create_superuser(username="admin01", password="Clave-Segura-2026")
    client = Client()
    # A password alone: the admin sends the user through the portal login ...
    anonymous = client.get("/admin/registration/trustanchor/")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    login = client.get(anonymous["Location"])
    assert login.status_code == 302 and login["Location"].startswith("/iniciar-sesion/")
    # ... and, logged in without a verified device, to enrolment before anything else.
    client.force_login(admin_user)
    unverified = client.get("/admin/registration/trustanchor/", follow=True)
    final = unverified.redirect_chain[-1][0]
    assert final == "/revision/2fa/activar/?next=%2Fadmin%2Fregistration%2Ftrustanchor%2F"
    verified = verified_login(Client(), admin_user)
    assert verified.get("/admin/registration/trustanchor/").status_code == 200


def test_a_lost_phone_is_reset_by_command_and_the_reviewer_enrols_again(
    reviewer: User,
) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    from registration.models import AccountEvent

    verified_login(Client(), reviewer)  # has a confirmed device now
    assert StaffTOTPDevice.objects.filter(user=reviewer, confirmed=True).exists()
    out = StringIO()
    call_command(
        "reset_second_factor", reviewer.username, "--motivo", "teléfono perdido", stdout=out
    )
    assert "1 dispositivo(s) eliminado(s)" in out.getvalue()
    assert not StaffTOTPDevice.objects.filter(user=reviewer).exists()
    event = AccountEvent.objects.get(user=reviewer, action="second_factor_reset")
    assert "teléfono perdido" in event.outcome

    client = Client()
    client.force_login(reviewer)
    response = client.get("/revision/")
    assert response.status_code == 302 and response["Location"].startswith("/revision/2fa/activar/")
    with pytest.raises(CommandError, match="No existe"):
        call_command("reset_second_factor", "nadie", "--motivo", "x", stdout=StringIO())


def test_a_supervisor_resets_a_reviewers_second_factor_from_the_portal(
    reviewer: User, supervisor: User, second_reviewer: User
) -> None:
    from django.core import mail

    from registration.models import AccountEvent
    from registration.tasks import send_account_notice

    User.objects.filter(pk=reviewer.pk).update(email="revisor@aduana.gob.ec")
    verified_login(Client(), reviewer)
    boss = verified_login(Client(), supervisor)
    page = boss.get("/revision/personal/").content.decode()
    assert reviewer.username in page and "Registrado" in page
    url = f"/revision/personal/{reviewer.pk}/restablecer-2fa/"

    no_reason = boss.post(url, {"motivo": "  "}, follow=True).content.decode()
    assert "Indique el motivo" in no_reason
    assert StaffTOTPDevice.objects.filter(user=reviewer).exists()

    done = boss.post(url, {"motivo": "Perdió el teléfono"}, follow=True).content.decode()
    assert f"Segundo factor de {reviewer.username} restablecido" in done
    assert not StaffTOTPDevice.objects.filter(user=reviewer).exists()
    event = AccountEvent.objects.get(user=reviewer, action="second_factor_reset")
    assert supervisor.username in event.outcome and "Perdió el teléfono" in event.outcome
    from registration.models import AccountNotice

    notice = AccountNotice.objects.get(user=reviewer)
    send_account_notice.run(notice.pk)
    assert mail.outbox[-1].to == ["revisor@aduana.gob.ec"]
    assert supervisor.username in mail.outbox[-1].body

    # Not their own, and not for a plain reviewer.
    own = boss.post(f"/revision/personal/{supervisor.pk}/restablecer-2fa/", {"motivo": "x"})
    assert own.status_code == 302
    assert StaffTOTPDevice.objects.filter(user=supervisor).exists()
    peer = verified_login(Client(), second_reviewer)
    assert peer.get("/revision/personal/").status_code == 403
    assert peer.post(url, {"motivo": "x"}).status_code == 403


# --- Staff accounts and the admin ---------------------------------------------------


def test_a_staff_account_needs_a_valid_cedula_and_an_email(reference_data: None) -> None:
    from approvals import services

    def create(**overrides: str) -> User:
        data = {
            "username": "revisor7",
            "password": PASSWORD,
            "group": services.REVIEWER_GROUP,
            "cedula": "1101000055",
            "email": "revisor7@aduana.gob.ec",
            **overrides,
        }
        return services.staff_user_create(**data)

    with pytest.raises(services.StaffAccountError, match="10 dígitos"):
        create(cedula="")
    with pytest.raises(services.StaffAccountError, match="dígito verificador"):
        create(cedula="1101000057")
    with pytest.raises(services.StaffAccountError, match="correo"):
        create(email="revisor7")
    assert not User.objects.filter(username="revisor7").exists()
    user = create()
    assert (user.cedula, user.email) == ("1101000055", "revisor7@aduana.gob.ec")
    User.objects.create_user(username="jperez01", password=PASSWORD, cedula="1714307103")
    with pytest.raises(services.StaffAccountError, match="ya pertenece a otro usuario"):
        create(cedula="1714307103")


def test_the_demo_staff_have_a_cedula_and_an_email(reference_data: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    call_command("create_demo_staff", "--force", stdout=StringIO())
    for username in ("revisor", "supervisor"):
        user = User.objects.get(username=username)
        assert len(user.cedula) == 10 and user.email.endswith("@senae.demo")


def test_the_admin_answers_403_in_spanish_to_applicants_and_reviewers_without_a_loop(
    outsider: User, reviewer: User
) -> None:
    for client in (client_for(outsider), verified_login(Client(), reviewer)):
        response = client.get("/admin/", follow=True)
        assert response.status_code == 403
        assert "solo para los administradores" in response.content.decode()
        assert [url for url, _ in response.redirect_chain] == ["/admin/login/?next=/admin/"]
        direct = client.get("/admin/registration/trustanchor/", follow=True)
        assert direct.status_code == 403
        assert len(direct.redirect_chain) == 1
