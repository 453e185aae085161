"""Issue 10 §4: CSP without inline script, Permissions-Policy, no-store on personal data."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from viewflow.workflow.models import Task

from registration.models import RegistrationRequest, User
from tests.conftest import PASSWORD, verified_login
from tests.support import pki
from tests.support.status_access import status_client, status_path
from workflow import services as process_services
from workflow.flows.representante import RepresentanteFlow

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"


@pytest.mark.django_db
def test_every_page_carries_a_csp_without_inline_script_and_a_permissions_policy(
    reference_data: None,
) -> None:
    for url in ("/", "/solicitud-del-uso/representante/", "/iniciar-sesion/", "/buscar-id/"):
        response = Client().get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        directives: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in policy.split(";"))):
            name, _, value = part.partition(" ")
            directives[name] = value
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        permissions = response["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
            assert feature in permissions, url


def test_no_template_has_inline_script_style_or_event_handler() -> None:
    """What the CSP would block: <script> without src, style="…", onclick="…"."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\sstyle=\"", r"<style\b", r"\son\w+=\""):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


# --- Cache-Control: no-store wherever personal data is shown --------------------------


def _no_store(response: object) -> bool:
    return "no-store" in response.get("Cache-Control", "")  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_status_page_and_its_json_are_never_stored(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate)
    client = status_client(request)
    for url in (status_path(request), status_path(request) + "json/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _no_store(response), url


@pytest.mark.django_db
def test_mi_pagina_and_buzon_are_never_stored(reference_data: None) -> None:
    user = User.objects.create_user(
        username="jperez01", password=PASSWORD, cedula=pki.DEFAULT_CEDULA
    )
    client = Client()
    client.force_login(user)
    for url in ("/mi-pagina/", "/mi-pagina/buzon/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _no_store(response), url
    # Mi página shown again with a form's errors: the same.
    refused = client.post("/mi-pagina/contrasena/", {"current_password": "mal"})
    assert refused.status_code == 400 and _no_store(refused)


def _approvals_urls(task_pk: int, user_pk: int) -> list[str]:
    """Every URL of the /revision/ URLconf, filled with real ids: new pages are covered too."""
    (approvals,) = [
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "approvals"
    ]
    urls = []
    for pattern in approvals.url_patterns:
        assert isinstance(pattern, URLPattern)
        kwargs = {
            name: {"task_pk": task_pk, "user_pk": user_pk}[name]
            for name in pattern.pattern.converters
        }
        urls.append(reverse(f"approvals:{pattern.name}", kwargs=kwargs))
    return urls


@pytest.mark.django_db
def test_every_revision_page_and_the_csv_export_are_never_stored(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    supervisor: User,
    reviewer: User,
) -> None:
    request = submit(good_certificate)
    job = Task.objects.get(
        process__registrationprocess__request=request,
        flow_task=RepresentanteFlow.verify_certificate,
    )
    process_services.flow_job_run(task_pk=job.pk)
    task = Task.objects.get(
        process__registrationprocess__request=request, flow_task=RepresentanteFlow.review
    )
    client = verified_login(Client(), supervisor)
    urls = _approvals_urls(task.pk, reviewer.pk)
    assert "/revision/auditoria.csv" in urls and f"/revision/tarea/{task.pk}/" in urls
    stored = []
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        if not _no_store(response):
            stored.append(f"{url} ({response.status_code})")
    assert stored == []
    # And for the queues' other views and filters.
    for query in ("?cola=todas", "?cola=decididas", "?q=SOL"):
        assert _no_store(client.get(f"/revision/{query}"))
