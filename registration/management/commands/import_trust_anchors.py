from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registration import services


class Command(BaseCommand):
    help = (
        "Agrega al almacén de confianza los certificados de CA de PATH (PEM, DER o PKCS#7; "
        "un archivo o una carpeta)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--name", default="", help="Nombre de la CA (por defecto, su CN).")
        parser.add_argument("--arc", default="", help="Arco OID de sus extensiones de identidad.")
        parser.add_argument("--demo", action="store_true", help="Marcar como de demostración.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(f"No existe {path}")
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for file in files:
            try:
                anchors = services.trust_anchors_import(
                    data=file.read_bytes(),
                    name=options["name"],
                    identity_arc=options["arc"],
                    is_demo=options["demo"],
                )
            except services.TrustStoreError as exc:
                raise CommandError(f"{file}: {exc}") from exc
            for anchor in anchors:
                kind = "raíz" if anchor.is_root else "intermedia"
                self.stdout.write(f"  {anchor.name} ({kind}) {anchor.sha256[:16]}…")
        self.stdout.write(self.style.SUCCESS("Almacén de confianza actualizado."))
