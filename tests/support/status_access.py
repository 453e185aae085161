"""How a test's browser gets at a request the way an applicant does (registration.views.access)."""

from __future__ import annotations

from django.test import Client

from registration import services
from registration.models import CodePurpose, RegistrationRequest


def status_path(request: RegistrationRequest) -> str:
    """The status page's clean URL: the tracking number, no secret."""
    return f"/solicitud-del-uso/estado/{request.tracking_number}/"


def correct_path(request: RegistrationRequest) -> str:
    return f"/solicitud-del-uso/corregir/{request.tracking_number}/"


def link_path(request: RegistrationRequest) -> str:
    """The emailed link, without the public host."""
    return f"/solicitud-del-uso/estado/?t={services.request_access_token(request)}"


def status_client(request: RegistrationRequest, client: Client | None = None) -> Client:
    """A browser that opened the emailed link (it now holds the grant for this request)."""
    client = client or Client()
    response = client.get(link_path(request))
    assert response.status_code == 302, response.status_code
    assert response["Location"] == status_path(request)
    return client


def correction_client(request: RegistrationRequest, client: Client | None = None) -> Client:
    """A browser that opened the link and entered the code sent to the request's email."""
    client = status_client(request, client)
    access = correct_path(request) + "acceso/"
    sent = client.post(access, {"accion": "enviar"})
    assert sent.status_code == 302, sent.status_code
    code = request.codes.filter(purpose=CodePurpose.CORRECTION).first()
    assert code is not None
    opened = client.post(access, {"codigo": services.code_value(code)})
    assert opened.status_code == 302, opened.status_code
    assert opened["Location"] == correct_path(request)
    return client
