"""Two applicants racing for one ID. usuario on PostgreSQL: one wins, the other is told."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, transaction

from registration import services
from registration.models import RegistrationRequest
from tests.support import pki
from tests.support.applicants import applicant
from workflow import services as process_services

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_second_applicant_for_the_same_id_usuario_gets_a_clear_message(
    reference_data: None, good_certificate: bytes
) -> None:
    first_inserted = threading.Event()
    release_first = threading.Event()
    outcome: dict[str, object] = {}
    files = [services.UploadedCertificate("a.cer", good_certificate)]

    def first() -> None:
        try:
            with transaction.atomic():
                process_services.request_submit(
                    data=applicant(cedula=pki.DEFAULT_CEDULA, email="a@example.com"),
                    files=files,
                    submission_token=uuid.uuid4(),
                )
                first_inserted.set()
                release_first.wait(30)  # hold the transaction open: not yet visible
            outcome["first"] = "saved"
        finally:
            connection.close()

    def second() -> None:
        try:
            first_inserted.wait(30)
            # Sees nothing of the first (uncommitted), passes its checks, then
            # meets the unique constraint once the first commits.
            threading.Timer(1.0, release_first.set).start()
            process_services.request_submit(
                data=applicant(cedula="0926687856", email="b@example.com"),
                files=files,
                submission_token=uuid.uuid4(),
            )
            outcome["second"] = "saved"
        except services.SubmissionConflict as exc:
            outcome["second"] = exc.errors
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcome["first"] == "saved"
    assert outcome["second"] == {"id_usuario": "El ID. usuario ya está en uso. Elija otro."}
    assert list(RegistrationRequest.objects.values_list("cedula", flat=True)) == [
        pki.DEFAULT_CEDULA
    ]
