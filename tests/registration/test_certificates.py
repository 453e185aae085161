"""Uploaded certificates: what is refused, which identity is read, how it is verified."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from registration.certificates import (
    MESSAGE_INVALID,
    CertificateFileError,
    CertificateIdentity,
    Finding,
    IdentityMatchCheck,
    ValidityWindowCheck,
    VerificationContext,
    decode_der_string,
    load_certificate,
    read_identity,
    verify_certificate,
)
from tests.support.pki import (
    BCE_ARC,
    COMPANY_RUC,
    CONSEJO_JUDICATURA_ARC,
    DEFAULT_CEDULA,
    DEFAULT_RUC,
    SECURITY_DATA_ARC,
    CertificateAndKey,
    der_string,
    make_ca,
    make_leaf,
    make_pkcs12,
    private_key_pem,
    to_der,
    to_pem,
)


@pytest.fixture(scope="module")
def ca() -> CertificateAndKey:
    return make_ca()


@pytest.fixture(scope="module")
def leaf(ca: CertificateAndKey) -> CertificateAndKey:
    return make_leaf(ca)


def _refusal(data: bytes, **kwargs: int) -> CertificateFileError:
    with pytest.raises(CertificateFileError) as error:
        load_certificate(data, **kwargs)
    return error.value


# --- Loading ------------------------------------------------------------------


def test_der_certificate_is_loaded(leaf: CertificateAndKey) -> None:
    assert load_certificate(to_der(leaf[0])) == leaf[0]


def test_pem_certificate_is_loaded(leaf: CertificateAndKey) -> None:
    assert load_certificate(to_pem(leaf[0])) == leaf[0]


def test_pem_with_text_before_the_block_is_loaded(leaf: CertificateAndKey) -> None:
    data = b"Bag Attributes\n    friendlyName: firma\n" + to_pem(leaf[0])
    assert load_certificate(data) == leaf[0]


def test_pem_bundle_yields_the_end_entity_certificate(
    ca: CertificateAndKey, leaf: CertificateAndKey
) -> None:
    assert load_certificate(to_pem(ca[0]) + to_pem(leaf[0])) == leaf[0]


def test_pem_bundle_of_only_ca_certificates_is_refused(ca: CertificateAndKey) -> None:
    # It used to yield the first CA certificate; an upload without the holder's is now refused.
    other_ca = make_ca("Otra CA")
    assert _refusal(to_pem(ca[0]) + to_pem(other_ca[0])).code == "ca_certificate"


@pytest.mark.parametrize("password", [b"clave", None])
def test_pkcs12_is_refused_asking_for_the_public_certificate(
    leaf: CertificateAndKey, password: bytes | None
) -> None:
    error = _refusal(make_pkcs12(*leaf, password=password))
    assert error.code == "pkcs12"
    assert ".cer" in error.message
    assert "clave privada" in error.message


def test_truncated_pkcs12_is_still_recognised(leaf: CertificateAndKey) -> None:
    data = make_pkcs12(*leaf)
    assert _refusal(data[: len(data) // 2]).code == "pkcs12"


def test_pem_with_private_key_is_refused(leaf: CertificateAndKey) -> None:
    error = _refusal(to_pem(leaf[0]) + private_key_pem(leaf[1]))
    assert error.code == "private_key"
    assert ".cer" in error.message


def test_empty_file_is_refused() -> None:
    error = _refusal(b"")
    assert error.code == "empty"
    assert "vacío" in error.message


@pytest.mark.parametrize(
    "data",
    [
        b"esto no es un certificado",
        b"\x30\x82\xff\xff\x00",
        bytes(range(256)),
        b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
    ],
)
def test_garbage_is_refused(data: bytes) -> None:
    error = _refusal(data)
    assert error.code == "invalid"
    assert (
        error.message
        == MESSAGE_INVALID
        == "El archivo no es un certificado X.509 válido (DER o PEM)."
    )


@pytest.mark.parametrize("cut", [1, 10, 100])
def test_truncated_der_is_refused(leaf: CertificateAndKey, cut: int) -> None:
    assert _refusal(to_der(leaf[0])[:-cut]).message == MESSAGE_INVALID


def test_der_with_trailing_bytes_is_refused(leaf: CertificateAndKey) -> None:
    assert _refusal(to_der(leaf[0]) + b"\x00").code == "invalid"


def test_file_over_the_size_limit_is_refused(leaf: CertificateAndKey) -> None:
    data = to_der(leaf[0])
    error = _refusal(data, max_size=len(data) - 1)
    assert error.code == "too_large"
    assert "demasiado grande" in error.message
    assert load_certificate(data, max_size=len(data)) == leaf[0]


def test_certificate_file_error_is_a_value_error() -> None:
    assert issubclass(CertificateFileError, ValueError)


# --- DER string values --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"\x0c\x06P\xc3\x89REZ", "PÉREZ"),
        (b"\x13\x0a1714307103", "1714307103"),
        (b"\x16\x02EC", "EC"),
        (b"\x1e\x04\x00E\x00C", "EC"),
        (b"1714307103", "1714307103"),
        (b"P\xc3\x89REZ", "PÉREZ"),
        (b"\x0c\x09PEREZ", "PEREZ"),  # declared length wrong: read as raw text
    ],
)
def test_legacy_values_are_decoded(raw: bytes, text: str) -> None:
    assert decode_der_string(raw) == text


# --- Identity -----------------------------------------------------------------


def test_identity_from_the_bce_legacy_layout(leaf: CertificateAndKey) -> None:
    identity = read_identity(leaf[0])
    assert identity == CertificateIdentity(
        cedula=DEFAULT_CEDULA,
        passport=None,
        given_names="JUAN CARLOS",
        surnames="PÉREZ GÓMEZ",
        ruc=DEFAULT_RUC,
        razon_social="PÉREZ GÓMEZ JUAN CARLOS",
        cargo="GERENTE GENERAL",
        country="ECUADOR",
        ca_name="Banco Central del Ecuador",
        layout="legacy",
    )
    assert identity.full_name == "JUAN CARLOS PÉREZ GÓMEZ"


def test_identity_from_the_consejo_de_la_judicatura_arc(ca: CertificateAndKey) -> None:
    cert, _ = make_leaf(
        ca,
        arc=CONSEJO_JUDICATURA_ARC,
        ruc=COMPANY_RUC,
        razon_social="ADUANAS DEL PACÍFICO S.A.",
        legacy_encoding="printable",
        given_names="MARIA",
        surnames="LOPEZ",
    )
    identity = read_identity(cert)
    assert identity.layout == "legacy"
    assert identity.ca_name == "Consejo de la Judicatura"
    assert identity.cedula == DEFAULT_CEDULA
    assert identity.ruc == COMPANY_RUC
    assert identity.razon_social == "ADUANAS DEL PACÍFICO S.A."
    assert (identity.given_names, identity.surnames) == ("MARIA", "LOPEZ")


def test_identity_from_raw_legacy_values(ca: CertificateAndKey) -> None:
    cert, _ = make_leaf(ca, legacy_encoding="raw")
    identity = read_identity(cert)
    assert identity.cedula == DEFAULT_CEDULA
    assert identity.surnames == "PÉREZ GÓMEZ"


def test_legacy_passport_is_read_as_passport(ca: CertificateAndKey) -> None:
    cert, _ = make_leaf(ca, cedula=None, passport="AB123456", ruc=None)
    identity = read_identity(cert)
    assert (identity.cedula, identity.passport, identity.ruc) == (None, "AB123456", None)


def test_identity_from_the_subject_layout(ca: CertificateAndKey) -> None:
    cert, _ = make_leaf(ca, layout="subject", ruc=COMPANY_RUC, razon_social="ADUANAS S.A.")
    identity = read_identity(cert)
    assert identity.layout == "subject"
    assert identity.cedula == DEFAULT_CEDULA
    assert identity.ruc == COMPANY_RUC
    assert identity.razon_social == "ADUANAS S.A."
    assert identity.cargo == "GERENTE GENERAL"
    assert (identity.given_names, identity.surnames) == ("JUAN CARLOS", "PÉREZ GÓMEZ")
    assert identity.country == "EC"
    assert identity.ca_name == "CA de pruebas"


def test_passport_from_the_subject_layout(ca: CertificateAndKey) -> None:
    cert, _ = make_leaf(ca, layout="subject", cedula=None, passport="XY987654", ruc=None)
    identity = read_identity(cert)
    assert (identity.cedula, identity.passport) == (None, "XY987654")


def test_security_data_non_identity_serial_number_is_ignored(ca: CertificateAndKey) -> None:
    cert, _ = make_leaf(
        ca, layout="subject", cedula=None, ruc=None, subject_serial_number="0000123456"
    )
    identity = read_identity(cert)
    assert (identity.cedula, identity.passport, identity.ruc) == (None, None, None)
    assert identity.layout == "none"


def test_security_data_legacy_identity_wins_over_its_serial_number(
    ca: CertificateAndKey,
) -> None:
    cert, _ = make_leaf(ca, arc=SECURITY_DATA_ARC, subject_serial_number="1122334455")
    identity = read_identity(cert)
    assert identity.cedula == DEFAULT_CEDULA
    assert identity.ca_name == "Security Data"


def test_legacy_values_are_preferred(ca: CertificateAndKey) -> None:
    identity = read_identity(make_leaf(ca, layout="both")[0])
    assert identity.layout == "legacy"
    assert identity.country == "ECUADOR"  # from the extension, not the subject's C=EC
    assert identity.cedula == DEFAULT_CEDULA


def test_subject_fills_the_fields_missing_from_the_extensions(ca: CertificateAndKey) -> None:
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "IDCEC-0926687856"),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"VATEC-{COMPANY_RUC}"),
            x509.NameAttribute(NameOID.SURNAME, "LOPEZ"),
            x509.NameAttribute(NameOID.COMMON_NAME, "ANA LOPEZ"),
        ]
    )
    given_names = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.3.6.1.4.1.61305.3.2"), der_string("ANA MARIA")
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(given_names, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    identity = read_identity(cert)
    assert identity.layout == "subject"  # mixed: the layout that gave the cédula
    assert identity.ca_name == "FirmaSegura"
    assert identity.given_names == "ANA MARIA"
    assert (identity.cedula, identity.ruc, identity.surnames) == (
        "0926687856",
        COMPANY_RUC,
        "LOPEZ",
    )


def test_certificate_without_identity_reads_layout_none(ca: CertificateAndKey) -> None:
    identity = read_identity(ca[0])
    assert identity.layout == "none"
    assert identity.cedula is None
    assert identity.ca_name == "CA de pruebas"


def test_identity_to_dict_is_json_serialisable(leaf: CertificateAndKey) -> None:
    data = read_identity(leaf[0]).to_dict()
    assert json.loads(json.dumps(data))["cedula"] == DEFAULT_CEDULA


# --- Identity in a subjectAltName otherName and the certificate policy -------------

UANATACA_ARC = "1.3.6.1.4.1.47286.102"


def _other_name(oid: str, value: bytes) -> x509.OtherName:
    return x509.OtherName(x509.ObjectIdentifier(oid), value)


def _san_identity(arc: str, **values: str) -> list[x509.GeneralName]:
    """otherNames typed with the legacy OIDs, as some CAs write them."""
    suffixes = {
        "document": "3.1",
        "given_names": "3.2",
        "first_surname": "3.3",
        "second_surname": "3.4",
        "cargo": "3.5",
        "razon_social": "3.10",
        "ruc": "3.11",
        "country": "3.12",
    }
    return [
        _other_name(f"{arc}.{suffixes[field]}", der_string(value))
        for field, value in values.items()
    ]


def _certificate(
    ca: CertificateAndKey,
    *,
    subject: Sequence[x509.NameAttribute] | None = None,
    san: Sequence[x509.GeneralName] | None = None,
    extensions: Sequence[x509.ExtensionType] | None = None,
) -> x509.Certificate:
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(subject or [x509.NameAttribute(NameOID.COMMON_NAME, "TITULAR")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    for extension in extensions or []:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def _legacy_extension(oid: str, text: str) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), der_string(text))


def test_identity_from_the_subject_alt_name_other_names(ca: CertificateAndKey) -> None:
    san = [
        x509.RFC822Name("juan.perez@example.ec"),
        *_san_identity(
            UANATACA_ARC,
            document=DEFAULT_CEDULA,
            given_names="JUAN CARLOS",
            first_surname="PÉREZ",
            second_surname="GÓMEZ",
            cargo="GERENTE GENERAL",
            razon_social="ADUANAS DEL PACÍFICO S.A.",
            ruc=COMPANY_RUC,
            country="ECUADOR",
        ),
    ]
    identity = read_identity(_certificate(ca, san=san))
    assert identity == CertificateIdentity(
        cedula=DEFAULT_CEDULA,
        passport=None,
        given_names="JUAN CARLOS",
        surnames="PÉREZ GÓMEZ",
        ruc=COMPANY_RUC,
        razon_social="ADUANAS DEL PACÍFICO S.A.",
        cargo="GERENTE GENERAL",
        country="ECUADOR",
        ca_name="Uanataca",
        layout="san",
    )


def test_san_passport_is_read_as_passport(ca: CertificateAndKey) -> None:
    identity = read_identity(_certificate(ca, san=_san_identity(BCE_ARC, document="ab123456")))
    assert (identity.cedula, identity.passport, identity.layout) == (None, "AB123456", "san")


def test_san_value_wrapped_in_an_octet_string_is_read(ca: CertificateAndKey) -> None:
    inner = der_string(DEFAULT_CEDULA, "printable")
    wrapped = bytes([0x04, len(inner)]) + inner
    san = [_other_name(f"{BCE_ARC}.3.1", wrapped)]
    assert read_identity(_certificate(ca, san=san)).cedula == DEFAULT_CEDULA


def test_san_other_names_outside_the_known_arcs_are_ignored(ca: CertificateAndKey) -> None:
    san = [
        _other_name("1.3.6.1.4.1.99999.3.1", der_string(DEFAULT_CEDULA)),
        _other_name("1.3.6.1.4.1.311.20.2.3", der_string("juan@example.ec")),  # Microsoft UPN
        _other_name(f"{BCE_ARC}.3.99", der_string("OTRO")),
    ]
    identity = read_identity(_certificate(ca, san=san))
    assert (identity.cedula, identity.layout, identity.ca_name) == (None, "none", "CA de pruebas")


def test_legacy_extension_wins_over_san_which_wins_over_subject(ca: CertificateAndKey) -> None:
    subject = [
        x509.NameAttribute(NameOID.SERIAL_NUMBER, "IDCEC-0926687856"),
        x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"VATEC-{COMPANY_RUC}"),
        x509.NameAttribute(NameOID.GIVEN_NAME, "NOMBRE DEL SUJETO"),
        x509.NameAttribute(NameOID.SURNAME, "APELLIDO DEL SUJETO"),
        x509.NameAttribute(NameOID.TITLE, "CARGO DEL SUJETO"),
    ]
    san = _san_identity(
        BCE_ARC, document=DEFAULT_CEDULA, given_names="NOMBRE SAN", cargo="CARGO SAN"
    )
    extensions = [_legacy_extension(f"{BCE_ARC}.3.2", "NOMBRE LEGADO")]
    identity = read_identity(_certificate(ca, subject=subject, san=san, extensions=extensions))
    assert identity.given_names == "NOMBRE LEGADO"  # legacy extension
    assert identity.cedula == DEFAULT_CEDULA  # SAN, over the subject's serialNumber
    assert identity.cargo == "CARGO SAN"  # SAN
    assert identity.surnames == "APELLIDO DEL SUJETO"  # only the subject has it
    assert identity.ruc == COMPANY_RUC  # only the subject has it
    assert identity.layout == "san"  # the one that gave the cédula
    assert identity.ca_name == "Banco Central del Ecuador"


def test_legacy_document_makes_the_layout_legacy_even_with_san_values(
    ca: CertificateAndKey,
) -> None:
    san = _san_identity(SECURITY_DATA_ARC, document="0926687856", given_names="ANA")
    extensions = [_legacy_extension(f"{BCE_ARC}.3.1", DEFAULT_CEDULA)]
    identity = read_identity(_certificate(ca, san=san, extensions=extensions))
    assert (identity.cedula, identity.given_names) == (DEFAULT_CEDULA, "ANA")
    assert identity.layout == "legacy"
    assert identity.ca_name == "Banco Central del Ecuador"


def test_san_names_without_a_document_still_say_san(ca: CertificateAndKey) -> None:
    identity = read_identity(_certificate(ca, san=_san_identity(BCE_ARC, given_names="ANA")))
    assert (identity.given_names, identity.layout) == ("ANA", "san")


def test_certificate_policies_are_read(ca: CertificateAndKey) -> None:
    policies = x509.CertificatePolicies(
        [
            x509.PolicyInformation(x509.ObjectIdentifier(f"{BCE_ARC}.1.1.1"), None),
            x509.PolicyInformation(
                x509.ObjectIdentifier("2.23.140.1.2.1"), ["https://example.ec/cps"]
            ),
        ]
    )
    identity = read_identity(_certificate(ca, extensions=[policies]))
    assert identity.policy == f"{BCE_ARC}.1.1.1,2.23.140.1.2.1"


def test_certificate_without_policies_reads_an_empty_policy(leaf: CertificateAndKey) -> None:
    assert read_identity(leaf[0]).policy == ""


def test_identity_with_policy_and_san_is_json_serialisable(ca: CertificateAndKey) -> None:
    policies = x509.CertificatePolicies(
        [x509.PolicyInformation(x509.ObjectIdentifier(f"{BCE_ARC}.1.1.1"), None)]
    )
    cert = _certificate(
        ca, san=_san_identity(BCE_ARC, document=DEFAULT_CEDULA), extensions=[policies]
    )
    data = json.loads(json.dumps(read_identity(cert).to_dict()))
    assert data["policy"] == f"{BCE_ARC}.1.1.1"
    assert data["layout"] == "san"
    assert data["cedula"] == DEFAULT_CEDULA


# --- Checks -------------------------------------------------------------------


def _context(at: datetime | None = None) -> VerificationContext:
    return VerificationContext(
        expected_cedula=DEFAULT_CEDULA, expected_ruc=DEFAULT_RUC, at=at or datetime.now(UTC)
    )


def test_validity_window_check_passes_inside_the_window(leaf: CertificateAndKey) -> None:
    findings = ValidityWindowCheck().run(leaf[0], _context())
    assert [finding.ok for finding in findings] == [True]


def test_context_requires_an_aware_moment() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        VerificationContext(expected_cedula="", expected_ruc="", at=datetime(2025, 1, 1))


def test_identity_match_check_without_identity_fails(ca: CertificateAndKey) -> None:
    findings = IdentityMatchCheck().run(ca[0], _context())
    assert (
        Finding(
            "identity.cedula_missing", "El certificado no contiene la cédula del titular.", False
        )
        in findings
    )


# --- verify_certificate --------------------------------------------------------


def test_good_certificate_is_valid(leaf: CertificateAndKey) -> None:
    result = verify_certificate(
        to_der(leaf[0]), expected_cedula=DEFAULT_CEDULA, expected_ruc=DEFAULT_RUC
    )
    assert result.valid
    assert result.reasons == []
    assert result.identity is not None and result.identity.cedula == DEFAULT_CEDULA
    assert result.serial_number == format(leaf[0].serial_number, "x")
    assert result.sha256_fingerprint == leaf[0].fingerprint(hashes.SHA256()).hex()
    assert result.issuer == "CN=CA de pruebas,O=CA de pruebas,C=EC"
    assert result.not_after == leaf[0].not_valid_after_utc


def test_form_values_with_separators_still_match(leaf: CertificateAndKey) -> None:
    result = verify_certificate(
        to_pem(leaf[0]), expected_cedula="171430710-3", expected_ruc="1714307103-001"
    )
    assert result.valid, result.reasons


def test_expired_certificate_is_invalid(ca: CertificateAndKey) -> None:
    now = datetime.now(UTC)
    cert, _ = make_leaf(
        ca, not_before=now - timedelta(days=760), not_after=now - timedelta(days=30)
    )
    result = verify_certificate(
        to_der(cert), expected_cedula=DEFAULT_CEDULA, expected_ruc=DEFAULT_RUC
    )
    assert not result.valid
    assert len(result.reasons) == 1
    assert result.reasons[0].startswith("El certificado venció el ")
    assert [f.code for f in result.findings if not f.ok] == ["validity.expired"]


def test_not_yet_valid_certificate_is_invalid(leaf: CertificateAndKey) -> None:
    before = leaf[0].not_valid_before_utc - timedelta(minutes=1)
    result = verify_certificate(
        to_der(leaf[0]), expected_cedula=DEFAULT_CEDULA, expected_ruc=DEFAULT_RUC, at=before
    )
    assert not result.valid
    assert result.reasons[0].startswith("El certificado aún no es válido")


def test_validity_is_checked_at_the_given_moment(leaf: CertificateAndKey) -> None:
    later = leaf[0].not_valid_after_utc + timedelta(seconds=1)
    result = verify_certificate(
        to_der(leaf[0]), expected_cedula=DEFAULT_CEDULA, expected_ruc=DEFAULT_RUC, at=later
    )
    assert [f.code for f in result.findings if not f.ok] == ["validity.expired"]


def test_cedula_mismatch_says_what_each_side_has(leaf: CertificateAndKey) -> None:
    result = verify_certificate(
        to_der(leaf[0]), expected_cedula="0926687856", expected_ruc=DEFAULT_RUC
    )
    assert not result.valid
    assert (
        "La cédula del certificado (1714307103) no coincide con la Doc. Identificación "
        "del formulario (0926687856)."
    ) in result.reasons


def test_ruc_mismatch_says_what_each_side_has(ca: CertificateAndKey) -> None:
    cert, _ = make_leaf(ca, ruc=COMPANY_RUC)
    result = verify_certificate(
        to_der(cert), expected_cedula=DEFAULT_CEDULA, expected_ruc="1760001550001"
    )
    assert result.reasons == [
        f"El RUC del certificado ({COMPANY_RUC}) no coincide con el RUC empresa del "
        "formulario (1760001550001)."
    ]


def test_company_ruc_in_the_subject_layout_matches(ca: CertificateAndKey) -> None:
    cert, _ = make_leaf(ca, layout="subject", ruc=COMPANY_RUC)
    result = verify_certificate(
        to_der(cert), expected_cedula=DEFAULT_CEDULA, expected_ruc=COMPANY_RUC
    )
    assert result.valid, result.reasons


def test_natural_person_ruc_matches_the_cedula_when_the_certificate_has_no_ruc(
    ca: CertificateAndKey,
) -> None:
    cert, _ = make_leaf(ca, ruc=None)
    result = verify_certificate(
        to_der(cert), expected_cedula=DEFAULT_CEDULA, expected_ruc=DEFAULT_RUC
    )
    assert result.valid, result.reasons
    assert any(f.code == "identity.ruc_ok" for f in result.findings)


def test_company_ruc_without_ruc_in_the_certificate_is_a_mismatch(ca: CertificateAndKey) -> None:
    cert, _ = make_leaf(ca, ruc=None)
    result = verify_certificate(
        to_der(cert), expected_cedula=DEFAULT_CEDULA, expected_ruc=COMPANY_RUC
    )
    assert not result.valid
    assert [f.code for f in result.findings if not f.ok] == ["identity.ruc_mismatch"]
    assert COMPANY_RUC in result.reasons[0]


def test_empty_expected_ruc_skips_the_ruc_match(ca: CertificateAndKey) -> None:
    cert, _ = make_leaf(ca, ruc=None)
    result = verify_certificate(to_der(cert), expected_cedula=DEFAULT_CEDULA, expected_ruc="")
    assert result.valid
    assert not any(f.code.startswith("identity.ruc") for f in result.findings)


def test_certificate_without_identity_is_invalid(ca: CertificateAndKey) -> None:
    cert, _ = make_leaf(ca, layout="subject", cedula=None, ruc=None)
    result = verify_certificate(
        to_der(cert), expected_cedula=DEFAULT_CEDULA, expected_ruc=DEFAULT_RUC
    )
    assert "El certificado no contiene la cédula del titular." in result.reasons


def test_unusable_file_becomes_a_file_finding(leaf: CertificateAndKey) -> None:
    result = verify_certificate(
        make_pkcs12(*leaf), expected_cedula=DEFAULT_CEDULA, expected_ruc=DEFAULT_RUC
    )
    assert not result.valid
    assert [f.code for f in result.findings] == ["file"]
    assert result.identity is None
    assert (result.subject, result.issuer, result.serial_number) == ("", "", "")
    assert result.sha256_fingerprint == ""
    assert result.not_before is None and result.not_after is None


class _BrokenCheck:
    def run(self, cert: x509.Certificate, context: VerificationContext) -> list[Finding]:
        raise RuntimeError("boom")


class _AlwaysFails:
    def run(self, cert: x509.Certificate, context: VerificationContext) -> list[Finding]:
        return [Finding("chain.untrusted", "La CA emisora no es de confianza.", ok=False)]


def test_extra_checks_add_findings(leaf: CertificateAndKey) -> None:
    result = verify_certificate(
        to_der(leaf[0]),
        expected_cedula=DEFAULT_CEDULA,
        expected_ruc=DEFAULT_RUC,
        checks=[ValidityWindowCheck(), IdentityMatchCheck(), _AlwaysFails()],
    )
    assert result.reasons == ["La CA emisora no es de confianza."]


def test_a_crashing_check_fails_closed(leaf: CertificateAndKey) -> None:
    result = verify_certificate(
        to_der(leaf[0]),
        expected_cedula=DEFAULT_CEDULA,
        expected_ruc=DEFAULT_RUC,
        checks=[_BrokenCheck()],
    )
    assert not result.valid
    assert [f.code for f in result.findings] == ["_BrokenCheck.error"]


def test_result_to_dict_is_json_serialisable(leaf: CertificateAndKey) -> None:
    result = verify_certificate(
        to_der(leaf[0]), expected_cedula=DEFAULT_CEDULA, expected_ruc=DEFAULT_RUC
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["valid"] is True
    assert data["identity"]["ruc"] == DEFAULT_RUC
    assert data["not_after"] == leaf[0].not_valid_after_utc.isoformat()
    assert data["findings"][0]["ok"] is True


@pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")
def test_corrupted_uploads_never_raise(leaf: CertificateAndKey) -> None:
    der = to_der(leaf[0])
    for position in range(0, len(der), 3):
        corrupted = bytearray(der)
        corrupted[position] ^= 0xFF
        result = verify_certificate(
            bytes(corrupted), expected_cedula=DEFAULT_CEDULA, expected_ruc=DEFAULT_RUC
        )
        assert isinstance(result.valid, bool)
        json.dumps(result.to_dict())
