"""Chain of trust: a path from the holder's certificate to a trust anchor, checked for signing use.

``ChainOfTrustCheck`` builds candidate paths itself (bounded: pathological
uploads must answer in well under a second), runs its own checks with precise
Spanish findings (validity of every certificate, CA rights, key usage and
extended key usage of the holder, weak algorithms), then hands the chosen path
to pyhanko-certvalidator for the full RFC 5280 validation and, when the path is
valid, for revocation (revocation.py). See docs/certificate-validation.md.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko_certvalidator.authority import CertTrustAnchor
from pyhanko_certvalidator.context import ValidationContext
from pyhanko_certvalidator.errors import PathValidationError
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import NO_REVOCATION, CertRevTrustPolicy
from pyhanko_certvalidator.validate import async_validate_path

from registration.certificates.revocation import (
    CrlSource,
    RevocationPolicy,
    RevocationStatus,
    assess_revocation,
    certificate_label,
    revocation_finding,
    revocation_not_checked,
    run_coroutine,
    to_asn1,
)
from registration.certificates.verification import Finding, VerificationContext

logger = logging.getLogger(__name__)

# Bounds that keep hostile uploads cheap (real Ecuadorian chains have 1 or 2 intermediates).
MAX_UPLOADED_INTERMEDIATES = 10
MAX_PATH_INTERMEDIATES = 6
MAX_CANDIDATE_PATHS = 4
MAX_SEARCH_STEPS = 200

MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
WEAK_HASHES = frozenset({"md2", "md4", "md5", "sha1"})

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
MICROSOFT_DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
ADOBE_PDF_SIGNING = x509.ObjectIdentifier("1.2.840.113583.1.1.5")
ANY_EXTENDED_KEY_USAGE = x509.ObjectIdentifier("2.5.29.37.0")
SIGNING_EXTENDED_KEY_USAGES = frozenset(
    {
        ExtendedKeyUsageOID.EMAIL_PROTECTION,
        ExtendedKeyUsageOID.CLIENT_AUTH,
        MICROSOFT_DOCUMENT_SIGNING,
        ADOBE_PDF_SIGNING,
        ANY_EXTENDED_KEY_USAGE,
        DOCUMENT_SIGNING,
    }
)
_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "autenticación de servidor web (serverAuth)",
    ExtendedKeyUsageOID.CODE_SIGNING: "firma de código (codeSigning)",
    ExtendedKeyUsageOID.TIME_STAMPING: "sellado de tiempo (timeStamping)",
    ExtendedKeyUsageOID.OCSP_SIGNING: "firma de respuestas OCSP (OCSPSigning)",
}
_KEY_USAGE_NAMES = {
    "key_encipherment": "cifrado de clave (keyEncipherment)",
    "data_encipherment": "cifrado de datos (dataEncipherment)",
    "key_agreement": "acuerdo de claves (keyAgreement)",
    "key_cert_sign": "firma de certificados (keyCertSign)",
    "crl_sign": "firma de CRL (cRLSign)",
}

NameKey = tuple[tuple[tuple[str, str], ...], ...]


def _name_key(name: x509.Name) -> NameKey:
    """Names compared as RFC 5280 asks, roughly: per attribute, case and spacing folded."""
    return tuple(
        tuple(
            sorted(
                (attr.oid.dotted_string, " ".join(str(attr.value).split()).casefold())
                for attr in rdn
            )
        )
        for rdn in name.rdns
    )


def _format_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%d/%m/%Y %H:%M UTC")


def _signed_by(child: x509.Certificate, issuer: x509.Certificate) -> bool | None:
    """Whether ``issuer``'s key signed ``child``; None when it can't be told (unsupported)."""
    try:
        key = issuer.public_key()
        params = child.signature_algorithm_parameters
        digest = child.signature_hash_algorithm
        signature, data = child.signature, child.tbs_certificate_bytes
        # cryptography gives no parameters for legacy algorithms (e.g. ECDSA with SHA-1).
        if isinstance(key, rsa.RSAPublicKey):
            if digest is None:
                return None
            if not isinstance(params, padding.PKCS1v15 | padding.PSS):
                params = padding.PKCS1v15()
            key.verify(signature, data, params, digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            if not isinstance(params, ec.ECDSA):
                if digest is None:
                    return None
                params = ec.ECDSA(digest)
            key.verify(signature, data, params)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
        elif isinstance(key, dsa.DSAPublicKey) and digest is not None:
            key.verify(signature, data, digest)
        else:
            return None
    except InvalidSignature:
        return False
    except (UnsupportedAlgorithm, ValueError, TypeError):
        return None
    return True


@dataclass(eq=False)
class _Cert:
    cert: x509.Certificate
    fingerprint: bytes = field(init=False)
    subject: NameKey = field(init=False)
    issuer: NameKey = field(init=False)

    def __post_init__(self) -> None:
        self.fingerprint = self.cert.fingerprint(hashes.SHA256())
        self.subject = _name_key(self.cert.subject)
        self.issuer = _name_key(self.cert.issuer)

    @property
    def label(self) -> str:
        return certificate_label(self.cert)


@dataclass(frozen=True)
class _Path:
    intermediates: tuple[_Cert, ...]  # from the leaf's issuer upwards
    anchor: _Cert


@dataclass
class _Search:
    paths: list[_Path] = field(default_factory=list)
    too_long: bool = False
    dead_end: _Cert | None = None
    steps: int = 0


class _PathFinder:
    """Depth-first search for paths to an anchor, bounded in depth, count and steps."""

    def __init__(self, anchors: Sequence[_Cert], pool: Sequence[_Cert]) -> None:
        anchor_prints = {anchor.fingerprint for anchor in anchors}
        self.anchors: dict[NameKey, list[_Cert]] = {}
        for anchor in anchors:
            self.anchors.setdefault(anchor.subject, []).append(anchor)
        self.pool: dict[NameKey, list[_Cert]] = {}
        for cert in pool:
            if cert.fingerprint not in anchor_prints:
                self.pool.setdefault(cert.subject, []).append(cert)
        self._verified: dict[tuple[int, int], bool] = {}

    def _issued(self, child: _Cert, issuer: _Cert) -> bool:
        key = (id(child), id(issuer))
        if key not in self._verified:
            # An unverifiable (e.g. MD5) signature stays a candidate: the weak-algorithm
            # check then explains why the path fails.
            self._verified[key] = _signed_by(child.cert, issuer.cert) is not False
        return self._verified[key]

    def search(self, leaf: _Cert) -> _Search:
        found = _Search()
        self._walk(leaf, (), {leaf.fingerprint}, found)
        return found

    def _walk(
        self, node: _Cert, chain: tuple[_Cert, ...], seen: set[bytes], found: _Search
    ) -> None:
        if len(found.paths) >= MAX_CANDIDATE_PATHS or found.steps >= MAX_SEARCH_STEPS:
            return
        found.steps += 1
        issuers = 0
        for anchor in self.anchors.get(node.issuer, []):
            if self._issued(node, anchor):
                issuers += 1
                found.paths.append(_Path(chain, anchor))
        for candidate in self.pool.get(node.issuer, []):
            if candidate.fingerprint in seen or not self._issued(node, candidate):
                continue
            issuers += 1
            if len(chain) >= MAX_PATH_INTERMEDIATES:
                found.too_long = True
                continue
            seen.add(candidate.fingerprint)
            self._walk(candidate, (*chain, candidate), seen, found)
            seen.discard(candidate.fingerprint)
        if not issuers and found.dead_end is None:
            found.dead_end = node


# --- Individual checks ---------------------------------------------------------------------


def _role(cert: _Cert, *, is_leaf: bool) -> str:
    if is_leaf:
        return "El certificado"
    return f"El certificado de la autoridad de certificación «{cert.label}»"


def _validity(cert: _Cert, at: datetime, *, is_leaf: bool) -> list[Finding]:
    role = _role(cert, is_leaf=is_leaf)
    not_before, not_after = cert.cert.not_valid_before_utc, cert.cert.not_valid_after_utc
    if at < not_before:
        message = f"{role} aún no es válido: su vigencia empieza el {_format_moment(not_before)}."
        return [Finding("chain.not_yet_valid", message, ok=False)]
    if at > not_after:
        message = f"{role} venció el {_format_moment(not_after)}."
        return [Finding("chain.expired", message, ok=False)]
    return []


def _weakness(cert: _Cert, *, is_leaf: bool, check_signature: bool = True) -> list[Finding]:
    role = _role(cert, is_leaf=is_leaf)
    findings = []
    if check_signature:
        try:
            digest = cert.cert.signature_hash_algorithm
            digest_name = digest.name if digest is not None else ""
        except UnsupportedAlgorithm:
            digest_name = "desconocido"
        if digest_name in WEAK_HASHES or digest_name == "desconocido":
            shown = {"sha1": "SHA-1", "md5": "MD5"}.get(digest_name, digest_name.upper())
            message = (
                f"{role} está firmado con un algoritmo inseguro ({shown}); "
                "se exige SHA-256 o superior."
            )
            findings.append(Finding("chain.weak_algorithm", message, ok=False))
    try:
        key = cert.cert.public_key()
    except (UnsupportedAlgorithm, ValueError):
        message = f"{role} usa un tipo de clave no admitido."
        return [*findings, Finding("chain.weak_algorithm", message, ok=False)]
    weak = ""
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        weak = f"RSA de {key.key_size} bits; se exige al menos {MIN_RSA_BITS}"
    elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < MIN_EC_BITS:
        weak = f"curva elíptica de {key.curve.key_size} bits; se exige al menos {MIN_EC_BITS}"
    elif isinstance(key, dsa.DSAPublicKey):
        weak = "DSA, un algoritmo obsoleto"
    if weak:
        message = f"{role} tiene una clave demasiado débil ({weak})."
        findings.append(Finding("chain.weak_algorithm", message, ok=False))
    return findings


def _extension(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _key_usage_names(usage: x509.KeyUsage) -> list[str]:
    names = []
    for attribute, label in _KEY_USAGE_NAMES.items():
        try:
            if getattr(usage, attribute):
                names.append(label)
        except ValueError:
            continue
    return names


def _leaf_findings(leaf: _Cert, at: datetime) -> list[Finding]:
    """What makes the holder's certificate unfit by itself, whatever its chain."""
    findings = _validity(leaf, at, is_leaf=True)
    constraints = _extension(leaf.cert, x509.BasicConstraints)
    if isinstance(constraints, x509.BasicConstraints) and constraints.ca:
        message = (
            "El certificado subido es el de una autoridad de certificación, no el de una "
            "persona. Suba su propio certificado de firma electrónica."
        )
        findings.append(Finding("chain.leaf_is_ca", message, ok=False))
    usage = _extension(leaf.cert, x509.KeyUsage)
    if isinstance(usage, x509.KeyUsage) and not (
        usage.digital_signature or usage.content_commitment
    ):
        allowed = ", ".join(_key_usage_names(usage)) or "ningún uso"
        message = (
            "El certificado no está habilitado para firma electrónica: su uso de clave no "
            f"incluye firma digital (digitalSignature) ni no repudio (nonRepudiation); "
            f"solo permite {allowed}."
        )
        findings.append(Finding("chain.key_usage", message, ok=False))
    extended = _extension(leaf.cert, x509.ExtendedKeyUsage)
    if isinstance(extended, x509.ExtendedKeyUsage) and not (
        set(extended) & SIGNING_EXTENDED_KEY_USAGES
    ):
        allowed = ", ".join(_EKU_NAMES.get(oid, oid.dotted_string) for oid in extended)
        message = (
            "El certificado no está habilitado para firmar documentos: su uso extendido de "
            f"clave solo permite {allowed or 'ningún uso'}."
        )
        findings.append(Finding("chain.eku", message, ok=False))
    findings.extend(_weakness(leaf, is_leaf=True))
    return findings


