from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from registration import models, services


@admin.register(models.User)
class EcuapassUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), ("ECUAPASS", {"fields": ("cedula",)}))
    list_display = ("username", "cedula", "email", "first_name", "is_active", "is_staff")
    search_fields = ("username", "cedula", "email", "first_name")


@admin.register(models.Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("ruc", "razon_social", "telefono")
    search_fields = ("ruc", "razon_social")


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OceInline(ReadOnlyInline):
    model = models.OceRow


class CertificateInline(ReadOnlyInline):
    model = models.CertificateFile
    exclude = ("file",)


class EventInline(ReadOnlyInline):
    model = models.RequestEvent


class CompanyDetailsInline(ReadOnlyInline):
    model = models.CompanyDetails


@admin.register(models.RegistrationRequest)
class RegistrationRequestAdmin(admin.ModelAdmin):
    """Read-only: states change through the process, never by editing rows."""

    list_display = ("tracking_number", "kind", "status", "ruc", "razon_social", "cedula", "created")
    list_filter = ("status", "kind", "province")
    search_fields = ("tracking_number", "ruc", "cedula", "nombre_usuario", "id_usuario")
    exclude = ("password_hash", "answer1_hash", "answer2_hash", "answer3_hash")
    inlines = [CompanyDetailsInline, OceInline, CertificateInline, EventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


for catalogue in (
    models.Province,
    models.Canton,
    models.OceType,
    models.SecurityQuestion,
    models.MobileOperator,
):
    admin.site.register(catalogue)


class TrustAnchorUploadForm(forms.ModelForm):
    """Add a CA by uploading its certificate; the fields are read from it."""

    upload = forms.FileField(label="Certificado de la CA (PEM, DER o PKCS#7)", required=False)

    class Meta:
        model = models.TrustAnchor
        fields = ["name", "identity_arc", "active", "is_demo"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("upload")
        if self.instance.pk is None and upload is None:
            self.add_error("upload", "Suba el certificado de la CA.")
        if upload is not None:
            self.uploaded_bytes = upload.read()
            problem = services.trust.anchor_file_problem(self.uploaded_bytes)
            if problem:
                self.add_error("upload", problem)
        return data


@admin.register(models.TrustAnchor)
class TrustAnchorAdmin(admin.ModelAdmin):
    """The trust store: which CAs SENAE trusts is data, managed here or by import_trust_anchors."""

    form = TrustAnchorUploadForm
    list_display = ("name", "is_root", "identity_arc", "not_after", "active", "is_demo")
    list_filter = ("active", "is_root", "is_demo")
    search_fields = ("name", "subject", "sha256")
    readonly_fields = ("subject", "sha256", "is_root", "not_after")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = getattr(form, "uploaded_bytes", None)
        if data is None:
            super().save_model(request, obj, form, change)
            return
        anchors = services.trust_anchors_import(
            data=data,
            name=form.cleaned_data["name"],
            identity_arc=form.cleaned_data["identity_arc"],
            is_demo=form.cleaned_data["is_demo"],
        )
        obj.pk = anchors[0].pk
        obj.refresh_from_db()


@admin.register(models.CertificateBinding)
class CertificateBindingAdmin(admin.ModelAdmin):
    list_display = ("user", "issuer", "serial_number", "not_after", "active", "last_checked")
    list_filter = ("active",)
    search_fields = ("user__username", "user__cedula", "sha256", "serial_number")
    readonly_fields = [f.name for f in models.CertificateBinding._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
