"""The status link is no permanent bearer credential: it expires, is exchanged once for this
browser's grant, and neither the tracking number nor the submission token opens anything."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from django.test import Client

from registration import services
from registration.models import CodePurpose, RegistrationRequest
from tests.conftest import form_data
from tests.support import pki
from tests.support.status_access import link_path, status_client, status_path

pytestmark = pytest.mark.django_db

HOUR = 3600.0


REAL_TIME = time.time


def later(monkeypatch: pytest.MonkeyPatch, hours: float) -> None:
    """Move the clock the link's signature and the session grant read (both use time.time)."""
    moved = REAL_TIME() + hours * HOUR
    monkeypatch.setattr(time, "time", lambda: moved)


def test_an_expired_link_is_refused_and_points_to_consulta_de_estado(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    settings: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.ECUAPASS_STATUS_LINK_TTL_HOURS = 72  # type: ignore[attr-defined]
    request = submit(good_certificate)
    token = services.request_access_token(request)  # what the email carried
    emailed = f"/solicitud-del-uso/estado/?t={token}"

    later(monkeypatch, 71)
    assert Client().get(emailed).status_code == 302  # still good

    later(monkeypatch, 73)
    client = Client()
    for url in (emailed, f"/solicitud-del-uso/estado/{token}/"):  # and older emails' form
        response = client.get(url)
        assert response.status_code == 410
        html = response.content.decode()
        assert "El enlace de seguimiento venció" in html
        assert "Consulta de estado" in html
        assert 'action="/solicitud-del-uso/consulta/"' in html  # its form works from here
        assert request.razon_social not in html
    assert client.get(status_path(request)).status_code == 403

    # Consulta de estado gives this browser access again.
    found = client.post(
        "/solicitud-del-uso/consulta/",
        {"tracking_number": request.tracking_number, "cedula": pki.DEFAULT_CEDULA},
    )
    assert found.status_code == 302 and found["Location"] == status_path(request)
    assert request.razon_social in client.get(status_path(request)).content.decode()


def test_the_grant_of_a_browser_ends_with_the_link_lifetime(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    settings: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.ECUAPASS_STATUS_LINK_TTL_HOURS = 72  # type: ignore[attr-defined]
    request = submit(good_certificate)
    client = status_client(request)
    assert client.get(status_path(request)).status_code == 200
    later(monkeypatch, 73)
    refused = client.get(status_path(request))
    assert refused.status_code == 403
    assert "Consulta de estado" in refused.content.decode()
    # The form it shows asks Consulta de estado, with the number filled in.
    assert 'action="/solicitud-del-uso/consulta/"' in refused.content.decode()
    assert f'value="{request.tracking_number}"' in refused.content.decode()


def test_the_page_the_link_lands_on_and_its_poll_carry_no_token(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate, confirm=False)
    token = services.request_access_token(request)
    client = Client()
    response = client.get(link_path(request))
    assert response.status_code == 302
    assert response["Location"] == status_path(request)
    assert token not in response["Location"]
    html = client.get(response["Location"]).content.decode()
    assert token not in html
    assert f'data-status-json="{status_path(request)}json/"' in html
    assert f'action="{status_path(request)}confirmar-correo/"' in html


def test_the_emails_carry_the_expiring_link_in_the_query(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate, confirm=False)

    def linked_request(body: str) -> str | None:
        # The token is signed with a timestamp: compare what it names, not its text.
        found = re.search(r"/solicitud-del-uso/estado/\?t=([\w:.-]+)", body)
        assert found is not None, body
        return services.request_from_access_token(found.group(1))

    notification = request.notifications.get(kind="submitted")
    assert linked_request(notification.body) == request.tracking_number
    code = request.codes.get(purpose=CodePurpose.EMAIL_CONFIRM)
    services.code_send(code_id=code.pk)
    from django.core import mail

    [message] = mail.outbox
    assert linked_request(str(message.body)) == request.tracking_number
    assert f"/estado/{services.request_access_token(request)}/" not in message.body


def test_the_tracking_number_alone_opens_nothing(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate, confirm=False)
    stranger = Client()
    page = stranger.get(status_path(request))
    assert page.status_code == 403
    assert request.razon_social not in page.content.decode()
    # The same answer for a number that does not exist.
    unknown = stranger.get("/solicitud-del-uso/estado/SOL-2026-999999/")
    assert unknown.status_code == 403
    assert unknown.content.decode().replace("SOL-2026-999999", "") == page.content.decode().replace(
        request.tracking_number, ""
    ).replace(
        # the CSRF token differs per response
        _csrf(page.content.decode()),
        _csrf(unknown.content.decode()),
    )
    assert stranger.get(status_path(request) + "json/").status_code == 403
    code = request.codes.get(purpose=CodePurpose.EMAIL_CONFIRM)
    confirm = stranger.post(
        status_path(request) + "confirmar-correo/", {"codigo": services.code_value(code)}
    )
    assert confirm.status_code == 403
    assert stranger.post(status_path(request) + "reenviar-codigo/").status_code == 403
    correct = stranger.get(f"/solicitud-del-uso/corregir/{request.tracking_number}/")
    assert correct.status_code == 403
    request.refresh_from_db()
    assert request.email_confirmed_at is None
    assert request.codes.count() == 1


def _csrf(html: str) -> str:
    import re

    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return match.group(1) if match else ""


def test_a_stranger_with_the_submission_token_gets_nothing(
    reference_data: None,
    good_certificate: bytes,
    applicant_certificate: pki.CertificateAndKey,
) -> None:
    applicant = Client()
    data = form_data(applicant, certificate=good_certificate, signer=applicant_certificate)
    first = applicant.post("/solicitud-del-uso/representante/", data)
    assert first.status_code == 302
    request = RegistrationRequest.objects.get()
    assert first["Location"] == status_path(request) + "?nueva=1"

    # The token shows in the form and in the challenge's URL: another browser replays it.
    stranger = Client()
    for posted in (data, {"submission_token": data["submission_token"]}):
        replay = stranger.post("/solicitud-del-uso/representante/", posted)
        assert replay.status_code == 409
        html = replay.content.decode()
        assert "Este formulario ya se registró" in html
        assert request.tracking_number not in html
        assert "Location" not in replay
    assert stranger.get(status_path(request)).status_code == 403
    assert RegistrationRequest.objects.count() == 1

    # The browser that sent it (a second click on Registrar) still lands on its page.
    again = applicant.post("/solicitud-del-uso/representante/", data)
    assert again.status_code == 302
    assert again["Location"] == status_path(request) + "?nueva=1"
    assert applicant.get(status_path(request)).status_code == 200


def test_a_lost_race_for_the_same_token_is_recognised_by_the_browser_not_the_token(
    reference_data: None,
    good_certificate: bytes,
    applicant_certificate: pki.CertificateAndKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two posts of one form at once: the second meets the first's row inside request_submit."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registration import selectors
    from registration.models import PossessionChallenge
    from tests.conftest import sign_challenge

    applicant = Client()
    data = form_data(applicant, certificate=good_certificate, signer=applicant_certificate)
    assert applicant.post("/solicitud-del-uso/representante/", data).status_code == 302
    request = RegistrationRequest.objects.get()
    challenge = PossessionChallenge.objects.get(form_token=data["submission_token"]).text
    # As if the view's early check ran before the first post committed.
    monkeypatch.setattr(selectors, "request_by_submission_token", lambda token: None)

    def replay(client: Client) -> dict[str, object]:
        """The same form (token, challenge) with values that pass the availability checks."""
        return {
            **form_data(client, certificate=good_certificate, signer=None),
            "submission_token": data["submission_token"],
            "reto_nonce": data["reto_nonce"],
            "firma_reto": SimpleUploadedFile(
                "reto.p7s", sign_challenge(challenge, applicant_certificate)
            ),
            "id_usuario": "mlopez02",
            "cedula": "0926687856",
            "email": "mlopez@example.com",
            "email2": "mlopez@example.com",
        }

    stranger = Client()
    refused = stranger.post("/solicitud-del-uso/representante/", replay(stranger))
    assert refused.status_code == 409, refused.content.decode()[:2000]
    assert request.tracking_number not in refused.content.decode()
    assert stranger.get(status_path(request)).status_code == 403

    again = applicant.post("/solicitud-del-uso/representante/", replay(applicant))
    assert again.status_code == 302
    assert again["Location"] == status_path(request) + "?nueva=1"
    assert RegistrationRequest.objects.count() == 1
