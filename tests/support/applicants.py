"""What an applicant types in the Representante form, as the service takes it."""

from __future__ import annotations

from registration import services
from registration.models import OceType, Province, SecurityQuestion
from tests.support import pki


def applicant(
    *, cedula: str = pki.DEFAULT_CEDULA, email: str = "a@example.com", id_usuario: str = "disputado"
) -> services.RepresentanteData:
    questions = {q.slot: q.pk for q in SecurityQuestion.objects.all()}
    return services.RepresentanteData(
        ruc=pki.COMPANY_RUC,
        razon_social="IMPORTADORA ANDINA S.A.",
        direccion_empresa="Av. 1",
        telefono_empresa="+59322345678",
        id_usuario=id_usuario,
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
