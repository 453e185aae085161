"""Reference data: provinces, cantones and the catalogues."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

from django.db import transaction

from registration.models import (
    Canton,
    MobileOperator,
    OceType,
    Province,
    SecurityQuestion,
    ServiceOption,
    TermsVersion,
    VueProcedure,
)

logger = logging.getLogger(__name__)

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data"


@transaction.atomic
def reference_data_load() -> dict[str, int]:
    """Load provinces, cantones and catalogues; running it again changes nothing."""
    with (REFERENCE_DIR / "provincias.csv").open(encoding="utf-8") as handle:
        provinces = list(csv.DictReader(handle))
    for row in provinces:
        Province.objects.update_or_create(code=row["codigo"], defaults={"name": row["nombre"]})
    with (REFERENCE_DIR / "cantones.csv").open(encoding="utf-8") as handle:
        cantones = list(csv.DictReader(handle))
    for row in cantones:
        Canton.objects.update_or_create(
            code=row["codigo"], defaults={"province_id": row["provincia"], "name": row["nombre"]}
        )
    catalogues = json.loads((REFERENCE_DIR / "catalogos.json").read_text(encoding="utf-8"))
    for name in catalogues["oce_types"]:
        OceType.objects.get_or_create(name=name)
    for question in catalogues["security_questions"]:
        SecurityQuestion.objects.update_or_create(
            text=question["text"], defaults={"slot": question["slot"]}
        )
    for operator in catalogues["mobile_operators"]:
        MobileOperator.objects.update_or_create(
            code=operator["code"], defaults={"name": operator["name"]}
        )
    for position, option in enumerate(catalogues["service_options"]):
        ServiceOption.objects.get_or_create(
            code=option["code"], defaults={"name": option["name"], "position": position}
        )
    for position, procedure in enumerate(catalogues["vue_procedures"]):
        VueProcedure.objects.get_or_create(
            code=procedure["code"], defaults={"name": procedure["name"], "position": position}
        )
    for terms in catalogues["convenio"]:
        TermsVersion.objects.get_or_create(
            number=terms["number"],
            defaults={
                "title": terms["title"],
                "text": terms["text"],
                "published": terms["published"],
            },
        )
    return {
        "provincias": len(provinces),
        "cantones": len(cantones),
        "tipos de OCE": len(catalogues["oce_types"]),
        "preguntas de clave": len(catalogues["security_questions"]),
        "operadoras": len(catalogues["mobile_operators"]),
        "opciones de servicio": len(catalogues["service_options"]),
        "trámites de la VUE": len(catalogues["vue_procedures"]),
        "versiones del convenio": len(catalogues["convenio"]),
    }
