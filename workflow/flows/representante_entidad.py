"""Solicitud del uso (Representante de la entidad): the head (or delegate) of a public entity."""

from __future__ import annotations

from viewflow import this
from viewflow.workflow import nodes
from viewflow.workflow.base import Flow
from viewflow.workflow.lock import select_for_update_lock

from workflow.flows import segments
from workflow.models import RegistrationProcess


class RepresentanteEntidadFlow(Flow):
    """Solicitud del uso (Representante de la entidad)

    submitted → email confirmed → certificate verified → entity approved (SENAE, who
    reads the appointment) → active, with the same correction loop, rejection and
    expiry as the Representante's.
    """

    process_class = RegistrationProcess
    lock_impl = select_for_update_lock

    start = segments.start()
    email_gate, confirm_email, email_outcome = segments.email_confirmation(
        then=this.verify_certificate
    )
    verify_certificate, certificate_gate = segments.certificate_check(then=this.review)
    review, decision_gate = segments.senae_review(approved=this.activate_user)
    await_correction, correction_outcome = segments.correction_loop(back_to=this.email_gate)
    activate_user, activated = segments.activation()

    rejected = nodes.End()
    expired = nodes.End()
