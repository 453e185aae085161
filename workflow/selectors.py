"""Reads the processes need: who may review, who observed a request before."""

from __future__ import annotations

from registration.models import RegistrationRequest, User

REVIEW_PERMISSION = "workflow.review_registration"
MANAGE_PERMISSION = "workflow.manage_registrationprocess"
# Whoever holds one of these is SENAE staff (second factor, reviewer pages).
STAFF_PERMISSIONS = (REVIEW_PERMISSION, MANAGE_PERMISSION)


def is_own_request(user: User, request: RegistrationRequest) -> bool:
    """The user applied for this request, or it names their cédula: not theirs to review."""
    return user.pk == request.user_id or bool(user.cedula and user.cedula == request.cedula)


def previous_reviewer(*, request_id: int) -> User | None:
    """The reviewer who observed this request, while still an active reviewer.

    A corrected request goes back to them; if they left or lost the role it
    waits in the shared queue.
    """
    request = RegistrationRequest.objects.select_related("decided_by").get(pk=request_id)
    reviewer = request.decided_by
    if reviewer is None or not reviewer.is_active:
        return None
    if not reviewer.has_perm(REVIEW_PERMISSION) or is_own_request(reviewer, request):
        return None
    return reviewer
