"""Whether the certificates on a path are fit for signing, with precise Spanish findings.

Validity of every certificate, CA rights of the intermediates, key usage and
extended key usage of the holder, weak signature hashes and keys. Used by
``ChainOfTrustCheck`` (chain.py) with cryptography's RFC 5280 verdict (pkix.py). See
docs/certificate-validation.md.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from registration.certificates.loading import can_sign_certificates
from registration.certificates.paths import CandidateCert, CandidatePath
from registration.certificates.verification import Finding

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


def _format_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%d/%m/%Y %H:%M UTC")


def _role(cert: CandidateCert, *, is_leaf: bool) -> str:
    if is_leaf:
        return "El certificado"
    return f"El certificado de la autoridad de certificación «{cert.label}»"


def _validity(cert: CandidateCert, at: datetime, *, is_leaf: bool) -> list[Finding]:
    # Certificate times have whole seconds (RFC 5280 §4.1.2.5); cryptography drops any fraction.
    at = at.replace(microsecond=0)
    not_before, not_after = cert.cert.not_valid_before_utc, cert.cert.not_valid_after_utc
    if at < not_before:
        role = _role(cert, is_leaf=is_leaf)
        message = f"{role} aún no es válido: su vigencia empieza el {_format_moment(not_before)}."
        return [Finding("chain.not_yet_valid", message, ok=False)]
    if at > not_after:
        role = _role(cert, is_leaf=is_leaf)
        message = f"{role} venció el {_format_moment(not_after)}."
        return [Finding("chain.expired", message, ok=False)]
    return []


def _has_explicit_curve(cert: x509.Certificate) -> bool:
    """An EC key given by explicit (or inherited) domain parameters; RFC 5480 allows named only.

    cryptography maps well-known explicit parameters to a named curve, so the
    SubjectPublicKeyInfo is read as it was encoded.
    """
    der = cert.public_bytes(serialization.Encoding.DER)
    spki = asn1_x509.Certificate.load(der)["tbs_certificate"]["subject_public_key_info"][
        "algorithm"
    ]
    return spki["algorithm"].native == "ec" and spki["parameters"].name != "named"


def _weakness(cert: CandidateCert, *, is_leaf: bool, check_signature: bool = True) -> list[Finding]:
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
    if isinstance(key, ec.EllipticCurvePublicKey) and _has_explicit_curve(cert.cert):
        message = (
            f"{role} usa una clave de curva elíptica con parámetros explícitos; solo se "
            "admiten curvas con nombre (RFC 5480)."
        )
        return [*findings, Finding("chain.weak_algorithm", message, ok=False)]
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


def _malformed(cert: CandidateCert, *, is_leaf: bool) -> Finding | None:
    """Extensions that don't parse (bad DER, a repeated extension, empty sequences)."""
    try:
        cert.cert.extensions  # noqa: B018 - parsing is the check
    except (
        ValueError,
        TypeError,  # e.g. an IP name constraint that is not address + mask
        x509.DuplicateExtension,
        x509.UnsupportedGeneralNameType,
    ) as error:
        message = (
            f"{_role(cert, is_leaf=is_leaf)} tiene extensiones mal formadas o repetidas, "
            f"así que no puede aceptarse (detalle técnico: {error})."
        )
        return Finding("chain.malformed", message, ok=False)
    return None


