"""Solicitud del uso (Representante): validation, nothing lost, stored safely, once."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pytest
from django.contrib.auth.hashers import check_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from registration import services
from registration.models import CertificateFile, RegistrationRequest, RequestStatus
from tests.conftest import PASSWORD, form_data
from tests.support import pki
from tests.support.status_access import status_client, status_path

pytestmark = pytest.mark.django_db


def post(client: Client, data: dict[str, object]) -> tuple[int, str]:
    response = client.post("/solicitud-del-uso/representante/", data)
    return response.status_code, response.content.decode()


def test_valid_submission_saves_everything_and_shows_tracking_number(
    reference_data: None, good_certificate: bytes, applicant_certificate: pki.CertificateAndKey
) -> None:
    client = Client()
    response = client.post(
        "/solicitud-del-uso/representante/",
        form_data(client, certificate=good_certificate, signer=applicant_certificate),
    )
    assert response.status_code == 302
    request = RegistrationRequest.objects.get()
    assert re.fullmatch(r"SOL-\d{4}-\d{6}", request.tracking_number)
    assert request.status == RequestStatus.SUBMITTED
    assert request.company_details.telefono_empresa == "+59322345678"
    assert request.celular == "+593991234567"
    assert [
        (o.code, o.oce_type.name, o.start_label, o.end_date.isoformat()) for o in request.oces.all()
    ] == [("03907058", "AGENTE DE ADUANA", "9/2002", "9999-12-31")]
    cert = CertificateFile.objects.get()
    assert cert.original_name == "representante.cer"
    assert cert.size == len(good_certificate)
    assert cert.sha256 == hashlib.sha256(good_certificate).hexdigest()

    page = client.get(response["Location"])
    body = page.content.decode()
    assert "Solicitud registrada" in body
    assert request.tracking_number in body
    assert "Enviada" in body


def test_password_and_answers_are_argon2id_hashes_never_clear_text(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate)
    assert request.password_hash.startswith("argon2$argon2id$v=19$m=47104,t=2,p=1$")
    assert check_password(PASSWORD, request.password_hash)
    for field in ("answer1_hash", "answer2_hash", "answer3_hash"):
        assert getattr(request, field).startswith("argon2$argon2id$")
    assert check_password(
        services.normalize_security_answer("  SAN   francísco "), request.answer2_hash
    )
    stored = " ".join(
        str(v) for v in RegistrationRequest.objects.filter(pk=request.pk).values().get().values()
    )
    for secret in (PASSWORD, "Mayo", "San Francisco", "Cuenca"):
        assert secret not in stored


def test_double_click_on_registrar_creates_one_request(
    reference_data: None, good_certificate: bytes, applicant_certificate: pki.CertificateAndKey
) -> None:
    client = Client()
    data = form_data(client, certificate=good_certificate, signer=applicant_certificate)
    first = client.post("/solicitud-del-uso/representante/", data)
    data["certificados"] = SimpleUploadedFile("representante.cer", good_certificate)
    second = client.post("/solicitud-del-uso/representante/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert RegistrationRequest.objects.count() == 1


def test_wrong_email_confirmation_keeps_every_value_and_the_file(
    reference_data: None, good_certificate: bytes, applicant_certificate: pki.CertificateAndKey
) -> None:
    client = Client()
    data = form_data(
        client,
        certificate=good_certificate,
        signer=applicant_certificate,
        email2="otro@example.com",
    )
    status, body = post(client, data)
    assert status == 400
    assert "La confirmación no coincide con el Correo Electrónico." in body
    assert 'value="IMPORTADORA ANDINA S.A."' in body
    assert 'value="jperez01"' in body
    assert 'value="03907058"' in body
    assert "representante.cer" in body  # the accepted file is kept and listed
    assert RegistrationRequest.objects.count() == 0

    # Fix the one field; no new upload.
    data["email2"] = "jperez@example.com"
    del data["certificados"], data["firma_reto"]  # browsers don't resend chosen files
    response = client.post("/solicitud-del-uso/representante/", data)
    assert response.status_code == 302
    request = RegistrationRequest.objects.get()
    assert request.certificates.get().sha256 == hashlib.sha256(good_certificate).hexdigest()


def test_a_kept_file_can_be_removed_and_then_a_certificate_is_required(
    reference_data: None, good_certificate: bytes, applicant_certificate: pki.CertificateAndKey
) -> None:
    client = Client()
    data = form_data(
        client,
        certificate=good_certificate,
        signer=applicant_certificate,
        email2="otro@example.com",
    )
    _, body = post(client, data)
    staged_id = re.search(r'name="remove_staged" value="(\d+)"', body)
    assert staged_id is not None
    del data["certificados"], data["firma_reto"]  # browsers don't resend chosen files
    data.update(email2="jperez@example.com", remove_staged=staged_id.group(1))
    status, body = post(client, data)
    assert status == 400
    assert "Adjunte el certificado digital público (.cer)." in body


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ruc": "12345"}, "RUC"),
        ({"ruc": "1779011674001"}, "RUC"),
        ({"cedula": "1714307104"}, "dígito verificador"),
        ({"password2": "Otra-Clave-2026"}, "La confirmación no coincide con la contraseña."),
        ({"password": "1234", "password2": "1234"}, "contraseña"),
        ({"canton": "0901"}, "no pertenece a la provincia"),
        ({"celular": "022345678"}, "celular"),
        ({"telefono1": "0991234567"}, "fijo"),
        ({"oce-0-code": "123"}, "El código de OCE tiene 8 dígitos."),
        ({"ruc": "0926687856001"}, "debe empezar con su Doc. Identificación"),
        ({"id_usuario": "a b"}, "ID. usuario"),
    ],
)
def test_bad_input_gets_a_spanish_message_next_to_its_field(
    reference_data: None,
    good_certificate: bytes,
    overrides: dict[str, str],
    message: str,
    applicant_certificate: pki.CertificateAndKey,
) -> None:
    client = Client()
    status, body = post(
        client,
        form_data(client, certificate=good_certificate, signer=applicant_certificate, **overrides),
    )
    assert status == 400
    errors = " ".join(re.findall(r'class="error"[^>]*>([^<]+)<', body))
    assert message.lower() in errors.lower(), errors
    assert RegistrationRequest.objects.count() == 0


def test_company_ruc_failing_mod11_is_accepted_with_a_warning(
    reference_data: None, test_ca: pki.CertificateAndKey
) -> None:
    signer = pki.make_leaf(test_ca, cedula=pki.DEFAULT_CEDULA, ruc="1793213150001")
    client = Client()
    response = client.post(
        "/solicitud-del-uso/representante/",
        form_data(client, certificate=pki.to_der(signer[0]), signer=signer, ruc="1793213150001"),
    )
    assert response.status_code == 302
    assert RegistrationRequest.objects.get().ruc_warnings


def test_at_least_one_oce_row_and_no_duplicate_codes(
    reference_data: None, good_certificate: bytes, applicant_certificate: pki.CertificateAndKey
) -> None:
    client = Client()
    data = form_data(
        client,
        certificate=good_certificate,
    )
    data.update(
        {"oce-0-oce_type": "", "oce-0-code": "", "oce-0-start_month": "", "oce-0-start_year": ""}
    )
    _, body = post(client, data)
    assert "Agregue al menos un OCE" in body
    client = Client()
    data = form_data(client, certificate=good_certificate, signer=applicant_certificate)
    data.update(
        {
            "oce-1-oce_type": data["oce-0-oce_type"],
            "oce-1-code": "03907058",
            "oce-1-start_month": "1",
            "oce-1-start_year": "2003",
        }
    )
    _, body = post(client, data)
    assert "El código de OCE 03907058 está repetido." in body


def test_private_key_files_are_refused_with_a_message_to_upload_the_cer(
    reference_data: None, test_ca: pki.CertificateAndKey
) -> None:
    cert, key = pki.make_leaf(test_ca)
    for name, content in [
        ("firma.p12", pki.make_pkcs12(cert, key)),
        ("clave.pem", pki.private_key_pem(key)),
    ]:
        client = Client()
        status, body = post(
            client,
            form_data(client, certificate=None, certificados=SimpleUploadedFile(name, content)),
        )
        assert status == 400
        assert ".cer" in body and name in body
    assert not CertificateFile.objects.exists()


def test_id_usuario_already_taken_is_refused_and_nothing_else_lost(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    test_ca: pki.CertificateAndKey,
) -> None:
    submit(good_certificate)
    other = pki.make_leaf(test_ca, cedula="0926687856", ruc=pki.COMPANY_RUC)
    client = Client()
    status, body = post(
        client,
        form_data(
            client,
            certificate=pki.to_der(other[0]),
            signer=other,
            cedula="0926687856",
            email="otra@example.com",
            email2="otra@example.com",
        ),
    )
    assert status == 400
    assert "El ID. usuario ya está en uso. Elija otro." in body
    assert 'value="0926687856"' in body
    assert RegistrationRequest.objects.count() == 1


def test_tracking_numbers_are_sequential(
    submit: Callable[..., RegistrationRequest], test_ca: pki.CertificateAndKey
) -> None:
    first_cert = pki.make_leaf(test_ca)
    first = submit(
        pki.to_der(first_cert[0]),
        signer=first_cert,
        id_usuario="usuario01",
        cedula="1714307103",
        email="a@example.com",
        email2="a@example.com",
    )
    second_cert = pki.make_leaf(test_ca, cedula="0926687856")
    second = submit(
        pki.to_der(second_cert[0]),
        signer=second_cert,
        id_usuario="usuario02",
        cedula="0926687856",
        email="b@example.com",
        email2="b@example.com",
    )
    n1 = int(first.tracking_number.rsplit("-", 1)[1])
    n2 = int(second.tracking_number.rsplit("-", 1)[1])
    assert n2 == n1 + 1


def test_status_page_needs_the_signed_link(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate)
    client = Client()
    # The tracking number is sequential: by itself it opens nothing (Consulta de estado).
    refused = client.get(status_path(request))
    assert refused.status_code == 403
    assert "Consulta de estado" in refused.content.decode()
    assert request.razon_social not in refused.content.decode()
    token = services.request_access_token(request)
    forged = client.get(f"/solicitud-del-uso/estado/?t={token[:-2]}xx")
    assert forged.status_code == 404
    assert "El enlace de seguimiento no es válido" in forged.content.decode()
    assert client.get(status_path(request)).status_code == 403
    assert client.get(f"/solicitud-del-uso/estado/?t={token}").status_code == 302
    assert client.get(status_path(request)).status_code == 200


def test_correction_page_is_closed_unless_the_request_is_correctable(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate)
    response = status_client(request).get(f"/solicitud-del-uso/corregir/{request.tracking_number}/")
    assert response.status_code == 302
    assert response["Location"] == status_path(request)
