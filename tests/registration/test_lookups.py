"""Consultar, Comprobar disponibilidad, Cargar/Eliminar/Descargar, and forms left open."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from registration.models import Company, RegistrationRequest, StagedCertificate
from tests.conftest import form_data
from tests.support import pki

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def company(reference_data: None) -> Company:
    return Company.objects.create(
        ruc=pki.COMPANY_RUC,
        razon_social="IMPORTADORA ANDINA S.A.",
        direccion="Av. Amazonas N24-03",
        telefono="+59322345678",
    )


def test_consultar_fills_a_known_company_and_invites_typing_an_unknown_one(
    company: Company,
) -> None:
    client = Client()
    found = client.get("/servicios/ruc/consultar/", {"ruc": pki.COMPANY_RUC}).json()
    assert found == {
        "found": True,
        "ruc": pki.COMPANY_RUC,
        "razon_social": "IMPORTADORA ANDINA S.A.",
        "direccion": "Av. Amazonas N24-03",
        "telefono": "022345678",
        "message": "Datos tomados del registro de empresas (ECUAPASS).",
    }
    unknown = client.get("/servicios/ruc/consultar/", {"ruc": "1793213150001"}).json()
    assert unknown["found"] is False and "Ingrese la Razón Social" in unknown["message"]
    invalid = client.get("/servicios/ruc/consultar/", {"ruc": "123"})
    assert invalid.status_code == 400 and "RUC" in invalid.json()["message"]


def test_consultar_without_javascript_keeps_everything_and_shows_no_errors(
    company: Company, good_certificate: bytes
) -> None:
    client = Client()
    data = form_data(
        client,
        certificate=good_certificate,
        razon_social="",
        direccion_empresa="",
        telefono_empresa="",
        accion="consultar",
    )
    response = client.post("/solicitud-del-uso/representante/", data)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="IMPORTADORA ANDINA S.A."' in body
    assert 'value="jperez01"' in body
    assert "Este campo es obligatorio." not in body
    assert "Datos tomados del registro de empresas" in body
    assert "representante.cer" in body  # the chosen file was kept
    assert RegistrationRequest.objects.count() == 0


@pytest.mark.parametrize(
    ("campo", "valor", "available", "message"),
    [
        ("id_usuario", "nuevo01", True, "El ID. usuario está disponible."),
        ("id_usuario", "a b", False, "ID. usuario debe tener"),
        ("cedula", pki.DEFAULT_CEDULA, True, "El Doc. Identificación está disponible."),
        ("cedula", "1714307104", False, "dígito verificador"),
        ("email", "nuevo@example.com", True, "El Correo Electrónico está disponible."),
        ("email", "no-es-correo", False, "correo electrónico válido"),
    ],
)
def test_comprobar_disponibilidad_answers_in_place(
    reference_data: None, campo: str, valor: str, available: bool, message: str
) -> None:
    data = (
        Client().get("/solicitud-del-uso/disponibilidad/", {"campo": campo, "valor": valor}).json()
    )
    assert data["available"] is available
    assert message in data["message"]


def test_comprobar_disponibilidad_sees_taken_values(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    submit(good_certificate)
    client = Client()
    taken_id = client.get(
        "/solicitud-del-uso/disponibilidad/", {"campo": "id_usuario", "valor": "JPEREZ01"}
    ).json()
    assert taken_id == {"available": False, "message": "El ID. usuario ya está en uso. Elija otro."}
    taken_cedula = client.get(
        "/solicitud-del-uso/disponibilidad/", {"campo": "cedula", "valor": pki.DEFAULT_CEDULA}
    ).json()
    assert taken_cedula["available"] is False
    assert (
        client.get(
            "/solicitud-del-uso/disponibilidad/", {"campo": "password", "valor": "x"}
        ).status_code
        == 404
    )


def test_lookups_are_rate_limited_per_client(
    reference_data: None, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One fixed minute, so the count can't restart mid-test at a minute boundary.
    monkeypatch.setattr("registration.ratelimit.time.time", lambda: 1_800_000_000.0)
    settings.ECUAPASS_LOOKUP_RATE_PER_MINUTE = 3  # type: ignore[attr-defined]
    client = Client(REMOTE_ADDR="10.1.1.1")
    codes = [
        client.get(
            "/solicitud-del-uso/disponibilidad/", {"campo": "id_usuario", "valor": f"user{i:03d}"}
        ).status_code
        for i in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    assert (
        "Espere un minuto"
        in client.get(
            "/solicitud-del-uso/disponibilidad/", {"campo": "id_usuario", "valor": "otro01"}
        ).json()["message"]
    )
    # Another client is not affected.
    other = Client(REMOTE_ADDR="10.1.1.2")
    assert (
        other.get(
            "/solicitud-del-uso/disponibilidad/", {"campo": "id_usuario", "valor": "otro01"}
        ).status_code
        == 200
    )


def test_cargar_lists_files_with_size_and_total_and_eliminar_removes_them(
    reference_data: None, good_certificate: bytes, test_ca: pki.CertificateAndKey
) -> None:
    client = Client()
    client.get("/solicitud-del-uso/representante/")
    second = pki.to_der(pki.make_leaf(test_ca)[0])
    response = client.post(
        "/solicitud-del-uso/archivos/",
        {
            "certificados": [
                SimpleUploadedFile("a.cer", good_certificate),
                SimpleUploadedFile("b.cer", second),
            ]
        },
    )
    data = response.json()
    assert response.status_code == 200
    assert [(f["name"], f["size_kb"]) for f in data["files"]] == [
        ("a.cer", f"{len(good_certificate) / 1024:.1f}"),
        ("b.cer", f"{len(second) / 1024:.1f}"),
    ]
    assert data["total_kb"] == f"{(len(good_certificate) + len(second)) / 1024:.1f}"
    first_id = data["files"][0]["id"]
    after = client.post("/solicitud-del-uso/archivos/eliminar/", {"ids": [first_id]}).json()
    assert [f["name"] for f in after["files"]] == ["b.cer"]


def test_refused_files_get_a_clear_message_and_are_not_kept(
    reference_data: None, test_ca: pki.CertificateAndKey, settings: object
) -> None:
    cert, key = pki.make_leaf(test_ca)
    client = Client()
    client.get("/solicitud-del-uso/representante/")
    p12 = client.post(
        "/solicitud-del-uso/archivos/",
        {"certificados": SimpleUploadedFile("firma.p12", pki.make_pkcs12(cert, key))},
    )
    assert p12.status_code == 400
    assert any(".cer" in e and "firma.p12" in e for e in p12.json()["errors"])
    settings.CERTIFICATE_MAX_BYTES = 100  # type: ignore[attr-defined]
    big = client.post(
        "/solicitud-del-uso/archivos/",
        {"certificados": SimpleUploadedFile("grande.cer", pki.to_der(cert))},
    )
    assert any("grande.cer" in e and "máximo" in e for e in big.json()["errors"])
    settings.CERTIFICATE_MAX_BYTES = 64 * 1024  # type: ignore[attr-defined]
    settings.CERTIFICATE_MAX_TOTAL_BYTES = len(pki.to_der(cert)) + 10  # type: ignore[attr-defined]
    client.post(
        "/solicitud-del-uso/archivos/",
        {"certificados": SimpleUploadedFile("uno.cer", pki.to_der(cert))},
    )
    other = pki.to_der(pki.make_leaf(test_ca)[0])
    total = client.post(
        "/solicitud-del-uso/archivos/", {"certificados": SimpleUploadedFile("dos.cer", other)}
    ).json()
    assert any("Tamaño total" in e or "tamaño total" in e for e in total["errors"])
    assert [f["name"] for f in total["files"]] == ["uno.cer"]
    assert client.post("/solicitud-del-uso/archivos/", {}).status_code == 400


def test_descargar_serves_only_the_applicants_own_files(
    reference_data: None, good_certificate: bytes
) -> None:
    owner = Client()
    owner.get("/solicitud-del-uso/representante/")
    data = owner.post(
        "/solicitud-del-uso/archivos/",
        {"certificados": SimpleUploadedFile("mio.cer", good_certificate)},
    ).json()
    url = data["files"][0]["download_url"]
    download = owner.get(url)
    assert download.status_code == 200
    assert download.content == good_certificate
    assert 'filename="mio.cer"' in download["Content-Disposition"]
    stranger = Client()
    stranger.get("/solicitud-del-uso/representante/")
    assert stranger.get(url).status_code == 404
    assert Client().get(url).status_code == 404


def test_a_form_left_open_after_the_session_expired_still_submits(
    reference_data: None, good_certificate: bytes, applicant_certificate: pki.CertificateAndKey
) -> None:
    client = Client()
    data = form_data(client, certificate=good_certificate, signer=applicant_certificate)
    client.cookies.pop("sessionid", None)
    response = client.post("/solicitud-del-uso/representante/", data)
    assert response.status_code == 302
    assert RegistrationRequest.objects.count() == 1


def test_files_lost_with_an_expired_session_are_asked_for_again(
    reference_data: None, good_certificate: bytes
) -> None:
    client = Client()
    data = form_data(client, certificate=None, staged_count="1")
    client.post(
        "/solicitud-del-uso/archivos/",
        {"certificados": SimpleUploadedFile("a.cer", good_certificate)},
    )
    client.cookies.pop("sessionid", None)
    response = client.post("/solicitud-del-uso/representante/", data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "la sesión expiró" in body
    assert 'value="jperez01"' in body
    assert StagedCertificate.objects.count() == 1  # the old session's copy, cleaned up later


def test_public_ruc_page_and_catalogues(company: Company) -> None:
    client = Client()
    known = client.get("/servicios/ruc/", {"ruc": pki.COMPANY_RUC}).content.decode()
    assert "IMPORTADORA ANDINA S.A." in known
    unknown = client.get("/servicios/ruc/", {"ruc": "1793213150001"}).content.decode()
    assert "no consta" in unknown
    invalid = client.get("/servicios/ruc/", {"ruc": "12"}).content.decode()
    assert re.search(r'class="error"[^>]*>[^<]*RUC', invalid)
    catalogues = client.get("/servicios/catalogos/").content.decode()
    assert "PICHINCHA" in catalogues and "QUITO" in catalogues and "LINEA NAVIERA" in catalogues
    assert "Reinicio de clave" in client.get("/buscar-id/").content.decode()


def test_files_of_abandoned_forms_are_purged(reference_data: None, good_certificate: bytes) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from registration import services
    from registration.tasks import purge_stale_staged_certificates
    from workflow.celery import app

    client = Client()
    client.get("/solicitud-del-uso/representante/")
    client.post(
        "/solicitud-del-uso/archivos/",
        {"certificados": SimpleUploadedFile("a.cer", good_certificate)},
    )
    assert purge_stale_staged_certificates.run() == 0
    StagedCertificate.objects.update(created=timezone.now() - timedelta(days=30))
    assert services.staged_certificates_purge(older_than=timedelta(days=14)) == 1
    assert not StagedCertificate.objects.exists()
    assert "registration.tasks.purge_stale_staged_certificates" in {
        entry["task"] for entry in app.conf.beat_schedule.values()
    }