def _authority_findings(path: _Path, at: datetime) -> list[Finding]:
    """Problems of the CA certificates on one candidate path."""
    findings: list[Finding] = []
    for cert in path.intermediates:
        findings.extend(_validity(cert, at, is_leaf=False))
        constraints = _extension(cert.cert, x509.BasicConstraints)
        usage = _extension(cert.cert, x509.KeyUsage)
        if not (isinstance(constraints, x509.BasicConstraints) and constraints.ca):
            message = (
                f"El certificado «{cert.label}» de la cadena no es de una autoridad de "
                "certificación (basicConstraints sin CA), así que no puede emitir certificados."
            )
            findings.append(Finding("chain.not_ca", message, ok=False))
        elif isinstance(usage, x509.KeyUsage) and not usage.key_cert_sign:
            message = (
                f"La autoridad de certificación «{cert.label}» no está autorizada a firmar "
                "certificados (su uso de clave no incluye keyCertSign)."
            )
            findings.append(Finding("chain.not_ca", message, ok=False))
        findings.extend(_weakness(cert, is_leaf=False))
    findings.extend(_validity(path.anchor, at, is_leaf=False))
    # The anchor's self-signature proves nothing; its key strength matters.
    findings.extend(_weakness(path.anchor, is_leaf=False, check_signature=False))
    return findings


