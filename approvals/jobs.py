"""What the flow's automatic nodes do: thin adapters from activations to services."""

from __future__ import annotations

from typing import Any

from viewflow.workflow.activation import Activation

from registration import services as registration_services
from registration.models import RegistrationRequest


def bind_request(activation: Activation, *, request: RegistrationRequest) -> Any:
    """Start node: tie the new process to its registration request."""
    activation.process.request = request
    return activation.process


def check_certificate(process: Any) -> Any:
    """Before the lock: verify the uploaded certificates (may fetch CRLs)."""
    return registration_services.certificate_verification_compute(request_id=process.request_id)


def verify_certificate(activation: Activation, prepared: Any) -> None:
    registration_services.request_record_verification(
        request_id=activation.process.request_id, outcome=prepared
    )


def activate_user(activation: Activation, prepared: Any) -> None:
    registration_services.request_activate(request_id=activation.process.request_id)


def apply_correction(activation: Activation, *, data: registration_services.CorrectionData) -> None:
    registration_services.request_resubmit(request_id=activation.process.request_id, data=data)
