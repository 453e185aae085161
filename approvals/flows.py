"""The processes, as graphs. Nodes call services; gates read computed fields."""

from __future__ import annotations

from collections.abc import Callable

from viewflow import this
from viewflow.workflow import nodes
from viewflow.workflow.activation import Activation
from viewflow.workflow.base import Flow
from viewflow.workflow.lock import select_for_update_lock

from approvals import jobs
from approvals.models import RegistrationProcess
from approvals.nodes import CeleryJob
from registration.models import RequestStatus
from registration.selectors import request_email_confirmed, request_status


def _status_is(status: RequestStatus) -> Callable[[Activation], bool]:
    """A gate on the request's state as the services just wrote it (read fresh)."""

    def gate(activation: Activation) -> bool:
        return request_status(request_id=activation.process.request_id) == status

    return gate


def _email_confirmed(activation: Activation) -> bool:
    return request_email_confirmed(request_id=activation.process.request_id)


class RepresentanteFlow(Flow):
    """Solicitud del uso (Representante)

    submitted → email confirmed → certificate verified → company approved
    (SENAE) → active, with the observed / verification-failed correction loop,
    rejection, and expiry of a request that waits too long for the applicant.
    """

    process_class = RegistrationProcess
    lock_impl = select_for_update_lock

    start = nodes.StartHandle(jobs.bind_request).Next(this.email_gate)

    email_gate = nodes.If(_email_confirmed).Then(this.verify_certificate).Else(this.confirm_email)

    # Completed by the applicant's code (request_email_confirm) or by expiry.
    confirm_email = nodes.Handle(jobs.applicant_step).Next(this.email_outcome)

    email_outcome = (
        nodes.If(_status_is(RequestStatus.EXPIRED)).Then(this.expired).Else(this.verify_certificate)
    )

    verify_certificate = CeleryJob(jobs.verify_certificate, prepare=jobs.check_certificate).Next(
        this.certificate_gate
    )

    certificate_gate = (
        nodes.If(_status_is(RequestStatus.CERTIFICATE_VERIFIED))
        .Then(this.review)
        .Else(this.await_correction)
    )

    # The decision view is approvals.views.review_decide; viewflow's own
    # views are not mounted. A corrected request goes back to the reviewer
    # who observed it, if that reviewer can still review.
    review = (
        nodes.View(view=None)
        .Permission("approvals.review_registration")
        .Assign(jobs.previous_reviewer)
        .onCreate(jobs.note_assignment)
        .Next(this.decision_gate)
    )

    decision_gate = (
        nodes.Switch()
        .Case(this.activate_user, _status_is(RequestStatus.COMPANY_APPROVED))
        .Case(this.await_correction, _status_is(RequestStatus.OBSERVED))
        .Default(this.rejected)
    )

    # Completed by the applicant's correction (request_resubmit) or by expiry.
    await_correction = nodes.Handle(jobs.applicant_step).Next(this.correction_outcome)

    correction_outcome = (
        nodes.If(_status_is(RequestStatus.EXPIRED)).Then(this.expired).Else(this.email_gate)
    )

    activate_user = CeleryJob(jobs.activate_user).Next(this.activated)

    activated = nodes.End()
    rejected = nodes.End()
    expired = nodes.End()
