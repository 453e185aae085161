from django.contrib.auth import views as auth_views
from django.urls import path

from registration.views import lookups, portal, solicitud

app_name = "registration"

urlpatterns = [
    path("", portal.home, name="home"),
    path("solicitud-del-uso/", portal.solicitud_index, name="solicitud_index"),
    path("solicitud-del-uso/representante/", solicitud.representante_new, name="representante_new"),
    path("solicitud-del-uso/consulta/", solicitud.request_lookup, name="lookup"),
    path("solicitud-del-uso/estado/<str:token>/", solicitud.request_status, name="status"),
    path(
        "solicitud-del-uso/estado/<str:token>/json/",
        solicitud.request_status_json,
        name="status_json",
    ),
    path("solicitud-del-uso/corregir/<str:token>/", solicitud.request_correct, name="correct"),
    path("solicitud-del-uso/disponibilidad/", lookups.availability, name="availability"),
    path("solicitud-del-uso/archivos/", lookups.staged_upload, name="staged_upload"),
    path("solicitud-del-uso/archivos/eliminar/", lookups.staged_delete, name="staged_delete"),
    path("solicitud-del-uso/archivos/<int:pk>/", lookups.staged_download, name="staged_download"),
    path("solicitud-del-uso/reto/<uuid:token>/", lookups.challenge_download, name="challenge"),
    path("servicios/ruc/", portal.ruc_consulta, name="ruc_consulta"),
    path("servicios/ruc/consultar/", lookups.company_lookup, name="company_lookup"),
    path("servicios/catalogos/", portal.catalogos, name="catalogos"),
    path("buscar-id/", portal.buscar_id, name="buscar_id"),
    path("iniciar-sesion/", portal.LoginView.as_view(), name="login"),
    path("cerrar-sesion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mi-pagina/", portal.mi_pagina, name="mi_pagina"),
    path("mi-pagina/buzon/", portal.buzon, name="buzon"),
]
