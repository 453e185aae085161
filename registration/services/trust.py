"""The trust store, the CRL cache, and the demonstration CA."""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from registration import demo_pki
from registration.models import CachedCrl, TrustAnchor

logger = logging.getLogger(__name__)

DEMO_CA_NAME = "CA DE DEMOSTRACION ECUAPASS (NO CONFIABLE)"
OFFLINE_CRL_PREFIX = "offline:"


class TrustStoreError(ValueError):
    """A file that can't go into the trust store; the message says why."""


def parse_certificates(data: bytes) -> list[x509.Certificate]:
    if b"-----BEGIN PKCS7-----" in data:
        return list(pkcs7.load_pem_pkcs7_certificates(data))
    if b"-----BEGIN" in data:
        return list(x509.load_pem_x509_certificates(data))
    try:
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        return list(pkcs7.load_der_pkcs7_certificates(data))


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _common_name(cert: x509.Certificate) -> str:
    for oid in (x509.NameOID.COMMON_NAME, x509.NameOID.ORGANIZATION_NAME):
        values = cert.subject.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    return cert.subject.rfc4514_string()


def anchor_file_problem(data: bytes) -> str:
    """Why this file can't go into the trust store ("" when it can)."""
    try:
        certs = parse_certificates(data)
    except Exception:
        return "El archivo no contiene certificados X.509 legibles."
    if not certs:
        return "El archivo no contiene certificados."
    for cert in certs:
        if not _is_ca(cert):
            return f"«{cert.subject.rfc4514_string()}» no es una autoridad de certificación."
    return ""


@transaction.atomic
def trust_anchors_import(
    *, data: bytes, name: str = "", identity_arc: str = "", is_demo: bool = False
) -> list[TrustAnchor]:
    """Add CA certificates (PEM bundle, DER or PKCS#7) to the trust store; idempotent."""
    problem = anchor_file_problem(data)
    if problem:
        raise TrustStoreError(problem)
    anchors = []
    for cert in parse_certificates(data):
        anchor, _ = TrustAnchor.objects.update_or_create(
            sha256=cert.fingerprint(hashes.SHA256()).hex(),
            defaults={
                "name": name or _common_name(cert),
                "identity_arc": identity_arc,
                "certificate": cert.public_bytes(serialization.Encoding.DER),
                "subject": cert.subject.rfc4514_string()[:500],
                "is_root": cert.subject == cert.issuer,
                "not_after": cert.not_valid_after_utc,
                "is_demo": is_demo,
                "active": True,
            },
        )
        anchors.append(anchor)
    return anchors


@dataclass(frozen=True)
class TrustStore:
    anchors: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...]
    # Roots marked as demonstration anchors (setup_demo_ca).
    demo_anchors: tuple[x509.Certificate, ...] = ()


def trust_store_load() -> TrustStore:
    """The active roots (anchors) and stored intermediates."""
    anchors: list[x509.Certificate] = []
    intermediates: list[x509.Certificate] = []
    demo: list[x509.Certificate] = []
    for der, is_root, is_demo in TrustAnchor.objects.filter(active=True).values_list(
        "certificate", "is_root", "is_demo"
    ):
        cert = x509.load_der_x509_certificate(bytes(der))
        (anchors if is_root else intermediates).append(cert)
        if is_root and is_demo:
            demo.append(cert)
    return TrustStore(
        anchors=tuple(anchors), intermediates=tuple(intermediates), demo_anchors=tuple(demo)
    )


@dataclass(frozen=True)
class AnchorLabel:
    name: str
    is_demo: bool


def trust_anchor_labels(*, sha256: list[str]) -> dict[str, AnchorLabel]:
    """Name and demo flag of stored anchors by SHA-256 (hex), for the verification record."""
    rows = TrustAnchor.objects.filter(sha256__in=sha256).values_list("sha256", "name", "is_demo")
    return {fp: AnchorLabel(name=name, is_demo=demo) for fp, name, demo in rows}


# A worker process reuses a CRL it read from the database for ECUAPASS_CRL_MEMO_SECONDS.
# The database stays the shared cache; this only saves a query per certificate and call.
_CRL_MEMO_SIZE = 256
_crl_memo: OrderedDict[str, tuple[bytes, datetime.datetime | None, float]] = OrderedDict()
_crl_memo_lock = threading.Lock()


