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
from registration.models import CodePurpose, OneTimeCode, User
from registration.services import code_value
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


def enrollment_code(user: User) -> str:
    """The code in the latest "activar la verificación" email (as the staff member reads it)."""
    live = OneTimeCode.objects.get(
        user=user, purpose=CodePurpose.STAFF_ENROLL, used__isnull=True, retired__isnull=True
    )
    return code_value(live)


def prove_enrollment(client: Client, user: User, next_url: str = QUEUE) -> None:
    """Step 1 of enrolment: ask for the emailed code and type it in."""
    sent = client.post(enroll_url(next_url), {"enviar": "1"})
    assert sent.status_code == 302, sent.content.decode()[:2000]
    proven = client.post(enroll_url(next_url), {"enrollment_code": enrollment_code(user)})
    assert proven.status_code == 302, proven.content.decode()[:2000]
    assert proven["Location"] == enroll_url(next_url)


def enrolling_client(user: User, next_url: str = QUEUE) -> Client:
    """Logged in with the password, the emailed enrolment code already typed in."""
    client = client_for(user)
    prove_enrollment(client, user, next_url)
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


RECOVERY_CODE = re.compile(r"<li><code>([a-z2-7]{8})</code></li>")


def confirm_enrollment(client: Client, device: StaffTOTPDevice, next_url: str = QUEUE) -> list[str]:
    """Type the app's current code; the answer shows the recovery codes once."""
    response = client.post(enroll_url(next_url), {"otp_token": code_for(device)})
    assert response.status_code == 200, response.content.decode()[:2000]
    page = response.content.decode()
    assert f'href="{next_url}"' in page
    return RECOVERY_CODE.findall(page)


def enroll(client: Client, user: User, next_url: str = QUEUE) -> StaffTOTPDevice:
    """First login: the emailed code, scan (read the device), confirm with a current code."""
    prove_enrollment(client, user, next_url)
    assert client.get(enroll_url(next_url)).status_code == 200
    device = StaffTOTPDevice.objects.get(user=user, confirmed=False)
    assert len(confirm_enrollment(client, device, next_url)) == 10
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

    prove_enrollment(client, reviewer)
    page = client.get(response["Location"]).content.decode()
    device = StaffTOTPDevice.objects.get(user=reviewer, confirmed=False)
    assert "<svg" in page
    secret = re.search(r'id="clave-totp">([A-Z2-7 ]+)<', page)
    assert secret is not None
    assert secret.group(1).replace(" ", "") in device.config_url
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    assert '<label for="id_otp_token">' in page

    assert len(confirm_enrollment(client, device)) == 10
    assert StaffTOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(QUEUE).status_code == 200
    # A reviewer still can't reach supervisor pages: 2FA adds a check, it grants nothing.
    assert client.get(FAILED_JOBS).status_code == 403


def test_reloading_the_enrolment_page_keeps_the_same_secret(reviewer: User) -> None:
    client = enrolling_client(reviewer)
    first = client.get(enroll_url()).content.decode()
    second = client.get(enroll_url()).content.decode()
    secret = re.compile(r'id="clave-totp">([A-Z2-7 ]+)<')
    assert secret.findall(first) == secret.findall(second)
    assert StaffTOTPDevice.objects.filter(user=reviewer).count() == 1


def test_a_wrong_code_is_refused_with_a_message_and_retries_are_throttled(
    reviewer: User,
) -> None:
    client = enrolling_client(reviewer)
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
    confirm_enrollment(client, device)
    assert client.get(QUEUE).status_code == 200


def test_a_code_that_is_not_six_digits_is_refused_before_checking(reviewer: User) -> None:
    client = enrolling_client(reviewer)
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
    client = enrolling_client(reviewer)
    client.get(enroll_url())
    device = StaffTOTPDevice.objects.get(user=reviewer, confirmed=False)
    code = code_for(device)
    assert client.post(enroll_url(), {"otp_token": code}).status_code == 200

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
    first, second = enrolling_client(reviewer), enrolling_client(reviewer)
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

    confirm_enrollment(first, current)
    assert StaffTOTPDevice.objects.filter(user=reviewer).count() == 1
    # The other session is sent to verification, not to a fresh enrolment.
    assert second.get(QUEUE)["Location"] == verify_url(QUEUE)
    assert second.get(enroll_url())["Location"] == verify_url(QUEUE)


