"""Observed items (field names, certificate files) as people read them."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from registration.services import correction_item_label

register = template.Library()


@register.filter
def item_labels(items: Iterable[str], kind: str = "") -> str:
    """``{{ req.observed_items|item_labels:req.kind }}``: in the words of the request's kind."""
    return ", ".join(correction_item_label(item, kind) for item in items or ())
