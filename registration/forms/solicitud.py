"""The request forms (Pasos 3–5: the person's block, the Representante's, the General's),
the OCE rows, and the correction form."""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.forms.formsets import (
    INITIAL_FORM_COUNT,
    MAX_NUM_FORM_COUNT,
    MIN_NUM_FORM_COUNT,
    TOTAL_FORM_COUNT,
    ManagementForm,
)
from django.utils.functional import cached_property

from registration import validators
from registration.forms.fields import (
    REQUIRED,
    LandlineField,
    MobileField,
    MultipleCertificateField,
    cantones_by_province,
)
from registration.kinds import declaration_for
from registration.models import (
    ID_USUARIO_VALIDATOR,
    Canton,
    Company,
    MobileOperator,
    OceType,
    Province,
    RequestKind,
    SecurityQuestion,
    TermsVersion,
    User,
    VueProcedure,
)
from registration.selectors import company_with_representative, current_terms
from registration.services.correction import APPOINTMENT_ITEM, CERTIFICATES_ITEM
from registration.services.submission import no_representative_message

CEDULA = "CEDULA DE IDENTIDAD"
PASAPORTE = "PASAPORTE"
GENERAL_POSITION = "USUARIO GENERAL"
# CLDR codes that are regions, not countries that issue passports.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})


def passport_countries() -> list[tuple[str, str]]:
    """Every country (ISO 3166 alpha-2) with its Spanish name, Ecuador first (CLDR via Babel)."""
    from babel import Locale

    names = Locale("es").territories
    countries = sorted(
        (
            (code, name)
            for code, name in names.items()
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
        ),
        key=lambda item: item[1],
    )
    return [("EC", names["EC"]), *(c for c in countries if c[0] != "EC")]


class CompanyFieldsMixin(forms.Form):
    ruc = forms.CharField(label="RUC empresa", max_length=13)
    razon_social = forms.CharField(label="Razón Social", max_length=200)
    direccion_empresa = forms.CharField(label="Dirección de empresa", max_length=300)
    telefono_empresa = LandlineField(label="Teléfono empresa", max_length=20)

    def clean_ruc(self) -> str:
        check = validators.validate_ruc(self.cleaned_data["ruc"])
        self.ruc_warnings = check.warnings
        self.ruc_kind = check.kind
        return check.number


TERMS_REQUIRED = "Para continuar, lea y acepte el Convenio de uso de ECUAPASS."


