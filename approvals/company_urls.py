from django.urls import path

from approvals import company_views

app_name = "empleados"

urlpatterns = [
    path("", company_views.pending, name="pending"),
    path("solicitud/<int:task_pk>/", company_views.decide, name="decide"),
    path("activos/", company_views.employees, name="employees"),
    path("activos/<int:request_pk>/", company_views.employee, name="employee"),
]
