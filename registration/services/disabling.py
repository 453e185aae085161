"""Disabling a user, for whatever cause: one place writes the state, the history row, the
reason shown on login and on the status page, and the notification."""

from __future__ import annotations

from registration.kinds import REPRESENTATIVE_KINDS
from registration.models import RegistrationRequest, RequestStatus, User
from registration.services.common import SYSTEM_ACTOR, locked_request, transition
from registration.services.employees import representative_gone

CERTIFICATE_CAUSE = "certificado"
UPDATE_CAUSE = "actualizacion"


def user_disable(*, user: User, request: RegistrationRequest, cause: str, reason: str) -> None:
    """Disable ``user`` (locked by the caller's transaction) whose active request is
    ``request``: the request goes to "disabled" with ``reason`` on its history (and in the
    applicant's message), the reason stays on the user for the login and status pages.

    A user disabled for a certificate can't log in; one disabled for missing the annual
    update can, to update (registration.services.annual_update), and nothing else.
    """
    user.disabled_cause = cause
    user.disabled_reason = reason[:300]
    fields = ["disabled_cause", "disabled_reason"]
    if cause != UPDATE_CAUSE:
        user.is_active = False
        fields.append("is_active")
    user.save(update_fields=fields)
    request = locked_request(request.pk)
    if request.status != RequestStatus.ACTIVE:
        return
    transition(
        request,
        allowed_from=[RequestStatus.ACTIVE],
        to=RequestStatus.DISABLED,
        actor_label=SYSTEM_ACTOR,
        comment=f"Usuario deshabilitado: {reason}",
    )
    if request.kind in REPRESENTATIVE_KINDS and request.company_id is not None:
        representative_gone(
            representative=user,
            company_id=request.company_id,
            kind=request.kind,
            why="usuario deshabilitado",
        )


def user_enable(*, user: User, request: RegistrationRequest, comment: str) -> None:
    """Undo a disabling for missing the annual update (the user has now updated)."""
    user.disabled_cause = ""
    user.disabled_reason = ""
    user.save(update_fields=["disabled_cause", "disabled_reason"])
    request = locked_request(request.pk)
    if request.status == RequestStatus.DISABLED:
        transition(
            request,
            allowed_from=[RequestStatus.DISABLED],
            to=RequestStatus.ACTIVE,
            actor=user,
            comment=comment,
        )
