"""Small formatting filters for the reviewer pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, "")


@register.filter
def split(value: str, separator: str) -> list[str]:
    return value.split(separator)


@register.filter
def hours_days(age: timedelta) -> str:
    """Business time as "1 d 4 h"."""
    hours = int(age.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if days else f"{hours} h"
