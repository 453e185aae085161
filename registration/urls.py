from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from registration.views import (
    account,
    annual_update,
    confirmation,
    correction,
    lookups,
    portal,
    recovery,
    solicitud,
    status,
)


class TrackingNumberConverter:
    """SOL-2026-000001: names a request in a URL (not a secret; access is the session's)."""

    regex = r"SOL-[0-9]{4}-[0-9]{6,}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TrackingNumberConverter, "tracking")

app_name = "registration"

urlpatterns = [
    path("", portal.home, name="home"),
    path("solicitud-del-uso/", portal.solicitud_index, name="solicitud_index"),
    path("solicitud-del-uso/representante/", solicitud.representante_new, name="representante_new"),
    path("solicitud-del-uso/general/", solicitud.general_new, name="general_new"),
    path("solicitud-del-uso/empleado/", solicitud.empleado_new, name="empleado_new"),
    path("solicitud-del-uso/empleado/consultar/", lookups.employer_lookup, name="employer_lookup"),
    path(
        "solicitud-del-uso/representante-entidad/",
        solicitud.representante_entidad_new,
        name="representante_entidad_new",
    ),
    path("solicitud-del-uso/entidad/", solicitud.entidad_new, name="entidad_new"),
    path("solicitud-del-uso/entidad/consultar/", lookups.entity_lookup, name="entity_lookup"),
    path(
        "solicitud-del-uso/representante-entidad/consultar/",
        lookups.entity_registry_lookup,
        name="entity_registry_lookup",
    ),
    path("solicitud-del-uso/consulta/", status.request_lookup, name="lookup"),
    # The emailed link (?t=<token>) becomes this browser's grant, then the clean URLs below.
    path("solicitud-del-uso/estado/", status.status_open, name="status_open"),
    path(
        "solicitud-del-uso/estado/<tracking:tracking_number>/",
        status.request_status,
        name="status",
    ),
    path(
        "solicitud-del-uso/estado/<tracking:tracking_number>/json/",
        status.request_status_json,
        name="status_json",
    ),
    path(
        "solicitud-del-uso/estado/<tracking:tracking_number>/confirmar-correo/",
        confirmation.email_confirm,
        name="email_confirm",
    ),
    path(
        "solicitud-del-uso/estado/<tracking:tracking_number>/reenviar-codigo/",
        confirmation.email_code_resend,
        name="email_code_resend",
    ),
    # Links in emails sent before the token left the path: exchanged the same way.
    path("solicitud-del-uso/estado/<str:token>/", status.status_open, name="status_legacy"),
    path(
        "solicitud-del-uso/corregir/<tracking:tracking_number>/",
        correction.request_correct,
        name="correct",
    ),
    path(
        "solicitud-del-uso/corregir/<tracking:tracking_number>/acceso/",
        correction.correction_access,
        name="correct_access",
    ),
    path(
        "solicitud-del-uso/corregir/<tracking:tracking_number>/reto/",
        correction.correction_challenge_download,
        name="correction_challenge",
    ),
    path("solicitud-del-uso/disponibilidad/", lookups.availability, name="availability"),
    path("solicitud-del-uso/archivos/", lookups.staged_upload, name="staged_upload"),
    path("solicitud-del-uso/archivos/eliminar/", lookups.staged_delete, name="staged_delete"),
    path("solicitud-del-uso/archivos/<int:pk>/", lookups.staged_download, name="staged_download"),
    path("solicitud-del-uso/reto/<uuid:token>/", lookups.challenge_download, name="challenge"),
    path("servicios/ruc/", portal.ruc_consulta, name="ruc_consulta"),
    path("servicios/ruc/consultar/", lookups.company_lookup, name="company_lookup"),
    path("servicios/catalogos/", portal.catalogos, name="catalogos"),
    path("buscar-id/", recovery.buscar_id, name="buscar_id"),
    path("buscar-id/reinicio/", recovery.reset_request, name="reset_request"),
    path("buscar-id/reinicio/codigo/", recovery.reset_code, name="reset_code"),
    path("buscar-id/reinicio/nueva-clave/", recovery.reset_password, name="reset_password"),
    path("iniciar-sesion/", portal.LoginView.as_view(), name="login"),
    path("cerrar-sesion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mi-pagina/", portal.mi_pagina, name="mi_pagina"),
    path(
        "mi-pagina/modificar-informacion/",
        annual_update.annual_update,
        name="annual_update",
    ),
    path("mi-pagina/buzon/", portal.buzon, name="buzon"),
    path("mi-pagina/empresa/", portal.mi_empresa, name="mi_empresa"),
    path("mi-pagina/contrasena/", account.password_change, name="password_change"),
    path("mi-pagina/correo/", account.email_change, name="email_change"),
    path("mi-pagina/correo/confirmar/", account.email_change_confirm, name="email_change_confirm"),
    path("mi-pagina/correo/reenviar/", account.email_change_resend, name="email_change_resend"),
    path("mi-pagina/sms/", account.sms_preference, name="sms_preference"),
]
