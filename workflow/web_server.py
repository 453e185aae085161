"""Gunicorn's configuration (the Procfile runs `gunicorn -c python:workflow.web_server`) and the
worker that answers, in Spanish, the requests gunicorn refuses before Django sees them.

Gunicorn parses the request line and headers itself and, past its limits, writes an English
page ("URI Too Long", "Bad Request"). The limits stay (they bound what one request can make a
worker buffer: 0 would mean an unbounded request line); only the answer changes.
"""

from __future__ import annotations

import html
import socket
from typing import Any

from gunicorn import util
from gunicorn.http.errors import (
    InvalidHeader,
    InvalidHeaderName,
    InvalidHTTPVersion,
    InvalidRequestLine,
    InvalidRequestMethod,
    LimitRequestHeaders,
    LimitRequestLine,
)
from gunicorn.workers.sync import SyncWorker

# --- Gunicorn settings (names as in gunicorn's documentation) -------------------------

worker_class = "workflow.web_server.SpanishErrorsWorker"
# Gunicorn's maximum (its default is 4094): longer request lines get the Spanish 414 below.
limit_request_line = 8190
limit_request_field_size = 8190

# --- The worker -----------------------------------------------------------------------

ANSWERS: list[tuple[tuple[type[Exception], ...], int, str, str, str]] = [
    (
        (LimitRequestLine,),
        414,
        "URI Too Long",
        "Dirección demasiado larga",
        "La dirección (URL) que abrió es demasiado larga. Vuelva a la página de inicio y use "
        "los enlaces y formularios del sitio.",
    ),
    (
        (LimitRequestHeaders,),
        431,
        "Request Header Fields Too Large",
        "Encabezados demasiado grandes",
        "Su navegador envió datos de control demasiado grandes (por ejemplo, cookies). Borre las "
        "cookies de este sitio e inténtelo de nuevo.",
    ),
    (
        (
            InvalidRequestLine,
            InvalidRequestMethod,
            InvalidHTTPVersion,
            InvalidHeader,
            InvalidHeaderName,
        ),
        400,
        "Bad Request",
        "Solicitud no válida",
        "No pudimos entender la solicitud que envió su navegador. Vuelva a la página de inicio e "
        "inténtelo de nuevo.",
    ),
]


def spanish_error_page(status: int, reason: str, title: str, message: str) -> bytes:
    """A complete HTTP response with a small Spanish page (no template: Django isn't involved)."""
    body = (
        '<!DOCTYPE html>\n<html lang="es">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(title)} · ECUAPASS</title></head>\n"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        '<p><a href="/">Ir a la página de inicio</a></p></body>\n</html>\n'
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    return head + body


class SpanishErrorsWorker(SyncWorker):
    """Gunicorn's sync worker with its own client-error pages in Spanish; anything else
    (including the 500 of an application error) is gunicorn's handling unchanged."""

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        for classes, status, reason, title, message in ANSWERS:
            if isinstance(exc, classes):
                self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
                try:
                    util.write_nonblock(client, spanish_error_page(status, reason, title, message))
                except Exception:
                    self.log.debug("Failed to send error message.")
                return
        super().handle_error(req, client, addr, exc)
