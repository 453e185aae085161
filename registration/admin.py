from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from registration import models


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


@admin.register(models.RegistrationRequest)
class RegistrationRequestAdmin(admin.ModelAdmin):
    """Read-only: states change through the process, never by editing rows."""

    list_display = ("tracking_number", "kind", "status", "ruc", "razon_social", "cedula", "created")
    list_filter = ("status", "kind", "province")
    search_fields = ("tracking_number", "ruc", "cedula", "nombre_usuario", "id_usuario")
    exclude = ("password_hash", "answer1_hash", "answer2_hash", "answer3_hash")
    inlines = [OceInline, CertificateInline, EventInline]

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
