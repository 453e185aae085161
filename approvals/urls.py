from django.urls import path

from approvals import views

app_name = "approvals"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("tarea/<int:task_pk>/", views.review_detail, name="review"),
    path("tarea/<int:task_pk>/tomar/", views.review_take, name="take"),
    path("tarea/<int:task_pk>/liberar/", views.review_release, name="release"),
    path("tarea/<int:task_pk>/decidir/", views.review_decide, name="decide"),
    path("trabajos-fallidos/", views.failed_jobs, name="failed_jobs"),
    path("trabajos-fallidos/<int:task_pk>/reintentar/", views.job_retry, name="job_retry"),
]
