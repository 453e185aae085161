from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    """The processes: one flow per kind of request, the Celery job node, process services."""

    name = "workflow"
    verbose_name = "Procesos de solicitud"
    default_auto_field = "django.db.models.BigAutoField"
