"""An active Representante of IMPORTADORA ANDINA S.A. and an employee's certificate (issue 13)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from registration.models import RegistrationRequest, RequestStatus, User
from tests.conftest import WorkerProcess, wait_for_status
from tests.support import pki

EMPLOYEE_CEDULA = "1710034065"


@pytest.fixture
def employee_certificate(test_ca: pki.CertificateAndKey) -> pki.CertificateAndKey:
    """A persona jurídica / miembro de empresa certificate: the employee's cédula, the company's RUC."""
    return pki.make_leaf(
        test_ca,
        cedula=EMPLOYEE_CEDULA,
        ruc=pki.COMPANY_RUC,
        given_names="MARIA JOSE",
        surnames="LOPEZ VERA",
        razon_social="IMPORTADORA ANDINA S.A.",
        cargo="ASISTENTE DE COMERCIO EXTERIOR",
    )


@pytest.fixture
def representative(
    celery_worker: WorkerProcess,
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    reviewer: User,
) -> User:
    """A Representante of IMPORTADORA ANDINA S.A. (OCE 03907058), active through the real flow."""
    from approvals import services as approval_services
    from tests.workflow.test_process import review_task

    request = submit(good_certificate)
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    task = review_task(request)
    approval_services.review_take(task_pk=task.pk, actor=reviewer)
    approval_services.review_decide(
        task_pk=task.pk, actor=reviewer, decision=approval_services.Decision.APPROVE
    )
    wait_for_status(request, RequestStatus.ACTIVE)
    return User.objects.get(username="jperez01")