class ContactFieldsMixin(forms.Form):
    """Where the person lives and how to call them: the part of the person's block a user
    changes in "Modificar información del uso" (the annual data update)."""

    province = forms.ModelChoiceField(
        label="Provincia", queryset=Province.objects.all(), empty_label="--Selección--"
    )
    canton = forms.ModelChoiceField(
        label="Ciudad",
        queryset=Canton.objects.select_related("province"),
        empty_label="--Selección--",
    )
    direccion = forms.CharField(label="Dirección", max_length=300)
    telefono1 = LandlineField(label="Teléfono1", max_length=20)
    telefono2 = LandlineField(label="Teléfono2", max_length=20, required=False)
    operadora = forms.ModelChoiceField(
        label="Operadora",
        queryset=MobileOperator.objects.all(),
        required=False,
        empty_label="--Selección--",
    )
    celular = MobileField(label="Celular", max_length=20, required=False)
    fax = LandlineField(label="Fax", max_length=20, required=False)

    CONTACT_FIELDS = (
        "province",
        "canton",
        "direccion",
        "telefono1",
        "telefono2",
        "operadora",
        "celular",
        "fax",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Ciudad grouped by Provincia: usable without JavaScript, filtered with it.
        self.fields["canton"].choices = [("", "--Selección--"), *cantones_by_province()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        province, canton = data.get("province"), data.get("canton")
        if province and canton and canton.province_id != province.pk:
            self.add_error("canton", f"La ciudad {canton} no pertenece a la provincia {province}.")
        if data.get("celular") and not data.get("operadora"):
            self.add_error("operadora", "Seleccione la operadora del celular.")
        return data


class PersonForm(ContactFieldsMixin):
    """The person's block of Pasos 3–5, the same in every kind of request."""

    submission_token = forms.UUIDField(widget=forms.HiddenInput)

    id_usuario = forms.CharField(
        label="ID. usuario", max_length=20, validators=[ID_USUARIO_VALIDATOR]
    )
    doc_type = forms.ChoiceField(label="Tipo de documento", choices=[(CEDULA, CEDULA)])
    cedula = forms.CharField(label="Doc. Identificación", max_length=20)
    nombre_usuario = forms.CharField(label="Nombre Usuario", max_length=150)
    password = forms.CharField(
        label="Contraseña", strip=False, widget=forms.PasswordInput(render_value=True)
    )
    password2 = forms.CharField(
        label="Confirmación de Contraseña",
        strip=False,
        widget=forms.PasswordInput(render_value=True),
    )
    question1 = forms.ModelChoiceField(
        label="Preguntas de Clave1",
        queryset=SecurityQuestion.objects.filter(slot=1, active=True),
        empty_label=None,
    )
    answer1 = forms.CharField(
        label="Respuesta de Clave1",
        max_length=100,
        widget=forms.PasswordInput(render_value=True),
    )
    question2 = forms.ModelChoiceField(
        label="Preguntas de Clave2",
        queryset=SecurityQuestion.objects.filter(slot=2, active=True),
        empty_label=None,
    )
    answer2 = forms.CharField(
        label="Respuesta de Clave2",
        max_length=100,
        widget=forms.PasswordInput(render_value=True),
    )
    question3 = forms.ModelChoiceField(
        label="Preguntas de Clave3",
        queryset=SecurityQuestion.objects.filter(slot=3, active=True),
        empty_label=None,
    )
    answer3 = forms.CharField(
        label="Respuesta de Clave3",
        max_length=100,
        widget=forms.PasswordInput(render_value=True),
    )
    email = forms.EmailField(label="Correo Electrónico", max_length=254)
    email2 = forms.EmailField(label="Confirmación de correo electrónico", max_length=254)
    posicion = forms.ChoiceField(label="Posición", choices=[("REPRESENTANTES", "REPRESENTANTES")])
    senae_email = forms.EmailField(label="SENAE Correo Electrónico", required=False)
    recibir_sms = forms.TypedChoiceField(
        label="Recibir mensaje SMS",
        choices=[("1", "Recibir"), ("0", "No recibir")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )

    acepta_convenio = forms.BooleanField(label="Acepto el Convenio de uso de ECUAPASS")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.terms = current_terms()
        if self.terms is None:  # no convenio published yet: nothing to accept
            del self.fields["acepta_convenio"]
        else:
            self.fields[
                "acepta_convenio"
            ].label = f"Acepto el {self.terms.title} (versión {self.terms.number})"
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED
        if "acepta_convenio" in self.fields:
            self.fields["acepta_convenio"].error_messages["required"] = TERMS_REQUIRED

    def clean_acepta_convenio(self) -> bool:
        # The version shown is the one accepted (submission_data reads it as convenio_id).
        self.cleaned_data["convenio"] = self.terms
        return bool(self.cleaned_data["acepta_convenio"])

    def clean_cedula(self) -> str:
        return validators.validate_cedula(self.cleaned_data["cedula"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password and data.get("password2") and password != data["password2"]:
            self.add_error("password2", "La confirmación no coincide con la contraseña.")
        elif password:
            candidate = User(
                username=data.get("id_usuario", ""),
                email=data.get("email", ""),
                first_name=data.get("nombre_usuario", ""),
            )
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as exc:
                self.add_error("password", exc)
        if (
            data.get("email")
            and data.get("email2")
            and data["email"].lower() != data["email2"].lower()
        ):
            self.add_error("email2", "La confirmación no coincide con el Correo Electrónico.")
        return data


class CertificateFieldsMixin(forms.Form):
    """The certificate and the signed challenge of the kinds that verify one."""

    certificados = MultipleCertificateField(label="Identificación única de certificado digital")
    # Read by the view (views.lookups.stage_uploads), like the certificates.
    firma_reto = forms.FileField(
        label="Firma del reto (.p7s)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".p7s,.p7m,.pem,.der"}),
    )

    def __init__(
        self, *args: Any, staged_count: int = 0, file_errors: list[str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Files are checked and kept by the view (views.lookups.stage_uploads)
        # before the rest of the form: this form only knows how many are kept.
        self.staged_count = staged_count
        self.file_errors = file_errors or []
        self.ruc_warnings: tuple[str, ...] = ()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for message in self.file_errors:
            self.add_error("certificados", message)
        if not self.staged_count and not self.file_errors:
            self.add_error("certificados", "Adjunte el certificado digital público (.cer).")
        return data


class RepresentanteForm(CertificateFieldsMixin, PersonForm, CompanyFieldsMixin):
    """Pasos 3–5: Solicitud del uso (Representante): the company block, the person, the certificate."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        ruc, cedula = data.get("ruc"), data.get("cedula")
        if (
            ruc
            and cedula
            and getattr(self, "ruc_kind", "") == "natural"
            and not validators.ruc_matches_cedula(ruc, cedula)
        ):
            self.add_error(
                "ruc",
                "Para una persona natural, el RUC empresa debe empezar con su Doc. Identificación.",
            )
        return data


# Posición of an employee (the seed shows only REPRESENTANTES, the Representante's).
EMPLOYEE_POSITIONS = (
    "EMPLEADO",
    "AUXILIAR DE COMERCIO EXTERIOR",
    "TRAMITADOR",
    "JEFE DE COMERCIO EXTERIOR",
)


class EmpleadoForm(CertificateFieldsMixin, PersonForm):
    """Pasos 3–5: Solicitud del uso (Empleado): the company's RUC, the person, the certificate.

    The razón social is never typed: it is what our records hold for a RUC with an
    active Representante (``company``, set by ``clean_ruc``). EntidadForm is the same
    for an official of a public entity.
    """

    kind = RequestKind.EMPLEADO
    ruc = forms.CharField(label="RUC empresa", max_length=13)
    razon_social = forms.CharField(
        label="Razón Social",
        required=False,
        widget=forms.TextInput(attrs={"readonly": "readonly"}),
        help_text="Se completa con «Consultar», desde el registro de representantes.",
    )
    posicion = forms.ChoiceField(
        label="Posición", choices=[(p, p) for p in EMPLOYEE_POSITIONS], initial="EMPLEADO"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company: Company | None = None

    def clean_ruc(self) -> str:
        ruc = validators.validate_ruc(self.cleaned_data["ruc"]).number
        representative = declaration_for(self.kind).represented_by
        self.company = company_with_representative(ruc=ruc, kind=representative)
        if self.company is None:
            raise ValidationError(no_representative_message(self.kind, ruc))
        return ruc

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.company is not None:
            data["razon_social"] = self.company.razon_social
            data["company_id"] = self.company.pk
        return data


# Posición of a public entity's representative and of its officials.
ENTITY_REPRESENTATIVE_POSITIONS = ("MÁXIMA AUTORIDAD", "DELEGADO DE LA MÁXIMA AUTORIDAD")
ENTITY_OFFICIAL_POSITIONS = ("FUNCIONARIO", "ANALISTA", "TÉCNICO", "DIRECTOR")


class EntidadForm(EmpleadoForm):
    """Pasos 3–5: Solicitud del uso (Entidad): the entity's RUC, the official, the certificate."""

    kind = RequestKind.ENTIDAD
    ruc = forms.CharField(label="RUC de la entidad", max_length=13)
    razon_social = forms.CharField(
        label="Nombre de la entidad",
        required=False,
        widget=forms.TextInput(attrs={"readonly": "readonly"}),
        help_text="Se completa con «Consultar», desde el registro de representantes de entidades.",
    )
    posicion = forms.ChoiceField(
        label="Posición",
        choices=[(p, p) for p in ENTITY_OFFICIAL_POSITIONS],
        initial="FUNCIONARIO",
    )


PUBLIC_RUC_REQUIRED = (
    "El RUC de una entidad pública tiene 6 como tercer dígito. Si es una empresa, "
    "regístrese con «Solicitud del uso (Representante)»."
)


def procedure_choices() -> list[tuple[str, str]]:
    """The VUE procedures an entity can handle (CO, DDO, DCP), from the catalogue."""
    return [(p.code, f"{p.code}: {p.name}") for p in VueProcedure.objects.filter(active=True)]


def chosen_procedures(chosen: Collection[str]) -> tuple[str, ...]:
    if not chosen:
        raise ValidationError("Elija al menos un trámite de la VUE que maneje la entidad.")
    return tuple(chosen)


def appointment_errors_add(form: Any, missing: str) -> None:
    """The appointment PDF's problems (found when the view kept it), or ``missing`` if none
    is kept; ``form`` has appointment_kept and appointment_errors."""
    for message in form.appointment_errors:
        form.add_error("nombramiento", message)
    if not form.appointment_kept and not form.appointment_errors:
        form.add_error("nombramiento", missing)


class EntityFieldsMixin(CompanyFieldsMixin):
    """The entity's block: a public entity's RUC (third digit 6), its name, address and
    phone, and the VUE procedures it handles."""

    ruc = forms.CharField(label="RUC de la entidad", max_length=13)
    razon_social = forms.CharField(label="Nombre de la entidad", max_length=200)
    direccion_empresa = forms.CharField(label="Dirección de la entidad", max_length=300)
    telefono_empresa = LandlineField(label="Teléfono de la entidad", max_length=20)
    # Required (one or more), said in clean_procedures: the person's block words every
    # required field's message alike.
    procedures = forms.MultipleChoiceField(
        label="Trámites de la VUE",
        required=False,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Los trámites que la entidad realiza en la VUE (uno o más).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedures"].choices = procedure_choices()  # type: ignore[attr-defined]

    def clean_ruc(self) -> str:
        ruc = super().clean_ruc()
        if self.ruc_kind != "publica":
            raise ValidationError(PUBLIC_RUC_REQUIRED)
        return ruc

    def clean_procedures(self) -> tuple[str, ...]:
        return chosen_procedures(self.cleaned_data["procedures"])


class RepresentanteEntidadForm(CertificateFieldsMixin, PersonForm, EntityFieldsMixin):
    """Pasos 3–5: Solicitud del uso (Representante de la entidad): the entity block, the
    person, the appointment (kept by the view, like the certificates) and the certificate."""

    posicion = forms.ChoiceField(
        label="Posición",
        choices=[(p, p) for p in ENTITY_REPRESENTATIVE_POSITIONS],
        initial=ENTITY_REPRESENTATIVE_POSITIONS[0],
    )
    nombramiento = forms.FileField(
        label="Nombramiento o delegación (PDF)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
        help_text="El documento que le nombra o le delega como representante de la entidad.",
    )

    def __init__(
        self,
        *args: Any,
        appointment_kept: bool = False,
        appointment_errors: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.appointment_kept = appointment_kept
        self.appointment_errors = appointment_errors or []

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        appointment_errors_add(self, "Adjunte el nombramiento o la delegación en formato PDF.")
        return data


class GeneralForm(PersonForm):
    """Pasos 3–5: Solicitud del uso (General): the person alone, with a cédula or a passport."""

    doc_type = forms.ChoiceField(
        label="Tipo de documento", choices=[(CEDULA, CEDULA), (PASAPORTE, PASAPORTE)]
    )
    doc_country = forms.ChoiceField(label="País emisor del pasaporte", required=False, choices=())
    posicion = forms.ChoiceField(label="Posición", choices=[(GENERAL_POSITION, GENERAL_POSITION)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["doc_country"].choices = [("", "--Selección--"), *passport_countries()]  # type: ignore[attr-defined]

    def clean_cedula(self) -> str:
        value = self.cleaned_data["cedula"]
        if self.data.get(self.add_prefix("doc_type")) == PASAPORTE:
            return validators.validate_passport(value)
        return validators.validate_cedula(value)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("doc_type") == PASAPORTE and not data.get("doc_country"):
            self.add_error("doc_country", "Seleccione el país que emitió el pasaporte.")
        if data.get("doc_type") != PASAPORTE:
            data["doc_country"] = ""
        return data


OCE_TYPE_EMPTY = "--Selección--"


class OceRowForm(forms.Form):
    oce_type = forms.ModelChoiceField(
        label="Tipo de OCEs",
        queryset=OceType.objects.filter(active=True),
        empty_label=OCE_TYPE_EMPTY,
    )
    code = forms.RegexField(
        label="Código de OCEs",
        regex=r"^\d{8}$",
        error_messages={"invalid": "El código de OCE tiene 8 dígitos."},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "maxlength": "8", "aria-describedby": "oce-code-help"}
        ),
    )
    start_month = forms.TypedChoiceField(
        label="Mes de inicio",
        coerce=int,
        choices=[("", "--"), *((m, f"{m:02d}") for m in range(1, 13))],
    )
    start_year = forms.IntegerField(label="Año de inicio", min_value=1950, max_value=2100)
    end_date = forms.DateField(
        label="Fecha de fin",
        initial=datetime.date(9999, 12, 31),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.DateInput(format="%d/%m/%Y"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED

    def has_changed(self) -> bool:
        # A row the browser removed (Eliminar) posts nothing at all: it is empty,
        # not a row whose default end date was cleared.
        if self.is_bound and not any(self.add_prefix(name) in self.data for name in self.fields):
            return False
        return super().has_changed()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        year, month, end = data.get("start_year"), data.get("start_month"), data.get("end_date")
        if year and month and end and end < datetime.date(year, month, 1):
            self.add_error("end_date", "La fecha de fin es anterior al inicio.")
        return data


OCE_TABLE_INCOMPLETE = (
    "No recibimos completos los datos de control de la tabla de OCE (quizás la página no "
    "terminó de cargar). Sus datos y archivos se conservan: revise las filas de OCE que se "
    "muestran y pulse el botón de nuevo."
)


class BaseOceFormSet(forms.BaseFormSet):
    """The OCE table; a missing or garbled management form is rebuilt from the posted rows
    and refused with a Spanish message (not Django's stock one), so no typed row is lost."""

    management_repaired = False

    @cached_property
    def management_form(self) -> ManagementForm:
        if not self.is_bound:
            form: ManagementForm = forms.BaseFormSet.management_form.func(self)  # type: ignore[attr-defined]
            return form
        kwargs: dict[str, Any] = {
            "auto_id": self.auto_id,
            "prefix": self.prefix,
            "renderer": self.renderer,  # type: ignore[attr-defined]
        }
        form = ManagementForm(self.data, **kwargs)
        if form.is_valid():
            return form
        self.management_repaired = True
        form = ManagementForm(
            {
                self.add_prefix(TOTAL_FORM_COUNT): self._posted_rows(),
                self.add_prefix(INITIAL_FORM_COUNT): 0,
                self.add_prefix(MIN_NUM_FORM_COUNT): self.min_num,
                self.add_prefix(MAX_NUM_FORM_COUNT): self.max_num,
            },
            **kwargs,
        )
        form.full_clean()
        return form

    def _posted_rows(self) -> int:
        """How many rows the POST holds (by their highest index), within max_num."""
        row = re.compile(rf"{re.escape(str(self.prefix))}-([0-9]{{1,4}})-\w+")
        indices = [int(m.group(1)) for key in self.data if (m := row.fullmatch(key))]
        return min(max(indices) + 1 if indices else self.extra, self.max_num)

    def clean(self) -> None:
        if self.management_repaired:
            raise ValidationError(OCE_TABLE_INCOMPLETE, code="missing_management_form")
        if any(self.errors):
            return
        codes: set[str] = set()
        rows = 0
        for form in self.forms:
            if not form.has_changed() or form.cleaned_data.get("DELETE"):
                continue
            code = form.cleaned_data.get("code")
            if code in codes:
                raise ValidationError(f"El código de OCE {code} está repetido.")
            codes.add(code)
            rows += 1
        if rows == 0:
            raise ValidationError("Agregue al menos un OCE (tipo, código e inicio).")


OceFormSet = forms.formset_factory(
    OceRowForm, formset=BaseOceFormSet, extra=3, can_delete=True, max_num=50, validate_max=True
)


class CorrectionForm(CompanyFieldsMixin, forms.Form):
    """The correction of an observed or failed request: only the open items can change.

    `editable` comes from services.correctable_items. Every other data field is
    a disabled, unvalidated copy of the request's value, so whatever a browser
    posts for it is ignored; the file fields exist only when the certificates
    are open. The view checks and keeps the files (as for the Representante
    form) before the form: the form only knows how many are kept.
    """

    cedula = forms.CharField(label="Doc. Identificación", max_length=13)
    nombre_usuario = forms.CharField(label="Nombre Usuario", max_length=150)
    email = forms.EmailField(label="Correo Electrónico", max_length=254)
    email2 = forms.EmailField(label="Confirmación de correo electrónico", max_length=254)
    certificados = MultipleCertificateField(label="Agregar certificado digital")
    remove_files = forms.MultipleChoiceField(
        label="Certificados actuales (marque los que quiera eliminar)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    firma_reto = forms.FileField(
        label="Firma del reto (.p7s)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".p7s,.p7m,.pem,.der"}),
    )
    # A public entity's: its VUE procedures, and its representative's appointment (kept by
    # the view like the certificates; the form knows whether one is kept).
    procedures = forms.MultipleChoiceField(
        label="Trámites de la VUE",
        required=False,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
    )
    nombramiento = forms.FileField(
        label="Nombramiento o delegación (PDF)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )

    COMPANY_FIELDS = ("ruc", "razon_social", "direccion_empresa", "telefono_empresa", "procedures")
    PERSON_FIELDS = ("cedula", "nombre_usuario", "email")
    FILE_FIELDS = ("certificados", "remove_files", "firma_reto")

    def __init__(
        self,
        *args: Any,
        file_choices: list[tuple[str, str]],
        editable: Collection[str],
        removable: Collection[int] | None = None,
        staged_count: int = 0,
        file_errors: list[str] | None = None,
        shown: Collection[str] | None = None,
        kind: str = "",
        appointment_kept: bool = False,
        appointment_errors: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        # The fields of the request's kind (its declaration's snapshot); the others go.
        if shown is not None:
            for name in self.COMPANY_FIELDS:
                if name not in shown:
                    del self.fields[name]
        if kind:  # in the kind's words ("RUC de la entidad")
            for name in (*self.COMPANY_FIELDS, *self.PERSON_FIELDS):
                if name in self.fields:
                    self.fields[name].label = declaration_for(kind).label(name)
        self.editable = frozenset(editable)
        self.files_open = CERTIFICATES_ITEM in self.editable
        self.file_count = len(file_choices)
        self.staged_count = staged_count
        self.file_errors = file_errors or []
        self.ruc_warnings: tuple[str, ...] = ()
        if "procedures" in self.fields:
            self.fields["procedures"].choices = procedure_choices()  # type: ignore[attr-defined]
        for name in (*self.COMPANY_FIELDS, *self.PERSON_FIELDS):
            if name == "procedures" and name in self.fields and name not in self.editable:
                # Still the checkboxes, ticked as sent, but disabled.
                self.fields[name].disabled = True
                self.fields[name].help_text = "Solo lectura: no forma parte de esta corrección."
            elif name in self.fields and name not in self.editable:
                self.fields[name] = forms.CharField(
                    label=self.fields[name].label,
                    required=False,
                    disabled=True,
                    help_text="Solo lectura: no forma parte de esta corrección.",
                )
        if "email" not in self.editable:
            del self.fields["email2"]
        self.appointment_open = APPOINTMENT_ITEM in self.editable
        self.appointment_kept = appointment_kept
        self.appointment_errors = appointment_errors or []
        if not self.appointment_open:
            del self.fields["nombramiento"]
        if self.files_open:
            self.fields["remove_files"].choices = [  # type: ignore[attr-defined]
                (pk, name) for pk, name in file_choices if removable is None or int(pk) in removable
            ]
        else:
            for name in self.FILE_FIELDS:
                del self.fields[name]
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED

    def company_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.COMPANY_FIELDS if name in self.fields]

    def person_fields(self) -> list[forms.BoundField]:
        extra = ("email2",) if "email2" in self.fields else ()
        return [self[name] for name in (*self.PERSON_FIELDS, *extra)]

    def clean_ruc(self) -> str:
        if "ruc" not in self.editable:
            return str(self.cleaned_data.get("ruc") or "")
        ruc = super().clean_ruc()
        entity = bool(self.kind) and declaration_for(self.kind).organisation == "entidad"
        if entity and self.ruc_kind != "publica":
            raise ValidationError(PUBLIC_RUC_REQUIRED)
        return ruc

    def clean_procedures(self) -> tuple[str, ...]:
        if "procedures" not in self.editable:
            return ()
        return chosen_procedures(self.cleaned_data["procedures"])

    def clean_cedula(self) -> str:
        if "cedula" not in self.editable:
            return str(self.cleaned_data.get("cedula") or "")
        return validators.validate_cedula(self.cleaned_data["cedula"])

    def _ruc_is_natural(self, ruc: str) -> bool:
        if "ruc" in self.editable:
            return getattr(self, "ruc_kind", "") == "natural"
        try:
            return validators.validate_ruc(ruc).kind == "natural"
        except ValidationError:
            return False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            "email2" in self.fields
            and data.get("email")
            and data.get("email2")
            and data["email"].lower() != data["email2"].lower()
        ):
            self.add_error("email2", "La confirmación no coincide con el Correo Electrónico.")
        ruc, cedula = data.get("ruc"), data.get("cedula")
        if (
            ruc
            and cedula
            and self.editable & {"ruc", "cedula"}
            and self._ruc_is_natural(ruc)
            and not validators.ruc_matches_cedula(ruc, cedula)
        ):
            self.add_error(
                "ruc" if "ruc" in self.editable else "cedula",
                "Para una persona natural, el RUC empresa debe empezar con su Doc. Identificación.",
            )
        if self.files_open:
            for message in self.file_errors:
                self.add_error("certificados", message)
            kept = self.file_count - len(data.get("remove_files") or []) + self.staged_count
            if kept <= 0 and not self.file_errors:
                self.add_error("certificados", "Debe quedar al menos un certificado digital.")
        if self.appointment_open:
            appointment_errors_add(
                self, "Adjunte el nombramiento o la delegación corregido, en formato PDF."
            )
        return data


class AnnualUpdateForm(ContactFieldsMixin):
    """ "3.2.3 Modificar información del uso": the user's contact data (and their
    organisation's phone, for its representative), saved with the code sent by email."""

    telefono_empresa = LandlineField(label="Teléfono empresa", max_length=20)
    codigo = forms.CharField(
        label="Código enviado a su correo",
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    acepta_convenio = forms.BooleanField(label="Acepto el Convenio de uso de ECUAPASS")

    def __init__(
        self,
        *args: Any,
        fields: Collection[str],
        organisation_label: str = "",
        terms: TermsVersion | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.terms = terms  # a convenio the user has yet to accept, or None
        if terms is None:
            del self.fields["acepta_convenio"]
        else:
            self.fields[
                "acepta_convenio"
            ].label = f"Acepto el {terms.title} (versión {terms.number})"
        if "telefono_empresa" in fields:
            self.fields["telefono_empresa"].label = organisation_label or "Teléfono empresa"
        else:
            del self.fields["telefono_empresa"]
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED
        if "acepta_convenio" in self.fields:
            self.fields["acepta_convenio"].error_messages["required"] = TERMS_REQUIRED

    def clean_codigo(self) -> str:
        code = str(self.cleaned_data.get("codigo") or "").strip()
        if code and not (code.isascii() and code.isdigit()):
            raise ValidationError("El código tiene solo dígitos.")
        return code

    def values(self) -> dict[str, Any]:
        """The data fields as the service takes them (without the code)."""
        return {
            name: v
            for name, v in self.cleaned_data.items()
            if name not in ("codigo", "acepta_convenio")
        }
