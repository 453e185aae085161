"""A fixed-window rate limit per client, in the shared cache (so every process counts)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

# What a client over the limit is told: lookups (Consultar, Consulta de estado) and tries
# (codes, Buscar ID / Reinicio de clave).
TOO_MANY_LOOKUPS = "Demasiadas consultas seguidas. Espere un minuto e intente de nuevo."
TOO_MANY_TRIES = "Demasiados intentos seguidos. Espere un minuto e intente de nuevo."


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "") or "desconocido")


def rate_limited(request: HttpRequest, *, scope: str, per_minute: int | None = None) -> bool:
    """Count this request; True once the client has made more than allowed this minute."""
    limit = per_minute if per_minute is not None else settings.ECUAPASS_LOOKUP_RATE_PER_MINUTE
    window = int(time.time() // 60)
    key = f"ratelimit:{scope}:{client_address(request)}:{window}"
    if cache.add(key, 1, timeout=120):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=120)
            count = 1
    return count > limit