def test_next_must_stay_on_this_site(reviewer: User) -> None:
    client = enrolling_client(reviewer)
    client.get(enroll_url("https://ejemplo.invalid/"))
    device = StaffTOTPDevice.objects.get(user=reviewer, confirmed=False)
    response = client.post(enroll_url("https://ejemplo.invalid/"), {"otp_token": code_for(device)})
    assert response.status_code == 200
    assert "ejemplo.invalid" not in response.content.decode()
    assert f'href="{QUEUE}"' in response.content.decode()


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


# --- Enrolment needs the emailed code -----------------------------------------------


def test_the_password_alone_does_not_enrol_an_authenticator(reviewer: User) -> None:
    client = client_for(reviewer)
    page = client.get(enroll_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "<svg" not in text and 'id="clave-totp"' not in text
    assert "r***@aduana.gob.ec" in text
    # Posting a TOTP code straight away is refused, and no secret was ever made.
    blind = client.post(enroll_url(), {"otp_token": "123456"})
    assert blind.status_code == 400
    assert "Escriba el código que le enviamos por correo" in blind.content.decode()
    wrong = client.post(enroll_url(), {"enrollment_code": "000000"})
    assert wrong.status_code == 400
    assert "venció o ya fue usado" in wrong.content.decode()  # none was sent yet
    assert not StaffTOTPDevice.objects.filter(user=reviewer).exists()
    assert client.get(QUEUE)["Location"] == enroll_url(QUEUE)


def test_the_enrolment_code_goes_to_the_staff_members_email_and_works_once(
    reviewer: User,
) -> None:
    from django.core import mail

    from registration.tasks import send_one_time_code

    client = client_for(reviewer)
    sent = client.post(enroll_url(), {"enviar": "1"}, follow=True)
    assert "Le enviamos un código de activación a r***@aduana.gob.ec" in sent.content.decode()
    code = OneTimeCode.objects.get(user=reviewer, purpose=CodePurpose.STAFF_ENROLL)
    send_one_time_code.run(code.pk)
    email = mail.outbox[-1]
    assert email.to == ["revisor1@aduana.gob.ec"]
    assert "activar la verificación en dos pasos" in email.subject
    assert code_value(code) in email.body

    wrong = next(c for c in ("111111", "222222") if c != code_value(code))
    refused = client.post(enroll_url(), {"enrollment_code": wrong})
    assert refused.status_code == 400 and "no es correcto" in refused.content.decode()
    assert client.post(enroll_url(), {"enrollment_code": code_value(code)}).status_code == 302
    assert "<svg" in client.get(enroll_url()).content.decode()

    # The code is used up: another session with the same password must get its own.
    other = client_for(reviewer)
    again = other.post(enroll_url(), {"enrollment_code": code_value(code)})
    assert again.status_code == 400 and "venció o ya fue usado" in again.content.decode()
    assert "<svg" not in other.get(enroll_url()).content.decode()


def test_enrolment_codes_are_capped_per_hour(reviewer: User) -> None:
    from django.conf import settings as django_settings

    client = client_for(reviewer)
    for _ in range(django_settings.ECUAPASS_CODES_PER_HOUR):
        assert client.post(enroll_url(), {"enviar": "1"}).status_code == 302
    capped = client.post(enroll_url(), {"enviar": "1"})
    assert capped.status_code == 400
    assert "varios códigos en la última hora" in capped.content.decode()
    assert (
        OneTimeCode.objects.filter(user=reviewer, purpose=CodePurpose.STAFF_ENROLL).count()
        == django_settings.ECUAPASS_CODES_PER_HOUR
    )


def test_staff_without_an_email_are_told_to_ask_for_one(reviewer: User) -> None:
    User.objects.filter(pk=reviewer.pk).update(email="")
    client = client_for(reviewer)
    page = client.get(enroll_url()).content.decode()
    assert "no tiene un correo registrado" in page
    refused = client.post(enroll_url(), {"enviar": "1"})
    assert refused.status_code == 400
    assert not OneTimeCode.objects.filter(user=reviewer).exists()


def test_after_a_reset_the_password_alone_does_not_enrol_again(
    reviewer: User, supervisor: User
) -> None:
    from approvals import staff_access

    enroll(client_for(reviewer), reviewer)
    staff_access.totp_devices_reset_by(
        actor=supervisor, user=reviewer, reason="Perdió el teléfono", source_ip=None
    )
    client = client_for(reviewer)
    assert client.get(QUEUE)["Location"] == enroll_url(QUEUE)
    assert "<svg" not in client.get(enroll_url()).content.decode()
    assert client.post(enroll_url(), {"otp_token": "123456"}).status_code == 400
    assert not StaffTOTPDevice.objects.filter(user=reviewer).exists()
    enroll(client, reviewer)  # with a new emailed code it works
    assert client.get(QUEUE).status_code == 200


# --- Recovery codes ---------------------------------------------------------------


def test_recovery_codes_are_shown_once_at_enrolment_and_each_logs_in_once(
    reviewer: User,
) -> None:
    client = enrolling_client(reviewer)
    client.get(enroll_url())
    device = StaffTOTPDevice.objects.get(user=reviewer, confirmed=False)
    codes = confirm_enrollment(client, device)
    assert len(codes) == 10 and len(set(codes)) == 10
    # Shown once: the page can't be opened again, and the session doesn't keep them.
    again = client.get(enroll_url())
    assert again.status_code == 302 and again["Location"] == QUEUE
    session_text = str(dict(client.session.items()))
    assert not any(code in session_text for code in codes)

    first = client_for(reviewer)
    response = first.post(verify_url(), {"recovery_code": codes[0].upper()})
    assert response.status_code == 302 and response["Location"] == QUEUE
    queue = first.get(QUEUE)
    assert queue.status_code == 200
    assert "le quedan 9" in queue.content.decode()

    second = client_for(reviewer)
    replay = second.post(verify_url(), {"recovery_code": codes[0]})
    assert replay.status_code == 400
    assert "ya fue usado" in replay.content.decode()
    assert second.get(QUEUE)["Location"] == verify_url(QUEUE)
    from django_otp.plugins.otp_static.models import StaticDevice

    StaticDevice.objects.filter(user=reviewer).update(
        throttling_failure_timestamp=timezone.now() - timedelta(days=1)
    )
    assert second.post(verify_url(), {"recovery_code": codes[1]}).status_code == 302
    assert second.get(QUEUE).status_code == 200


def test_a_recovery_code_of_the_wrong_shape_is_refused_before_checking(reviewer: User) -> None:
    enroll(client_for(reviewer), reviewer)
    client = client_for(reviewer)
    response = client.post(verify_url(), {"recovery_code": "12345678"})
    assert response.status_code == 400
    assert "8 caracteres" in response.content.decode()


def test_a_reset_retires_the_recovery_codes_and_enrolment_makes_new_ones(
    reviewer: User,
) -> None:
    from io import StringIO

    from django.core.management import call_command

    client = enrolling_client(reviewer)
    client.get(enroll_url())
    old_codes = confirm_enrollment(client, StaffTOTPDevice.objects.get(user=reviewer))
    call_command("reset_second_factor", reviewer.username, "--motivo", "robo", stdout=StringIO())

    client = client_for(reviewer)
    assert client.post(verify_url(), {"recovery_code": old_codes[0]}).status_code == 302
    assert client.get(QUEUE)["Location"] == enroll_url(QUEUE)  # not verified: enrol again
    prove_enrollment(client, reviewer)
    client.get(enroll_url())
    new_codes = confirm_enrollment(client, StaffTOTPDevice.objects.get(user=reviewer))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)


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
