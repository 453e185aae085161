"""Solicitud del uso (Empleado): the company approves its own people (issue 13)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from approvals import company
from registration import services
from registration.models import (
    Employment,
    Notification,
    NotificationKind,
    RegistrationRequest,
    RequestKind,
    RequestStatus,
    User,
)
from tests.conftest import (
    PASSWORD,
    challenge_of,
    confirm_email,
    person_fields,
    sign_challenge,
    wait_for,
    wait_for_status,
)
from tests.support import pki
from tests.support.employees import (
    EMPLOYEE_CEDULA,
    employee_certificate,
    representative,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

__all__ = ["employee_certificate", "representative"]  # fixtures shared with the browser test

OTHER_RUC = "1791251237001"  # a valid company RUC nobody represents here


def empleado_data(
    client: Client,
    *,
    certificate: bytes | None,
    signer: pki.CertificateAndKey | None,
    **overrides: Any,
) -> dict[str, Any]:
    """A complete Empleado form as a browser posts it, the challenge signed by ``signer``."""
    page = client.get("/solicitud-del-uso/empleado/")
    html = page.content.decode()
    token, challenge = challenge_of(html)
    nonce = re.search(r'name="reto_nonce" value="([^"]+)"', html)
    assert nonce is not None
    data: dict[str, Any] = {
        "submission_token": token,
        "reto_nonce": nonce.group(1),
        "ruc": pki.COMPANY_RUC,
        **person_fields(),
        "id_usuario": "mlopez01",
        "cedula": EMPLOYEE_CEDULA,
        "nombre_usuario": "MARIA JOSE LOPEZ VERA",
        "email": "mlopez@example.com",
        "email2": "mlopez@example.com",
        "posicion": "EMPLEADO",
        "senae_email": "",
        "recibir_sms": "0",
    }
    if certificate is not None:
        data["certificados"] = SimpleUploadedFile("empleado.cer", certificate)
    if signer is not None:
        data["firma_reto"] = SimpleUploadedFile("reto.p7s", sign_challenge(challenge, signer))
    data.update(overrides)
    return data


@pytest.fixture
def submit_employee(
    employee_certificate: pki.CertificateAndKey,
) -> Callable[..., RegistrationRequest]:
    def _submit(**overrides: Any) -> RegistrationRequest:
        client = Client()
        certificate = overrides.pop("certificate", pki.to_der(employee_certificate[0]))
        signer = overrides.pop("signer", employee_certificate)
        response = client.post(
            "/solicitud-del-uso/empleado/",
            empleado_data(client, certificate=certificate, signer=signer, **overrides),
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        request = RegistrationRequest.objects.get(
            id_usuario=overrides.get("id_usuario", "mlopez01")
        )
        confirm_email(request)
        return request

    return _submit


def logged_in(username: str) -> Client:
    client = Client()
    response = client.post("/iniciar-sesion/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def pending_task(request: RegistrationRequest, user: User) -> Any:
    tasks = [
        t for t in company.pending_employee_tasks(user=user) if company.task_request(t) == request
    ]
    assert len(tasks) == 1, tasks
    return tasks[0]


APPROVE = {
    "decision": "approve",
    "codes": ["03907058"],
    "opciones-03907058": ["DECLARACION", "CONSULTA"],
    "comment": "",
}


# --- The form ------------------------------------------------------------------------


def test_paso_2_links_the_empleado_form_with_employee_positions(reference_data: None) -> None:
    index = Client().get("/solicitud-del-uso/").content.decode()
    assert 'href="/solicitud-del-uso/empleado/"' in index
    page = Client().get("/solicitud-del-uso/empleado/").content.decode()
    assert "Solicitud del uso(Empleado)" in page
    positions = re.search(r'<select name="posicion".*?</select>', page, re.S)
    assert positions is not None
    assert "EMPLEADO" in positions.group(0)
    assert "REPRESENTANTES" not in positions.group(0)
    assert 'name="direccion_empresa"' not in page and 'name="oce-TOTAL_FORMS"' not in page


def test_a_ruc_without_an_active_representative_is_refused_at_the_form_keeping_the_rest(
    reference_data: None, employee_certificate: pki.CertificateAndKey
) -> None:
    client = Client()
    response = client.post(
        "/solicitud-del-uso/empleado/",
        empleado_data(
            client,
            certificate=pki.to_der(employee_certificate[0]),
            signer=employee_certificate,
            ruc=OTHER_RUC,
        ),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "no tiene un representante activo en ECUAPASS" in html
    assert "Solicitud del uso (Representante)" in html
    assert 'value="mlopez01"' in html and 'value="MARIA JOSE LOPEZ VERA"' in html
    assert "empleado.cer" in html  # the accepted file is kept
    assert not RegistrationRequest.objects.exists()

    answer = client.get("/solicitud-del-uso/empleado/consultar/", {"ruc": OTHER_RUC}).json()
    assert answer["found"] is False
    assert "no tiene un representante activo" in answer["message"]
    assert set(answer) == {"found", "message"}


def test_consultar_tells_only_the_razon_social_of_a_represented_company(
    representative: User,
) -> None:
    answer = Client().get("/solicitud-del-uso/empleado/consultar/", {"ruc": pki.COMPANY_RUC}).json()
    assert answer == {
        "found": True,
        "ruc": pki.COMPANY_RUC,
        "razon_social": "IMPORTADORA ANDINA S.A.",
        "message": "Empresa registrada en ECUAPASS: su representante aprobará su solicitud.",
    }
    bad = Client().get("/solicitud-del-uso/empleado/consultar/", {"ruc": "123"})
    assert bad.status_code == 400 and "RUC" in bad.json()["message"]


# --- The whole path --------------------------------------------------------------------


def test_the_representative_approves_with_codes_and_the_employee_uses_them(
    representative: User, submit_employee: Callable[..., RegistrationRequest]
) -> None:
    request = submit_employee()
    assert request.kind == RequestKind.EMPLEADO
    assert request.razon_social == "IMPORTADORA ANDINA S.A."
    assert request.posicion == "EMPLEADO"
    assert Employment.objects.get(request=request).company.ruc == pki.COMPANY_RUC
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)

    # The representative hears of it: header count, Buzón message, email.
    rep = logged_in("jperez01")
    home = rep.get("/mi-pagina/").content.decode()
    assert "Administración de empleado (1 por aprobar)" in home
    message = Notification.objects.get(recipient=representative)
    assert message.kind == NotificationKind.EMPLOYEE_PENDING
    assert "MARIA JOSE LOPEZ VERA" in rep.get("/mi-pagina/buzon/").content.decode()
    # The worker emails it (the claim-then-send delivery marks it sent).
    wait_for(lambda: _email_sent_to(representative.email), what="the representative's email")
    assert request.tracking_number in message.subject

    task = pending_task(request, representative)
    page = rep.get(f"/mi-pagina/empleados/solicitud/{task.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "MARIA JOSE LOPEZ VERA" in html and EMPLOYEE_CEDULA in html
    assert "03907058" in html  # the company's own code, to grant
    assert "coincide" in html  # what the certificate check found

    # Two steps: Continuar shows what will be decided, Confirmar decides.
    first = rep.post(f"/mi-pagina/empleados/solicitud/{task.pk}/", APPROVE)
    assert first.status_code == 200 and "¿Confirma" in first.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED
    done = rep.post(f"/mi-pagina/empleados/solicitud/{task.pk}/", {**APPROVE, "confirm": "True"})
    assert done.status_code == 302
    wait_for_status(request, RequestStatus.ACTIVE)

    employee = User.objects.get(username="mlopez01")
    assert services.user_is_company_user(employee)
    grants = list(Employment.objects.get(request=request).grants.all())
    assert [(g.code, sorted(o.code for o in g.options.all())) for g in grants] == [
        ("03907058", ["CONSULTA", "DECLARACION"])
    ]
    client = logged_in("mlopez01")
    empresa = client.get("/mi-pagina/empresa/").content.decode()
    assert "IMPORTADORA ANDINA S.A." in empresa and "03907058" in empresa
    assert "Declaración aduanera" in empresa
    # An employee approves nobody.
    assert client.get("/mi-pagina/empleados/").status_code == 403

    # Revocation: two steps, audited, notified; company services refuse afterwards.
    url = f"/mi-pagina/empleados/activos/{request.pk}/"
    ask = rep.post(url, {"accion": "revocar", "reason": "Ya no trabaja en la empresa."})
    assert "¿Confirma la revocación" in ask.content.decode()
    assert services.user_is_company_user(employee)
    revoked = rep.post(
        url, {"accion": "revocar", "reason": "Ya no trabaja en la empresa.", "confirm": "True"}
    )
    assert revoked.status_code == 302
    assert not services.user_is_company_user(employee)
    assert client.get("/mi-pagina/empresa/").status_code == 403
    assert request.events.filter(comment__contains="Empleado revocado por jperez01").exists()


def _email_sent_to(address: str) -> bool:
    return Notification.objects.filter(recipient__email=address, email_sent__isnull=False).exists()


def test_a_natural_person_certificate_does_not_identify_an_employee(
    representative: User,
    submit_employee: Callable[..., RegistrationRequest],
    test_ca: pki.CertificateAndKey,
) -> None:
    natural = pki.make_leaf(test_ca, cedula=EMPLOYEE_CEDULA, ruc=None)
    request = submit_employee(certificate=pki.to_der(natural[0]), signer=natural)
    wait_for_status(request, RequestStatus.VERIFICATION_FAILED)
    codes = [f["code"] for r in request.verification["results"] for f in r["findings"]]
    assert "identity.ruc_missing" in codes
    assert services.correctable_items(request=request) == frozenset({"certificados", "cedula"})


def test_an_observation_goes_back_to_the_company_after_the_correction(
    representative: User, submit_employee: Callable[..., RegistrationRequest]
) -> None:
    request = submit_employee()
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    task = pending_task(request, representative)
    company.employee_decide(
        task_pk=task.pk,
        actor=representative,
        decision=company.Decision.OBSERVE,
        comment="Escriba su nombre como en la cédula.",
        observed_items=["nombre_usuario"],
    )
    wait_for_status(request, RequestStatus.OBSERVED)
    assert services.correctable_items(request=request) == frozenset({"nombre_usuario"})
    # A field the Empleado does not have can't be sent.
    with pytest.raises(services.SubmissionConflict, match="no es parte de esta solicitud"):
        services.request_resubmit(
            request_id=request.pk, data=services.CorrectionData(razon_social="OTRA")
        )
    from workflow import services as process_services

    process_services.correction_submit(
        request=request,
        data=services.CorrectionData(nombre_usuario="MARÍA JOSÉ LÓPEZ VERA"),
    )
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    again = pending_task(request, representative)
    assert again.pk != task.pk
    request.refresh_from_db()
    assert request.nombre_usuario == "MARÍA JOSÉ LÓPEZ VERA"


# --- Who may decide ---------------------------------------------------------------------


def test_codes_must_be_the_companys_own_valid_ones_and_rejection_needs_a_reason(
    representative: User, submit_employee: Callable[..., RegistrationRequest]
) -> None:
    request = submit_employee()
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    task = pending_task(request, representative)
    with pytest.raises(company.CompanyDecisionError, match="no es un código vigente"):
        company.employee_decide(
            task_pk=task.pk,
            actor=representative,
            decision=company.Decision.APPROVE,
            grants=[services.GrantEntry(code="99999999", option_codes=("CONSULTA",))],
        )
    with pytest.raises(company.CompanyDecisionError, match="opción"):
        company.employee_decide(
            task_pk=task.pk,
            actor=representative,
            decision=company.Decision.APPROVE,
            grants=[services.GrantEntry(code="03907058", option_codes=())],
        )
    with pytest.raises(company.CompanyDecisionError, match="motivo"):
        company.employee_decide(
            task_pk=task.pk, actor=representative, decision=company.Decision.REJECT
        )
    request.refresh_from_db()
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED
    company.employee_decide(
        task_pk=task.pk,
        actor=representative,
        decision=company.Decision.REJECT,
        comment="No trabaja en la empresa.",
    )
    wait_for_status(request, RequestStatus.REJECTED)
    with pytest.raises(company.CompanyDecisionError, match="ya fue decidida"):
        company.employee_decide(
            task_pk=task.pk, actor=representative, decision=company.Decision.REJECT, comment="x"
        )


def test_nobody_outside_the_company_decides_and_nobody_decides_their_own_request(
    representative: User,
    submit_employee: Callable[..., RegistrationRequest],
    reviewer: User,
) -> None:
    request = submit_employee()
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    task = pending_task(request, representative)
    # A SENAE reviewer, a stranger with the employee's own cédula: neither may decide.
    stranger = User.objects.create_user(username="otro01", password=PASSWORD, cedula="1101000030")
    for actor in (reviewer, stranger):
        assert company.employee_task(task_pk=task.pk, user=actor) is None
        with pytest.raises(company.CompanyDecisionError):
            company.employee_decide(
                task_pk=task.pk, actor=actor, decision=company.Decision.REJECT, comment="x"
            )
    assert logged_in_status(stranger, f"/mi-pagina/empleados/solicitud/{task.pk}/") == 403
    assert not services.may_decide_for(user=stranger, request=request)
    # The representative with the employee's cédula (asking for themself) may not either.
    representative_self = RegistrationRequest(
        kind=RequestKind.EMPLEADO, cedula=representative.cedula
    )
    assert not services.may_decide_for(user=representative, request=representative_self)


def logged_in_status(user: User, path: str) -> int:
    client = Client()
    client.force_login(user)
    return client.get(path).status_code


def test_two_representatives_deciding_at_once_give_one_decision(
    representative: User, submit_employee: Callable[..., RegistrationRequest]
) -> None:
    request = submit_employee()
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    task = pending_task(request, representative)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def decide(decision: company.Decision) -> None:
        from django.db import connections

        try:
            barrier.wait()
            company.employee_decide(
                task_pk=task.pk,
                actor=representative,
                decision=decision,
                grants=[services.GrantEntry(code="03907058", option_codes=("CONSULTA",))],
                comment="Motivo.",
            )
            outcomes.append("ok")
        except company.CompanyDecisionError as exc:
            outcomes.append(str(exc))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=(d,))
        for d in (company.Decision.APPROVE, company.Decision.REJECT)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1, outcomes
    (refused,) = [o for o in outcomes if o != "ok"]
    assert "ya fue decidida" in refused
    decisions = request.events.filter(
        to_status__in=[RequestStatus.COMPANY_APPROVED, RequestStatus.REJECTED]
    )
    assert decisions.count() == 1


# --- Waiting, and representatives who leave ---------------------------------------------


def _age(request: RegistrationRequest, *, days: int) -> None:
    from datetime import timedelta

    from django.utils import timezone

    RegistrationRequest.objects.filter(pk=request.pk).update(
        status_changed_at=timezone.now() - timedelta(days=days)
    )


def test_a_request_nobody_decides_reminds_the_representatives_then_expires(
    representative: User, submit_employee: Callable[..., RegistrationRequest], settings: Any
) -> None:
    from workflow import services as process_services

    request = submit_employee()
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    assert process_services.waiting_sweep() == {"reminded": 0, "expired": 0}

    expiry = settings.ECUAPASS_EMPLOYEE_DECISION_EXPIRY_DAYS
    _age(request, days=expiry - settings.ECUAPASS_EMPLOYEE_DECISION_REMINDER_DAYS_BEFORE + 1)
    assert process_services.waiting_sweep() == {"reminded": 1, "expired": 0}
    assert process_services.waiting_sweep() == {"reminded": 0, "expired": 0}  # once only
    reminder = Notification.objects.get(recipient=representative, kind=NotificationKind.REMINDER)
    assert "espera su decisión" in reminder.body and request.tracking_number in reminder.body

    _age(request, days=expiry + 1)
    assert process_services.waiting_sweep() == {"reminded": 0, "expired": 1}
    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED
    assert request.events.filter(comment__contains="ningún representante").exists()
    assert request.process.status == "DONE"
    assert company.pending_employee_tasks(user=representative) == []


def test_a_disabled_representative_leaves_employees_with_the_company_and_tells_the_waiting(
    representative: User,
    submit_employee: Callable[..., RegistrationRequest],
    test_ca: pki.CertificateAndKey,
) -> None:
    approved = submit_employee()
    wait_for_status(approved, RequestStatus.CERTIFICATE_VERIFIED)
    company.employee_decide(
        task_pk=pending_task(approved, representative).pk,
        actor=representative,
        decision=company.Decision.APPROVE,
        grants=[services.GrantEntry(code="03907058", option_codes=("CONSULTA",))],
    )
    wait_for_status(approved, RequestStatus.ACTIVE)
    second_cert = pki.make_leaf(test_ca, cedula="1710034073", ruc=pki.COMPANY_RUC)
    waiting = submit_employee(
        certificate=pki.to_der(second_cert[0]),
        signer=second_cert,
        id_usuario="otroemp1",
        cedula="1710034073",
        email="otro@example.com",
        email2="otro@example.com",
    )
    wait_for_status(waiting, RequestStatus.CERTIFICATE_VERIFIED)

    from registration.models import CertificateBinding

    binding = CertificateBinding.objects.get(user=representative, active=True)
    services.binding_disable(binding_id=binding.pk, reason="Certificado revocado.")

    employee = User.objects.get(username="mlopez01")
    assert services.user_is_company_user(employee)  # the employee stays with the company
    assert approved.events.filter(comment__contains="jperez01, que aprobó").exists()
    waiting.refresh_from_db()
    assert waiting.status == RequestStatus.CERTIFICATE_VERIFIED  # still waiting
    told = Notification.objects.get(request=waiting, recipient=None, kind=NotificationKind.REMINDER)
    assert "no tiene un representante activo" in told.body


# --- SENAE's view ------------------------------------------------------------------------


def test_senae_sees_employee_requests_read_only_and_its_queues_keep_only_its_own(
    representative: User,
    submit_employee: Callable[..., RegistrationRequest],
    reviewer: User,
    supervisor: User,
) -> None:
    from approvals import services as approval_services
    from tests.conftest import verified_login

    request = submit_employee()
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    task = pending_task(request, representative)

    boss = verified_login(Client(), supervisor)
    todas = boss.get("/revision/?cola=todas").content.decode()
    assert request.tracking_number in todas
    page = boss.get(f"/revision/tarea/{task.pk}/").content.decode()
    assert "la decide un representante de la empresa" in page
    assert 'action="/revision/tarea/' not in page  # no take, decide or reassign
    with pytest.raises(approval_services.ReviewError):
        approval_services.review_take(task_pk=task.pk, actor=supervisor)

    staff = verified_login(Client(), reviewer)
    assert request.tracking_number not in staff.get("/revision/").content.decode()
    assert staff.get(f"/revision/tarea/{task.pk}/").status_code == 404

    panel = boss.get("/revision/panel/").content.decode()
    assert "Solicitudes de empleados por estado" in panel
    audit = b"".join(boss.get("/revision/auditoria.csv").streaming_content).decode()  # type: ignore[attr-defined]
    assert request.tracking_number in audit


def _other_companys_representative() -> User:
    """An active Representante of another company, as activation leaves one."""
    from registration.models import Company, SecurityQuestion

    other = Company.objects.create(
        ruc=OTHER_RUC, razon_social="OTRA EMPRESA S.A.", direccion="Quito", telefono="+59322000000"
    )
    user = User.objects.create_user(
        username="otrorep1", password=PASSWORD, cedula="1101000030", email="o@example.com"
    )
    questions = {q.slot: q for q in SecurityQuestion.objects.all()}
    RegistrationRequest.objects.create(
        tracking_number="SOL-2026-900001",
        kind=RequestKind.REPRESENTANTE,
        status=RequestStatus.ACTIVE,
        ruc=OTHER_RUC,
        razon_social=other.razon_social,
        id_usuario=user.username,
        cedula=user.cedula,
        nombre_usuario="OTRO REPRESENTANTE",
        question1=questions[1],
        answer1_hash="x",
        question2=questions[2],
        answer2_hash="x",
        question3=questions[3],
        answer3_hash="x",
        province_id="17",
        canton_id="1701",
        direccion="Quito",
        telefono1="+59322000001",
        email=user.email,
        company=other,
        user=user,
    )
    return user


def test_a_representative_of_another_company_sees_nothing_of_this_one(
    representative: User, submit_employee: Callable[..., RegistrationRequest]
) -> None:
    request = submit_employee()
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    task = pending_task(request, representative)
    outsider = _other_companys_representative()

    assert company.pending_employee_tasks(user=outsider) == []
    assert company.employee_task(task_pk=task.pk, user=outsider) is None
    client = Client()
    client.force_login(outsider)
    assert client.get("/mi-pagina/empleados/").status_code == 200
    assert request.tracking_number not in client.get("/mi-pagina/empleados/").content.decode()
    assert client.get(f"/mi-pagina/empleados/solicitud/{task.pk}/").status_code == 404
    with pytest.raises(company.CompanyDecisionError):
        company.employee_decide(
            task_pk=task.pk, actor=outsider, decision=company.Decision.REJECT, comment="x"
        )
    assert not Notification.objects.filter(recipient=outsider).exists()

    company.employee_decide(
        task_pk=task.pk,
        actor=representative,
        decision=company.Decision.APPROVE,
        grants=[services.GrantEntry(code="03907058", option_codes=("CONSULTA",))],
    )
    wait_for_status(request, RequestStatus.ACTIVE)
    assert company.company_employees(user=outsider) == []
    assert client.get(f"/mi-pagina/empleados/activos/{request.pk}/").status_code == 404
    with pytest.raises(services.EmployeeDecisionError):
        services.employee_revoke(request_id=request.pk, actor=outsider, reason="x")


def test_the_representative_changes_codes_and_may_take_them_all_away(
    representative: User, submit_employee: Callable[..., RegistrationRequest]
) -> None:
    request = submit_employee()
    wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED)
    company.employee_decide(
        task_pk=pending_task(request, representative).pk,
        actor=representative,
        decision=company.Decision.APPROVE,
        grants=[services.GrantEntry(code="03907058", option_codes=("CONSULTA",))],
    )
    wait_for_status(request, RequestStatus.ACTIVE)
    rep = logged_in("jperez01")
    url = f"/mi-pagina/empleados/activos/{request.pk}/"
    changed = rep.post(
        url,
        {"accion": "codigos", "codes": ["03907058"], "opciones-03907058": ["PAGOS", "FIRMA"]},
    )
    assert changed.status_code == 302
    grant = Employment.objects.get(request=request).grants.get()
    assert sorted(o.code for o in grant.options.all()) == ["FIRMA", "PAGOS"]
    assert request.events.filter(comment__contains="Códigos y opciones cambiados").exists()
    # A code with no option is refused in Spanish and nothing changes.
    refused = rep.post(url, {"accion": "codigos", "codes": ["03907058"]})
    assert refused.status_code == 400 and "Elija al menos una opción" in refused.content.decode()

    assert rep.post(url, {"accion": "codigos"}).status_code == 302  # every code taken away
    employee = logged_in("mlopez01")
    assert "No está asignado el permiso al usuario" in employee.get("/mi-pagina/").content.decode()
