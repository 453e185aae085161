from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registration import services


class Command(BaseCommand):
    help = (
        "Crea (una vez) la CA de DEMOSTRACIÓN y la agrega al almacén de confianza marcada como tal."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Permitirlo aunque DEBUG esté apagado."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("La CA de demostración solo con DJANGO_DEBUG=true (o --force).")
        cert, _ = services.demo_ca_ensure(Path(settings.VAR_DIR) / "demo")
        self.stdout.write(
            self.style.WARNING(f"CA de demostración en el almacén: {cert.subject.rfc4514_string()}")
        )
        if not settings.ECUAPASS_ALLOW_DEMO_ANCHORS:
            self.stdout.write(
                self.style.WARNING(
                    "ECUAPASS_ALLOW_DEMO_ANCHORS está apagado: los certificados emitidos por esta "
                    "CA se rechazarán al verificarse."
                )
            )
