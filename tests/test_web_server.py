"""Real gunicorn with the repository's configuration: what it refuses itself is in Spanish."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def gunicorn_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = _free_port()
    log = Path(tmp_path_factory.mktemp("gunicorn")) / "gunicorn.log"
    with log.open("w") as handle:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "workflow.wsgi",
                "-c",
                "python:workflow.web_server",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                assert server.poll() is None, log.read_text()
                try:
                    socket.create_connection(("127.0.0.1", port), 0.5).close()
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                raise AssertionError(f"gunicorn did not start:\n{log.read_text()}")
            yield port
        finally:
            server.terminate()
            server.wait(timeout=20)


def _raw(port: int, request: bytes) -> tuple[int, str, str]:
    with socket.create_connection(("127.0.0.1", port), 10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, _, headers = head.decode("latin-1").partition("\r\n")
    return int(status_line.split()[1]), headers, body.decode()


def test_a_10000_character_uri_gets_a_spanish_414(gunicorn_port: int) -> None:
    target = "/servicios/ruc/?ruc=" + "1" * 10_000
    status, headers, body = _raw(
        gunicorn_port, f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    )
    assert status == 414
    assert "charset=utf-8" in headers
    assert "Dirección demasiado larga" in body
    assert "La dirección (URL) que abrió es demasiado larga." in body
    assert "URI Too Long" not in body


def test_an_oversized_header_gets_a_spanish_431(gunicorn_port: int) -> None:
    status, _, body = _raw(
        gunicorn_port,
        f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {'a' * 9000}\r\n\r\n".encode(),
    )
    assert status == 431
    assert "Borre las cookies de este sitio" in body


def test_a_garbled_request_line_gets_a_spanish_400(gunicorn_port: int) -> None:
    status, _, body = _raw(gunicorn_port, b"GET /\x01 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert status == 400
    assert "Solicitud no válida" in body


def test_a_long_uri_within_the_limit_reaches_django(gunicorn_port: int) -> None:
    target = "/no-existe/?x=" + "a" * 7000
    status, _, body = _raw(
        gunicorn_port,
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode(),
    )
    assert status == 404
    assert "Página no encontrada" in body
