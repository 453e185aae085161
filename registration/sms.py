"""Where SMS go: a log (default) or an HTTP gateway, chosen by settings."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Protocol

from django.conf import settings

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str) -> None: ...


class LogSmsBackend:
    """Writes the message to the log: for development and for sites without a gateway."""

    def send(self, *, to: str, text: str) -> None:
        logger.info("SMS a %s: %s", to, text)


class HttpSmsBackend:
    """POSTs {"to", "text"} as JSON to the gateway, with a bearer token if configured."""

    def __init__(self, *, url: str, token: str = "", timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("ECUAPASS_SMS_GATEWAY_URL must be an http(s) URL")
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, *, to: str, text: str) -> None:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            self.url,
            data=json.dumps({"to": to, "text": text}).encode(),
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {self.token}"} if self.token else {}),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            if response.status >= 300:
                raise OSError(f"SMS gateway answered {response.status}")


def sms_backend() -> SmsBackend:
    if settings.ECUAPASS_SMS_BACKEND == "http":
        return HttpSmsBackend(
            url=settings.ECUAPASS_SMS_GATEWAY_URL, token=settings.ECUAPASS_SMS_GATEWAY_TOKEN
        )
    return LogSmsBackend()
