"""What a new user tripped over (issue 10 §6): errors, the challenge, messages, commands, login."""

from __future__ import annotations

import html as html_lib
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from registration import selectors, services
from registration.mail import LoggingEmailBackend
from registration.models import Notification, PossessionChallenge, RegistrationRequest, User
from registration.views.solicitud import SIGNATURE_RETIRED
from tests.conftest import PASSWORD, form_data, run_pending_jobs, sign_challenge
from tests.registration.test_correction import correction_url, current_values, observe
from tests.support import pki
from tests.support.status_access import correction_client, status_client, status_path

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
FORM = "/solicitud-del-uso/representante/"
# A private company's RUC that fails mod 11 although real ones do (../shared/DOMAIN.md).
RUC_FAILING_MOD_11 = "1793213150001"


def summary_links(body: str) -> list[tuple[str, str]]:
    """(href, text) of each link in the error summary."""
    block = re.search(r'<div class="error-summary".*?</div>', body, re.S)
    assert block is not None, "no error summary"
    return [
        (href, html_lib.unescape(text))
        for href, text in re.findall(r'<a href="(#[^"]+)">([^<]+)</a>', block.group(0))
    ]


# --- The error summary, in one round --------------------------------------------------


def test_an_error_in_an_oce_row_alone_gets_a_summary_linking_to_that_row(
    reference_data: None, good_certificate: bytes, applicant_certificate: pki.CertificateAndKey
) -> None:
    client = Client()
    data = form_data(client, certificate=good_certificate, signer=applicant_certificate)
    data["oce-0-code"] = "3907058"  # seven digits
    response = client.post(FORM, data)
    assert response.status_code == 400
    assert summary_links(response.content.decode()) == [
        ("#id_oce-0-code", "Código de OCEs (fila 1): El código de OCE tiene 8 dígitos.")
    ]


def test_the_summary_lists_every_error_each_linked_to_its_field(
    reference_data: None, good_certificate: bytes, applicant_certificate: pki.CertificateAndKey
) -> None:
    client = Client()
    data = form_data(client, certificate=good_certificate, signer=applicant_certificate)
    data.update(razon_social="", email2="otro@example.com", recibir_sms="")
    data.update({"oce-TOTAL_FORMS": "3"})
    for name in ("oce_type", "code", "start_month", "start_year"):
        data[f"oce-0-{name}"] = ""
    response = client.post(FORM, data)
    body = response.content.decode()
    assert summary_links(body) == [
        ("#id_razon_social", "Razón Social: Este campo es obligatorio."),
        (
            "#id_email2",
            "Confirmación de correo electrónico: La confirmación no coincide con el Correo "
            "Electrónico.",
        ),
        ("#id_recibir_sms_0", "Recibir mensaje SMS: Este campo es obligatorio."),
        ("#oce-rows", "Tipo de OCEs: Agregue al menos un OCE (tipo, código e inicio)."),
    ]
    assert "Corrija 4 datos para continuar" in body
    for href, _ in summary_links(body):
        assert f'id="{href[1:]}"' in body, href  # every link has somewhere to go


def test_the_signature_and_the_taken_values_are_checked_in_the_same_round_as_the_oce_rows(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    test_ca: pki.CertificateAndKey,
) -> None:
    submit(good_certificate, confirm=False)  # holds jperez01
    stranger = pki.make_leaf(test_ca, cedula="0926687856", ruc="0926687856001")
    client = Client()
    data = form_data(client, certificate=good_certificate, signer=stranger)
    data.update({"oce-0-code": "123", "cedula": "0926687856", "email": "otra@example.com"})
    data["email2"] = "otra@example.com"
    body = client.post(FORM, data).content.decode()
    messages = dict(summary_links(body))
    assert messages["#id_oce-0-code"].endswith("El código de OCE tiene 8 dígitos.")
    assert messages["#id_id_usuario"] == "ID. usuario: El ID. usuario ya está en uso. Elija otro."
    assert messages["#id_firma_reto"].startswith(
        "Firma del reto (.p7s): La firma fue hecha con otro"
    )


# --- Código de OCEs --------------------------------------------------------------------


