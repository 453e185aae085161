"""A public entity that uses the VUE: its representative's form, certificate and appointment (issue 14)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfWriter

from registration.models import RegistrationRequest, RequestStatus, User
from tests.conftest import (
    WorkerProcess,
    challenge_of,
    confirm_email,
    person_fields,
    sign_challenge,
    wait_for_status,
)
from tests.support import pki

ENTITY_RUC = "1760100020001"  # a valid public-entity RUC (third digit 6)
ENTITY_NAME = "MINISTERIO DE PRODUCCION COMERCIO EXTERIOR"
ENTITY_REPRESENTATIVE_CEDULA = "1701234567"
OFFICIAL_CEDULA = "0901234567"


def appointment_pdf(pages: int = 1) -> bytes:
    """A real, readable, unprotected PDF (what an appointment must be)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def entity_certificate(test_ca: pki.CertificateAndKey) -> pki.CertificateAndKey:
    """The official's signing certificate: the representative's cédula and the entity's RUC."""
    return pki.make_leaf(
        test_ca,
        cedula=ENTITY_REPRESENTATIVE_CEDULA,
        ruc=ENTITY_RUC,
        given_names="ANA LUCIA",
        surnames="TORRES MENA",
        razon_social=ENTITY_NAME,
        cargo="MINISTRA",
    )


@pytest.fixture
def official_certificate(test_ca: pki.CertificateAndKey) -> pki.CertificateAndKey:
    return pki.make_leaf(
        test_ca,
        cedula=OFFICIAL_CEDULA,
        ruc=ENTITY_RUC,
        given_names="PEDRO",
        surnames="SALAZAR RUIZ",
        razon_social=ENTITY_NAME,
        cargo="ANALISTA",
    )


def entity_form(
    client: Client,
    *,
    certificate: bytes | None,
    signer: pki.CertificateAndKey | None,
    appointment: bytes | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A complete Representante de la entidad form as a browser posts it."""
    html = client.get("/solicitud-del-uso/representante-entidad/").content.decode()
    token, challenge = challenge_of(html)
    nonce = re.search(r'name="reto_nonce" value="([^"]+)"', html)
    assert nonce is not None
    data: dict[str, Any] = {
        "submission_token": token,
        "reto_nonce": nonce.group(1),
        "ruc": ENTITY_RUC,
        "razon_social": ENTITY_NAME,
        "direccion_empresa": "Av. Amazonas y Unión Nacional de Periodistas, Quito",
        "telefono_empresa": "023948760",
        "procedures": ["CO", "DCP"],
        **person_fields(),
        "id_usuario": "atorres01",
        "cedula": ENTITY_REPRESENTATIVE_CEDULA,
        "nombre_usuario": "ANA LUCIA TORRES MENA",
        "email": "atorres@example.com",
        "email2": "atorres@example.com",
        "posicion": "MÁXIMA AUTORIDAD",
        "senae_email": "",
        "recibir_sms": "0",
    }
    if certificate is not None:
        data["certificados"] = SimpleUploadedFile("funcionario.cer", certificate)
    if signer is not None:
        data["firma_reto"] = SimpleUploadedFile("reto.p7s", sign_challenge(challenge, signer))
    if appointment is not None:
        data["nombramiento"] = SimpleUploadedFile("nombramiento.pdf", appointment)
    data.update(overrides)
    return data


@pytest.fixture
def submit_entity(
    reference_data: None, entity_certificate: pki.CertificateAndKey
) -> Callable[..., RegistrationRequest]:
    def _submit(**overrides: Any) -> RegistrationRequest:
        client = Client()
        response = client.post(
            "/solicitud-del-uso/representante-entidad/",
            entity_form(
                client,
                certificate=pki.to_der(entity_certificate[0]),
                signer=entity_certificate,
                appointment=appointment_pdf(),
                **overrides,
            ),
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        request = RegistrationRequest.objects.get(id_usuario="atorres01")
        confirm_email(request)
        return request

    return _submit


@pytest.fixture
def entity_representative(
    celery_worker: WorkerProcess,
    submit_entity: Callable[..., RegistrationRequest],
    reviewer: User,
) -> User:
    """The entity's Representante de la entidad (CO and DCP), active through the real flow."""
    from approvals import services as approval_services

    request = submit_entity()
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    task = entity_review_task(request)
    approval_services.review_take(task_pk=task.pk, actor=reviewer)
    approval_services.review_decide(
        task_pk=task.pk, actor=reviewer, decision=approval_services.Decision.APPROVE
    )
    wait_for_status(request, RequestStatus.ACTIVE)
    return User.objects.get(username="atorres01")


def entity_review_task(request: RegistrationRequest) -> Any:
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from workflow.flows.representante_entidad import RepresentanteEntidadFlow

    return Task.objects.get(
        process__registrationprocess__request=request,
        flow_task=RepresentanteEntidadFlow.review,
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def observe_entity(request: RegistrationRequest, reviewer: User, items: list[str]) -> None:
    """SENAE's reviewer observes ``items`` of a Representante de la entidad's request."""
    from approvals import services as approval_services

    task = entity_review_task(request)
    if task.owner_id is None:
        approval_services.review_take(task_pk=task.pk, actor=reviewer)
    approval_services.review_decide(
        task_pk=task.pk,
        actor=reviewer,
        decision=approval_services.Decision.OBSERVE,
        comment="El nombramiento no está firmado; la entidad también emite DDO.",
        observed_items=items,
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.OBSERVED
