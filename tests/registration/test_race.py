"""Two applicants racing for one ID. usuario on PostgreSQL: one wins, the other is told."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, transaction

from registration import services
from registration.models import OceType, Province, RegistrationRequest, SecurityQuestion
from tests.support import pki

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def applicant(*, cedula: str, email: str) -> services.RepresentanteData:
    questions = {q.slot: q.pk for q in SecurityQuestion.objects.all()}
    return services.RepresentanteData(
        ruc=pki.COMPANY_RUC,
        razon_social="IMPORTADORA ANDINA S.A.",
        direccion_empresa="Av. 1",
        telefono_empresa="+59322345678",
        id_usuario="disputado",
        cedula=cedula,
        nombre_usuario="SOLICITANTE",
        password="Clave-Segura-2026",
        question1_id=questions[1],
        answer1="a",
        question2_id=questions[2],
        answer2="b",
        question3_id=questions[3],
        answer3="c",
        province_id=Province.objects.get(code="17").pk,
        canton_id="1701",
        direccion="Calle 1",
        telefono1="+59322345679",
        email=email,
        oces=(
            services.OceEntry(
                oce_type_id=OceType.objects.get(name="AGENTE DE ADUANA").pk,
                code="03907058",
                start_month=9,
                start_year=2002,
            ),
        ),
    )


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
                services.request_submit(
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
            services.request_submit(
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
