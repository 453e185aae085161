"""What every page shows a company's representative: the employee requests waiting for them."""

from __future__ import annotations

from django.http import HttpRequest

from approvals.company import pending_employee_count
from registration.models import User
from registration.selectors import user_represented_companies


def employee_admin(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    if not user_represented_companies(user=user).exists():
        return {}
    return {"represents_company": True, "employees_pending": pending_employee_count(user=user)}