def _path_description(leaf: _Cert, path: _Path) -> Finding:
    names = [f"«{path.anchor.label}» (raíz de confianza)"]
    names += [f"«{cert.label}»" for cert in reversed(path.intermediates)]
    names.append(f"«{leaf.label}» (titular)")
    message = "Cadena de certificación: " + " → ".join(names) + "."
    return Finding("chain.path", message, ok=True)


def _untrusted(search: _Search) -> Finding:
    message = (
        "El certificado no proviene de una autoridad de certificación reconocida por el SENAE."
    )
    end = search.dead_end
    if end is not None:
        if end.subject == end.issuer:
            message += f" Su autoridad raíz «{end.label}» no está en el almacén de confianza."
        else:
            issuer = _name_label(end.cert.issuer)
            message += (
                f" No se encontró el certificado de su emisor «{issuer}»; si su entidad "
                "certificadora le entregó certificados intermedios, súbalos junto con el suyo."
            )
    return Finding("chain.untrusted_root", message, ok=False)


def _name_label(name: x509.Name) -> str:
    names = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else name.rfc4514_string()


async def _pkix_problem(leaf: _Cert, path: _Path, at: datetime) -> str | None:
    """pyhanko's RFC 5280 verdict on one path (no revocation): None when valid."""
    anchor = CertTrustAnchor(to_asn1(path.anchor.cert))
    top_down = [to_asn1(cert.cert) for cert in reversed(path.intermediates)]
    context = ValidationContext(
        trust_roots=[anchor],
        other_certs=top_down,
        moment=at,
        revinfo_policy=CertRevTrustPolicy(NO_REVOCATION),
    )
    try:
        await async_validate_path(context, ValidationPath(anchor, top_down, to_asn1(leaf.cert)))
    except PathValidationError as error:
        return str(error)
    except ValueError as error:  # malformed extensions and the like
        return f"{type(error).__name__}: {error}"
    return None


