"""The annual data update (Resolución SENAE-DGN-2016-0364-RE): "3.2.3 Modificar
información del uso" with an emailed code, the beat's reminders in December and January,
and the disabling after the deadline that updating undoes (issue 15)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from registration import services, validators
from registration.kinds import field_value
from registration.models import (
    AnnualNoticeKind,
    AnnualUpdate,
    AnnualUpdateNotice,
    CodePurpose,
    NotificationKind,
    OneTimeCode,
    RegistrationRequest,
    RequestStatus,
    TermsAcceptance,
    TermsVersion,
    User,
)
from registration.tasks import annual_update_sweep
from tests.conftest import PASSWORD, confirm_email, wait_for, wait_for_status
from tests.registration.test_general import URL as GENERAL_URL
from tests.registration.test_general import general_form
from tests.support.employees import representative

__all__ = ["representative"]

D = datetime.date
UPDATE_URL = "/mi-pagina/modificar-informacion/"


def test_the_window_follows_the_settings(settings: Any) -> None:
    window = services.update_window(D(2026, 12, 5))
    assert (window.year, window.reminders_from, window.opens, window.deadline) == (
        2027,
        D(2026, 12, 1),
        D(2027, 1, 1),
        D(2027, 2, 1),
    )
    phases = {
        day: services.update_window(day).phase(day)
        for day in (D(2026, 11, 30), D(2026, 12, 1), D(2027, 1, 31), D(2027, 2, 1), D(2027, 11, 30))
    }
    assert phases == {
        D(2026, 11, 30): "vencida",  # 2026's deadline passed; 2027's reminders not yet
        D(2026, 12, 1): "recordatorio",
        D(2027, 1, 31): "abierta",
        D(2027, 2, 1): "vencida",
        D(2027, 11, 30): "vencida",
    }
    settings.ECUAPASS_ANNUAL_UPDATE_DEADLINE = (3, 15)
    assert services.update_window(D(2027, 3, 1)).phase(D(2027, 3, 1)) == "abierta"


def _joined_long_ago(user: User) -> None:
    User.objects.filter(pk=user.pk).update(
        date_joined=datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
    )


def _sweep(day: str, expected_kind: str, users: int) -> None:
    """The beat's task, on the real worker, for ``day``; waits for its per-user tasks."""
    result = annual_update_sweep.delay(day)
    before = AnnualUpdateNotice.objects.filter(kind=expected_kind).count()
    wait_for(
        lambda: AnnualUpdateNotice.objects.filter(kind=expected_kind).count() >= before + users,
        timeout=60,
        what=f"{users} {expected_kind} notices",
    )
    assert result.id


def _code_for(user: User) -> str:
    code = OneTimeCode.objects.filter(user=user, purpose=CodePurpose.DATA_UPDATE).latest("created")
    return services.code_value(code)


