from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from approvals import staff_access
from registration.models import User


class Command(BaseCommand):
    help = (
        "Olvida el autenticador (TOTP) de un usuario del SENAE que perdió o cambió su teléfono; "
        "al iniciar sesión registrará uno nuevo. Confirme antes la identidad de la persona."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="ID. usuario del revisor o supervisor")
        parser.add_argument("--motivo", required=True, help="Por qué (queda en la auditoría)")
        parser.add_argument("--por", default="administrador", help="Quién lo hace")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username__iexact=options["username"]).first()
        if user is None:
            raise CommandError(f"No existe el usuario {options['username']}.")
        deleted = staff_access.totp_devices_reset(
            user=user, actor_label=options["por"], reason=options["motivo"]
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{user.username}: {deleted} dispositivo(s) eliminado(s). "
                "Registrará uno nuevo en su próximo inicio de sesión, con un código de "
                "activación que recibirá en su correo."
            )
        )
        if not user.email:
            self.stderr.write(
                f"Atención: {user.username} no tiene correo registrado y no podrá recibir "
                "el código de activación. Regístrelo antes (create_demo_staff o el admin)."
            )
