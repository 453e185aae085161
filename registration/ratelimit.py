"""A fixed-window rate limit per client, in the shared cache (so every process counts)."""

from __future__ import annotations

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

# What a client over the limit is told: lookups (Consultar, Consulta de estado) and tries
# (codes, Buscar ID / Reinicio de clave).
TOO_MANY_LOOKUPS = "Demasiadas consultas seguidas. Espere un minuto e intente de nuevo."
TOO_MANY_TRIES = "Demasiados intentos seguidos. Espere un minuto e intente de nuevo."


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: IPAddress) -> bool:
    return any(
        address in ipaddress.ip_network(proxy, strict=False)
        for proxy in settings.ECUAPASS_TRUSTED_PROXIES
    )


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, or None when the peer gave none.

    The peer (REMOTE_ADDR) is the client, unless it is one of
    ECUAPASS_TRUSTED_PROXIES: then X-Forwarded-For is read from the right, and
    the first address that is not itself a trusted proxy is the client (the
    entries to its left were written by the client and prove nothing).
    """
    address = _ip(str(request.META.get("REMOTE_ADDR", "") or ""))
    if address is None or not _trusted(address):
        return str(address) if address is not None else None
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "") or "")
    for hop in reversed(forwarded.split(",")):
        hop_address = _ip(hop)
        if hop_address is None:  # garbage: stop at the last address a proxy vouched for
            break
        address = hop_address
        if not _trusted(address):
            break
    return str(address)


def client_address(request: HttpRequest) -> str:
    """What rate limits count and the audit records: the client IP, "desconocido" if none."""
    return client_ip(request) or "desconocido"


def rate_limited(request: HttpRequest, *, scope: str, per_minute: int | None = None) -> bool:
    """Count this request; True once the client has made more than allowed this minute."""
    limit = per_minute if per_minute is not None else settings.ECUAPASS_LOOKUP_RATE_PER_MINUTE
    return window_count(scope=scope, key=client_address(request)) > limit


def _window_key(scope: str, key: str, seconds: int) -> str:
    # Subjects (IDs, emails) are hashed: no personal data in cache keys, and a bounded length.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}:{seconds}:{int(time.time() // seconds)}"


def window_count(*, scope: str, key: str, seconds: int = 60) -> int:
    """Count one hit for `key` (a client address, an ID. usuario...) in this fixed window."""
    cache_key = _window_key(scope, key, seconds)
    if cache.add(cache_key, 1, timeout=seconds * 2):
        return 1
    try:
        return int(cache.incr(cache_key))
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=seconds * 2)
        return 1


def window_total(*, scope: str, key: str, seconds: int = 60) -> int:
    """The hits counted for `key` in this window so far, without counting one more."""
    return int(cache.get(_window_key(scope, key, seconds)) or 0)