def test_the_oce_code_says_it_has_eight_digits_and_is_marked_required(
    reference_data: None,
) -> None:
    body = Client().get(FORM).content.decode()
    header = re.search(r"<th[^>]*>(?:(?!</th>).)*Código de OCEs(?:(?!</th>).)*</th>", body, re.S)
    assert header is not None
    assert '<span class="req" aria-hidden="true">*</span>' in header.group(0)
    assert "8 dígitos" in header.group(0)
    code_input = re.search(r'<input[^>]*name="oce-0-code"[^>]*>', body)
    assert code_input is not None
    assert 'inputmode="numeric"' in code_input.group(0)
    assert 'maxlength="8"' in code_input.group(0)
    assert 'aria-describedby="oce-code-help"' in code_input.group(0)
    assert re.search(r'id="oce-code-help">[^<]*8 dígitos', body)


# --- The challenge: one file name, one expiry, a download on the correction page ------------


def test_the_signing_command_reads_the_file_that_descargar_reto_saves(
    reference_data: None,
) -> None:
    client = Client()
    body = client.get(FORM).content.decode()
    link = re.search(r'<a href="([^"]+)" download>Descargar reto</a>', body)
    assert link is not None
    download = client.get(link.group(1))
    filename = re.search(r'filename="([^"]+)"', download["Content-Disposition"])
    assert filename is not None
    command = re.search(r'<code class="command">([^<]+)</code>', body)
    assert command is not None
    assert f" -in {filename.group(1)} " in html_lib.unescape(command.group(1))
    assert re.findall(r"<code>(reto[^<]*\.txt)</code>", body) == [filename.group(1)] * 2


def test_the_page_and_the_signed_text_give_the_same_expiry(reference_data: None) -> None:
    body = Client().get(FORM).content.decode()
    token = re.search(r'name="submission_token" value="([^"]+)"', body)
    assert token is not None
    text = PossessionChallenge.objects.get(form_token=token.group(1)).text
    in_text = re.search(r"Válido hasta: (.+)\n", text)
    on_page = re.search(r"y vence el ([^.]+\))\.", html_lib.unescape(body))
    assert in_text is not None and on_page is not None
    assert on_page.group(1) == in_text.group(1)
    assert in_text.group(1).endswith("(hora de Ecuador, UTC-5)")


@pytest.fixture
def certificate_observed(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, reviewer: User
) -> RegistrationRequest:
    request = submit(good_certificate)
    run_pending_jobs(request)
    observe(request, reviewer, ["archivo:representante.cer"], "Certificado vencido.")
    return request


def test_the_correction_page_offers_descargar_reto_for_its_command(
    certificate_observed: RegistrationRequest,
) -> None:
    client = correction_client(certificate_observed)
    body = client.get(correction_url(certificate_observed)).content.decode()
    link = re.search(r'<a href="([^"]+)" download>Descargar reto</a>', body)
    assert link is not None
    download = client.get(link.group(1))
    assert download.status_code == 200
    challenge = PossessionChallenge.objects.get(request=certificate_observed)
    assert download.content.decode() == challenge.text
    assert 'filename="reto-ecuapass.txt"' in download["Content-Disposition"]
    assert "-in reto-ecuapass.txt" in body
    # One sentence, one mood (not "es obligatorio firmar … y adjunte").
    assert "Si adjunta un certificado nuevo, firme este reto con él (es obligatorio) y adjunte" in (
        body
    )
    assert "es obligatorio firmar" not in body


# --- A signature of a retired challenge -----------------------------------------------


def test_reopening_the_form_drops_the_signature_of_the_old_challenge_and_says_so(
    reference_data: None, good_certificate: bytes, applicant_certificate: pki.CertificateAndKey
) -> None:
    client = Client()
    data = form_data(client, certificate=good_certificate, signer=applicant_certificate)
    data["razon_social"] = ""  # refused: the signature and the certificate are kept
    assert client.post(FORM, data).status_code == 400
    key = str(client.session.session_key)
    assert selectors.staged_signature(session_key=key) is not None

    reopened = client.get(FORM).content.decode()
    assert selectors.staged_signature(session_key=key) is None
    assert html_lib.escape(SIGNATURE_RETIRED, quote=False) in reopened.replace("&#x27;", "'")
    assert "Firma adjunta:" not in reopened
    assert selectors.staged_certificates(session_key=key)  # the certificate stays


