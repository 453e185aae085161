"""The test PKI is the product's demonstration PKI (registration.demo_pki)."""

from registration.demo_pki import (
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

__all__ = [
    "BCE_ARC",
    "COMPANY_RUC",
    "CONSEJO_JUDICATURA_ARC",
    "DEFAULT_CEDULA",
    "DEFAULT_RUC",
    "SECURITY_DATA_ARC",
    "CertificateAndKey",
    "der_string",
    "make_ca",
    "make_leaf",
    "make_pkcs12",
    "private_key_pem",
    "to_der",
    "to_pem",
]
