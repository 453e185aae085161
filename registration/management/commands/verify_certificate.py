"""Verify a certificate from the command line, as the certificate job would (no form match)."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from django.core.management.base import BaseCommand, CommandError

from registration import certificates, services
from registration.certificates.revocation import RevocationPolicy


def _read_certs(path: str) -> list[x509.Certificate]:
    data = Path(path).read_bytes()
    try:
        return services.trust.parse_certificates(data)
    except Exception as exc:
        raise CommandError(f"{path}: no contiene certificados legibles.", returncode=2) from exc


class Command(BaseCommand):
    help = (
        "Verifica un certificado (cadena, vigencia, uso de clave, revocación) e imprime el veredicto, "
        "los motivos y la identidad. Sale con 0 si es válido, 1 si no, 2 si hay un error de uso."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("leaf", help="El certificado (DER, PEM, paquete PEM o PKCS#7).")
        parser.add_argument(
            "--roots", help="Confiar solo en estas raíces (archivo PEM/DER/PKCS#7)."
        )
        parser.add_argument("--intermediates", help="Intermedias adicionales.")
        parser.add_argument(
            "--at", help="Momento de la verificación, ISO-8601 (por defecto, ahora)."
        )
        parser.add_argument("--no-revocation", action="store_true", help="No consultar CRL/OCSP.")
        parser.add_argument("--json", action="store_true", help="Un objeto JSON en la salida.")

    def handle(self, *args: Any, **options: Any) -> None:
        leaf_path = Path(options["leaf"])
        if not leaf_path.is_file():
            raise CommandError(f"No existe {leaf_path}", returncode=2)
        at = datetime.now(UTC)
        if options["at"]:
            try:
                at = datetime.fromisoformat(options["at"])
            except ValueError as exc:
                raise CommandError("--at debe ser una fecha ISO-8601.", returncode=2) from exc
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
        chain = services.verification.chain_check(
            # With --roots, only those roots: the store is not consulted for anchors.
            anchors=_read_certs(options["roots"]) if options["roots"] else None,
            intermediates=_read_certs(options["intermediates"]) if options["intermediates"] else (),
            policy=RevocationPolicy(mode="disabled") if options["no_revocation"] else None,
        )
        result = certificates.verify_certificate(
            leaf_path.read_bytes(),
            expected_cedula="",
            expected_ruc="",
            at=at,
            checks=[certificates.ValidityWindowCheck(), chain],
        )
        if options["json"]:
            payload = result.to_dict()
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(("VÁLIDO" if result.valid else "NO VÁLIDO") + f": {result.subject}")
            for finding in result.findings:
                self.stdout.write(f"  [{'ok' if finding.ok else 'x'}] {finding.message}")
            if result.identity is not None:
                for key, value in result.identity.to_dict().items():
                    if value:
                        self.stdout.write(f"  {key}: {value}")
        raise SystemExit(0 if result.valid else 1)
