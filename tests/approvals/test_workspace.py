"""The reviewer workspace: queues, filters, reassign, audit trail, dashboard, scale."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Task

from approvals import services
from approvals.models import RejectionReason
from registration.models import OceType, RegistrationRequest, RequestEvent, User
from tests.conftest import verified_login
from tests.support import pki
from workflow import services as process_services
from workflow.flows.representante import RepresentanteFlow

pytestmark = pytest.mark.django_db

CEDULAS = ["0926687856", "1710034065", "0102030405", "1104680135", "0601234560", "1803001234"]


def valid_cedulas(n: int) -> list[str]:
    from stdnum.ec import ci

    found = [c for c in CEDULAS if ci.is_valid(c)]
    base = 1700000000
    while len(found) < n:
        base += 1
        candidate = f"{base:010d}"
        if ci.is_valid(candidate) and candidate not in found and candidate != pki.DEFAULT_CEDULA:
            found.append(candidate)
    return found[:n]


@pytest.fixture
def verified_requests(
    submit: Callable[..., RegistrationRequest], test_ca: pki.CertificateAndKey
) -> Callable[[int], list[RegistrationRequest]]:
    """`n` requests waiting for review, each from its own applicant and certificate."""

    used = 0

    def make(n: int) -> list[RegistrationRequest]:
        nonlocal used
        made = []
        for i, cedula in list(enumerate(valid_cedulas(used + n)))[used:]:
            signer = pki.make_leaf(test_ca, cedula=cedula, ruc=pki.COMPANY_RUC)
            request = submit(
                pki.to_der(signer[0]),
                signer=signer,
                id_usuario=f"usuario{i:03d}",
                cedula=cedula,
                email=f"u{i}@example.com",
                email2=f"u{i}@example.com",
                nombre_usuario=f"SOLICITANTE {i:03d}",
                province="09" if i % 2 else "17",
                canton="0901" if i % 2 else "1701",
            )
            for task in Task.objects.filter(
                process__registrationprocess__request=request, flow_task_type="JOB"
            ):
                process_services.flow_job_run(task_pk=task.pk)
            made.append(request)
        used += n
        return made

    return make


def review_task(request: RegistrationRequest) -> Task:
    return Task.objects.get(
        process__registrationprocess__request=request, flow_task=RepresentanteFlow.review
    )


def test_queues_filter_search_sort_and_count(
    verified_requests: Callable[[int], list[RegistrationRequest]], reviewer: User, supervisor: User
) -> None:
    requests = verified_requests(4)
    client = verified_login(Client(), reviewer)
    body = client.get("/revision/").content.decode()
    for r in requests:
        assert r.tracking_number in body
    assert 'Sin asignar <span class="count">(4)' in body
    # Search by tracking number, cédula, name; filter by province; sort.
    assert (
        requests[1].tracking_number
        in client.get("/revision/", {"q": requests[1].tracking_number}).content.decode()
    )
    only = client.get("/revision/", {"q": requests[2].cedula}).content.decode()
    assert requests[2].tracking_number in only and requests[3].tracking_number not in only
    guayas = client.get("/revision/", {"provincia": "09"}).content.decode()
    assert requests[1].tracking_number in guayas and requests[0].tracking_number not in guayas
    oce = OceType.objects.get(name="AGENTE DE ADUANA").pk
    assert requests[0].tracking_number in client.get("/revision/", {"oce": oce}).content.decode()
    newest_first = client.get("/revision/", {"orden": "recientes"}).content.decode()
    assert newest_first.index(requests[3].tracking_number) < newest_first.index(
        requests[0].tracking_number
    )
    # Take one: it moves to "Mis tareas".
    services.review_take(task_pk=review_task(requests[0]).pk, actor=reviewer)
    mine = client.get("/revision/", {"cola": "mias"}).content.decode()
    assert requests[0].tracking_number in mine and 'Mis tareas <span class="count">(1)' in mine
    # Only a supervisor sees "Todas".
    assert (
        requests[3].tracking_number
        not in client.get("/revision/", {"cola": "todas"}).content.decode()
    )
    everything = (
        verified_login(Client(), supervisor).get("/revision/", {"cola": "todas"}).content.decode()
    )
    assert all(r.tracking_number in everything for r in requests)


def test_queue_page_query_count_does_not_grow_with_rows(
    verified_requests: Callable[[int], list[RegistrationRequest]], reviewer: User
) -> None:
    client = verified_login(Client(), reviewer)
    verified_requests(2)
    client.get("/revision/")  # warm caches (content types, permissions)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/revision/").status_code == 200
    verified_requests(6)
    with CaptureQueriesContext(connection) as more:
        page = client.get("/revision/")
    assert page.content.decode().count("Tomar SOL-") == 8
    assert len(more.captured_queries) == len(few.captured_queries)


def test_overdue_requests_stand_out(
    verified_requests: Callable[[int], list[RegistrationRequest]], reviewer: User
) -> None:
    old, new = verified_requests(2)
    Task.objects.filter(pk=review_task(old).pk).update(created=timezone.now() - timedelta(days=10))
    client = verified_login(Client(), reviewer)
    body = client.get("/revision/").content.decode()
    assert 'class="sla-vencida"' in body
    overdue = client.get("/revision/", {"sla": "vencida"}).content.decode()
    assert old.tracking_number in overdue and new.tracking_number not in overdue


def test_supervisor_reassigns_and_reviewers_cannot(
    verified_requests: Callable[[int], list[RegistrationRequest]],
    reviewer: User,
    second_reviewer: User,
    supervisor: User,
) -> None:
    (request,) = verified_requests(1)
    task = review_task(request)
    services.review_take(task_pk=task.pk, actor=reviewer)
    refused = verified_login(Client(), reviewer).post(
        f"/revision/tarea/{task.pk}/reasignar/", {"reviewer": second_reviewer.pk}
    )
    assert refused.status_code == 403
    done = verified_login(Client(), supervisor).post(
        f"/revision/tarea/{task.pk}/reasignar/",
        {"reviewer": second_reviewer.pk},
        REMOTE_ADDR="10.0.0.7",
    )
    assert done.status_code == 302
    assert review_task(request).owner == second_reviewer
    event = request.events.filter(comment__startswith="Reasignada").get()
    assert event.actor == supervisor and event.source_ip == "10.0.0.7"


def test_observation_tied_to_fields_and_rejection_from_the_catalogue(
    verified_requests: Callable[[int], list[RegistrationRequest]], reviewer: User
) -> None:
    observed, rejected = verified_requests(2)
    client = verified_login(Client(), reviewer)
    for request in (observed, rejected):
        client.post(f"/revision/tarea/{review_task(request).pk}/tomar/")
    task = review_task(observed)
    missing_items = client.post(
        f"/revision/tarea/{task.pk}/decidir/", {"decision": "observe", "comment": "Revise"}
    )
    assert "Marque qué campos" in missing_items.content.decode()
    client.post(
        f"/revision/tarea/{task.pk}/decidir/",
        {
            "decision": "observe",
            "comment": "Revise la dirección",
            "observed_items": ["direccion_empresa"],
            "confirm": "True",
        },
    )
    observed.refresh_from_db()
    assert observed.observed_items == ["direccion_empresa"]
    reason = RejectionReason.objects.get(text="Solicitud duplicada")
    task = review_task(rejected)
    no_reason = client.post(
        f"/revision/tarea/{task.pk}/decidir/", {"decision": "reject", "comment": "x"}
    )
    assert "Elija el motivo del rechazo." in no_reason.content.decode()
    client.post(
        f"/revision/tarea/{task.pk}/decidir/",
        {
            "decision": "reject",
            "reason": reason.pk,
            "comment": "Ya existe SOL-1",
            "confirm": "True",
        },
        REMOTE_ADDR="10.9.9.9",
    )
    rejected.refresh_from_db()
    assert rejected.rejection_reason == "Solicitud duplicada. Ya existe SOL-1"
    decision = rejected.events.get(to_status="rejected")
    assert decision.actor == reviewer and decision.source_ip == "10.9.9.9"


def test_audit_csv_is_for_supervisors(
    verified_requests: Callable[[int], list[RegistrationRequest]], reviewer: User, supervisor: User
) -> None:
    (request,) = verified_requests(1)
    services.review_take(task_pk=review_task(request).pk, actor=reviewer, source_ip="10.1.2.3")
    assert verified_login(Client(), reviewer).get("/revision/auditoria.csv").status_code == 403
    response = verified_login(Client(), supervisor).get("/revision/auditoria.csv")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows[0] == [
        "fecha",
        "solicitud",
        "actor",
        "ip",
        "estado_anterior",
        "estado_nuevo",
        "comentario",
    ]
    taken = [r for r in rows[1:] if r[6] == "Tomada para revisión."]
    assert (
        taken
        and taken[0][1] == request.tracking_number
        and taken[0][2] == reviewer.username
        and taken[0][3] == "10.1.2.3"
    )
    assert any(r[5] == "certificate_verified" and r[4] == "submitted" for r in rows[1:])


def test_dashboard_is_for_supervisors_and_draws_charts(
    verified_requests: Callable[[int], list[RegistrationRequest]], reviewer: User, supervisor: User
) -> None:
    (request,) = verified_requests(1)
    task = review_task(request)
    services.review_take(task_pk=task.pk, actor=reviewer)
    services.review_decide(task_pk=task.pk, actor=reviewer, decision=services.Decision.APPROVE)
    assert verified_login(Client(), reviewer).get("/revision/panel/").status_code == 403
    body = verified_login(Client(), supervisor).get("/revision/panel/").content.decode()
    assert body.count("<svg") == 3
    assert "Decisiones por revisor y día" in body and reviewer.username in body


def test_outsiders_reach_none_of_the_workspace(
    verified_requests: Callable[[int], list[RegistrationRequest]], outsider: User
) -> None:
    (request,) = verified_requests(1)
    task = review_task(request)
    client = verified_login(Client(), outsider)
    for url in (
        "/revision/",
        "/revision/panel/",
        "/revision/auditoria.csv",
        f"/revision/tarea/{task.pk}/",
    ):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(f"/revision/tarea/{task.pk}/reasignar/", {"reviewer": outsider.pk}).status_code
        == 403
    )
    anonymous = Client()
    assert anonymous.get("/revision/panel/").status_code == 302


@pytest.mark.services
def test_the_audit_trail_is_append_only_in_the_database(
    verified_requests: Callable[[int], list[RegistrationRequest]],
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    from django.db import DatabaseError, transaction

    (request,) = verified_requests(1)
    event = RequestEvent.objects.filter(request=request).first()
    assert event is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        RequestEvent.objects.filter(pk=event.pk).update(comment="cambiado")
    with pytest.raises(DatabaseError), transaction.atomic():
        RequestEvent.objects.filter(pk=event.pk).delete()
    assert RequestEvent.objects.get(pk=event.pk).comment == event.comment


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_taking_at_once_one_wins(
    verified_requests: Callable[[int], list[RegistrationRequest]],
    reviewer: User,
    second_reviewer: User,
) -> None:
    (request,) = verified_requests(1)
    task_pk = review_task(request).pk
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def take(user: User) -> None:
        try:
            barrier.wait(10)
            services.review_take(task_pk=task_pk, actor=user)
            outcomes[user.username] = "ok"
        except services.ReviewError as exc:
            outcomes[user.username] = str(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(u,)) for u in (reviewer, second_reviewer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes.values()).count("ok") == 1
    loser = next(v for v in outcomes.values() if v != "ok")
    assert "Otro revisor" in loser
    winner = next(name for name, v in outcomes.items() if v == "ok")
    owner = review_task(request).owner
    assert owner is not None and owner.username == winner


def test_applicant_events_carry_the_source_ip(
    reference_data: None, good_certificate: bytes, applicant_certificate: pki.CertificateAndKey
) -> None:
    from tests.conftest import form_data

    client = Client(REMOTE_ADDR="10.20.30.40")
    response = client.post(
        "/solicitud-del-uso/representante/",
        form_data(client, certificate=good_certificate, signer=applicant_certificate),
    )
    assert response.status_code == 302
    assert RequestEvent.objects.get(to_status="submitted").source_ip == "10.20.30.40"


def test_dashboard_counts_ageing_and_overdue_in_business_days(
    verified_requests: Callable[[int], list[RegistrationRequest]],
) -> None:
    from approvals import selectors

    old, _new = verified_requests(2)
    Task.objects.filter(pk=review_task(old).pk).update(created=timezone.now() - timedelta(days=14))
    data = selectors.dashboard()
    assert data.overdue == 1
    assert dict(data.ageing)["> 5 días hábiles"] == 1
    assert dict(data.ageing)["< 1 día hábil"] == 1
    assert dict(data.by_state)["Certificado verificado"] == 2


def test_sorting_by_company_follows_the_razon_social(
    verified_requests: Callable[[int], list[RegistrationRequest]], reviewer: User
) -> None:
    first, second, third = verified_requests(3)
    RegistrationRequest.objects.filter(pk=third.pk).update(razon_social="AAA COMERCIAL")
    RegistrationRequest.objects.filter(pk=first.pk).update(razon_social="ZZZ EXPORT")
    body = (
        verified_login(Client(), reviewer).get("/revision/", {"orden": "empresa"}).content.decode()
    )
    positions = [body.index(r.tracking_number) for r in (third, second, first)]
    assert positions == sorted(positions)
