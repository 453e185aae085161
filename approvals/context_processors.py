"""What every page shows an organisation's representative: the member requests waiting for them."""

from __future__ import annotations

from django.http import HttpRequest

from approvals.company import admin_title, pending_employee_count
from registration.models import User


def employee_admin(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    title = admin_title(user=user)
    if not title:
        return {}
    return {
        "represents_company": True,
        "admin_title": title,
        "employees_pending": pending_employee_count(user=user),
    }
