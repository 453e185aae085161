"""Registrar is one transaction: a fault after any of its writes leaves nothing behind (issue 12)."""

from __future__ import annotations

import pkgutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from viewflow.workflow.models import Process, Task

from registration import services
from registration.models import (
    CertificateFile,
    CompanyDetails,
    OceRow,
    OneTimeCode,
    RegistrationRequest,
    RequestEvent,
    RequestVersion,
    TrackingCounter,
)
from tests.support.applicants import applicant
from workflow import services as process_services

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("jobs_off_the_broker"),
]

# Each write of a submission, as the code that makes it looks it up.
WRITES = [
    "registration.kinds.KindDeclaration.details_create",
    "registration.services.submission.oce_rows_create",
    "registration.services.submission.store_certificates",
    "registration.services.submission.request_version_record",
    "registration.services.submission.record_event",
    "registration.services.submission.code_issue",
    "workflow.services.process_start",
    "registration.services.request_number_assign",
    "registration.services.request_submitted_record",
]


class InjectedFault(Exception):
    pass


def _then_fail(real: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise InjectedFault

    return wrapper


def _counts() -> dict[str, int]:
    counter = TrackingCounter.objects.first()
    return {
        "requests": RegistrationRequest.objects.count(),
        "company_details": CompanyDetails.objects.count(),
        "oce_rows": OceRow.objects.count(),
        "files": CertificateFile.objects.count(),
        "versions": RequestVersion.objects.count(),
        "events": RequestEvent.objects.count(),
        "codes": OneTimeCode.objects.count(),
        "processes": Process.objects.count(),
        "tasks": Task.objects.count(),
        "counter": counter.last if counter else 0,
    }


def _stored_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def _submit(certificate: bytes) -> tuple[RegistrationRequest, bool]:
    return process_services.request_submit(
        data=applicant(),
        files=[services.UploadedCertificate("firma.cer", certificate)],
        submission_token=uuid.uuid4(),
    )


@pytest.mark.parametrize("write", WRITES)
def test_a_fault_after_any_write_leaves_nothing_behind(
    reference_data: None, good_certificate: bytes, write: str
) -> None:
    before, files_before = _counts(), _stored_files()
    with (
        mock.patch(write, _then_fail(pkgutil.resolve_name(write))),
        pytest.raises(InjectedFault),
    ):
        _submit(good_certificate)

    assert _counts() == before
    assert _stored_files() == files_before


def test_without_a_fault_every_part_is_written_and_numbered(
    reference_data: None, good_certificate: bytes
) -> None:
    before = _counts()

    request, created = _submit(good_certificate)

    after = _counts()
    assert created
    assert request.tracking_number.startswith("SOL-")
    assert RegistrationRequest.objects.get(pk=request.pk).tracking_number == request.tracking_number
    for part in (
        "requests",
        "company_details",
        "files",
        "versions",
        "events",
        "codes",
        "processes",
        "counter",
    ):
        assert after[part] == before[part] + 1, part
    assert after["oce_rows"] == before["oce_rows"] + 1
    assert after["tasks"] > before["tasks"]


def test_the_hashing_is_done_before_the_transaction(
    reference_data: None, good_certificate: bytes
) -> None:
    from django.db import connection

    seen: list[bool] = []
    real = services.person_secrets_hash

    def spy(**kwargs: Any) -> services.PersonSecrets:
        seen.append(connection.in_atomic_block)
        return real(**kwargs)

    with mock.patch.object(services, "person_secrets_hash", spy):
        _submit(good_certificate)

    assert seen == [False]
