from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Aprobaciones SENAE"
    default_auto_field = "django.db.models.BigAutoField"
