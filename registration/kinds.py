"""One declaration per kind of request (Paso 2): what it holds and what it goes through.

A request is an envelope common to every kind (the person's block of Pasos 3–5,
tracking number, state, decision) plus what its kind adds (``detail_fields``: the
Representante's company block; OCE rows and certificate files are rows of their
own). Forms, the submission service, versions, corrections and activation read
these declarations; nothing else lists a kind's fields. The process each kind goes
through is its flow in workflow/flows, found by the same kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from registration.models import RequestKind, RequestStatus

# The person's block of Pasos 3–5 as a version keeps it, with the seed's labels, in
# the form's order. Secrets (password, security answers) are never kept; the
# questions are.
PERSON_SNAPSHOT_FIELDS: tuple[tuple[str, str], ...] = (
    ("id_usuario", "ID. usuario"),
    ("doc_type", "Tipo de documento"),
    ("cedula", "Doc. Identificación"),
    ("nombre_usuario", "Nombre Usuario"),
    ("question1", "Preguntas de Clave1"),
    ("question2", "Preguntas de Clave2"),
    ("question3", "Preguntas de Clave3"),
    ("province", "Provincia"),
    ("canton", "Ciudad"),
    ("direccion", "Dirección"),
    ("telefono1", "Teléfono1"),
    ("telefono2", "Teléfono2"),
    ("operadora", "Operadora"),
    ("celular", "Celular"),
    ("fax", "Fax"),
    ("email", "Correo Electrónico"),
    ("posicion", "Posición"),
    ("senae_email", "SENAE Correo Electrónico"),
    ("recibir_sms", "Recibir mensaje SMS"),
)
COMPANY_SNAPSHOT_FIELDS: tuple[tuple[str, str], ...] = (
    ("ruc", "RUC empresa"),
    ("razon_social", "Razón Social"),
    ("direccion_empresa", "Dirección de empresa"),
    ("telefono_empresa", "Teléfono empresa"),
)


@dataclass(frozen=True)
class KindDeclaration:
    kind: str  # a RequestKind value
    slug: str  # its form's address: /solicitud-del-uso/<slug>/
    # Request fields this kind adds to the person's block, taken from its data as given.
    detail_fields: tuple[str, ...]
    snapshot_fields: tuple[tuple[str, str], ...]  # what a version keeps, in the form's order
    correctable_fields: tuple[str, ...]  # what a reviewer may mark for correction
    company_user: bool  # its user may use the company's services
    certificate: bool  # a digital certificate is verified, and bound to the user
    reviewed: bool  # a SENAE reviewer decides it
    activate_from: str  # the state its activation job starts from

    @property
    def title(self) -> str:
        return str(RequestKind(self.kind).label)


REPRESENTANTE = KindDeclaration(
    kind=RequestKind.REPRESENTANTE,
    slug="representante",
    detail_fields=("ruc", "razon_social", "direccion_empresa", "telefono_empresa", "ruc_warnings"),
    snapshot_fields=(
        *COMPANY_SNAPSHOT_FIELDS,
        *PERSON_SNAPSHOT_FIELDS,
        ("firma_reto", "Firma del reto (SHA-256)"),
    ),
    correctable_fields=(
        "ruc",
        "razon_social",
        "direccion_empresa",
        "telefono_empresa",
        "cedula",
        "nombre_usuario",
        "email",
    ),
    company_user=True,
    certificate=True,
    reviewed=True,
    activate_from=RequestStatus.COMPANY_APPROVED,
)

GENERAL = KindDeclaration(
    kind=RequestKind.GENERAL,
    slug="general",
    detail_fields=("doc_country",),
    snapshot_fields=(
        *PERSON_SNAPSHOT_FIELDS[:3],
        ("doc_country", "País emisor del documento"),
        *PERSON_SNAPSHOT_FIELDS[3:],
    ),
    correctable_fields=(),
    company_user=False,
    certificate=False,
    reviewed=False,
    # Active as soon as the email is confirmed: the state stays "submitted" until then.
    activate_from=RequestStatus.SUBMITTED,
)

KINDS: dict[str, KindDeclaration] = {d.kind: d for d in (REPRESENTANTE, GENERAL)}
COMPANY_KINDS = frozenset(d.kind for d in KINDS.values() if d.company_user)


def declaration_for(kind: str) -> KindDeclaration:
    """The declaration of a kind that is built; KeyError for one that is not yet."""
    return KINDS[kind]
