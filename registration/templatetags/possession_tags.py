"""The challenge's expiry, written as the signed challenge text writes it."""

from __future__ import annotations

from datetime import datetime

from django import template

from registration.certificates.possession import expiry_label

register = template.Library()


@register.filter
def challenge_expiry(expires_at: datetime | None) -> str:
    return expiry_label(expires_at) if expires_at is not None else ""
