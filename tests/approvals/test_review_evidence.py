"""The review page's certificate panel is evidence a reviewer can trust (issue 11).

Warnings look like warnings, the holder reads as labelled fields, the trust anchor actually used
is named (demo anchors loudly, and refused in production), the holder's name is compared with
the form's, and dates are the page's, in America/Guayaquil.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from registration import demo_pki as pki
from registration import services as registration_services
from registration.models import RegistrationRequest, RequestStatus, User
from tests.approvals.test_review import review_task
from tests.conftest import run_pending_jobs, verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.services]

GUAYAQUIL = ZoneInfo("America/Guayaquil")


def review_page(request: RegistrationRequest, reviewer: User) -> str:
    response = verified_login(Client(), reviewer).get(f"/revision/tarea/{review_task(request).pk}/")
    assert response.status_code == 200
    return response.content.decode()


def verified(
    submit: Callable[..., RegistrationRequest], certificate: bytes, **kwargs: Any
) -> RegistrationRequest:
    request = submit(certificate, **kwargs)
    run_pending_jobs(request)
    request.refresh_from_db()
    return request


def test_a_soft_fail_revocation_finding_is_a_warning_and_the_outcome_word_matches_the_queue(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, reviewer: User
) -> None:
    request = verified(submit, good_certificate)
    assert request.verification_outcome == "advertencias"
    page = review_page(request, reviewer)
    assert '<li class="warning">⚠ No se pudo comprobar si el certificado fue revocado' in page
    assert "✔ No se pudo comprobar" not in page
    assert "⚠ Verificada con advertencias" in page
    queue = verified_login(Client(), reviewer).get("/revision/?cola=sin-asignar")
    assert '<td class="verification-warning">⚠ Verificada con advertencias</td>' in (
        queue.content.decode()
    )


def test_the_holder_is_shown_as_labelled_fields_not_raw_oids(
    submit: Callable[..., RegistrationRequest], test_ca: pki.CertificateAndKey, reviewer: User
) -> None:
    leaf = pki.make_leaf(test_ca, cedula=pki.DEFAULT_CEDULA, ruc=pki.COMPANY_RUC, layout="subject")
    request = verified(submit, pki.to_der(leaf[0]), signer=leaf)
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED
    assert "2.5.4.97=VATEC-" in request.verification["results"][0]["subject"]
    page = review_page(request, reviewer)
    assert "2.5.4.97" not in page and "2.5.4.12" not in page
    for label, value in [
        ("Nombre", "JUAN CARLOS PÉREZ GÓMEZ"),
        ("Cédula", pki.DEFAULT_CEDULA),
        ("Cargo", "GERENTE GENERAL"),
        ("Organización", "PÉREZ GÓMEZ JUAN CARLOS"),
        ("Identificador de organización", f"RUC {pki.COMPANY_RUC}"),
    ]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in page, label


def test_ca_politica_names_the_trust_anchor_actually_used(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, reviewer: User
) -> None:
    # The leaf carries the Banco Central's identity arc, but the test CA vouched for it.
    request = verified(submit, good_certificate)
    assert request.verification["results"][0]["identity"]["ca_name"] == "Banco Central del Ecuador"
    page = review_page(request, reviewer)
    assert "<dt>CA / política</dt><dd>CA de pruebas ECUAPASS</dd>" in page
    assert "NO CONFIABLE — demostración" not in page and "Banco Central" not in page


@pytest.fixture
def demo_leaf(reference_data: None) -> pki.CertificateAndKey:
    demo_ca = pki.make_ca(registration_services.trust.DEMO_CA_NAME)
    registration_services.trust_anchors_import(
        data=pki.to_pem(demo_ca[0]), name=registration_services.trust.DEMO_CA_NAME, is_demo=True
    )
    return pki.make_leaf(demo_ca, cedula=pki.DEFAULT_CEDULA, ruc=pki.COMPANY_RUC)


def test_a_demo_anchor_is_marked_loudly_where_demo_anchors_are_allowed(
    submit: Callable[..., RegistrationRequest],
    demo_leaf: pki.CertificateAndKey,
    reviewer: User,
    settings: Any,
) -> None:
    settings.ECUAPASS_ALLOW_DEMO_ANCHORS = True
    request = verified(submit, pki.to_der(demo_leaf[0]), signer=demo_leaf)
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED
    assert request.verification["results"][0]["trust_anchor"]["is_demo"] is True
    page = review_page(request, reviewer)
    assert (
        "<dt>CA / política</dt><dd>CA DE DEMOSTRACION ECUAPASS (NO CONFIABLE) "
        '<strong class="demo-anchor">NO CONFIABLE — demostración</strong></dd>'
    ) in page


def test_demo_anchors_are_refused_with_a_spanish_reason_when_not_allowed(
    submit: Callable[..., RegistrationRequest], demo_leaf: pki.CertificateAndKey, settings: Any
) -> None:
    settings.ECUAPASS_ALLOW_DEMO_ANCHORS = False
    request = verified(submit, pki.to_der(demo_leaf[0]), signer=demo_leaf)
    assert request.status == RequestStatus.VERIFICATION_FAILED
    result = request.verification["results"][0]
    refused = [f for f in result["findings"] if f["code"] == "chain.demo_anchor_refused"]
    assert len(refused) == 1 and not refused[0]["ok"]
    assert "no acepta certificados de demostración" in refused[0]["message"]
    assert not any(f["code"] == "chain.ok" for f in result["findings"])
    # The record still names the anchor the path ended at.
    assert result["trust_anchor"]["is_demo"] is True


@pytest.mark.parametrize(("debug", "allowed"), [("true", "True"), ("false", "False")])
def test_demo_anchors_are_allowed_by_default_only_under_debug(debug: str, allowed: str) -> None:
    env = {**os.environ, "DJANGO_DEBUG": debug}
    env.pop("ECUAPASS_ALLOW_DEMO_ANCHORS", None)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import workflow.settings as s; print(s.ECUAPASS_ALLOW_DEMO_ANCHORS)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == allowed


def test_a_holder_name_unlike_the_forms_nombre_usuario_is_pointed_out(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, reviewer: User
) -> None:
    request = verified(submit, good_certificate, nombre_usuario="MARIA FERNANDA LOPEZ TORRES")
    page = review_page(request, reviewer)
    assert (
        "<dd>JUAN CARLOS PÉREZ GÓMEZ "
        '<span class="warning">(distinto del Nombre Usuario del formulario)</span></dd>'
    ) in page


def test_the_same_name_without_accents_or_in_another_order_is_not_pointed_out(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, reviewer: User
) -> None:
    request = verified(submit, good_certificate, nombre_usuario="Pérez Gómez Juan Carlos")
    assert "distinto del Nombre Usuario" not in review_page(request, reviewer)


def test_a_name_difference_alone_makes_the_outcome_a_warning(good_certificate: bytes) -> None:
    from registration.services import verification

    identity = {"given_names": "JUAN CARLOS", "surnames": "PÉREZ GÓMEZ", "razon_social": ""}
    passed = [{"identity": identity, "findings": [{"code": "chain.ok", "ok": True}]}]
    same = RegistrationRequest(razon_social="X", nombre_usuario="JUAN CARLOS PEREZ GOMEZ")
    other = RegistrationRequest(razon_social="X", nombre_usuario="MARIA LOPEZ")
    assert verification._outcome_label(same, passed) == "verificada"
    assert verification._outcome_label(other, passed) == "advertencias"


def test_certificate_dates_use_the_page_format_in_guayaquil(
    submit: Callable[..., RegistrationRequest], test_ca: pki.CertificateAndKey, reviewer: User
) -> None:
    not_before = datetime(2026, 1, 15, 3, 30, tzinfo=ZoneInfo("UTC"))  # 14/01 22:30 in Ecuador
    not_after = datetime(2028, 1, 15, 3, 30, tzinfo=ZoneInfo("UTC"))
    leaf = pki.make_leaf(
        test_ca,
        cedula=pki.DEFAULT_CEDULA,
        ruc=pki.COMPANY_RUC,
        not_before=not_before,
        not_after=not_after,
    )
    request = verified(submit, pki.to_der(leaf[0]), signer=leaf)
    page = review_page(request, reviewer)
    assert not_before.astimezone(GUAYAQUIL).strftime("%d/%m/%Y %H:%M") == "14/01/2026 22:30"
    assert "<dt>Vigencia</dt><dd>14/01/2026 22:30 — 14/01/2028 22:30</dd>" in page
    assert "2026-01-15T03:30:00+00:00" not in page