def test_a_kept_signature_of_another_challenge_is_dropped_with_a_message(
    reference_data: None, good_certificate: bytes, applicant_certificate: pki.CertificateAndKey
) -> None:
    client = Client()
    old_page = client.get(FORM).content.decode()
    old_token = re.search(r'name="submission_token" value="([^"]+)"', old_page)
    assert old_token is not None
    old_text = PossessionChallenge.objects.get(form_token=old_token.group(1)).text
    data = form_data(client, certificate=good_certificate)
    data["firma_reto"] = SimpleUploadedFile(
        "reto.p7s", sign_challenge(old_text, applicant_certificate)
    )
    response = client.post(FORM, data)
    assert response.status_code == 400
    assert ("#id_firma_reto", f"Firma del reto (.p7s): {SIGNATURE_RETIRED}") in summary_links(
        response.content.decode()
    )
    assert selectors.staged_signature(session_key=str(client.session.session_key)) is None


# --- RUC mod 11: a warning the applicant sees -----------------------------------------------


def test_a_ruc_failing_mod_11_is_accepted_and_the_applicant_is_warned(
    reference_data: None, good_certificate: bytes, applicant_certificate: pki.CertificateAndKey
) -> None:
    warning = "El dígito verificador del RUC no coincide"
    client = Client()
    data = form_data(client, certificate=good_certificate, signer=applicant_certificate)
    refused = client.post(FORM, {**data, "ruc": RUC_FAILING_MOD_11, "razon_social": ""})
    assert warning in refused.content.decode()  # said on the form while it is being filled in
    assert "#id_ruc" not in dict(summary_links(refused.content.decode()))  # not an error

    kept = {k: v for k, v in data.items() if k not in ("certificados", "firma_reto")}
    accepted = client.post(FORM, {**kept, "ruc": RUC_FAILING_MOD_11})
    assert accepted.status_code == 302
    status_page = client.get(accepted["Location"]).content.decode()
    assert "Aviso sobre el RUC" in status_page and warning in status_page

    consultar = client.get("/servicios/ruc/consultar/", {"ruc": RUC_FAILING_MOD_11}).json()
    assert warning in consultar["message"]


# --- Email: readable in development, and the right subject after a correction ---------------


def test_the_development_email_backend_logs_a_readable_message_at_info(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    message = mail.EmailMessage(
        "ECUAPASS: Corrección recibida (SOL-2026-000001)",
        "Recibimos la corrección de su solicitud SOL-2026-000001.",
        "ECUAPASS <no-responder@aduana.gob.ec>",
        ["jperez@example.com"],
    )
    with caplog.at_level(logging.INFO, logger="registration.mail"):
        assert LoggingEmailBackend().send_messages([message]) == 1
    [record] = [r for r in caplog.records if r.name == "registration.mail"]
    assert record.levelno == logging.INFO
    text = record.getMessage()
    assert "Asunto: ECUAPASS: Corrección recibida (SOL-2026-000001)" in text
    assert "Para: jperez@example.com" in text
    assert "Recibimos la corrección de su solicitud SOL-2026-000001." in text
    assert "=?utf-8?" not in text
    assert capsys.readouterr().out == ""  # nothing for Celery to redirect at WARNING


def clean_environment(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "REDIS_URL"))
    }
    return {**env, **extra}