class ChainOfTrustCheck:
    """The certificate chains to a trust anchor, is fit for signing and (per policy) not revoked."""

    def __init__(
        self,
        *,
        trust_anchors: Sequence[x509.Certificate],
        extra_intermediates: Sequence[x509.Certificate] = (),
        revocation: RevocationPolicy,
        crl_source: CrlSource | None,
    ) -> None:
        self.anchors = [_Cert(cert) for cert in _unique(trust_anchors)]
        self.extra_intermediates = [_Cert(cert) for cert in _unique(extra_intermediates)]
        self.revocation = revocation
        self.crl_source = crl_source

    def run(self, cert: x509.Certificate, context: VerificationContext) -> list[Finding]:
        try:
            return self._run(cert, context)
        except Exception:
            logger.exception("Chain of trust check failed unexpectedly")
            message = "No se pudo completar la verificación de la cadena de certificación."
            return [
                Finding("chain.error", message, ok=False),
                revocation_not_checked(disabled=False),
            ]

    def _run(self, cert: x509.Certificate, context: VerificationContext) -> list[Finding]:
        leaf = _Cert(cert)
        findings: list[Finding] = []
        uploaded = [c for c in _unique(context.intermediates) if c != cert]
        if len(uploaded) > MAX_UPLOADED_INTERMEDIATES:
            message = (
                f"El archivo contiene demasiados certificados ({len(uploaded) + 1}); solo se "
                f"consideraron los primeros {MAX_UPLOADED_INTERMEDIATES}. Suba solo su "
                "certificado y, si hace falta, los de su entidad certificadora."
            )
            findings.append(Finding("chain.too_long", message, ok=False))
            uploaded = uploaded[:MAX_UPLOADED_INTERMEDIATES]
        findings.extend(_leaf_findings(leaf, context.at))
        pool = [_Cert(c) for c in uploaded] + self.extra_intermediates
        search = _PathFinder(self.anchors, pool).search(leaf)
        chosen, path_findings = self._choose(leaf, search, context.at, leaf_ok=not findings)
        findings.extend(path_findings)
        if chosen is None or any(not finding.ok for finding in findings):
            return [*findings, revocation_not_checked(disabled=False)]
        message = (
            "El certificado proviene de una autoridad de certificación reconocida por el SENAE "
            "y su cadena de certificación es válida."
        )
        findings += [Finding("chain.ok", message, ok=True), _path_description(leaf, chosen)]
        return [*findings, self._revocation(leaf, chosen, context.at)]

    def _choose(
        self, leaf: _Cert, search: _Search, at: datetime, *, leaf_ok: bool
    ) -> tuple[_Path | None, list[Finding]]:
        """The first candidate path without problems, else the first path's problems."""
        if not search.paths:
            if search.too_long or search.steps >= MAX_SEARCH_STEPS:
                message = (
                    "La cadena de certificados es demasiado larga o compleja para verificarse "
                    f"(más de {MAX_PATH_INTERMEDIATES} autoridades intermedias)."
                )
                return None, [Finding("chain.too_long", message, ok=False)]
            return None, [_untrusted(search)]
        first_problems: list[Finding] | None = None
        for path in search.paths:
            problems = _authority_findings(path, at)
            if not problems and leaf_ok:
                detail = run_coroutine(partial(_pkix_problem, leaf, path, at))
                if detail is not None:
                    logger.info("Path rejected by RFC 5280 validation: %s", detail)
                    message = (
                        "La cadena de certificación no es válida según RFC 5280 "
                        f"(detalle técnico: {detail})."
                    )
                    problems = [Finding("chain.invalid", message, ok=False)]
            if not problems:
                return path, []
            if first_problems is None:
                first_problems = problems
        return search.paths[0], first_problems or []

    def _revocation(self, leaf: _Cert, path: _Path, at: datetime) -> Finding:
        if self.revocation.mode == "disabled":
            return revocation_not_checked(disabled=True)
        try:
            status = assess_revocation(
                leaf=leaf.cert,
                intermediates=[cert.cert for cert in path.intermediates],
                anchor=path.anchor.cert,
                at=at,
                policy=self.revocation,
                crl_source=self.crl_source,
            )
        except Exception:
            logger.exception("Revocation check failed unexpectedly")
            detail = "ocurrió un error al consultar su estado de revocación"
            status = RevocationStatus("unknown", leaf.cert, is_leaf=True, detail=detail)
        return revocation_finding(status, self.revocation)


def _unique(certs: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    seen: set[bytes] = set()
    unique = []
    for cert in certs:
        fingerprint = cert.fingerprint(hashes.SHA256())
        if fingerprint not in seen:
            seen.add(fingerprint)
            unique.append(cert)
    return unique
