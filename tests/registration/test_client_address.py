"""The client IP behind a reverse proxy: X-Forwarded-For only from ECUAPASS_TRUSTED_PROXIES.

Rate limits, the request history, the account audit and django-axes all take the
address from `registration.ratelimit.client_ip`.
"""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client, RequestFactory

from registration.models import AccountAction, AccountEvent, RequestEvent
from registration.ratelimit import client_address, client_ip
from registration.tasks import lookup_user_id
from tests.conftest import form_data
from tests.support import pki

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    cache.clear()


def seen(remote: str | None, forwarded: str | None = None) -> str | None:
    request = RequestFactory().get("/")
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    return client_ip(request)


def test_without_trusted_proxies_the_header_is_ignored(settings: object) -> None:
    settings.ECUAPASS_TRUSTED_PROXIES = ()  # type: ignore[attr-defined]
    assert seen("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert seen(PROXY, "198.51.100.1") == PROXY


def test_from_a_trusted_proxy_the_right_most_untrusted_address_is_the_client(
    settings: object,
) -> None:
    settings.ECUAPASS_TRUSTED_PROXIES = (PROXY, "192.168.10.0/24")  # type: ignore[attr-defined]
    assert seen(PROXY, "198.51.100.1") == "198.51.100.1"
    # Whatever the client wrote to the left of what the proxies added proves nothing.
    assert seen(PROXY, "1.1.1.1, 198.51.100.1") == "198.51.100.1"
    # Two proxies (the CIDR one forwarded to PROXY): skip both.
    assert seen(PROXY, "1.1.1.1, 198.51.100.1, 192.168.10.7") == "198.51.100.1"
    assert seen(PROXY, " 2001:db8::7 ") == "2001:db8::7"
    # No header, or only proxies in it: the last proxy is all we know.
    assert seen(PROXY) == PROXY
    assert seen(PROXY, "192.168.10.7") == "192.168.10.7"
    # Garbage stops the walk at the last address a proxy vouched for.
    assert seen(PROXY, "198.51.100.1, no-es-ip") == PROXY


def test_a_peer_that_is_not_a_trusted_proxy_cannot_choose_its_address(settings: object) -> None:
    settings.ECUAPASS_TRUSTED_PROXIES = (PROXY,)  # type: ignore[attr-defined]
    assert seen("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert seen("203.0.113.9", f"198.51.100.1, {PROXY}") == "203.0.113.9"


def test_no_peer_address_is_unknown(settings: object) -> None:
    settings.ECUAPASS_TRUSTED_PROXIES = (PROXY,)  # type: ignore[attr-defined]
    assert seen(None, "198.51.100.1") is None
    request = RequestFactory().get("/")
    del request.META["REMOTE_ADDR"]
    assert client_address(request) == "desconocido"


def test_rate_limits_count_the_forwarded_client_only_behind_a_trusted_proxy(
    reference_data: None, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("registration.ratelimit.time.time", lambda: 1_800_000_000.0)
    settings.ECUAPASS_LOOKUP_RATE_PER_MINUTE = 2  # type: ignore[attr-defined]
    settings.ECUAPASS_TRUSTED_PROXIES = (PROXY,)  # type: ignore[attr-defined]

    def lookup(remote: str, forwarded: str) -> int:
        return (
            Client(REMOTE_ADDR=remote)
            .get(
                "/solicitud-del-uso/disponibilidad/",
                {"campo": "id_usuario", "valor": "libre01"},
                HTTP_X_FORWARDED_FOR=forwarded,
            )
            .status_code
        )

    # Behind the proxy, two people are two clients: one's limit is not the other's.
    assert [lookup(PROXY, "198.51.100.1") for _ in range(3)] == [200, 200, 429]
    assert lookup(PROXY, "198.51.100.2") == 200
    # A client reaching us directly can't reset its count by inventing a header.
    assert [lookup("203.0.113.9", f"198.51.100.{i}") for i in range(10, 13)] == [200, 200, 429]


def test_the_audits_record_the_forwarded_client_behind_a_trusted_proxy(
    reference_data: None,
    settings: object,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    good_certificate: bytes,
    applicant_certificate: pki.CertificateAndKey,
) -> None:
    settings.ECUAPASS_TRUSTED_PROXIES = (PROXY,)  # type: ignore[attr-defined]
    # The request history (submission) through the proxy.
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1")
    response = client.post(
        "/solicitud-del-uso/representante/",
        form_data(client, certificate=good_certificate, signer=applicant_certificate),
    )
    assert response.status_code == 302
    assert RequestEvent.objects.get(to_status="submitted").source_ip == "198.51.100.1"
    # The account audit: through the proxy, and straight from a client faking the header.
    # Buscar ID writes its audit row in a job that gets the client address: run it at once.
    monkeypatch.setattr(
        lookup_user_id, "apply_async", lambda args, **kwargs: lookup_user_id.run(*args)
    )
    data = {"cedula": pki.DEFAULT_CEDULA, "email": "nadie@example.com"}
    with django_capture_on_commit_callbacks(execute=True):
        Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.2").post("/buscar-id/", data)
        Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.3").post(
            "/buscar-id/", data
        )
    assert list(
        AccountEvent.objects.filter(action=AccountAction.ID_LOOKUP)
        .order_by("id")
        .values_list("source_ip", flat=True)
    ) == ["198.51.100.2", "203.0.113.9"]
    # django-axes' failed-login record.
    Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.4").post(
        "/iniciar-sesion/", {"username": "nadie01", "password": "equivocada"}
    )
    assert AccessAttempt.objects.get(username="nadie01").ip_address == "198.51.100.4"