# RFC 1034 §3.5 preferred name syntax as modified by RFC 1123 §2.1: letters, digits, hyphens.
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def _is_hostname(name: str, *, wildcard: bool = False) -> bool:
    if wildcard and name.startswith("*."):
        name = name[2:]
    labels = name.split(".")
    return (
        len(name) <= 253
        and all(_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()  # an IP address is not a domain name
    )


def _is_mailbox(name: str) -> bool:
    local, at, domain = name.partition("@")
    return bool(local and at) and "@" not in domain and _is_hostname(domain)


def _malformed_names(leaf: CandidateCert) -> Finding | None:
    """A holder without a name, or whose subjectAltName values break RFC 5280 §4.2.1.6.

    Such values could otherwise slip past a CA's name constraints.
    """
    if not len(leaf.cert.subject):
        message = (
            "El certificado no identifica a su titular: su nombre (subject) está vacío. Un "
            "certificado de firma electrónica debe nombrar a la persona."
        )
        return Finding("chain.no_subject", message, ok=False)
    names = _extension(leaf.cert, x509.SubjectAlternativeName)
    if not isinstance(names, x509.SubjectAlternativeName):
        return None
    bad = [
        value
        for value in names.get_values_for_type(x509.DNSName)
        if not _is_hostname(value, wildcard=True)
    ] + [value for value in names.get_values_for_type(x509.RFC822Name) if not _is_mailbox(value)]
    if not bad:
        return None
    message = (
        "El certificado tiene nombres alternativos (subjectAltName) mal formados "
        f"({', '.join(bad[:3])}), así que no puede aceptarse."
    )
    return Finding("chain.malformed", message, ok=False)


def _key_usage_names(usage: x509.KeyUsage) -> list[str]:
    names = []
    for attribute, label in _KEY_USAGE_NAMES.items():
        try:
            if getattr(usage, attribute):
                names.append(label)
        except ValueError:
            continue
    return names


def leaf_findings(leaf: CandidateCert, at: datetime) -> list[Finding]:
    """What makes the holder's certificate unfit by itself, whatever its chain."""
    findings = _validity(leaf, at, is_leaf=True)
    malformed = _malformed(leaf, is_leaf=True)
    if malformed is not None:
        return [*findings, malformed, *_weakness(leaf, is_leaf=True)]
    names = _malformed_names(leaf)
    if names is not None:
        findings.append(names)
    if can_sign_certificates(leaf.cert):
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


# Extensions an anchor may mark critical: those RFC 5280 path validation processes.
_KNOWN_CRITICAL = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.NAME_CONSTRAINTS,
        ExtensionOID.POLICY_CONSTRAINTS,
        ExtensionOID.POLICY_MAPPINGS,
        ExtensionOID.INHIBIT_ANY_POLICY,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    }
)


def _ca_rights(cert: CandidateCert, *, is_anchor: bool) -> list[Finding]:
    """basicConstraints cA=TRUE, keyCertSign if keyUsage is present, and a non-empty subject."""
    who = f"La raíz de confianza «{cert.label}»" if is_anchor else f"El certificado «{cert.label}»"
    constraints = _extension(cert.cert, x509.BasicConstraints)
    usage = _extension(cert.cert, x509.KeyUsage)
    findings = []
    if not (isinstance(constraints, x509.BasicConstraints) and constraints.ca):
        message = (
            f"{who} de la cadena no es de una autoridad de certificación (basicConstraints "
            "sin CA), así que no puede emitir certificados."
        )
        findings.append(Finding("chain.not_ca", message, ok=False))
    elif isinstance(usage, x509.KeyUsage) and not usage.key_cert_sign:
        message = (
            f"{who} no está autorizada a firmar certificados (su uso de clave no incluye "
            "keyCertSign)."
        )
        findings.append(Finding("chain.not_ca", message, ok=False))
    if not len(cert.cert.subject):
        message = (
            "Un certificado de autoridad de la cadena tiene el nombre (subject) vacío, lo que "
            "RFC 5280 prohíbe para una autoridad de certificación."
        )
        findings.append(Finding("chain.invalid", message, ok=False))
    return findings


def _anchor_findings(anchor: CandidateCert, at: datetime) -> list[Finding]:
    """The anchor's own profile counts (RFC 5280 §6.1.1(d), as pyca and webpki apply it)."""
    findings = _validity(anchor, at, is_leaf=False)
    malformed = _malformed(anchor, is_leaf=False)
    if malformed is not None:
        return [*findings, malformed]
    findings.extend(_ca_rights(anchor, is_anchor=True))
    unknown = [
        extension.oid.dotted_string
        for extension in anchor.cert.extensions
        if extension.critical and extension.oid not in _KNOWN_CRITICAL
    ]
    if unknown:
        message = (
            f"La raíz de confianza «{anchor.label}» tiene extensiones críticas que el "
            f"verificador no reconoce ({', '.join(unknown)}), así que no puede usarse."
        )
        findings.append(Finding("chain.invalid", message, ok=False))
    # The anchor's self-signature proves nothing; its key strength matters.
    findings.extend(_weakness(anchor, is_leaf=False, check_signature=False))
    return findings


def authority_findings(path: CandidatePath, at: datetime) -> list[Finding]:
    """Problems of the CA certificates on one candidate path, the trust anchor included."""
    findings: list[Finding] = []
    for cert in path.intermediates:
        findings.extend(_validity(cert, at, is_leaf=False))
        malformed = _malformed(cert, is_leaf=False)
        if malformed is not None:
            findings += [malformed, *_weakness(cert, is_leaf=False)]
            continue
        findings.extend(_ca_rights(cert, is_anchor=False))
        findings.extend(_weakness(cert, is_leaf=False))
    findings.extend(_anchor_findings(path.anchor, at))
    return findings
