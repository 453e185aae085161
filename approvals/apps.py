from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Aprobaciones SENAE"
    default_auto_field = "django.db.models.BigAutoField"


class VerifiedAdminConfig(admin_apps.AdminConfig):
    """The Django admin, behind the staff second factor (approvals.staff_access)."""

    default = False  # named in INSTALLED_APPS in place of django.contrib.admin
    default_site = "approvals.staff_access.VerifiedAdminSite"
