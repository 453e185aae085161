"""One declaration per kind of request (Paso 2): what it holds and what it goes through.

A request is an envelope common to every kind (the person's block of Pasos 3–5, the
organisation it names, tracking number, state, decision) plus what its kind adds:
``request_fields`` are envelope fields it fills (the Representante's RUC and razón
social, a General user's passport country); ``details_model`` is its own row for
the rest of its block (the Representante's CompanyDetails); OCE rows and
certificate files are rows of their own. Forms, the submission service, versions,
corrections and activation read these declarations; nothing else lists a kind's
fields. The process each kind goes through is its flow in workflow/flows, found by
the same kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from registration.models import (
    CompanyDetails,
    Employment,
    EntityDetails,
    RegistrationRequest,
    RequestKind,
    RequestStatus,
)

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
# A public entity's block: the company block's fields, with the entity's labels.
ENTITY_SNAPSHOT_FIELDS: tuple[tuple[str, str], ...] = (
    ("ruc", "RUC de la entidad"),
    ("razon_social", "Nombre de la entidad"),
    ("direccion_empresa", "Dirección de la entidad"),
    ("telefono_empresa", "Teléfono de la entidad"),
)
SIGNATURE_SNAPSHOT: tuple[str, str] = ("firma_reto", "Firma del reto (SHA-256)")


# Who decides a request of a kind.
SENAE = "senae"  # SENAE's reviewers, in the review queues
# An active representative of the organisation it names (a company's Representante,
# "Administración de empleado"; an entity's Representante de la entidad).
COMPANY = "company"
NOBODY = ""  # active once the email is confirmed

# What an organisation's representative grants a member it approves.
OCE_GRANTS = "oce"  # the company's OCE codes, with ECUAPASS options on each
PROCEDURE_GRANTS = "procedures"  # the VUE procedures the entity handles


@dataclass(frozen=True)
class KindDeclaration:
    kind: str  # a RequestKind value
    slug: str  # its form's address: /solicitud-del-uso/<slug>/
    # Envelope fields this kind fills besides the person's block, from its data as given.
    request_fields: tuple[str, ...]
    # Its own row (one per request, keyed by it) and the fields it holds, or None.
    details_model: type[models.Model] | None
    details_fields: tuple[str, ...]
    snapshot_fields: tuple[tuple[str, str], ...]  # what a version keeps, in the form's order
    correctable_fields: tuple[str, ...]  # what a reviewer may mark for correction
    oces: bool  # the applicant lists the company's OCE codes ("Tipo de OCEs")
    # Matched against the certificate's identity: open to correction when the check fails.
    identity_fields: tuple[str, ...]
    company_user: bool  # its user may use the company's services
    # Its activation writes the company record (a Representante); others join it.
    represents_company: bool
    certificate: bool  # a digital certificate is verified, and bound to the user
    # The certificate must carry the company's RUC (persona jurídica / miembro de empresa);
    # otherwise a RUC it carries must match.
    certificate_ruc_required: bool
    approver: str  # SENAE, COMPANY or NOBODY
    activate_from: str  # the state its activation job starts from
    # The organisation it names: "empresa" or "entidad" (a public entity using the VUE).
    organisation: str = "empresa"
    # A kind the organisation decides: the kind whose active requests make its deciders.
    represented_by: str = ""
    # What that representative grants: OCE codes with options, or VUE procedures.
    grants: str = ""
    procedures: bool = False  # the applicant says which VUE procedures the entity handles
    appointment: bool = False  # a nombramiento or delegation (PDF) goes with it

    @property
    def title(self) -> str:
        return str(RequestKind(self.kind).label)

    @property
    def reviewed(self) -> bool:
        """A person decides it (SENAE or the company's representative)."""
        return self.approver != NOBODY

    def label(self, name: str) -> str:
        """A field's label in this kind's form (the entity's "RUC de la entidad", say)."""
        return dict(self.snapshot_fields).get(name) or FIELD_LABELS.get(name, name)

    def details(self, request: RegistrationRequest) -> models.Model | None:
        """The request's details row (None for a kind without one, or one not written yet)."""
        if self.details_model is None:
            return None
        # The reverse one-to-one accessor (request.company_details): cached on the request.
        field = self.details_model._meta.get_field("request")
        assert isinstance(field, models.OneToOneField)
        accessor = field.remote_field.get_accessor_name()
        assert accessor is not None
        try:
            details: models.Model = getattr(request, accessor)
        except ObjectDoesNotExist:
            return None
        return details

    def holder(self, request: RegistrationRequest, name: str) -> models.Model:
        """Where a field of this kind lives: its details row, or the request itself."""
        if name in self.details_fields:
            details = self.details(request)
            if details is None:
                raise LookupError(f"{request.pk} has no {self.kind} details")
            return details
        return request

    def value(self, request: RegistrationRequest, name: str) -> Any:
        """A field of this kind's request, wherever it lives."""
        return getattr(self.holder(request, name), name)

    def details_create(self, request: RegistrationRequest, data: Any) -> None:
        """Write the details row from the submitted data (nothing for a kind without one)."""
        if self.details_model is None:
            return
        self.details_model._default_manager.create(
            request=request, **_values(data, self.details_fields)
        )

    def request_values(self, data: Any) -> dict[str, Any]:
        """The envelope fields this kind fills, from the submitted data."""
        return _values(data, self.request_fields)


def _values(data: Any, names: tuple[str, ...]) -> dict[str, Any]:
    # JSON lists arrive as tuples from the frozen data classes.
    values = {name: getattr(data, name) for name in names}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


REPRESENTANTE = KindDeclaration(
    kind=RequestKind.REPRESENTANTE,
    slug="representante",
    request_fields=("ruc", "razon_social", "ruc_warnings"),
    details_model=CompanyDetails,
    details_fields=("direccion_empresa", "telefono_empresa"),
    snapshot_fields=(
        *COMPANY_SNAPSHOT_FIELDS,
        *PERSON_SNAPSHOT_FIELDS,
        SIGNATURE_SNAPSHOT,
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
    oces=True,
    identity_fields=("ruc", "cedula"),
    company_user=True,
    represents_company=True,
    certificate=True,
    certificate_ruc_required=False,
    approver=SENAE,
    activate_from=RequestStatus.COMPANY_APPROVED,
)

EMPLEADO = KindDeclaration(
    kind=RequestKind.EMPLEADO,
    slug="empleado",
    # The RUC the employee gave, and the razón social our records hold for it.
    request_fields=("ruc", "razon_social"),
    details_model=Employment,
    details_fields=("company_id",),
    snapshot_fields=(
        *COMPANY_SNAPSHOT_FIELDS[:2],
        *PERSON_SNAPSHOT_FIELDS,
        SIGNATURE_SNAPSHOT,
    ),
    # The company is the one the employee works for: a different RUC is a new request.
    correctable_fields=("cedula", "nombre_usuario", "email"),
    oces=False,  # an employee's codes are the company's, granted by its representative
    identity_fields=("cedula",),
    company_user=True,
    represents_company=False,
    certificate=True,
    certificate_ruc_required=True,
    approver=COMPANY,
    activate_from=RequestStatus.COMPANY_APPROVED,
    represented_by=RequestKind.REPRESENTANTE,
    grants=OCE_GRANTS,
)

GENERAL = KindDeclaration(
    kind=RequestKind.GENERAL,
    slug="general",
    request_fields=("doc_country",),
    details_model=None,
    details_fields=(),
    snapshot_fields=(
        *PERSON_SNAPSHOT_FIELDS[:3],
        ("doc_country", "País emisor del documento"),
        *PERSON_SNAPSHOT_FIELDS[3:],
    ),
    correctable_fields=(),
    oces=False,
    identity_fields=(),
    company_user=False,
    represents_company=False,
    certificate=False,
    certificate_ruc_required=False,
    approver=NOBODY,
    # Active as soon as the email is confirmed: the state stays "submitted" until then.
    activate_from=RequestStatus.SUBMITTED,
)

REPRESENTANTE_ENTIDAD = KindDeclaration(
    kind=RequestKind.REPRESENTANTE_ENTIDAD,
    slug="representante-entidad",
    request_fields=("ruc", "razon_social", "ruc_warnings"),
    details_model=EntityDetails,
    details_fields=("direccion_empresa", "telefono_empresa", "procedures"),
    snapshot_fields=(
        *ENTITY_SNAPSHOT_FIELDS,
        ("procedures", "Trámites de la VUE"),
        *PERSON_SNAPSHOT_FIELDS,
        ("nombramiento", "Nombramiento o delegación (SHA-256)"),
        SIGNATURE_SNAPSHOT,
    ),
    correctable_fields=(
        "ruc",
        "razon_social",
        "direccion_empresa",
        "telefono_empresa",
        "procedures",
        "cedula",
        "nombre_usuario",
        "email",
    ),
    oces=False,
    # The official's cédula; the entity's RUC where the certificate carries it.
    identity_fields=("ruc", "cedula"),
    company_user=True,
    represents_company=True,
    certificate=True,
    certificate_ruc_required=False,
    approver=SENAE,
    activate_from=RequestStatus.COMPANY_APPROVED,
    organisation="entidad",
    procedures=True,
    appointment=True,
)

ENTIDAD = KindDeclaration(
    kind=RequestKind.ENTIDAD,
    slug="entidad",
    request_fields=("ruc", "razon_social"),
    details_model=Employment,
    details_fields=("company_id",),
    snapshot_fields=(
        *ENTITY_SNAPSHOT_FIELDS[:2],
        *PERSON_SNAPSHOT_FIELDS,
        SIGNATURE_SNAPSHOT,
    ),
    correctable_fields=("cedula", "nombre_usuario", "email"),
    oces=False,
    identity_fields=("cedula",),
    company_user=True,
    represents_company=False,
    certificate=True,
    certificate_ruc_required=False,
    approver=COMPANY,
    activate_from=RequestStatus.COMPANY_APPROVED,
    organisation="entidad",
    represented_by=RequestKind.REPRESENTANTE_ENTIDAD,
    grants=PROCEDURE_GRANTS,
)

KINDS: dict[str, KindDeclaration] = {
    d.kind: d for d in (REPRESENTANTE, EMPLEADO, GENERAL, REPRESENTANTE_ENTIDAD, ENTIDAD)
}
COMPANY_KINDS = frozenset(d.kind for d in KINDS.values() if d.company_user)
# Kinds a company's representative decides (their wait for it expires like the applicant's).
COMPANY_DECIDED_KINDS = frozenset(d.kind for d in KINDS.values() if d.approver == COMPANY)
# Every field's label, the first kind's that has it (the Representante's), where no kind is known.
FIELD_LABELS: dict[str, str] = {}
for _declaration in KINDS.values():
    for _name, _label in _declaration.snapshot_fields:
        FIELD_LABELS.setdefault(_name, _label)
SENAE_DECIDED_KINDS = frozenset(d.kind for d in KINDS.values() if d.approver == SENAE)
# Kinds whose active requests make their holder an organisation's representative.
REPRESENTATIVE_KINDS = frozenset(d.kind for d in KINDS.values() if d.represents_company)


def declaration_for(kind: str) -> KindDeclaration:
    """The declaration of a kind that is built; KeyError for one that is not yet."""
    return KINDS[kind]


def field_value(request: RegistrationRequest, name: str) -> Any:
    """A field of a request of any built kind, wherever its kind keeps it."""
    return declaration_for(request.kind).value(request, name)
