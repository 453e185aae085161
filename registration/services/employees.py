"""Members of an organisation (a company's employees, a public entity's officials): their
representative's decisions on their requests, and what they are granted ("3.2.4
Administración de empleado"; "Administración de usuarios de la entidad").

An employee is granted the company's OCE codes with options on each; an official, the
VUE procedures the entity handles (each a GrantEntry with no options). The kind's
declaration (registration.kinds) says which, and who represents the organisation.

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

from registration.kinds import (
    COMPANY,
    COMPANY_DECIDED_KINDS,
    KINDS,
    PROCEDURE_GRANTS,
    declaration_for,
)
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
    VueProcedure,
)
from registration.selectors import (
    company_oce_codes,
    company_representatives,
    entity_procedures,
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
    """One of the company's OCE codes and the options granted on it; or one of the entity's
    VUE procedures (no options)."""

    code: str
    option_codes: tuple[str, ...] = ()


def may_decide_for(*, user: User, request: RegistrationRequest) -> bool:
    """Whether the user may decide (or manage) this member: an active representative of
    the member's organisation, of the kind that represents it, and not the member."""
    declaration = declaration_for(request.kind)
    if declaration.approver != COMPANY or user.cedula == request.cedula:
        return False
    employment = Employment.objects.filter(request=request).first()
    if employment is None:
        return False
    return (
        user_represented_companies(user=user, kind=declaration.represented_by)
        .filter(pk=employment.company_id)
        .exists()
    )


def _check_may_decide(user: User, request: RegistrationRequest) -> Employment:
    if user.cedula == request.cedula:
        raise EmployeeDecisionError(
            "No puede decidir una solicitud en la que usted es el solicitante."
        )
    if not may_decide_for(user=user, request=request):
        organisation = declaration_for(request.kind).organisation
        raise EmployeeDecisionError(
            f"Solo un representante activo de la {organisation} puede decidir."
        )
    return Employment.objects.select_related("company", "request").get(request=request)


def _grants_write(
    employment: Employment, grants: Sequence[GrantEntry], *, actor: User, allow_none: bool = False
) -> list[str]:
    """Replace what the member is granted with ``grants`` (the kind's: OCE codes or VUE
    procedures), each the organisation's own, still valid.

    None at all only with ``allow_none`` (a representative may take everything away
    without revoking; approving needs at least one)."""
    if declaration_for(employment.request.kind).grants == PROCEDURE_GRANTS:
        return _procedures_write(employment, grants, allow_none=allow_none)
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


def _procedures_write(
    employment: Employment, grants: Sequence[GrantEntry], *, allow_none: bool
) -> list[str]:
    """An official's VUE procedures: each one the entity handles, none repeated."""
    if not grants and not allow_none:
        raise EmployeeDecisionError("Asigne al menos un trámite de la VUE de la entidad.")
    valid = {p.code: p for p in entity_procedures(company=employment.company)}
    chosen: list[VueProcedure] = []
    for entry in grants:
        procedure = valid.get(entry.code)
        if procedure is None:
            raise EmployeeDecisionError(
                f"El trámite {entry.code} no es un trámite de la VUE que maneje la entidad."
            )
        if procedure in chosen:
            raise EmployeeDecisionError(f"El trámite {entry.code} está repetido.")
        chosen.append(procedure)
    employment.procedures.set(chosen)
    return [f"{p.code} ({p.name})" for p in chosen]


def employee_approve(
    *,
    request_id: int,
    actor: User,
    grants: Sequence[GrantEntry],
    source_ip: str | None = None,
) -> RegistrationRequest:
    """The representative approves: the member is bound to what the organisation grants."""
    request = locked_request(request_id)
    employment = _check_may_decide(actor, request)
    described = _grants_write(employment, grants, actor=actor)
    return decision_record(
        request,
        actor=actor,
        to=RequestStatus.COMPANY_APPROVED,
        comment=(
            f"Aprobada por la {employment_organisation(request)} ({actor.username}): "
            f"{'; '.join(described)}."
        ),
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
        comment=f"Observada por la {employment_organisation(request)}: {comments}{described}",
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
        comment=f"Rechazada por la {employment_organisation(request)}: {reason}",
        source_ip=source_ip,
        rejection_reason=reason,
    )


def employment_organisation(request: RegistrationRequest) -> str:
    """ "empresa" or "entidad": what the member's request names."""
    return declaration_for(request.kind).organisation