def test_development_mode_uses_the_readable_email_backend(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.EMAIL_BACKEND)",
        ],
        cwd=ROOT,
        env=clean_environment(
            DJANGO_SETTINGS_MODULE="workflow.settings",
            DJANGO_DEBUG="true",
            ECUAPASS_VAR_DIR=str(tmp_path),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "registration.mail.LoggingEmailBackend"


def test_the_email_after_a_correction_says_the_correction_was_received(
    certificate_observed: RegistrationRequest, test_ca: pki.CertificateAndKey
) -> None:
    renewed = pki.make_leaf(test_ca, cedula=pki.DEFAULT_CEDULA, ruc=pki.COMPANY_RUC)
    challenge = services.possession_challenge_for_request(request=certificate_observed)
    old = certificate_observed.certificates.get()
    response = correction_client(certificate_observed).post(
        correction_url(certificate_observed),
        {
            **current_values(certificate_observed),
            "remove_files": [str(old.pk)],
            "certificados": SimpleUploadedFile("renovado.cer", pki.to_der(renewed[0])),
            "firma_reto": SimpleUploadedFile("reto.p7s", sign_challenge(challenge.text, renewed)),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    latest = Notification.objects.filter(request=certificate_observed).latest("created")
    number = certificate_observed.tracking_number
    assert latest.subject == f"ECUAPASS: Corrección recibida ({number})"
    assert latest.body.startswith(f"Recibimos la corrección de su solicitud {number}.")
    first = Notification.objects.filter(request=certificate_observed).earliest("created")
    assert first.subject == f"ECUAPASS: Solicitud registrada ({number})"


# --- manage.py in a checkout --------------------------------------------------------------


def run_manage(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_environment(ECUAPASS_VAR_DIR=str(tmp_path), **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="runs only from a git checkout")
def test_manage_py_commands_work_in_a_checkout_as_the_readme_shows_them(tmp_path: Path) -> None:
    check = run_manage("check", tmp_path=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "System check identified no issues" in check.stdout
    helped = run_manage("help", "reset_second_factor", tmp_path=tmp_path)
    assert helped.returncode == 0, helped.stderr
    assert "--motivo" in helped.stdout
    assert "DJANGO_DEBUG=true" in helped.stderr  # says which mode it chose


def test_production_still_fails_fast_without_a_secret_key(tmp_path: Path) -> None:
    # gunicorn and Celery import the settings without manage.py.
    wsgi = subprocess.run(
        [sys.executable, "-c", "import workflow.wsgi"],
        cwd=ROOT,
        env=clean_environment(ECUAPASS_VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wsgi.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in wsgi.stderr
    # A deployment that says DJANGO_DEBUG=false is not rescued by manage.py either.
    explicit = run_manage("check", tmp_path=tmp_path, DJANGO_DEBUG="false")
    assert explicit.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in explicit.stderr


# --- Spanish, links and the favicon ---------------------------------------------------------


def test_the_history_names_the_verified_state_once(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate)
    run_pending_jobs(request)
    page = status_client(request).get(status_path(request))
    body = page.content.decode()
    assert "Certificado verificado: Archivo representante.cer." in body
    assert "Certificado verificado: Certificado verificado" not in body


def test_the_solicitud_page_keeps_the_seed_labels_with_correct_grammar(
    reference_data: None,
) -> None:
    body = Client().get("/solicitud-del-uso/").content.decode()
    assert "Las información" not in body
    assert (
        "La información de la empresa, la del representante y el Certificado de Autenticación "
        "deben ser aprobados"
    ) in body


def test_the_buzon_names_its_links_instead_of_printing_raw_urls(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, reviewer: User
) -> None:
    request = submit(good_certificate)
    run_pending_jobs(request)
    observe(request, reviewer, ["email"], "Use <b>el correo</b> de la empresa.")
    user = User.objects.create_user(username="jperez01", password=PASSWORD, cedula=request.cedula)
    RegistrationRequest.objects.filter(pk=request.pk).update(user=user)
    client = Client()
    client.force_login(user)
    body = client.get("/mi-pagina/buzon/").content.decode()
    # (Each status link is signed when written: match its shape, not one token.)
    assert re.search(
        r'<a href="http[^"]*/solicitud-del-uso/estado/\?t=[^"/]+">Ver el estado de su solicitud</a>',
        body,
    )
    assert not re.search(r">https?://", body)  # no URL as link text
    assert "Use &lt;b&gt;el correo&lt;/b&gt; de la empresa." in body  # still escaped


def test_the_favicon_is_served_and_linked(reference_data: None) -> None:
    client = Client()
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content).startswith(b"\x00\x00\x01\x00")  # type: ignore[attr-defined]
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/").content.decode()


# --- Staff land where they work --------------------------------------------------------------


def login(client: Client, username: str, next_url: str = "") -> str:
    url = "/iniciar-sesion/" + (f"?next={next_url}" if next_url else "")
    response = client.post(url, {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


def test_a_reviewer_goes_to_the_second_factor_and_then_the_queue(reviewer: User) -> None:
    client = Client()
    assert login(client, reviewer.username) == "/revision/"
    second_factor = client.get("/revision/")
    assert second_factor.status_code == 302
    assert second_factor["Location"] == "/revision/2fa/activar/?next=%2Frevision%2F"


def test_an_applicant_still_lands_on_mi_pagina_and_an_explicit_next_wins(
    reviewer: User,
) -> None:
    User.objects.create_user(username="jperez01", password=PASSWORD)
    assert login(Client(), "jperez01") == "/mi-pagina/"
    assert login(Client(), reviewer.username, "/mi-pagina/buzon/") == "/mi-pagina/buzon/"
