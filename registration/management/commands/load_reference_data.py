from typing import Any

from django.core.management.base import BaseCommand

from registration import services


class Command(BaseCommand):
    help = (
        "Carga provincias, cantones, tipos de OCE, preguntas de clave y operadoras (idempotente)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = services.reference_data_load()
        summary = ", ".join(f"{n} {name}" for name, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Datos de referencia cargados: {summary}."))