def _memo_put(url: str, der: bytes, next_update: datetime.datetime | None) -> None:
    with _crl_memo_lock:
        _crl_memo[url] = (der, next_update, time.monotonic() + settings.ECUAPASS_CRL_MEMO_SECONDS)
        _crl_memo.move_to_end(url)
        while len(_crl_memo) > _CRL_MEMO_SIZE:
            _crl_memo.popitem(last=False)


class DatabaseCrlCache:
    """CRLs kept in the database until their nextUpdate, shared by every worker.

    Each process reuses what it read for up to ECUAPASS_CRL_MEMO_SECONDS (never past
    nextUpdate).
    """

    def get(self, url: str) -> bytes | None:
        with _crl_memo_lock:
            memo = _crl_memo.get(url)
        now = timezone.now()
        if memo is not None:
            der, next_update, until = memo
            if time.monotonic() < until and (next_update is None or next_update > now):
                return der
        row = CachedCrl.objects.filter(url=url).values_list("der", "next_update").first()
        if row is None or (row[1] is not None and row[1] <= now):
            return None
        _memo_put(url, bytes(row[0]), row[1])
        return bytes(row[0])

    def put(self, url: str, der: bytes, next_update: datetime.datetime | None) -> None:
        CachedCrl.objects.update_or_create(
            url=url, defaults={"der": der, "next_update": next_update, "fetched": timezone.now()}
        )
        _memo_put(url, der, next_update)


def crl_import(*, data: bytes) -> CachedCrl:
    """Keep an offline CRL (for CAs whose CRL host can't be reached); its issuer must be trusted."""
    try:
        crl = (
            x509.load_pem_x509_crl(data) if b"-----BEGIN" in data else x509.load_der_x509_crl(data)
        )
    except ValueError as exc:
        raise TrustStoreError("El archivo no es una CRL válida (DER o PEM).") from exc
    next_update = crl.next_update_utc
    if next_update is not None and next_update <= timezone.now():
        shown = timezone.localtime(next_update).strftime("%d/%m/%Y %H:%M")
        raise TrustStoreError(
            f"La CRL está vencida: su próxima actualización era el {shown} (hora de Ecuador) "
            "y no sirve para comprobar revocaciones. Descargue la CRL vigente de la entidad "
            "certificadora."
        )
    store = trust_store_load()
    issuer = next(
        (
            ca
            for ca in (*store.anchors, *store.intermediates)
            if ca.subject == crl.issuer and crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
        ),
        None,
    )
    if issuer is None:
        raise TrustStoreError(
            "La CRL no está firmada por ninguna autoridad del almacén de confianza."
        )
    der = crl.public_bytes(serialization.Encoding.DER)
    key = OFFLINE_CRL_PREFIX + issuer.fingerprint(hashes.SHA256()).hex()
    row, _ = CachedCrl.objects.update_or_create(
        url=key,
        defaults={"der": der, "next_update": crl.next_update_utc, "fetched": timezone.now()},
    )
    return row


def offline_crls() -> list[bytes]:
    return [
        bytes(der)
        for der in CachedCrl.objects.filter(url__startswith=OFFLINE_CRL_PREFIX).values_list(
            "der", flat=True
        )
    ]


def demo_ca_ensure(directory: Path) -> demo_pki.CertificateAndKey:
    """The demonstration CA of `make run`: kept on disk, trusted only as a DEMO anchor."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "ca-demo.pem", directory / "ca-demo-clave.pem"
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        ca: demo_pki.CertificateAndKey = (cert, key)  # type: ignore[assignment]
    else:
        ca = demo_pki.make_ca(DEMO_CA_NAME)
        cert_path.write_bytes(demo_pki.to_pem(ca[0]))
        key_path.write_bytes(demo_pki.private_key_pem(ca[1]))
        key_path.chmod(0o600)
    trust_anchors_import(data=demo_pki.to_pem(ca[0]), name=DEMO_CA_NAME, is_demo=True)
    return ca
