"""One state machine: each step keeps on the process what it left, and the gates read that."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from registration import services
from registration.models import RegistrationRequest, RequestStatus
from tests.conftest import confirm_email
from tests.support.applicants import applicant
from workflow import services as process_services
from workflow.flows.general import GeneralFlow
from workflow.jobs import STEP_OUTCOME
from workflow.models import RegistrationProcess

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("jobs_off_the_broker"),
]


def _general_request() -> RegistrationRequest:
    person = applicant()
    data = services.GeneralData(
        **{
            name: getattr(person, name)
            for name in (item.name for item in dataclasses.fields(services.PersonData))
            if name != "oces"
        }
    )
    request, _ = process_services.request_submit(data=data, files=[], submission_token=uuid.uuid4())
    return request


def _outcome(request: RegistrationRequest) -> dict[str, object]:
    process = RegistrationProcess.objects.get(request=request)
    outcome: dict[str, object] = process.data[STEP_OUTCOME]
    return outcome


def test_each_step_records_the_state_it_left_on_the_process(reference_data: None) -> None:
    request = _general_request()
    assert _outcome(request) == {"status": RequestStatus.SUBMITTED, "email_confirmed": False}

    confirm_email(request)

    assert _outcome(request) == {"status": RequestStatus.SUBMITTED, "email_confirmed": True}
    assert Task.objects.filter(
        process__registrationprocess__request=request,
        flow_task=GeneralFlow.activate_user,
        status=STATUS.SCHEDULED,
    ).exists()
