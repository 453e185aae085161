from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registration import services


class Command(BaseCommand):
    help = (
        "Guarda una CRL descargada a mano (uso sin conexión); su emisor debe estar en el almacén."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No existe {path}")
        try:
            row = services.crl_import(data=path.read_bytes())
        except services.TrustStoreError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"CRL guardada (próxima actualización: {row.next_update}).")
        )