def _logged_in(username: str) -> Client:
    client = Client()
    response = client.post("/iniciar-sesion/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _page_values(request: RegistrationRequest, **overrides: Any) -> dict[str, Any]:
    return {
        "province": request.province_id,
        "canton": request.canton_id,
        "direccion": request.direccion,
        "telefono1": "022345679",
        "telefono2": "",
        "operadora": request.operadora_id or "",
        "celular": "0991234567",
        "fax": "",
        "telefono_empresa": validators.format_national(field_value(request, "telefono_empresa")),
        **overrides,
    }


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_reminders_then_disabling_then_updating_re_enables(
    representative: User, celery_worker: Any
) -> None:
    # A General user of the same months who updates in January: never disabled.
    client = Client()
    posted = client.post(
        GENERAL_URL, general_form(client, cedula="0901234567", id_usuario="mlopez01")
    )
    assert posted.status_code == 302
    general = RegistrationRequest.objects.get(id_usuario="mlopez01")
    confirm_email(general)
    wait_for_status(general, RequestStatus.ACTIVE)
    prompt = User.objects.get(username="mlopez01")
    # Someone who became active after the reminders started owes nothing this year.
    for user in (representative, prompt):
        _joined_long_ago(user)
    request = services.update_request(user=representative)
    assert request is not None

    _sweep("2026-11-30", AnnualNoticeKind.REMINDER_DECEMBER, 0)  # before the reminders
    assert not AnnualUpdateNotice.objects.exists()
    _sweep("2026-12-02", AnnualNoticeKind.REMINDER_DECEMBER, 2)
    notice = request.notifications.get(kind=NotificationKind.UPDATE_DUE)
    assert "Modificar información del uso" in notice.body and "31/01/2027" in notice.body
    assert notice.body.count("SENAE-DGN-2016-0364-RE") == 1
    _sweep("2026-12-03", AnnualNoticeKind.REMINDER_DECEMBER, 0)  # once per user and kind
    assert AnnualUpdateNotice.objects.filter(kind=AnnualNoticeKind.REMINDER_DECEMBER).count() == 2

    # In January the General user updates (through the service, with the emailed code).
    _sweep("2027-01-05", AnnualNoticeKind.REMINDER_JANUARY, 2)
    services.annual_update_code_send(user=prompt)
    services.annual_update_save(
        user=prompt,
        values={"direccion": "Av. 6 de Diciembre 100"},
        code=_code_for(prompt),
        today=D(2027, 1, 20),
    )
    assert AnnualUpdate.objects.filter(user=prompt, year=2027).exists()

    # From the deadline: the representative, who did not update, is disabled.
    _sweep("2027-02-01", AnnualNoticeKind.DISABLED, 1)
    representative.refresh_from_db()
    request.refresh_from_db()
    assert representative.disabled_cause == "actualizacion" and representative.is_active
    assert "No actualizó sus datos hasta el 31/01/2027" in representative.disabled_reason
    assert request.status == RequestStatus.DISABLED
    assert request.events.filter(
        to_status=RequestStatus.DISABLED, comment__contains="No actualizó sus datos"
    ).exists()
    assert request.notifications.filter(kind=NotificationKind.DISABLED).exists()
    prompt.refresh_from_db()
    assert prompt.disabled_cause == "" and services.update_request(user=prompt) is not None
    _sweep("2027-02-02", AnnualNoticeKind.DISABLED, 0)  # nothing done twice

    # The disabled user logs in and reaches only the update page, with the reason.
    browser = _logged_in(representative.username)
    page = browser.get("/mi-pagina/", follow=True)
    assert page.redirect_chain[-1][0] == UPDATE_URL
    html = page.content.decode()
    assert "Su usuario está deshabilitado" in html and "No actualizó sus datos" in html
    assert browser.get("/mi-pagina/empresa/")["Location"] == UPDATE_URL

    # Updating (send the code, then save) re-enables them, as a new version with history.
    versions = request.versions.count()
    values = _page_values(request, direccion="Av. Amazonas N24-99", telefono_empresa="022345600")
    sent = browser.post(UPDATE_URL, {**values, "accion": "enviar"})
    assert sent.status_code == 200
    assert 'value="Av. Amazonas N24-99"' in sent.content.decode()  # the typing stays
    saved = browser.post(
        UPDATE_URL, {**values, "accion": "guardar", "codigo": _code_for(representative)}
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    request.refresh_from_db()
    representative.refresh_from_db()
    assert request.status == RequestStatus.ACTIVE
    assert representative.disabled_cause == "" and representative.disabled_reason == ""
    assert request.direccion == "Av. Amazonas N24-99"
    assert field_value(request, "telefono_empresa") == "+59322345600"
    assert request.company is not None and request.company.telefono == "+59322345600"
    assert request.versions.count() == versions + 1
    assert request.events.filter(comment__startswith="Actualización anual de datos").exists()
    assert request.events.filter(comment__startswith="Usuario habilitado").exists()
    assert browser.get("/mi-pagina/").status_code == 200


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_page_refuses_bad_input_in_spanish_and_keeps_what_was_typed(
    representative: User, celery_worker: Any
) -> None:
    request = services.update_request(user=representative)
    assert request is not None
    browser = _logged_in(representative.username)
    page = browser.get(UPDATE_URL).content.decode()
    assert "Modificar información del uso" in page
    assert request.cedula in page and request.ruc in page  # shown, not editable
    assert 'name="cedula"' not in page and 'name="ruc"' not in page
    assert 'name="razon_social"' not in page

    bad = browser.post(
        UPDATE_URL,
        _page_values(request, telefono1="12", direccion="Calle Nueva 1", accion="enviar"),
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'value="Calle Nueva 1"' in html and "Teléfono1" in html
    assert not OneTimeCode.objects.filter(purpose=CodePurpose.DATA_UPDATE).exists()

    values = _page_values(request, direccion="Calle Nueva 1")
    no_code = browser.post(UPDATE_URL, {**values, "accion": "guardar"})
    assert no_code.status_code == 400
    assert "Ingrese el código que le enviamos" in no_code.content.decode()
    browser.post(UPDATE_URL, {**values, "accion": "enviar"})
    other = "000000" if _code_for(representative) != "000000" else "111111"
    wrong = browser.post(UPDATE_URL, {**values, "accion": "guardar", "codigo": other})
    assert wrong.status_code == 400
    assert "El código no es válido" in wrong.content.decode()
    assert 'value="Calle Nueva 1"' in wrong.content.decode()
    request.refresh_from_db()
    assert request.direccion != "Calle Nueva 1"

    # The service refuses, whatever posts it, a change to the identity.
    services.annual_update_code_send(user=representative)
    with pytest.raises(services.SubmissionConflict):
        services.annual_update_save(
            user=representative,
            values={"razon_social": "OTRA S.A."},
            code=_code_for(representative),
            today=D(2027, 1, 10),
        )


@pytest.mark.django_db
def test_a_user_without_an_active_request_is_told_so(reference_data: None) -> None:
    user = User.objects.create_user(username="sinsolicitud1", password=PASSWORD)
    client = Client()
    client.force_login(user)
    response = client.get(UPDATE_URL)
    assert response.status_code == 403
    assert "No tiene un usuario activo" in response.content.decode()


# --- The convenio (terms of use), versioned ------------------------------------------------


@pytest.mark.django_db
def test_registration_asks_to_accept_the_convenio_and_keeps_which_version(
    reference_data: None,
) -> None:
    client = Client()
    form = client.get(GENERAL_URL).content.decode()
    assert "Acepto el Convenio de uso de ECUAPASS (versión 1)" in form
    assert "Resolución SENAE-DGN-2016-0364-RE" in form  # its text is on the page
    refused = client.post(GENERAL_URL, general_form(client, acepta_convenio=""))
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "lea y acepte el Convenio de uso de ECUAPASS" in html
    assert 'value="MARÍA LÓPEZ"' in html  # the rest is kept
    accepted = client.post(GENERAL_URL, general_form(client))
    assert accepted.status_code == 302
    request = RegistrationRequest.objects.get(id_usuario="mlopez01")
    acceptance = TermsAcceptance.objects.get(request=request)
    assert (acceptance.version.number, acceptance.context) == (1, "registro")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_new_convenio_is_accepted_again_at_the_annual_update(
    representative: User, celery_worker: Any
) -> None:
    request = services.update_request(user=representative)
    assert request is not None
    browser = _logged_in(representative.username)
    assert "Convenio de uso" not in browser.get(UPDATE_URL).content.decode()  # accepted v1

    TermsVersion.objects.create(
        number=2,
        title="Convenio de uso de ECUAPASS",
        text="Texto de la versión 2.",
        published=datetime.date(2026, 11, 1),
    )
    page = browser.get(UPDATE_URL).content.decode()
    assert "Acepto el Convenio de uso de ECUAPASS (versión 2)" in page
    values = _page_values(request)
    refused = browser.post(UPDATE_URL, {**values, "accion": "enviar"})
    assert refused.status_code == 400
    assert "lea y acepte el Convenio" in refused.content.decode()
    # The service itself refuses an update that does not accept it.
    services.annual_update_code_send(user=representative)
    with pytest.raises(services.SubmissionConflict, match="Convenio de uso de ECUAPASS cambió"):
        services.annual_update_save(
            user=representative, values={}, code=_code_for(representative), today=D(2027, 1, 5)
        )
    values["acepta_convenio"] = "on"
    browser.post(UPDATE_URL, {**values, "accion": "enviar"})
    saved = browser.post(
        UPDATE_URL, {**values, "accion": "guardar", "codigo": _code_for(representative)}
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    acceptance = TermsAcceptance.objects.get(user=representative)
    assert (acceptance.version.number, acceptance.context) == (2, "actualizacion")
    assert request.events.filter(comment__contains="aceptó el Convenio de uso").exists()
    assert "Acepto el Convenio" not in browser.get(UPDATE_URL).content.decode()
