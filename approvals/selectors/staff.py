"""SENAE staff: the role groups, reviewers and supervisors listed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from registration.models import User

REVIEWER_GROUP = "SENAE revisor"
SUPERVISOR_GROUP = "SENAE supervisor"
STAFF_GROUPS = (REVIEWER_GROUP, SUPERVISOR_GROUP)


def reviewers() -> QuerySet[User]:
    return (
        User.objects.filter(
            Q(groups__permissions__codename="review_registration")
            | Q(user_permissions__codename="review_registration"),
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


@dataclass(frozen=True)
class StaffMember:
    pk: int
    username: str
    name: str
    roles: str
    has_device: bool
    last_login: datetime | None


def staff_members() -> list[StaffMember]:
    """SENAE reviewers and supervisors, with whether they have an authenticator."""
    from approvals.models import StaffTOTPDevice

    users = (
        User.objects.filter(is_active=True, groups__name__in=STAFF_GROUPS)
        .annotate(
            has_device=Exists(StaffTOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
        )
        .prefetch_related("groups")
        .distinct()
        .order_by("username")
    )
    return [
        StaffMember(
            pk=u.pk,
            username=u.username,
            name=u.get_full_name(),
            roles=", ".join(sorted(g.name for g in u.groups.all() if g.name in STAFF_GROUPS)),
            has_device=u.has_device,
            last_login=u.last_login,
        )
        for u in users
    ]
