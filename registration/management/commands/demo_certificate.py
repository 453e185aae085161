from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registration import demo_pki, services, validators


class Command(BaseCommand):
    help = (
        "Genera un certificado de DEMOSTRACIÓN (.cer y su clave) emitido por la CA de demostración, "
        "para probar la Solicitud del uso sin un certificado real."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--cedula", required=True)
        parser.add_argument("--ruc", required=True)
        parser.add_argument("--razon-social", default="EMPRESA DE DEMOSTRACION S.A.")
        parser.add_argument("--nombres", default="JUAN CARLOS")
        parser.add_argument("--apellidos", default="PEREZ GOMEZ")
        parser.add_argument(
            "--out",
            default="",
            help="Archivo .cer (por defecto var/demo/certificado-<cedula>.cer).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            cedula = validators.validate_cedula(options["cedula"])
            ruc = validators.validate_ruc(options["ruc"]).number
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        demo_dir = Path(settings.VAR_DIR) / "demo"
        ca = services.demo_ca_ensure(demo_dir)
        cert, key = demo_pki.make_leaf(
            ca,
            cedula=cedula,
            ruc=ruc,
            razon_social=options["razon_social"],
            given_names=options["nombres"],
            surnames=options["apellidos"],
            layout="both",
        )
        out = Path(options["out"] or demo_dir / f"certificado-{cedula}.cer")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(demo_pki.to_der(cert))
        pem = out.with_suffix(".pem")
        pem.write_bytes(demo_pki.to_pem(cert))
        key_path = out.with_name(out.stem + "-clave.pem")
        key_path.write_bytes(demo_pki.private_key_pem(key))
        key_path.chmod(0o600)
        self.stdout.write(self.style.SUCCESS(f"Certificado de demostración: {out} (y {pem})"))
        self.stdout.write(f"Su clave privada (solo para firmar el reto; nunca la suba): {key_path}")
