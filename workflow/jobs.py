"""What the flow's automatic nodes do: thin adapters from activations to services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse
from viewflow.workflow.activation import Activation

from registration import services as registration_services
from registration.models import RegistrationRequest, User
from workflow import selectors

# What the last step left, kept on the process (viewflow's `data`): the gates read this,
# not the request's fields, so the process is the one state machine that routes it.
STEP_OUTCOME = "step_outcome"


def outcome_record(activation: Activation, request: RegistrationRequest) -> None:
    """Keep on the process the state a step's service just wrote (under the flow lock)."""
    process = activation.process
    process.data = {
        **(process.data or {}),
        STEP_OUTCOME: {
            "status": request.status,
            "email_confirmed": request.email_confirmed_at is not None,
        },
    }
    if process.pk is not None:
        process.save(update_fields=["data"])


def outcome_of(activation: Activation) -> dict[str, Any]:
    outcome: dict[str, Any] = (activation.process.data or {}).get(STEP_OUTCOME, {})
    return outcome


def bind_request(activation: Activation, *, request: RegistrationRequest) -> Any:
    """Start node: tie the new process to its registration request."""
    activation.process.request = request
    outcome_record(activation, request)
    return activation.process


def check_certificate(process: Any) -> Any:
    """Before the lock: verify the uploaded certificates (may fetch CRLs)."""
    return registration_services.certificate_verification_compute(request_id=process.request_id)


def verify_certificate(activation: Activation, prepared: Any) -> None:
    request = registration_services.request_record_verification(
        request_id=activation.process.request_id, outcome=prepared
    )
    outcome_record(activation, request)


def activate_user(activation: Activation, prepared: Any) -> None:
    registration_services.request_activate(request_id=activation.process.request_id)


def applicant_step(activation: Activation, *, apply: Callable[[int], RegistrationRequest]) -> None:
    """A waiting task completed by the applicant (code, correction) or by expiry.

    `apply(request_id)` is the registration service that records it, run inside
    the flow lock; the request it returns is the step's outcome.
    """
    outcome_record(activation, apply(activation.process.request_id))


def previous_reviewer(activation: Activation) -> User | None:
    """Who observed the request, if that reviewer can still take it."""
    return selectors.previous_reviewer(request_id=activation.process.request_id)


def announce_to_company(activation: Activation) -> None:
    """An employee's request waits for the company: tell each of its representatives."""
    registration_services.employee_request_announce(
        request_id=activation.process.request_id,
        link=settings.ECUAPASS_PUBLIC_URL.rstrip("/") + reverse("empleados:pending"),
    )


def note_assignment(activation: Activation) -> None:
    owner = activation.task.owner
    if owner is not None:
        registration_services.request_note(
            request_id=activation.process.request_id,
            actor=None,
            comment=f"Vuelve a {owner.username}, quien la observó.",
        )
