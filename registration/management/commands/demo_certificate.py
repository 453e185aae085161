from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registration import demo_pki, validators

DEMO_CA_NAME = "CA DE DEMOSTRACION ECUAPASS (NO CONFIABLE)"


class Command(BaseCommand):
    help = (
        "Genera un certificado público de DEMOSTRACIÓN (.cer) con la cédula y el RUC dados, "
        "para probar la Solicitud del uso sin un certificado real."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--cedula", required=True)
        parser.add_argument("--ruc", required=True)
        parser.add_argument("--razon-social", default="EMPRESA DE DEMOSTRACION S.A.")
        parser.add_argument("--nombres", default="JUAN CARLOS")
        parser.add_argument("--apellidos", default="PEREZ GOMEZ")
        parser.add_argument("--out", default="var/demo/certificado-demo.cer")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            cedula = validators.validate_cedula(options["cedula"])
            ruc = validators.validate_ruc(options["ruc"]).number
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        ca = demo_pki.make_ca(DEMO_CA_NAME)
        cert, _key = demo_pki.make_leaf(
            ca,
            cedula=cedula,
            ruc=ruc,
            razon_social=options["razon_social"],
            given_names=options["nombres"],
            surnames=options["apellidos"],
            layout="both",
        )
        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(demo_pki.to_der(cert))
        self.stdout.write(self.style.SUCCESS(f"Certificado de demostración escrito en {out}"))
