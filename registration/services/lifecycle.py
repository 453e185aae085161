"""The request after submission: verification failures noted, decisions, activation."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from django.db import IntegrityError, transaction
from django.utils import timezone

from registration import certificates
from registration.kinds import declaration_for, field_value
from registration.models import (
    CertificateBinding,
    Company,
    Employment,
    RegistrationRequest,
    RequestStatus,
    User,
)
from registration.services.common import (
    ActivationConflict,
    locked_request,
    request_note,
    transition,
)

logger = logging.getLogger(__name__)


def decision_record(
    request: RegistrationRequest,
    *,
    actor: User,
    to: RequestStatus,
    comment: str,
    source_ip: str | None,
    **fields: Any,
) -> RegistrationRequest:
    """A decision on a verified, locked request (by SENAE or by the organisation): who,
    when, from where, and what it says."""
    for name, value in fields.items():
        setattr(request, name, value)
    request.decided_by = actor
    request.decided_at = timezone.now()
    transition(
        request,
        allowed_from=[RequestStatus.CERTIFICATE_VERIFIED],
        to=to,
        actor=actor,
        comment=comment,
        update_fields=[*fields, "decided_by", "decided_at"],
        source_ip=source_ip,
    )
    return request


def _decide(request_id: int, **decision: Any) -> RegistrationRequest:
    return decision_record(locked_request(request_id), **decision)


def request_approve(
    *, request_id: int, actor: User, source_ip: str | None = None
) -> RegistrationRequest:
    return _decide(
        request_id,
        actor=actor,
        to=RequestStatus.COMPANY_APPROVED,
        comment="Aprobada por el SENAE.",
        source_ip=source_ip,
    )


def request_observe(
    *,
    request_id: int,
    actor: User,
    comments: str,
    items: Sequence[str] = (),
    source_ip: str | None = None,
) -> RegistrationRequest:
    """Send the request back with comments tied to the fields and files to correct."""
    described = f" [{', '.join(items)}]" if items else ""
    return _decide(
        request_id,
        actor=actor,
        to=RequestStatus.OBSERVED,
        comment=comments + described,
        source_ip=source_ip,
        observation=comments,
        observed_items=list(items),
    )


def request_reject(
    *, request_id: int, actor: User, reason: str, source_ip: str | None = None
) -> RegistrationRequest:
    return _decide(
        request_id,
        actor=actor,
        to=RequestStatus.REJECTED,
        comment=reason,
        source_ip=source_ip,
        rejection_reason=reason,
    )


def _company_upsert(request: RegistrationRequest) -> Company:
    """The organisation's record (a company's, or a public entity's), from a representative's
    request."""
    address = field_value(request, "direccion_empresa")
    phone = field_value(request, "telefono_empresa")
    company, created = Company.objects.get_or_create(
        ruc=request.ruc,
        defaults={"razon_social": request.razon_social, "direccion": address, "telefono": phone},
    )
    if not created:
        company.direccion = address
        company.telefono = phone
        company.save(update_fields=["direccion", "telefono", "updated"])
    return company


def _certificate_bind(request: RegistrationRequest, user: User) -> CertificateBinding:
    """Bind the verified certificate to the user by issuer, serial and SHA-256."""
    passed = next((r for r in request.verification.get("results", []) if r.get("valid")), None)
    if passed is None:
        raise ActivationConflict("La solicitud no tiene un certificado verificado.")
    cert_file = request.certificates.get(pk=passed["file_id"])
    with cert_file.file.open("rb") as handle:
        leaf = certificates.load_certificate(handle.read())
    CertificateBinding.objects.filter(user=user, active=True).update(active=False)
    try:
        with transaction.atomic():
            return CertificateBinding.objects.create(
                user=user,
                request=request,
                issuer=leaf.issuer.rfc4514_string()[:500],
                serial_number=format(leaf.serial_number, "x"),
                sha256=leaf.fingerprint(hashes.SHA256()).hex(),
                certificate=leaf.public_bytes(serialization.Encoding.DER),
                not_after=leaf.not_valid_after_utc,
            )
    except IntegrityError as exc:
        raise ActivationConflict("El certificado ya respalda a otro usuario activo.") from exc


def request_activate(*, request_id: int) -> None:
    """Create (or re-enable, or extend) the user with the ID. usuario and password of the form.

    A no-op unless the request is where its kind activates from (approved by SENAE;
    a General one once its email is confirmed), so a repeated job changes nothing;
    runs inside the flow lock. A General user's company request extends that user.
    """
    request = locked_request(request_id)
    declaration = declaration_for(request.kind)
    if request.status != declaration.activate_from:
        return
    if not declaration.reviewed and request.email_confirmed_at is None:
        return
    user = User.objects.select_for_update().filter(username__iexact=request.id_usuario).first()
    if user is not None and user.cedula != request.cedula:
        raise ActivationConflict(f"El ID. usuario {request.id_usuario} pertenece a otra persona.")
    if user is None:
        user = User(username=request.id_usuario, cedula=request.cedula)
    user.password = request.password_hash
    user.email = request.email
    user.first_name = request.nombre_usuario[:150]
    user.celular = request.celular
    user.recibir_sms = request.recibir_sms
    user.is_active = True
    user.save()
    if declaration.certificate:
        _certificate_bind(request, user)
    if declaration.represents_company:
        request.company = _company_upsert(request)
    elif declaration.company_user:
        # A member (employee, official) joins the organisation its representative approved it for.
        request.company = Employment.objects.select_related("company").get(request=request).company
    request.user = user
    request.password_hash = ""  # the user holds it now; the request keeps no copy
    transition(
        request,
        allowed_from=[declaration.activate_from],
        to=RequestStatus.ACTIVE,
        comment=f"Usuario {user.username} activado.",
        update_fields=["company", "user", "password_hash"],
    )


def request_record_job_failure(*, request_id: int, step: str, error: str) -> None:
    """Note on the request's history that an automatic step needs a person."""
    request_note(
        request_id=request_id,
        actor=None,
        comment=f"Error técnico en «{step}»: {error}. Un supervisor debe reintentarlo.",
    )
