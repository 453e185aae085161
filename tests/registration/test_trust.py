"""The trust store, offline CRLs, the verify_certificate command, bindings and re-verification."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from viewflow.workflow.models import Task

from approvals import services as approval_services
from registration import services
from registration.models import (
    CertificateBinding,
    NotificationKind,
    RegistrationRequest,
    RequestStatus,
    TrustAnchor,
    User,
)
from tests.conftest import run_pending_jobs, verified_login
from tests.support import pki
from tests.support.status_access import correct_path, correction_client
from workflow.flows.representante import RepresentanteFlow

pytestmark = pytest.mark.django_db


def approve(request: RegistrationRequest, reviewer: User) -> None:
    task = Task.objects.get(
        process__registrationprocess__request=request, flow_task=RepresentanteFlow.review
    )
    approval_services.review_take(task_pk=task.pk, actor=reviewer)
    approval_services.review_decide(
        task_pk=task.pk, actor=reviewer, decision=approval_services.Decision.APPROVE
    )
    run_pending_jobs(request)


def make_crl(
    ca: pki.CertificateAndKey, revoked_serials: list[int]
) -> x509.CertificateRevocationList:
    now = timezone.now()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca[0].subject)
        .last_update(now - datetime.timedelta(hours=1))
        .next_update(now + datetime.timedelta(days=7))
    )
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(now - datetime.timedelta(minutes=5))
            .build()
        )
    return builder.sign(ca[1], hashes.SHA256())


def test_import_trust_anchors_command_adds_cas_and_refuses_leaves(tmp_path: Path) -> None:
    ca = pki.make_ca("CA Importada")
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(pki.to_pem(ca[0]))
    out = StringIO()
    call_command("import_trust_anchors", str(ca_file), "--arc", "1.3.6.1.4.1.37947", stdout=out)
    call_command("import_trust_anchors", str(ca_file), stdout=StringIO())  # idempotent
    anchor = TrustAnchor.objects.get()
    assert anchor.name == "CA Importada" and anchor.is_root and anchor.active and not anchor.is_demo
    leaf_file = tmp_path / "leaf.cer"
    leaf_file.write_bytes(pki.to_der(pki.make_leaf(ca)[0]))
    with pytest.raises(CommandError, match="no es una autoridad de certificación"):
        call_command("import_trust_anchors", str(leaf_file), stdout=StringIO())
    assert TrustAnchor.objects.count() == 1


def test_admin_adds_a_ca_by_upload_and_refuses_a_leaf(reference_data: None) -> None:
    admin_user = User.objects.create_superuser(username="admin01", password="Clave-Segura-2026")
    client = verified_login(Client(), admin_user)
    ca = pki.make_ca("CA por Admin")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/admin/registration/trustanchor/add/",
        {
            "name": "CA por Admin",
            "identity_arc": "",
            "active": "on",
            "upload": SimpleUploadedFile("ca.cer", pki.to_der(ca[0])),
        },
    )
    assert response.status_code == 302
    assert TrustAnchor.objects.filter(name="CA por Admin", is_root=True).exists()
    refused = client.post(
        "/admin/registration/trustanchor/add/",
        {
            "name": "Hoja",
            "active": "on",
            "upload": SimpleUploadedFile("h.cer", pki.to_der(pki.make_leaf(ca)[0])),
        },
    )
    assert refused.status_code == 200
    assert "no es una autoridad de certificación" in refused.content.decode()


def test_setup_demo_ca_says_its_certificates_are_refused_when_demo_anchors_are_not_allowed(
    tmp_path: Path, settings: object
) -> None:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    settings.DEBUG = False  # type: ignore[attr-defined]
    settings.ECUAPASS_ALLOW_DEMO_ANCHORS = False  # type: ignore[attr-defined]
    out = StringIO()
    call_command("setup_demo_ca", "--force", stdout=out)
    assert "ECUAPASS_ALLOW_DEMO_ANCHORS está apagado" in out.getvalue()
    settings.ECUAPASS_ALLOW_DEMO_ANCHORS = True  # type: ignore[attr-defined]
    out = StringIO()
    call_command("setup_demo_ca", "--force", stdout=out)
    assert "ECUAPASS_ALLOW_DEMO_ANCHORS" not in out.getvalue()


def test_demo_ca_is_marked_as_demo_and_issues_the_demo_certificate(
    tmp_path: Path, settings: object
) -> None:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    settings.DEBUG = True  # type: ignore[attr-defined]
    call_command("setup_demo_ca", stdout=StringIO())
    call_command(
        "demo_certificate",
        "--cedula",
        pki.DEFAULT_CEDULA,
        "--ruc",
        pki.COMPANY_RUC,
        stdout=StringIO(),
    )
    anchor = TrustAnchor.objects.get()
    assert anchor.is_demo and "NO CONFIABLE" in anchor.name
    leaf = x509.load_der_x509_certificate(
        (tmp_path / "demo" / f"certificado-{pki.DEFAULT_CEDULA}.cer").read_bytes()
    )
    assert leaf.issuer.rfc4514_string() == anchor.subject
    assert (tmp_path / "demo" / f"certificado-{pki.DEFAULT_CEDULA}-clave.pem").exists()


def test_verify_certificate_command_exit_codes_and_json(
    tmp_path: Path, test_ca: pki.CertificateAndKey
) -> None:
    leaf = tmp_path / "leaf.cer"
    leaf.write_bytes(pki.to_der(pki.make_leaf(test_ca)[0]))
    roots = tmp_path / "roots.pem"
    roots.write_bytes(pki.to_pem(test_ca[0]))
    other_roots = tmp_path / "other.pem"
    other_roots.write_bytes(pki.to_pem(pki.make_ca("Otra CA")[0]))

    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "verify_certificate",
            str(leaf),
            "--roots",
            str(roots),
            "--no-revocation",
            "--json",
            stdout=out,
        )
    assert exit_info.value.code == 0
    payload = json.loads(out.getvalue())
    assert payload["valid"] is True and payload["reasons"] == []
    assert payload["identity"]["cedula"] == pki.DEFAULT_CEDULA

    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "verify_certificate",
            str(leaf),
            "--roots",
            str(other_roots),
            "--no-revocation",
            "--json",
            stdout=out,
        )
    assert exit_info.value.code == 1
    assert json.loads(out.getvalue())["valid"] is False

    later = (timezone.now() + datetime.timedelta(days=5000)).isoformat()
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "verify_certificate",
            str(leaf),
            "--roots",
            str(roots),
            "--no-revocation",
            "--at",
            later,
            stdout=StringIO(),
        )
    assert exit_info.value.code == 1

    with pytest.raises(CommandError) as error:
        call_command("verify_certificate", str(leaf), "--at", "ayer", stdout=StringIO())
    assert error.value.returncode == 2
    with pytest.raises(CommandError) as error:
        call_command("verify_certificate", str(tmp_path / "no-existe.cer"), stdout=StringIO())
    assert error.value.returncode == 2


def test_certificate_from_an_untrusted_ca_fails_verification(
    submit: Callable[..., RegistrationRequest],
) -> None:
    stranger_ca = pki.make_ca("CA Desconocida")
    signer = pki.make_leaf(stranger_ca, cedula=pki.DEFAULT_CEDULA, ruc=pki.COMPANY_RUC)
    request = submit(pki.to_der(signer[0]), signer=signer)
    run_pending_jobs(request)
    assert request.status == RequestStatus.VERIFICATION_FAILED
    codes = [
        f["code"] for r in request.verification["results"] for f in r["findings"] if not f["ok"]
    ]
    assert any(code.startswith("chain.") for code in codes), codes


def test_a_forged_possession_proof_is_refused_at_registrar(
    reference_data: None, good_certificate: bytes, test_ca: pki.CertificateAndKey
) -> None:
    from tests.conftest import form_data

    impostor = pki.make_leaf(test_ca, cedula="0926687856")
    client = Client()
    response = client.post(
        "/solicitud-del-uso/representante/",
        form_data(client, certificate=good_certificate, signer=impostor),
    )
    assert response.status_code == 400
    assert RegistrationRequest.objects.count() == 0
    assert "Prueba de posesión" in response.content.decode()


def test_the_job_checks_possession_again(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    test_ca: pki.CertificateAndKey,
) -> None:
    request = submit(good_certificate)
    # The stored signature no longer matches the stored challenge.
    RegistrationRequest.objects.filter(pk=request.pk).update(possession_challenge="otro texto")
    run_pending_jobs(request)
    assert request.status == RequestStatus.VERIFICATION_FAILED
    codes = [
        f["code"] for r in request.verification["results"] for f in r["findings"] if not f["ok"]
    ]
    assert any(code.startswith("possession.") for code in codes), codes


def test_activation_binds_the_certificate_and_it_cannot_back_a_second_user(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    applicant_certificate: pki.CertificateAndKey,
    reviewer: User,
) -> None:
    request = submit(good_certificate)
    run_pending_jobs(request)
    approve(request, reviewer)
    assert request.status == RequestStatus.ACTIVE
    binding = CertificateBinding.objects.get(user=request.user)
    cert = applicant_certificate[0]
    assert binding.sha256 == cert.fingerprint(hashes.SHA256()).hex()
    assert binding.serial_number == format(cert.serial_number, "x")
    assert binding.issuer == cert.issuer.rfc4514_string()

    # Someone else presents the same certificate for another cédula.
    second = submit(
        good_certificate,
        signer=applicant_certificate,
        id_usuario="otro01",
        cedula="0926687856",
        email="otro@example.com",
        email2="otro@example.com",
    )
    run_pending_jobs(second)
    assert second.status == RequestStatus.VERIFICATION_FAILED
    assert any(
        "ya respalda a otro usuario activo" in r
        for r in second.verification["results"][0]["reasons"]
    )


def test_reverification_warns_before_expiry_and_disables_on_expiry(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
    settings: object,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.ECUAPASS_CERT_EXPIRY_WARNING_DAYS = 30  # type: ignore[attr-defined]
    request = submit(good_certificate)
    run_pending_jobs(request)
    approve(request, reviewer)
    binding = CertificateBinding.objects.get(user=request.user)

    soon = binding.not_after - datetime.timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        summary = services.certificates_reverify(at=soon)
    assert (summary.checked, summary.warned, summary.disabled) == (1, 1, 0)
    assert len(mail.outbox) == 1 and "vence" in mail.outbox[0].subject
    assert services.certificates_reverify(at=soon).warned == 0  # warned once

    after = binding.not_after + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        summary = services.certificates_reverify(at=after)
    assert summary.disabled == 1
    # The applicant's message (Buzón, email, SMS), as for any disabling, with the reason.
    notice = request.notifications.get(kind=NotificationKind.DISABLED)
    assert "fue deshabilitado" in notice.body and "venció" in notice.body
    request.refresh_from_db()
    binding.refresh_from_db()
    assert request.status == RequestStatus.DISABLED
    assert not binding.active
    assert request.user is not None
    request.user.refresh_from_db()
    assert not request.user.is_active
    assert "venció" in request.events.last().comment  # type: ignore[union-attr]


def test_an_offline_crl_revokes_and_the_user_is_disabled(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    applicant_certificate: pki.CertificateAndKey,
    test_ca: pki.CertificateAndKey,
    reviewer: User,
    tmp_path: Path,
) -> None:
    request = submit(good_certificate)
    run_pending_jobs(request)
    approve(request, reviewer)
    crl_file = tmp_path / "ca.crl"
    from cryptography.hazmat.primitives import serialization

    crl_file.write_bytes(
        make_crl(test_ca, [applicant_certificate[0].serial_number]).public_bytes(
            serialization.Encoding.DER
        )
    )
    call_command("import_crl", str(crl_file), stdout=StringIO())
    summary = services.certificates_reverify()
    assert summary.disabled == 1
    request.refresh_from_db()
    assert request.status == RequestStatus.DISABLED
    assert "revoc" in request.events.last().comment.lower()  # type: ignore[union-attr]

    forged = tmp_path / "forged.crl"
    forged.write_bytes(
        make_crl(pki.make_ca("Intrusa"), [1]).public_bytes(serialization.Encoding.DER)
    )
    with pytest.raises(CommandError, match="almacén de confianza"):
        call_command("import_crl", str(forged), stdout=StringIO())


def test_correcting_with_a_new_certificate_needs_a_new_signature(
    submit: Callable[..., RegistrationRequest],
    applicant_certificate: pki.CertificateAndKey,
    good_certificate: bytes,
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registration.models import PossessionChallenge
    from tests.conftest import sign_challenge

    stranger_ca = pki.make_ca("CA Desconocida")
    wrong = pki.make_leaf(stranger_ca, cedula=pki.DEFAULT_CEDULA, ruc=pki.COMPANY_RUC)
    request = submit(pki.to_der(wrong[0]), signer=wrong)
    run_pending_jobs(request)
    assert request.status == RequestStatus.VERIFICATION_FAILED

    client = correction_client(request)
    client.get(correct_path(request))
    old_file = request.certificates.get()
    fields = {
        "ruc": request.ruc,
        "razon_social": request.razon_social,
        "direccion_empresa": request.company_details.direccion_empresa,
        "telefono_empresa": "022345678",
        "cedula": request.cedula,
        "nombre_usuario": request.nombre_usuario,
        "email": request.email,
        "remove_files": [str(old_file.pk)],
    }
    unsigned = client.post(
        correct_path(request),
        {**fields, "certificados": SimpleUploadedFile("nuevo.cer", good_certificate)},
    )
    assert unsigned.status_code == 400
    assert "firme el reto" in unsigned.content.decode()

    challenge = PossessionChallenge.objects.get(request=request).text
    signed = client.post(
        correct_path(request),
        {
            **fields,
            "certificados": SimpleUploadedFile("nuevo.cer", good_certificate),
            "firma_reto": SimpleUploadedFile(
                "reto.p7s", sign_challenge(challenge, applicant_certificate)
            ),
        },
    )
    assert signed.status_code == 302
    run_pending_jobs(request)
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED
    assert [c.original_name for c in request.certificates.all()] == ["nuevo.cer"]
