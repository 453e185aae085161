from django.contrib.auth import views as auth_views
from django.urls import path

from registration import views

app_name = "registration"

urlpatterns = [
    path("", views.home, name="home"),
    path("solicitud-del-uso/", views.solicitud_index, name="solicitud_index"),
    path("solicitud-del-uso/representante/", views.representante_new, name="representante_new"),
    path("solicitud-del-uso/estado/<str:token>/", views.request_status, name="status"),
    path("solicitud-del-uso/corregir/<str:token>/", views.request_correct, name="correct"),
    path("catalogos/cantones/", views.cantones, name="cantones"),
    path("iniciar-sesion/", views.LoginView.as_view(), name="login"),
    path("cerrar-sesion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mi-pagina/", views.mi_pagina, name="mi_pagina"),
]
