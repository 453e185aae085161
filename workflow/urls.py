from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("registration.urls")),
    path("revision/", include("approvals.urls")),
    path("mi-pagina/empleados/", include("approvals.company_urls")),
    path("admin/", admin.site.urls),
]
