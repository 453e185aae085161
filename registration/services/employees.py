"""Employees of a company: the representative's decisions on their requests, and what
they are granted ("3.2.4 Administración de empleado").

The decisions run inside the flow lock (approvals.company calls them as it
completes the process's company_review task); grant changes and revocations of
active employees run on their own, each audited on the employee's request history
and notified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from registration.models import (
    Company,
    EmployeeGrant,
    Employment,
    NotificationKind,
    RegistrationRequest,
    RequestKind,
    RequestStatus,
    ServiceOption,
    User,
)
from registration.selectors import (
    company_oce_codes,
    company_representatives,
    user_represented_companies,
)
from registration.services.common import (
    SYSTEM_ACTOR,
    TransitionNotAllowed,
    locked_request,
    record_event,
    request_note,
)
from registration.services.lifecycle import decision_record
from registration.services.notices import account_notice_queue
from registration.services.notifications import notification_write


class EmployeeDecisionError(Exception):
    """A representative's action that can't be done; the message is for them."""


@dataclass(frozen=True)
class GrantEntry:
    """One of the company's OCE codes and the options granted on it."""

    code: str
    option_codes: tuple[str, ...]


def may_decide_for(*, user: User, request: RegistrationRequest) -> bool:
    """Whether the user may decide (or manage) this employee: an active Representante
    of the employee's company, and not the employee."""
    if request.kind != RequestKind.EMPLEADO or user.cedula == request.cedula:
        return False
    employment = Employment.objects.filter(request=request).first()
    if employment is None:
        return False
    return user_represented_companies(user=user).filter(pk=employment.company_id).exists()


def _check_may_decide(user: User, request: RegistrationRequest) -> Employment:
    if user.cedula == request.cedula:
        raise EmployeeDecisionError(
            "No puede decidir una solicitud en la que usted es el solicitante."
        )
    if not may_decide_for(user=user, request=request):
        raise EmployeeDecisionError("Solo un representante activo de la empresa puede decidir.")
    return Employment.objects.select_related("company").get(request=request)


def _grants_write(
    employment: Employment, grants: Sequence[GrantEntry], *, actor: User, allow_none: bool = False
) -> list[str]:
    """Replace the employee's codes with ``grants``; each must be the company's, still valid.

    None at all only with ``allow_none`` (a representative may take every code away
    without revoking the employee; approving needs at least one)."""
    if not grants and not allow_none:
        raise EmployeeDecisionError("Asigne al menos un código de OCE con sus opciones.")
    valid = {
        row.code: row
        for row in company_oce_codes(company=employment.company, on=timezone.localdate())
    }
    options = {o.code: o for o in ServiceOption.objects.filter(active=True)}
    described: list[str] = []
    seen: set[str] = set()
    for entry in grants:
        row = valid.get(entry.code)
        if row is None:
            raise EmployeeDecisionError(
                f"El código {entry.code} no es un código vigente de la empresa."
            )
        if entry.code in seen:
            raise EmployeeDecisionError(f"El código {entry.code} está repetido.")
        seen.add(entry.code)
        unknown = [c for c in entry.option_codes if c not in options]
        if unknown or not entry.option_codes:
            raise EmployeeDecisionError(
                f"Elija al menos una opción vigente para el código {entry.code}."
            )
        described.append(f"{entry.code} ({', '.join(options[c].name for c in entry.option_codes)})")
    employment.grants.all().delete()
    for entry in grants:
        row = valid[entry.code]
        grant = EmployeeGrant.objects.create(
            employment=employment, oce_type=row.oce_type, code=entry.code, granted_by=actor
        )
        grant.options.set([options[c] for c in entry.option_codes])
    return described


def employee_approve(
    *,
    request_id: int,
    actor: User,
    grants: Sequence[GrantEntry],
    source_ip: str | None = None,
) -> RegistrationRequest:
    """The representative approves: the employee is bound to the company's codes and options."""
    request = locked_request(request_id)
    employment = _check_may_decide(actor, request)
    described = _grants_write(employment, grants, actor=actor)
    return decision_record(
        request,
        actor=actor,
        to=RequestStatus.COMPANY_APPROVED,
        comment=f"Aprobada por la empresa ({actor.username}): {'; '.join(described)}.",
        source_ip=source_ip,
    )


def employee_observe(
    *,
    request_id: int,
    actor: User,
    comments: str,
    items: Sequence[str] = (),
    source_ip: str | None = None,
) -> RegistrationRequest:
    request = locked_request(request_id)
    _check_may_decide(actor, request)
    described = f" [{', '.join(items)}]" if items else ""
    return decision_record(
        request,
        actor=actor,
        to=RequestStatus.OBSERVED,
        comment=f"Observada por la empresa: {comments}{described}",
        source_ip=source_ip,
        observation=comments,
        observed_items=list(items),
    )


def employee_reject(
    *, request_id: int, actor: User, reason: str, source_ip: str | None = None
) -> RegistrationRequest:
    request = locked_request(request_id)
    _check_may_decide(actor, request)
    return decision_record(
        request,
        actor=actor,
        to=RequestStatus.REJECTED,
        comment=f"Rechazada por la empresa: {reason}",
        source_ip=source_ip,
        rejection_reason=reason,
    )


EMPLOYEE_PENDING_TEXT = (
    "{name} (Doc. {cedula}) pide un usuario de empleado de {company} (solicitud {n}). "
    "Como representante de la empresa, revísela y asígnele los códigos de OCE y las "
    "opciones, o obsérvela o recházela, en Mi página > Administración de empleado."
)


