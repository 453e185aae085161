from typing import Any

from django.core.management.base import BaseCommand

from approvals import services


class Command(BaseCommand):
    help = "Crea los grupos «SENAE revisor» y «SENAE supervisor» con sus permisos (idempotente)."

    def handle(self, *args: Any, **options: Any) -> None:
        services.roles_setup()
        self.stdout.write(self.style.SUCCESS("Grupos y permisos listos."))
