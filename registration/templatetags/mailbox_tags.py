"""Buzón Electrónico: a message's text with its links named, not printed as raw URLs."""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html, linebreaks
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_URL = re.compile(r"https?://[^\s<>\"']+")
# The status link every request message carries (registration:status).
_STATUS_PATH = "/solicitud-del-uso/estado/"


def _link(url: str) -> str:
    label = "Ver el estado de su solicitud" if _STATUS_PATH in url else "Abrir el enlace"
    return str(format_html('<a href="{}">{}</a>', url, label))


@register.filter
def mailbox_body(text: str) -> SafeString:
    """Paragraphs of escaped text; each URL becomes a link that says where it goes."""
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(text or ""):
        parts.append(str(format_html("{}", text[last : match.start()])))
        parts.append(_link(match.group(0)))
        last = match.end()
    parts.append(str(format_html("{}", (text or "")[last:])))
    # linebreaks escapes only unsafe input; the parts are already escaped.
    return mark_safe(linebreaks("".join(parts)))  # noqa: S308
