"""The pieces every kind's flow is built from.

Each function returns the nodes of one segment, to be unpacked in a flow class
under the names given in its docstring (the nodes refer to each other by those
names, through viewflow's ``this``). Where a segment leads on, the flow says to
which node (``then``). Every flow also declares the ``expired`` and ``rejected``
ends the segments lead to, and a ``start`` node that goes to ``email_gate``.

Each step records on the process what its service just wrote (the request's
state, and whether the email is confirmed: workflow.jobs.outcome_record), in the
same transaction and under the flow lock; the gates read that, never the
request's fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from viewflow import this
from viewflow.workflow import nodes
from viewflow.workflow.activation import Activation

from registration.models import RequestStatus
from workflow import jobs
from workflow.nodes import AnnouncedWait, CeleryJob

REVIEW_PERMISSION = "workflow.review_registration"


def status_is(status: RequestStatus) -> Callable[[Activation], bool]:
    """A gate on the state the step before left (jobs.outcome_record)."""

    def gate(activation: Activation) -> bool:
        return bool(jobs.outcome_of(activation).get("status") == status)

    return gate


def _email_confirmed(activation: Activation) -> bool:
    return bool(jobs.outcome_of(activation).get("email_confirmed"))


def start() -> Any:
    """``start``: tie the new process to its request, then ask for the email code."""
    return nodes.StartHandle(jobs.bind_request).Next(this.email_gate)


def email_confirmation(*, then: Any) -> tuple[Any, Any, Any]:
    """``email_gate, confirm_email, email_outcome``: wait for the emailed code.

    ``confirm_email`` is completed by the applicant's code
    (``workflow.services.email_confirm_submit``) or by expiry.
    """
    email_gate = nodes.If(_email_confirmed).Then(then).Else(this.confirm_email)
    confirm_email = nodes.Handle(jobs.applicant_step).Next(this.email_outcome)
    email_outcome = nodes.If(status_is(RequestStatus.EXPIRED)).Then(this.expired).Else(then)
    return email_gate, confirm_email, email_outcome


def certificate_check(*, then: Any) -> tuple[Any, Any]:
    """``verify_certificate, certificate_gate``: a worker verifies the certificate.

    A certificate that fails sends the request to ``await_correction``.
    """
    verify_certificate = CeleryJob(jobs.verify_certificate, prepare=jobs.check_certificate).Next(
        this.certificate_gate
    )
    certificate_gate = (
        nodes.If(status_is(RequestStatus.CERTIFICATE_VERIFIED))
        .Then(then)
        .Else(this.await_correction)
    )
    return verify_certificate, certificate_gate


def senae_review(*, approved: Any) -> tuple[Any, Any]:
    """``review, decision_gate``: a SENAE reviewer approves, observes or rejects.

    The decision view is approvals.views.review_decide; viewflow's own views
    are not mounted. A corrected request goes back to the reviewer who observed
    it, if that reviewer can still review.
    """
    review = (
        nodes.View(view=None)
        .Permission(REVIEW_PERMISSION)
        .Assign(jobs.previous_reviewer)
        .onCreate(jobs.note_assignment)
        .Next(this.decision_gate)
    )
    return review, _decision_gate(approved)


def company_review(*, approved: Any) -> tuple[Any, Any]:
    """``company_review, company_decision_gate``: a representative of the company decides.

    Any active Representante of the company the employee named approves (binding
    the employee to the company's OCE codes), observes or rejects
    through ``workflow.services.company_decision_submit`` (the registration service
    checks who may, under the flow lock), or the wait expires like the applicant's.
    Each representative is told when it arrives.
    """
    review = AnnouncedWait(jobs.applicant_step, on_create=jobs.announce_to_company).Next(
        this.company_decision_gate
    )
    return review, _decision_gate(approved)


def _decision_gate(approved: Any) -> Any:
    return (
        nodes.Switch()
        .Case(approved, status_is(RequestStatus.COMPANY_APPROVED))
        .Case(this.await_correction, status_is(RequestStatus.OBSERVED))
        .Case(this.expired, status_is(RequestStatus.EXPIRED))
        .Default(this.rejected)
    )


def correction_loop(*, back_to: Any) -> tuple[Any, Any]:
    """``await_correction, correction_outcome``: the applicant corrects, or it expires.

    Completed by the applicant's correction (``workflow.services.correction_submit``)
    or by expiry; a correction goes back to ``back_to``.
    """
    await_correction = nodes.Handle(jobs.applicant_step).Next(this.correction_outcome)
    correction_outcome = nodes.If(status_is(RequestStatus.EXPIRED)).Then(this.expired).Else(back_to)
    return await_correction, correction_outcome


def activation() -> tuple[Any, Any]:
    """``activate_user, activated``: a worker creates or re-enables the user."""
    return CeleryJob(jobs.activate_user).Next(this.activated), nodes.End()
