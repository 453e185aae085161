from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from approvals import services

# Demo cédulas (valid check digit, Loja) that no demo applicant uses: the own-request
# rule compares them with each request's Doc. Identificación.
DEMO_ACCOUNTS = [
    (
        "revisor",
        "Revisor-Demo-2026",
        services.REVIEWER_GROUP,
        "Revisor de demostración",
        "1101000006",
        "revisor@senae.demo",
    ),
    (
        "supervisor",
        "Supervisor-Demo-2026",
        services.SUPERVISOR_GROUP,
        "Supervisor de demostración",
        "1101000014",
        "supervisor@senae.demo",
    ),
]


class Command(BaseCommand):
    help = "Crea (o restablece) un revisor y un supervisor SENAE de demostración."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Permitirlo aunque DEBUG esté apagado."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Cuentas de demostración solo con DJANGO_DEBUG=true (o --force).")
        for username, password, group, name, cedula, email in DEMO_ACCOUNTS:
            try:
                services.staff_user_create(
                    username=username,
                    password=password,
                    group=group,
                    cedula=cedula,
                    email=email,
                    first_name=name,
                )
            except services.StaffAccountError as exc:
                raise CommandError(f"{username}: {exc}") from exc
            self.stdout.write(
                f"  {group}: ID. usuario «{username}», contraseña «{password}», "
                f"cédula {cedula}, correo {email}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                "Cuentas de demostración listas (inicie sesión en /iniciar-sesion/)."
            )
        )
