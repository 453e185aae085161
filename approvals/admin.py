from django.contrib import admin

from approvals.models import RejectionReason


@admin.register(RejectionReason)
class RejectionReasonAdmin(admin.ModelAdmin):
    """The catalogue of rejection reasons reviewers choose from; editable by administrators."""

    list_display = ("text", "position", "active")
    list_editable = ("position", "active")
    search_fields = ("text",)
