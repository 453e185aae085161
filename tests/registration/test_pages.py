"""Reference data and the public pages around the form."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from registration import services
from registration.models import Canton, MobileOperator, OceType, Province, SecurityQuestion

pytestmark = pytest.mark.django_db


def test_reference_data_has_the_24_provinces_with_their_cantones_and_loads_idempotently() -> None:
    first = services.reference_data_load()
    second = services.reference_data_load()
    assert first == second
    assert Province.objects.count() == 24
    assert set(Province.objects.values_list("code", flat=True)) == {
        f"{n:02d}" for n in range(1, 25)
    }
    assert not Province.objects.filter(cantones__isnull=True).exists()
    assert Canton.objects.get(name="QUITO").province.name == "PICHINCHA"
    assert Canton.objects.get(name="GUAYAQUIL").province_id == "09"
    assert Canton.objects.count() == first["cantones"] > 200
    assert OceType.objects.filter(name="AGENTE DE ADUANA").exists()
    assert list(SecurityQuestion.objects.order_by("slot").values_list("text", flat=True)) == [
        "¿MES QUE TE CASASTE?",
        "¿IGLESIA DONDE SE CASO?",
        "¿NOMBRE DE SU CIUDAD PREFERIDA?",
    ]
    assert set(MobileOperator.objects.values_list("code", flat=True)) == {
        "CLARO",
        "MOVISTAR",
        "CNT",
    }


def test_ciudad_options_are_grouped_by_provincia(reference_data: None) -> None:
    body = Client().get("/solicitud-del-uso/representante/").content.decode()
    galapagos = re.search(r'<optgroup label="GALAPAGOS">(.*?)</optgroup>', body, re.S)
    assert galapagos is not None
    assert re.findall(r">([A-Z ]+)</option>", galapagos.group(1)) == [
        "ISABELA",
        "SAN CRISTOBAL",
        "SANTA CRUZ",
    ]


def test_portal_home_and_paso_2_show_the_kinds_honestly(reference_data: None) -> None:
    home = Client().get("/").content.decode()
    for label in (
        "ECUAPASS",
        "IDIOMA: ESPAÑOL",
        "ID. USUARIO",
        "CONTRASEÑA",
        "INICIAR SESIÓN",
        "Solicitud del uso",
        "1800-223223",
    ):
        assert label in home
    paso2 = Client().get("/solicitud-del-uso/").content.decode()
    for slug in ("representante", "general", "empleado", "representante-entidad", "entidad"):
        assert f'href="/solicitud-del-uso/{slug}/"' in paso2
    assert "aún no disponible" not in paso2
    # Each link opens its own form, with the seed's title.
    for slug, title in (
        ("representante-entidad", "Solicitud del uso(Representante de la entidad)"),
        ("entidad", "Solicitud del uso(Entidad)"),
    ):
        page = Client().get(f"/solicitud-del-uso/{slug}/")
        assert page.status_code == 200
        assert f"<h1>{title}</h1>" in page.content.decode()


def test_form_shows_every_field_of_pasos_3_to_5_with_required_markers(reference_data: None) -> None:
    body = Client().get("/solicitud-del-uso/representante/").content.decode()
    labels = [
        "RUC empresa",
        "Razón Social",
        "Dirección de empresa",
        "Teléfono empresa",
        "ID. usuario",
        "Doc. Identificación",
        "Nombre Usuario",
        "Contraseña",
        "Confirmación de Contraseña",
        "Preguntas de Clave1",
        "Respuesta de Clave1",
        "Preguntas de Clave2",
        "Respuesta de Clave2",
        "Preguntas de Clave3",
        "Respuesta de Clave3",
        "Provincia",
        "Ciudad",
        "Dirección",
        "Teléfono1",
        "Teléfono2",
        "Celular",
        "Fax",
        "Correo Electrónico",
        "Confirmación de correo electrónico",
        "Posición",
        "SENAE Correo Electrónico",
        "Recibir mensaje SMS",
        "Tipo de OCEs",
        "Identificación única de certificado digital",
        "Registrar",
    ]
    for label in labels:
        assert label in body, label
    assert '<span class="req" aria-hidden="true">*</span> RUC empresa' in body
    assert '<span class="req" aria-hidden="true">*</span> Teléfono2' not in body
    assert "CEDULA DE IDENTIDAD" in body and "REPRESENTANTES" in body and "No recibir" in body


def test_login_says_the_same_for_unknown_id_and_wrong_password(reference_data: None) -> None:
    from registration.models import User

    User.objects.create_user(username="existe01", password="Clave-Segura-2026")
    unknown = (
        Client()
        .post("/iniciar-sesion/", {"username": "noexiste", "password": "x"})
        .content.decode()
    )
    wrong = (
        Client()
        .post("/iniciar-sesion/", {"username": "existe01", "password": "x"})
        .content.decode()
    )
    assert "ID. usuario o contraseña incorrectos." in unknown
    assert "ID. usuario o contraseña incorrectos." in wrong
