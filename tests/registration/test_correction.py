"""The correction loop: only what was observed is editable, every version is kept, the
reviewer sees what changed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task

from approvals import services as approval_services
from registration import services
from registration.kinds import REPRESENTANTE, field_value
from registration.models import (
    AccountNotice,
    CodePurpose,
    OceType,
    PossessionChallenge,
    RegistrationRequest,
    RequestKind,
    RequestStatus,
    RequestVersion,
    User,
)
from registration.tasks import send_account_notice, send_one_time_code
from tests.conftest import (
    PASSWORD,
    confirm_email,
    run_pending_jobs,
    sign_challenge,
    verified_login,
)
from tests.support import pki
from tests.support.status_access import correct_path, correction_client, status_client
from workflow import services as process_services
from workflow.flows.representante import RepresentanteFlow

pytestmark = pytest.mark.django_db


# --- Helpers ------------------------------------------------------------------------


@pytest.fixture
def verified_request(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> RegistrationRequest:
    request = submit(good_certificate)
    run_pending_jobs(request)
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED
    return request


def review_task(request: RegistrationRequest) -> Task:
    return Task.objects.filter(
        process__registrationprocess__request=request, flow_task=RepresentanteFlow.review
    ).latest("created")


def observe(
    request: RegistrationRequest, reviewer: User, items: list[str], comment: str = "Corrija."
) -> None:
    task = review_task(request)
    if task.owner_id is None:
        approval_services.review_take(task_pk=task.pk, actor=reviewer)
    approval_services.review_decide(
        task_pk=task.pk,
        actor=reviewer,
        decision=approval_services.Decision.OBSERVE,
        comment=comment,
        observed_items=items,
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.OBSERVED


def correction_url(request: RegistrationRequest) -> str:
    return correct_path(request)


def current_values(request: RegistrationRequest) -> dict[str, Any]:
    """Every data field as the page shows it (what a browser would post back)."""
    return {
        "ruc": request.ruc,
        "razon_social": request.razon_social,
        "direccion_empresa": request.company_details.direccion_empresa,
        "telefono_empresa": "022345678",
        "cedula": request.cedula,
        "nombre_usuario": request.nombre_usuario,
        "email": request.email,
        "email2": request.email,
    }


def back_in_review(request: RegistrationRequest) -> None:
    """After a correction: confirm a changed email if asked, then verify the certificate."""
    request.refresh_from_db()
    if request.email_confirmed_at is None:
        confirm_email(request)
    run_pending_jobs(request)
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED, request.status


def review_page(request: RegistrationRequest, reviewer: User) -> str:
    response = verified_login(Client(), reviewer).get(f"/revision/tarea/{review_task(request).pk}/")
    assert response.status_code == 200
    return response.content.decode()


def disabled(html: str, name: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert tag is not None, f"no input {name}"
    return " disabled" in tag.group(0)


# --- Only the observed items are editable -------------------------------------------


def test_an_email_observation_opens_only_the_email(
    verified_request: RegistrationRequest, reviewer: User
) -> None:
    observe(verified_request, reviewer, ["email"], "El correo no es de la empresa.")
    page = correction_client(verified_request).get(correction_url(verified_request))
    assert page.status_code == 200
    html = page.content.decode()
    assert "El correo no es de la empresa." in html
    assert "<mark>Correo Electrónico</mark>" in html
    assert not disabled(html, "email")
    for name in ("ruc", "razon_social", "direccion_empresa", "telefono_empresa", "cedula"):
        assert disabled(html, name), name
    assert 'name="certificados"' not in html
    assert 'name="firma_reto"' not in html
    assert 'name="oce-TOTAL_FORMS"' not in html


def test_a_crafted_post_cannot_change_what_was_not_observed(
    verified_request: RegistrationRequest, reviewer: User, good_certificate: bytes
) -> None:
    observe(verified_request, reviewer, ["email"])
    original = RegistrationRequest.objects.get(pk=verified_request.pk)
    certificates_before = list(original.certificates.values_list("sha256", flat=True))
    response = correction_client(verified_request).post(
        correction_url(verified_request),
        {
            **current_values(verified_request),
            "ruc": "1790012345001",
            "razon_social": "OTRA EMPRESA S.A.",
            "email": "gerencia@andina.ec",
            "email2": "gerencia@andina.ec",
            "remove_files": [str(pk) for pk in original.certificates.values_list("pk", flat=True)],
            "certificados": SimpleUploadedFile("otro.cer", good_certificate),
            "oce-TOTAL_FORMS": "1",
            "oce-INITIAL_FORMS": "0",
            "oce-0-oce_type": OceType.objects.get(name="LINEA NAVIERA").pk,
            "oce-0-code": "16929838",
            "oce-0-start_month": "1",
            "oce-0-start_year": "2003",
            "oce-0-end_date": "31/12/9999",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    request = RegistrationRequest.objects.get(pk=verified_request.pk)
    assert request.status == RequestStatus.SUBMITTED
    assert request.email == "gerencia@andina.ec"
    assert request.email_confirmed_at is None  # the new address must be confirmed again
    assert (request.ruc, request.razon_social) == (original.ruc, original.razon_social)
    assert list(request.certificates.values_list("sha256", flat=True)) == certificates_before
    assert list(request.oces.values_list("code", flat=True)) == ["03907058"]
    assert request.events.last().comment == (  # type: ignore[union-attr]
        "Corregida por el solicitante (Correo Electrónico)."
    )


def test_the_service_refuses_a_change_outside_the_observation(
    verified_request: RegistrationRequest, reviewer: User
) -> None:
    observe(verified_request, reviewer, ["email"])
    with pytest.raises(services.SubmissionConflict) as refused:
        process_services.correction_submit(
            request=verified_request,
            data=services.CorrectionData(ruc="1790012345001", email="nuevo@andina.ec"),
        )
    assert set(refused.value.errors) == {"ruc"}
    with pytest.raises(services.SubmissionConflict) as refused:
        process_services.correction_submit(
            request=verified_request,
            data=services.CorrectionData(new_files=(services.UploadedCertificate("x.cer", b"x"),)),
        )
    assert set(refused.value.errors) == {services.CERTIFICATES_ITEM}
    request = RegistrationRequest.objects.get(pk=verified_request.pk)
    assert request.status == RequestStatus.OBSERVED
    assert request.email == "jperez@example.com"
    assert request.versions.count() == 1
    # An unchanged value of a closed field is not a change: it goes through.
    process_services.correction_submit(
        request=verified_request,
        data=services.CorrectionData(ruc=request.ruc, email="nuevo@andina.ec"),
    )
    request.refresh_from_db()
    assert (request.status, request.email) == (RequestStatus.SUBMITTED, "nuevo@andina.ec")


def test_what_each_state_opens() -> None:
    def items(status: str, observed: list[str]) -> frozenset[str]:
        return services.correctable_items(
            request=RegistrationRequest(
                kind=RequestKind.REPRESENTANTE, status=status, observed_items=observed
            )
        )

    assert items(RequestStatus.OBSERVED, ["email", "archivo:rep.cer"]) == {"email", "certificados"}
    assert items(RequestStatus.OBSERVED, ["oces"]) == {"oces"}
    assert items(RequestStatus.VERIFICATION_FAILED, []) == {"certificados", "ruc", "cedula"}
    # An observation that names nothing (from before items existed) opens everything.
    assert items(RequestStatus.OBSERVED, []) == {
        *REPRESENTANTE.correctable_fields,
        "oces",
        "certificados",
    }
    assert items(RequestStatus.CERTIFICATE_VERIFIED, ["email"]) == frozenset()


# --- Versions --------------------------------------------------------------------------


def test_every_version_is_kept_without_secrets_and_can_not_be_rewritten(
    verified_request: RegistrationRequest, reviewer: User
) -> None:
    (first,) = verified_request.versions.all()
    assert first.number == 1
    assert first.data["ruc"] == pki.COMPANY_RUC
    assert first.data["email"] == "jperez@example.com"
    assert first.data["province"] and first.data["canton"]
    assert [o["code"] for o in first.data["oces"]] == ["03907058"]
    cert = verified_request.certificates.get()
    assert first.data["certificados"] == [
        {"original_name": "representante.cer", "sha256": cert.sha256, "size": cert.size}
    ]
    dumped = json.dumps(first.data)
    for secret in (PASSWORD, "Mayo", "San Francisco", "Cuenca", "argon2"):
        assert secret not in dumped
    assert not {"password", "password_hash", "answer1", "answer1_hash"} & set(first.data)

    observe(verified_request, reviewer, ["nombre_usuario"], "Escriba el nombre completo.")
    response = correction_client(verified_request).post(
        correction_url(verified_request),
        {**current_values(verified_request), "nombre_usuario": "JUAN CARLOS PÉREZ GÓMEZ"},
    )
    assert response.status_code == 302
    versions = list(RequestVersion.objects.filter(request=verified_request).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].data["nombre_usuario"] == "JUAN CARLOS PEREZ GOMEZ"
    assert versions[1].data["nombre_usuario"] == "JUAN CARLOS PÉREZ GÓMEZ"
    assert versions[1].data["answering"]["observation"] == "Escriba el nombre completo."
    assert versions[1].data["answering"]["observed_items"] == ["nombre_usuario"]

    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            RequestVersion.objects.filter(pk=versions[0].pk).update(data={})
    versions[0].refresh_from_db()
    assert versions[0].data["nombre_usuario"] == "JUAN CARLOS PEREZ GOMEZ"


# --- The reviewer sees what changed -----------------------------------------------------


def test_the_reviewer_sees_the_before_and_after_with_the_observation(
    verified_request: RegistrationRequest, reviewer: User
) -> None:
    assert "Cambios del solicitante" not in review_page(verified_request, reviewer)
    observe(verified_request, reviewer, ["direccion_empresa"], "Falta el número de oficina.")
    response = correction_client(verified_request).post(
        correction_url(verified_request),
        {**current_values(verified_request), "direccion_empresa": "Av. Amazonas N24-03, of. 4"},
    )
    assert response.status_code == 302
    back_in_review(verified_request)
    html = review_page(verified_request, reviewer)
    assert "Cambios del solicitante desde la versión 1" in html
    section = html[
        html.index('id="cambios"') : html.index("</section>", html.index('id="cambios"'))
    ]
    assert "Dirección de empresa" in section
    assert "<del>Av. Amazonas N24-03 y Colón, Quito</del>" in section
    assert "<ins>Av. Amazonas N24-03, of. 4</ins>" in section
    assert "Falta el número de oficina." in section
    assert "Dirección de empresa" in section.split("Observado:")[1]
    assert "RUC empresa" not in section  # only what changed
    assert "Versión 2" in section


def test_a_certificate_observation_opens_the_files_and_the_diff_shows_them(
    verified_request: RegistrationRequest,
    reviewer: User,
    test_ca: pki.CertificateAndKey,
) -> None:
    observe(verified_request, reviewer, ["archivo:representante.cer"], "Certificado vencido.")
    url = correction_url(verified_request)
    client = correction_client(verified_request)
    html = client.get(url).content.decode()
    assert 'name="certificados"' in html and 'name="firma_reto"' in html
    assert "<mark>Archivo representante.cer</mark>" in html
    assert disabled(html, "email")

    renewed = pki.make_leaf(test_ca, cedula=pki.DEFAULT_CEDULA, ruc=pki.COMPANY_RUC)
    old = verified_request.certificates.get()
    # Without the signature: refused, but the new file is kept for the next try.
    unsigned = client.post(
        url,
        {
            **current_values(verified_request),
            "remove_files": [str(old.pk)],
            "certificados": SimpleUploadedFile("renovado.cer", pki.to_der(renewed[0])),
        },
    )
    assert unsigned.status_code == 400
    body = unsigned.content.decode()
    assert "firme el reto" in body
    assert "renovado.cer" in body  # kept, listed as a file to add
    challenge = PossessionChallenge.objects.get(request=verified_request).text
    signed = client.post(
        url,
        {
            **current_values(verified_request),
            "remove_files": [str(old.pk)],
            "firma_reto": SimpleUploadedFile("reto.p7s", sign_challenge(challenge, renewed)),
        },
    )
    assert signed.status_code == 302, signed.content.decode()[:3000]
    back_in_review(verified_request)
    assert [c.original_name for c in verified_request.certificates.all()] == ["renovado.cer"]
    latest = verified_request.versions.latest("number")
    assert [c["original_name"] for c in latest.data["certificados"]] == ["renovado.cer"]

    html = review_page(verified_request, reviewer)
    assert "Agregado: renovado.cer" in html
    assert "Eliminado: representante.cer" in html
    assert "Firma del reto (SHA-256)" in html


def test_only_the_observed_file_can_be_removed(
    verified_request: RegistrationRequest,
    reviewer: User,
    test_ca: pki.CertificateAndKey,
) -> None:
    from registration.services.submission import store_certificates

    extra = pki.make_leaf(test_ca, cedula=pki.DEFAULT_CEDULA, ruc=pki.COMPANY_RUC)
    store_certificates(
        verified_request, [services.UploadedCertificate("otro.cer", pki.to_der(extra[0]))]
    )
    observe(verified_request, reviewer, ["archivo:representante.cer"], "Certificado vencido.")
    observed = verified_request.certificates.get(original_name="representante.cer")
    other = verified_request.certificates.get(original_name="otro.cer")
    html = (
        correction_client(verified_request).get(correction_url(verified_request)).content.decode()
    )
    assert f'name="remove_files" value="{observed.pk}"' in html
    assert f'name="remove_files" value="{other.pk}"' not in html

    data = services.CorrectionData(
        **{name: field_value(verified_request, name) for name in REPRESENTANTE.correctable_fields},
        remove_file_ids=(other.pk,),
    )
    with pytest.raises(services.SubmissionConflict, match="Solo puede eliminar"):
        process_services.correction_submit(request=verified_request, data=data)
    assert verified_request.certificates.count() == 2


def test_an_oce_observation_opens_the_oce_table(
    verified_request: RegistrationRequest, reviewer: User
) -> None:
    observe(verified_request, reviewer, ["oces"], "Falta la línea naviera.")
    url = correction_url(verified_request)
    client = correction_client(verified_request)
    html = client.get(url).content.decode()
    assert 'name="oce-0-code" value="03907058"' in html
    assert disabled(html, "razon_social")
    naviera = OceType.objects.get(name="LINEA NAVIERA").pk
    agente = OceType.objects.get(name="AGENTE DE ADUANA").pk
    rows = {
        "oce-TOTAL_FORMS": "3",
        "oce-INITIAL_FORMS": "0",
        "oce-0-oce_type": agente,
        "oce-0-code": "03907058",
        "oce-0-start_month": "9",
        "oce-0-start_year": "2002",
        "oce-0-end_date": "31/12/9999",
        "oce-1-oce_type": naviera,
        "oce-1-code": "16929838",
        "oce-1-start_month": "1",
        "oce-1-start_year": "2003",
        "oce-1-end_date": "31/12/9999",
        "oce-2-end_date": "31/12/9999",
    }
    duplicated = client.post(
        url, {**current_values(verified_request), **rows, "oce-1-code": "03907058"}
    )
    assert duplicated.status_code == 400
    assert "repetido" in duplicated.content.decode()
    # What was typed is kept.
    assert duplicated.content.decode().count('value="03907058"') == 2
    response = client.post(url, {**current_values(verified_request), **rows})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert sorted(verified_request.oces.values_list("code", flat=True)) == [
        "03907058",
        "16929838",
    ]
    back_in_review(verified_request)
    html = review_page(verified_request, reviewer)
    assert "Agregado: 16929838 LINEA NAVIERA" in html
    assert "Eliminado:" not in html


def test_a_failed_verification_opens_the_certificates_ruc_and_cedula(
    submit: Callable[..., RegistrationRequest],
    applicant_certificate: pki.CertificateAndKey,
    good_certificate: bytes,
    reviewer: User,
) -> None:
    stranger = pki.make_leaf(
        pki.make_ca("CA Desconocida"), cedula=pki.DEFAULT_CEDULA, ruc=pki.COMPANY_RUC
    )
    request = submit(pki.to_der(stranger[0]), signer=stranger)
    run_pending_jobs(request)
    assert request.status == RequestStatus.VERIFICATION_FAILED
    url = correction_url(request)
    client = correction_client(request)
    html = client.get(url).content.decode()
    assert "Motivos de la verificación" in html
    for name in ("ruc", "cedula", "certificados", "firma_reto"):
        assert not disabled(html, name), name
    for name in ("razon_social", "direccion_empresa", "nombre_usuario", "email"):
        assert disabled(html, name), name
    assert 'name="oce-TOTAL_FORMS"' not in html

    challenge = PossessionChallenge.objects.get(request=request).text
    response = client.post(
        url,
        {
            **current_values(request),
            "razon_social": "OTRA EMPRESA S.A.",
            "remove_files": [str(request.certificates.get().pk)],
            "certificados": SimpleUploadedFile("bueno.cer", good_certificate),
            "firma_reto": SimpleUploadedFile(
                "reto.p7s", sign_challenge(challenge, applicant_certificate)
            ),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    run_pending_jobs(request)
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED
    assert request.razon_social == "IMPORTADORA ANDINA S.A."
    latest = request.versions.latest("number")
    assert latest.number == 2
    assert latest.data["answering"]["status"] == RequestStatus.VERIFICATION_FAILED
    assert latest.data["answering"]["reasons"]
    html = review_page(request, reviewer)
    assert "Cambios del solicitante desde la versión 1" in html
    assert "Agregado: bueno.cer" in html


def test_the_review_page_reads_the_same_number_of_queries_whatever_the_history(
    verified_request: RegistrationRequest, reviewer: User
) -> None:
    def queries() -> int:
        client = verified_login(Client(), reviewer)
        url = f"/revision/tarea/{review_task(verified_request).pk}/"
        client.get(url)  # warm caches (permissions, session)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    observe(verified_request, reviewer, ["direccion_empresa"])
    correction_client(verified_request).post(
        correction_url(verified_request),
        {**current_values(verified_request), "direccion_empresa": "Otra dirección 1"},
    )
    back_in_review(verified_request)
    once = queries()

    observe(verified_request, reviewer, ["oces", "direccion_empresa", "razon_social"])
    naviera = OceType.objects.get(name="LINEA NAVIERA").pk
    rows: dict[str, Any] = {"oce-TOTAL_FORMS": "4", "oce-INITIAL_FORMS": "0"}
    for i, code in enumerate(("11111111", "22222222", "33333333", "44444444")):
        rows.update(
            {
                f"oce-{i}-oce_type": naviera,
                f"oce-{i}-code": code,
                f"oce-{i}-start_month": "1",
                f"oce-{i}-start_year": "2010",
                f"oce-{i}-end_date": "31/12/9999",
            }
        )
    response = correction_client(verified_request).post(
        correction_url(verified_request),
        {
            **current_values(verified_request),
            **rows,
            "direccion_empresa": "Otra dirección 2",
            "razon_social": "IMPORTADORA ANDINA CIA. LTDA.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    back_in_review(verified_request)
    assert verified_request.versions.count() == 3
    assert queries() == once


def test_a_corrected_email_held_by_an_active_user_is_refused_and_the_typing_kept(
    verified_request: RegistrationRequest, reviewer: User
) -> None:
    User.objects.create_user(username="otro01", email="tomado@andina.ec", password=PASSWORD)
    observe(verified_request, reviewer, ["email", "nombre_usuario"])
    response = correction_client(verified_request).post(
        correction_url(verified_request),
        {
            **current_values(verified_request),
            "nombre_usuario": "JUAN PEREZ",
            "email": "tomado@andina.ec",
            "email2": "tomado@andina.ec",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "ya está registrado para otro usuario" in html
    assert 'value="JUAN PEREZ"' in html
    verified_request.refresh_from_db()
    assert verified_request.status == RequestStatus.OBSERVED
    assert verified_request.email == "jperez@example.com"
    assert verified_request.versions.count() == 1


# --- Changing the request needs the code sent to its current email ----------------------


def test_the_status_link_alone_does_not_open_the_correction(
    verified_request: RegistrationRequest, reviewer: User
) -> None:
    observe(verified_request, reviewer, ["email"], "El correo no es de la empresa.")
    holder = status_client(verified_request)  # the link, or tracking number and cédula
    access_url = correction_url(verified_request) + "acceso/"
    page = holder.get(correction_url(verified_request))
    assert page.status_code == 302 and page["Location"] == access_url
    crafted = holder.post(
        correction_url(verified_request),
        {**current_values(verified_request), "email": "otro@mail.ec", "email2": "otro@mail.ec"},
    )
    assert crafted.status_code == 302 and crafted["Location"] == access_url
    asked = holder.get(access_url).content.decode()
    assert "j***@example.com" in asked and "jperez@example.com" not in asked
    # No code sent yet, then a wrong one: both refused in Spanish.
    assert "venció o ya fue usado" in holder.post(access_url, {"codigo": "123456"}).content.decode()
    assert holder.post(access_url, {"accion": "enviar"}).status_code == 302
    [code] = verified_request.codes.filter(purpose=CodePurpose.CORRECTION)
    assert code.email == "jperez@example.com"
    right = services.code_value(code)
    wrong = holder.post(access_url, {"codigo": f"{(int(right) + 1) % 10**6:06d}"})
    assert wrong.status_code == 400 and "El código no es correcto" in wrong.content.decode()
    assert holder.get(correction_url(verified_request)).status_code == 302
    verified_request.refresh_from_db()
    assert verified_request.email == "jperez@example.com"
    assert verified_request.status == RequestStatus.OBSERVED

    send_one_time_code.run(code.pk)
    [message] = mail.outbox
    assert message.to == ["jperez@example.com"] and right in message.body
    assert holder.post(access_url, {"codigo": right})["Location"] == correction_url(
        verified_request
    )
    assert holder.get(correction_url(verified_request)).status_code == 200
    # Another browser with the same link still has to get its own code.
    assert status_client(verified_request).get(correction_url(verified_request)).status_code == 302


def test_an_email_change_in_a_correction_tells_the_old_address(
    verified_request: RegistrationRequest, reviewer: User
) -> None:
    observe(verified_request, reviewer, ["email"], "El correo no es de la empresa.")
    client = correction_client(verified_request)
    mail.outbox.clear()
    response = client.post(
        correction_url(verified_request),
        {
            **current_values(verified_request),
            "email": "gerencia@andina.ec",
            "email2": "gerencia@andina.ec",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    verified_request.refresh_from_db()
    assert verified_request.email == "gerencia@andina.ec"
    [notice] = AccountNotice.objects.filter(to="jperez@example.com")
    send_account_notice.run(notice.pk)
    [message] = mail.outbox
    assert message.to == ["jperez@example.com"]
    assert verified_request.tracking_number in message.subject
    assert "g***@andina.ec" in message.body and "Soporte al Cliente" in message.body
    # The new confirmation code goes to the new address (as before).
    new_code = verified_request.codes.filter(purpose=CodePurpose.EMAIL_CONFIRM).first()
    assert new_code is not None and new_code.email == "gerencia@andina.ec"

    # The code opened one correction: the next one asks for a code sent to the new address.
    back_in_review(verified_request)
    observe(verified_request, reviewer, ["direccion_empresa"])
    again = client.get(correction_url(verified_request))
    assert again.status_code == 302 and again["Location"].endswith("/acceso/")
    client.post(again["Location"], {"accion": "enviar"})
    code = verified_request.codes.filter(purpose=CodePurpose.CORRECTION).first()
    assert code is not None and code.email == "gerencia@andina.ec"


def test_a_correction_without_an_email_change_tells_nobody(
    verified_request: RegistrationRequest, reviewer: User
) -> None:
    observe(verified_request, reviewer, ["direccion_empresa"])
    response = correction_client(verified_request).post(
        correction_url(verified_request),
        {**current_values(verified_request), "direccion_empresa": "Av. 6 de Diciembre 100"},
    )
    assert response.status_code == 302
    assert not AccountNotice.objects.exists()


def test_correction_codes_are_capped_per_request(
    verified_request: RegistrationRequest, reviewer: User, settings: object
) -> None:
    settings.ECUAPASS_CODES_PER_HOUR = 2  # type: ignore[attr-defined]
    settings.ECUAPASS_CODE_RESENDS_PER_MINUTE = 10  # type: ignore[attr-defined]
    observe(verified_request, reviewer, ["direccion_empresa"])
    access_url = correction_url(verified_request) + "acceso/"
    outcomes = [
        status_client(verified_request).post(access_url, {"accion": "enviar"}) for _ in range(3)
    ]
    assert [r.status_code for r in outcomes] == [302, 302, 429]
    assert "Ya enviamos varios códigos" in outcomes[-1].content.decode()
    assert verified_request.codes.filter(purpose=CodePurpose.CORRECTION).count() == 2


def test_the_applicants_login_opens_the_correction_once_the_user_exists(
    verified_request: RegistrationRequest, reviewer: User
) -> None:
    observe(verified_request, reviewer, ["direccion_empresa"])
    owner = User.objects.create_user(
        username="jperez01", password=PASSWORD, cedula=pki.DEFAULT_CEDULA
    )
    RegistrationRequest.objects.filter(pk=verified_request.pk).update(user=owner)
    client = Client()
    client.force_login(owner)
    assert client.get(correction_url(verified_request)).status_code == 200
    other = Client()
    other.force_login(User.objects.create_user(username="otro01", password=PASSWORD))
    assert other.get(correction_url(verified_request)).status_code == 403
