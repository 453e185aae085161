"""A test PKI with chains: roots, intermediates, signing leaves, CRLs, and a local HTTP server.

Unlike registration.demo_pki (one CA, EC keys, fixed extensions), these builders
set CRL distribution points, AIA OCSP URLs, key usage and EKU, can use RSA keys
of any size, and can sign with SHA-1 or MD5 (which cryptography refuses to do, so the
signature is made by hand over the re-encoded TBS).

The HTTP server listens on 127.0.0.1 only, on an ephemeral port.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from registration.demo_pki import BCE_ARC, COMPANY_RUC, DEFAULT_CEDULA, der_string

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
KeyKind = Literal["ec256", "ec192", "rsa1024", "rsa2048"]
HashName = Literal["sha256", "sha1", "md5"]

SIGNING_USAGE = ("digital_signature", "content_commitment")
KEY_USAGE_FIELDS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)
EMAIL_PROTECTION = ExtendedKeyUsageOID.EMAIL_PROTECTION
SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH

_RSA_KEYS: dict[int, rsa.RSAPrivateKey] = {}


def new_key(kind: KeyKind = "ec256") -> PrivateKey:
    if kind == "ec256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "ec192":
        return ec.generate_private_key(ec.SECP192R1())
    bits = 1024 if kind == "rsa1024" else 2048
    # RSA generation is slow; tests don't care that two certificates share a key.
    if bits not in _RSA_KEYS:
        _RSA_KEYS[bits] = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return _RSA_KEYS[bits]


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "EC"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization or common_name),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def key_usage(*names: str) -> x509.KeyUsage:
    unknown = set(names) - set(KEY_USAGE_FIELDS)
    if unknown:
        raise ValueError(f"unknown key usages {unknown}")
    return x509.KeyUsage(**{field: field in names for field in KEY_USAGE_FIELDS})


def _resign_legacy(
    cert: x509.Certificate, key: PrivateKey, hash_name: HashName
) -> x509.Certificate:
    """The same certificate signed with SHA-1 or MD5 (cryptography only signs with SHA-2)."""
    parsed = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    tbs = parsed["tbs_certificate"]
    digest = hashes.SHA1() if hash_name == "sha1" else hashes.MD5()  # noqa: S303
    if isinstance(key, rsa.RSAPrivateKey):
        algorithm = algos.SignedDigestAlgorithm({"algorithm": f"{hash_name}_rsa"})
    elif hash_name == "sha1":
        algorithm = algos.SignedDigestAlgorithm({"algorithm": "sha1_ecdsa"})
    else:
        raise ValueError("MD5 signatures need an RSA issuer key")
    tbs["signature"] = algorithm
    data = tbs.dump(force=True)
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(data, padding.PKCS1v15(), digest)
    else:
        signature = key.sign(data, ec.ECDSA(digest))
    rebuilt = asn1_x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": signature}
    )
    return x509.load_der_x509_certificate(rebuilt.dump())


def _revocation_pointers(
    builder: x509.CertificateBuilder, crl_urls: Sequence[str], ocsp_url: str | None
) -> x509.CertificateBuilder:
    if crl_urls:
        points = [
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(url)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
            for url in crl_urls
        ]
        builder = builder.add_extension(x509.CRLDistributionPoints(points), critical=False)
    if ocsp_url:
        access = x509.AccessDescription(
            x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
        )
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    return builder


def _sign(
    builder: x509.CertificateBuilder, issuer_key: PrivateKey, hash_name: HashName
) -> x509.Certificate:
    cert = builder.sign(issuer_key, hashes.SHA256())
    return cert if hash_name == "sha256" else _resign_legacy(cert, issuer_key, hash_name)


def make_root(
    name: str = "Autoridad Raíz de Pruebas",
    *,
    key_kind: KeyKind = "ec256",
    key: PrivateKey | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> Issued:
    key = key or new_key(key_kind)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=365))
        .not_valid_after(not_after or now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(key_usage("key_cert_sign", "crl_sign"), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return Issued(builder.sign(key, hashes.SHA256()), key)


def make_intermediate(
    issuer: Issued,
    name: str = "Autoridad Subordinada de Pruebas",
    *,
    ca: bool = True,
    key_kind: KeyKind = "ec256",
    key: PrivateKey | None = None,
    issuer_name: x509.Name | None = None,
    crl_urls: Sequence[str] = (),
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    hash_name: HashName = "sha256",
    authority_key_id: bool = False,
) -> Issued:
    """A sub-CA; ``ca=False`` makes one without CA rights (basicConstraints CA=false).

    ``authority_key_id`` adds an AKI naming the issuer's key, as real sub-CAs carry.
    """
    key = key or new_key(key_kind)
    now = datetime.now(UTC)
    usage = key_usage("key_cert_sign", "crl_sign") if ca else key_usage("digital_signature")
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(issuer_name or issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=300))
        .not_valid_after(not_after or now + timedelta(days=1800))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if authority_key_id:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    builder = _revocation_pointers(builder, crl_urls, None)
    return Issued(_sign(builder, issuer.key, hash_name), key)


def make_signing_leaf(
    issuer: Issued,
    *,
    cedula: str = DEFAULT_CEDULA,
    ruc: str = COMPANY_RUC,
    usage: Sequence[str] | None = SIGNING_USAGE,
    eku: Sequence[x509.ObjectIdentifier] | None = (EMAIL_PROTECTION,),
    crl_urls: Sequence[str] = (),
    ocsp_url: str | None = None,
    key_kind: KeyKind = "ec256",
    key: PrivateKey | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    hash_name: HashName = "sha256",
) -> Issued:
    """A holder's signing certificate with both identity layouts (subject and BCE legacy arc).

    ``usage=None`` or ``eku=None`` leave the extension out.
    """
    key = key or new_key(key_kind)
    now = datetime.now(UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "EC"),
            x509.NameAttribute(NameOID.COMMON_NAME, "JUAN CARLOS PÉREZ GÓMEZ"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"IDCEC-{cedula}"),
            x509.NameAttribute(NameOID.GIVEN_NAME, "JUAN CARLOS"),
            x509.NameAttribute(NameOID.SURNAME, "PÉREZ GÓMEZ"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "IMPORTADORA ANDINA S.A."),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"VATEC-{ruc}"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=30))
        .not_valid_after(not_after or now + timedelta(days=700))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    )
    if usage is not None:
        builder = builder.add_extension(key_usage(*usage), critical=True)
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    for suffix, value in (("3.1", cedula), ("3.2", "JUAN CARLOS"), ("3.11", ruc)):
        builder = builder.add_extension(
            x509.UnrecognizedExtension(
                x509.ObjectIdentifier(f"{BCE_ARC}.{suffix}"), der_string(value)
            ),
            critical=False,
        )
    builder = _revocation_pointers(builder, crl_urls, ocsp_url)
    return Issued(_sign(builder, issuer.key, hash_name), key)


def make_crl(
    issuer: Issued,
    *,
    revoked: Sequence[tuple[x509.Certificate, datetime, x509.ReasonFlags]] = (),
    this_update: datetime | None = None,
    next_update: datetime | None = None,
    signing_key: PrivateKey | None = None,
) -> bytes:
    """A DER CRL issued by ``issuer`` (signed by ``signing_key`` to forge one)."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(this_update or now - timedelta(minutes=10))
        .next_update(next_update or now + timedelta(days=1))
        .add_extension(x509.CRLNumber(1), critical=False)
    )
    for cert, when, reason in revoked:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(when)
            .add_extension(x509.CRLReason(reason), critical=False)
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(signing_key or issuer.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def ocsp_responder(
    issuer: Issued, *, revoked: dict[int, tuple[datetime, x509.ReasonFlags]] | None = None
) -> Callable[[bytes], bytes]:
    """An OCSP responder body for ``LocalServer``: answers for ``issuer``'s certificates."""
    revoked = revoked or {}

    def answer(body: bytes) -> bytes:
        request = ocsp.load_der_ocsp_request(body)
        now = datetime.now(UTC)
        serial = request.serial_number
        status = ocsp.OCSPCertStatus.REVOKED if serial in revoked else ocsp.OCSPCertStatus.GOOD
        when, reason = revoked.get(serial, (None, None))
        response = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=request.issuer_name_hash,
                issuer_key_hash=request.issuer_key_hash,
                serial_number=serial,
                algorithm=request.hash_algorithm,
                cert_status=status,
                this_update=now - timedelta(minutes=1),
                next_update=now + timedelta(hours=1),
                revocation_time=when,
                revocation_reason=reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert)
            .sign(issuer.key, hashes.SHA256())
        )
        return response.public_bytes(serialization.Encoding.DER)

    return answer


# --- A local HTTP server ---------------------------------------------------------------

Route = bytes | Callable[[bytes], bytes] | tuple[int, dict[str, str], bytes]


class LocalServer:
    """Serves fixed bodies (or computed ones, for POST) at paths on 127.0.0.1; counts requests."""

    def __init__(self, routes: dict[str, Route] | None = None, *, delay: float = 0.0) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.hits: Counter[str] = Counter()
        self.delay = delay
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body: bytes) -> None:
                server.hits[self.path] += 1
                if server.delay:
                    threading.Event().wait(server.delay)
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                status, payload = 200, b""
                headers: dict[str, str] = {}
                if isinstance(route, tuple):
                    status, headers, payload = route
                elif callable(route):
                    payload = route(body)
                else:
                    payload = route
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._answer(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._answer(self.rfile.read(length))

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@contextmanager
def local_server(
    routes: dict[str, Route] | None = None, *, delay: float = 0.0
) -> Iterator[LocalServer]:
    with LocalServer(routes, delay=delay) as server:
        yield server


def refused_url(path: str = "/ca.crl") -> str:
    """An http URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