EMPLOYEE_PENDING_TEXT = (
    "{name} (Doc. {cedula}) pide un usuario de empleado de {company} (solicitud {n}). "
    "Como representante de la empresa, revísela y asígnele los códigos de OCE y las "
    "opciones, o obsérvela o recházela, en Mi página > Administración de empleado."
)
OFFICIAL_PENDING_TEXT = (
    "{name} (Doc. {cedula}) pide un usuario de funcionario de {company} (solicitud {n}). "
    "Como representante de la entidad, revísela y asígnele los trámites de la VUE, o "
    "obsérvela o recházela, en Mi página > Administración de usuarios de la entidad."
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
    declaration = declaration_for(request.kind)
    representatives = company_representatives(
        company=employment.company, kind=declaration.represented_by
    ).exclude(cedula=request.cedula)
    pending_text = (
        OFFICIAL_PENDING_TEXT if declaration.grants == PROCEDURE_GRANTS else EMPLOYEE_PENDING_TEXT
    )
    text = text or pending_text.format(
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
    "activo en ECUAPASS. La solicitud sigue en trámite: cuando la {organisation} tenga un "
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
        comment=(
            f"La {employment_organisation(request)} no tiene un representante activo: "
            "la solicitud espera a que haya uno."
        ),
    )
    notification_write(
        request=request,
        event=event,
        kind=NotificationKind.REMINDER,
        title=f"Su {employment_organisation(request)} no tiene representante activo",
        text=NO_REPRESENTATIVE_NOW.format(
            n=request.tracking_number,
            company=employment.company.razon_social,
            organisation=employment_organisation(request),
        ),
    )


def representative_gone(*, representative: User, company_id: int, kind: str, why: str) -> None:
    """A representative of the organisation (a request of ``kind``) stopped being one
    (disabled, say): the members they approved stay with it, with the change on their
    history; requests waiting for it stay for the other representatives, or tell their
    applicant none is left."""
    member_kinds = [d.kind for d in KINDS.values() if d.represented_by == kind]
    members = RegistrationRequest.objects.filter(
        kind__in=member_kinds,
        employment__company_id=company_id,
        employment__revoked_at__isnull=True,
        decided_by=representative,
        status=RequestStatus.ACTIVE,
    )
    for request in members:
        request_note(
            request_id=request.pk,
            actor=None,
            comment=(
                f"El representante {representative.username}, que aprobó este usuario, "
                f"dejó de serlo ({why}). El usuario sigue siendo de la "
                f"{employment_organisation(request)}."
            ),
        )
    company = Company.objects.get(pk=company_id)
    if company_representatives(company=company, kind=kind).exists():
        return
    waiting = RegistrationRequest.objects.filter(
        kind__in=member_kinds,
        employment__company=company,
        status=RequestStatus.CERTIFICATE_VERIFIED,
    )
    for request in waiting:
        _tell_applicant_no_representative(request)


# --- Active employees ------------------------------------------------------------------


def _active_employee(request_id: int, actor: User) -> tuple[RegistrationRequest, Employment]:
    request = locked_request(request_id)
    if request.kind not in COMPANY_DECIDED_KINDS or request.status != RequestStatus.ACTIVE:
        raise TransitionNotAllowed("El usuario no está activo.")
    employment = _check_may_decide(actor, request)
    if employment.revoked:
        raise EmployeeDecisionError("El usuario ya fue revocado.")
    return request, employment


GRANTS_CHANGED_SUBJECT = "ECUAPASS: cambiaron sus permisos ({n})"
REVOKED_SUBJECT = "ECUAPASS: su usuario de {member} fue revocado ({n})"
MEMBER_NAMES = {RequestKind.EMPLEADO: "empleado", RequestKind.ENTIDAD: "funcionario"}


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
    what = (
        "Trámites de la VUE"
        if declaration_for(request.kind).grants == PROCEDURE_GRANTS
        else "Códigos y opciones"
    )
    comment = (
        f"{what} cambiados por {actor.username}: {'; '.join(described)}."
        if described
        else f"{actor.username} quitó todos los {what.lower()}: no está asignado el permiso."
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
    member = MEMBER_NAMES.get(RequestKind(request.kind), "usuario")
    comment = f"{member.capitalize()} revocado por {actor.username}: {reason}"
    request_note(request_id=request.pk, actor=actor, comment=comment, source_ip=source_ip)
    account_notice_queue(
        to=request.user.email if request.user else request.email,
        user=request.user,
        subject=REVOKED_SUBJECT.format(member=member, n=request.tracking_number),
        body=comment
        + f"\n\nYa no puede usar los servicios de la {employment_organisation(request)} en "
        "ECUAPASS. Su usuario sigue activo para los servicios de información.",
    )
