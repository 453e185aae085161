from typing import Any

from django.core.management.base import BaseCommand

from approvals import two_factor


class Command(BaseCommand):
    help = (
        "Vuelve a cifrar las claves TOTP del personal con la primera clave de "
        "ECUAPASS_OTP_KEYS; después se pueden retirar las claves anteriores."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = two_factor.totp_secrets_rotate()
        self.stdout.write(
            self.style.SUCCESS(f"{rotated} autenticador(es) cifrado(s) con la clave nueva.")
        )
