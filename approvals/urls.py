from django.urls import path

from approvals import two_factor, views

app_name = "approvals"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("2fa/activar/", two_factor.enroll, name="two_factor_enroll"),
    path("2fa/verificar/", two_factor.verify, name="two_factor_verify"),
    path("panel/", views.dashboard, name="dashboard"),
    path("auditoria.csv", views.audit_csv, name="audit_csv"),
    path("tarea/<int:task_pk>/", views.review_detail, name="review"),
    path("tarea/<int:task_pk>/nombramiento/", views.review_appointment, name="review_appointment"),
    path("tarea/<int:task_pk>/tomar/", views.review_take, name="take"),
    path("tarea/<int:task_pk>/liberar/", views.review_release, name="release"),
    path("tarea/<int:task_pk>/reasignar/", views.review_reassign, name="reassign"),
    path("tarea/<int:task_pk>/decidir/", views.review_decide, name="decide"),
    path("personal/", views.staff, name="staff"),
    path(
        "personal/<int:user_pk>/restablecer-2fa/",
        views.staff_second_factor_reset,
        name="staff_second_factor_reset",
    ),
    path("trabajos-fallidos/", views.failed_jobs, name="failed_jobs"),
    path("trabajos-fallidos/<int:task_pk>/reintentar/", views.job_retry, name="job_retry"),
]