def employee_request_announce(
    *,
    request_id: int,
    link: str,
    kind: NotificationKind = NotificationKind.EMPLOYEE_PENDING,
    text: str = "",
) -> int:
    """Tell each representative of the employee's company (in the Buzón, by email, by SMS
    if they chose it) that the request waits for them (``text``, by default that it
    arrived); once per event. Returns how many were told."""
    request = RegistrationRequest.objects.get(pk=request_id)
    employment = Employment.objects.select_related("company").get(request=request)
    event = request.events.order_by("-created", "-id").first()
    assert event is not None
    representatives = company_representatives(company=employment.company).exclude(
        cedula=request.cedula
    )
    text = text or EMPLOYEE_PENDING_TEXT.format(
        name=request.nombre_usuario,
        cedula=request.cedula,
        company=employment.company.razon_social,
        n=request.tracking_number,
    )
    count = 0
    for representative in representatives:
        notification_write(
            request=request,
            event=event,
            recipient=representative,
            kind=kind,
            text=text,
            link=link,
        )
        count += 1
    if not count:
        _tell_applicant_no_representative(request)
    return count


NO_REPRESENTATIVE_NOW = (
    "Su solicitud {n} espera la decisión de {company}, que ahora no tiene un representante "
    "activo en ECUAPASS. La solicitud sigue en trámite: cuando la empresa tenga un "
    "representante activo, él podrá decidirla."
)


def _tell_applicant_no_representative(request: RegistrationRequest) -> None:
    employment = Employment.objects.select_related("company").get(request=request)
    event = record_event(
        request,
        from_status=request.status,
        to_status=request.status,
        actor=None,
        actor_label=SYSTEM_ACTOR,
        comment="La empresa no tiene un representante activo: la solicitud espera a que haya uno.",
    )
    notification_write(
        request=request,
        event=event,
        kind=NotificationKind.REMINDER,
        title="Su empresa no tiene representante activo",
        text=NO_REPRESENTATIVE_NOW.format(
            n=request.tracking_number, company=employment.company.razon_social
        ),
    )


def representative_gone(*, representative: User, company_id: int, why: str) -> None:
    """A Representante of the company stopped being one (disabled, say): the employees they
    approved stay with the company, with the change on their history; requests waiting for
    the company stay for the other representatives, or tell their applicant none is left."""
    employees = RegistrationRequest.objects.filter(
        kind=RequestKind.EMPLEADO,
        employment__company_id=company_id,
        employment__revoked_at__isnull=True,
        decided_by=representative,
        status=RequestStatus.ACTIVE,
    )
    for request in employees:
        request_note(
            request_id=request.pk,
            actor=None,
            comment=(
                f"El representante {representative.username}, que aprobó a este empleado, "
                f"dejó de serlo ({why}). El empleado sigue siendo de la empresa."
            ),
        )
    company = Company.objects.get(pk=company_id)
    if company_representatives(company=company).exists():
        return
    waiting = RegistrationRequest.objects.filter(
        kind=RequestKind.EMPLEADO,
        employment__company=company,
        status=RequestStatus.CERTIFICATE_VERIFIED,
    )
    for request in waiting:
        _tell_applicant_no_representative(request)


# --- Active employees ------------------------------------------------------------------


def _active_employee(request_id: int, actor: User) -> tuple[RegistrationRequest, Employment]:
    request = locked_request(request_id)
    if request.kind != RequestKind.EMPLEADO or request.status != RequestStatus.ACTIVE:
        raise TransitionNotAllowed("El empleado no está activo.")
    employment = _check_may_decide(actor, request)
    if employment.revoked:
        raise EmployeeDecisionError("El empleado ya fue revocado.")
    return request, employment


GRANTS_CHANGED_SUBJECT = "ECUAPASS: cambiaron sus códigos y opciones ({n})"
REVOKED_SUBJECT = "ECUAPASS: su usuario de empleado fue revocado ({n})"


@transaction.atomic
def employee_grants_change(
    *,
    request_id: int,
    actor: User,
    grants: Sequence[GrantEntry],
    source_ip: str | None = None,
) -> None:
    """The representative changes an active employee's codes and options (audited, notified)."""
    request, employment = _active_employee(request_id, actor)
    described = _grants_write(employment, grants, actor=actor, allow_none=True)
    comment = (
        f"Códigos y opciones cambiados por {actor.username}: {'; '.join(described)}."
        if described
        else f"{actor.username} quitó todos los códigos y opciones: no está asignado el permiso."
    )
    request_note(request_id=request.pk, actor=actor, comment=comment, source_ip=source_ip)
    account_notice_queue(
        to=request.user.email if request.user else request.email,
        user=request.user,
        subject=GRANTS_CHANGED_SUBJECT.format(n=request.tracking_number),
        body=comment,
    )


@transaction.atomic
def employee_revoke(
    *, request_id: int, actor: User, reason: str, source_ip: str | None = None
) -> None:
    """The representative revokes an employee: no company services from now on."""
    reason = reason.strip()
    if not reason:
        raise EmployeeDecisionError("Indique el motivo de la revocación.")
    request, employment = _active_employee(request_id, actor)
    employment.revoked_at = timezone.now()
    employment.revoked_by = actor
    employment.revocation_reason = reason
    employment.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
    comment = f"Empleado revocado por {actor.username}: {reason}"
    request_note(request_id=request.pk, actor=actor, comment=comment, source_ip=source_ip)
    account_notice_queue(
        to=request.user.email if request.user else request.email,
        user=request.user,
        subject=REVOKED_SUBJECT.format(n=request.tracking_number),
        body=comment
        + "\n\nYa no puede usar los servicios de la empresa en ECUAPASS. Su usuario sigue "
        "activo para los servicios de información.",
    )
