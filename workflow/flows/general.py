"""Solicitud del uso (General): any person, for the public information services and Mi página."""

from __future__ import annotations

from viewflow import this
from viewflow.workflow import nodes
from viewflow.workflow.base import Flow
from viewflow.workflow.lock import select_for_update_lock

from workflow.flows import segments
from workflow.models import RegistrationProcess


class GeneralFlow(Flow):
    """Solicitud del uso (General)

    submitted → email confirmed → active: no certificate and no reviewer; the
    activation is still a job of the process. A request whose code is never
    entered expires.
    """

    process_class = RegistrationProcess
    lock_impl = select_for_update_lock

    start = segments.start()
    email_gate, confirm_email, email_outcome = segments.email_confirmation(then=this.activate_user)
    activate_user, activated = segments.activation()

    expired = nodes.End()
