"""The reviewer's moves, allowed and forbidden."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import services
from approvals.models import RejectionReason
from registration.models import RegistrationRequest, RequestStatus, User
from tests.conftest import PASSWORD, run_pending_jobs, verified_login
from workflow.flows.representante import RepresentanteFlow

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified_request(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> RegistrationRequest:
    request = submit(good_certificate)
    run_pending_jobs(request)
    request.refresh_from_db()
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED
    return request


def review_task(request: RegistrationRequest) -> Task:
    return Task.objects.get(
        process__registrationprocess__request=request, flow_task=RepresentanteFlow.review
    )


def client_for(user: User) -> Client:
    return verified_login(Client(), user)


def test_anonymous_is_sent_to_login(verified_request: RegistrationRequest) -> None:
    response = Client().get("/revision/")
    assert response.status_code == 302
    assert response["Location"].startswith("/iniciar-sesion/")


def test_outsider_gets_403_on_every_reviewer_page_and_action(
    verified_request: RegistrationRequest, outsider: User
) -> None:
    client = client_for(outsider)
    task = review_task(verified_request)
    assert client.get("/revision/").status_code == 403
    assert client.get(f"/revision/tarea/{task.pk}/").status_code == 403
    for action in ("tomar", "liberar", "decidir"):
        assert (
            client.post(
                f"/revision/tarea/{task.pk}/{action}/", {"decision": "approve", "confirm": "True"}
            ).status_code
            == 403
        )
    assert client.get("/revision/trabajos-fallidos/").status_code == 403
    verified_request.refresh_from_db()
    assert verified_request.status == RequestStatus.CERTIFICATE_VERIFIED
    assert review_task(verified_request).owner is None


def test_the_applicant_cannot_approve_their_own_request(
    verified_request: RegistrationRequest,
    reviewer: User,
    test_ca: object,
    submit: Callable[..., RegistrationRequest],
) -> None:
    # An active applicant (no reviewer rights) is an outsider to the queue.
    applicant = User.objects.create_user(
        username="jperez99", password=PASSWORD, cedula=verified_request.cedula
    )
    client = client_for(applicant)
    task = review_task(verified_request)
    assert client.post(f"/revision/tarea/{task.pk}/tomar/").status_code == 403
    # A reviewer whose cédula is the applicant's can't take it either.
    reviewer.cedula = verified_request.cedula
    applicant.delete()
    reviewer.save()
    with pytest.raises(services.ReviewError, match="solicitante"):
        services.review_take(task_pk=task.pk, actor=reviewer)


def test_a_staff_account_carries_its_cedula_so_the_own_request_rule_fires(
    verified_request: RegistrationRequest,
) -> None:
    """Staff are created with a cédula: a reviewer who is the applicant can't take it."""
    own = services.staff_user_create(
        username="revisor9",
        password=PASSWORD,
        group=services.REVIEWER_GROUP,
        cedula=verified_request.cedula,
        email="revisor9@aduana.gob.ec",
    )
    assert own.cedula == verified_request.cedula
    task = review_task(verified_request)
    with pytest.raises(services.ReviewError, match="solicitante"):
        services.review_take(task_pk=task.pk, actor=own)
    response = client_for(own).post(f"/revision/tarea/{task.pk}/tomar/", follow=True)
    assert "usted es el solicitante" in response.content.decode()
    assert review_task(verified_request).owner is None


def test_decision_needs_a_confirm_step(
    verified_request: RegistrationRequest, reviewer: User
) -> None:
    client = client_for(reviewer)
    task = review_task(verified_request)
    client.post(f"/revision/tarea/{task.pk}/tomar/")
    page = client.post(f"/revision/tarea/{task.pk}/decidir/", {"decision": "approve"})
    assert "¿Confirma la decisión" in page.content.decode()
    verified_request.refresh_from_db()
    assert verified_request.status == RequestStatus.CERTIFICATE_VERIFIED


def test_approving_twice_is_refused(verified_request: RegistrationRequest, reviewer: User) -> None:
    task = review_task(verified_request)
    services.review_take(task_pk=task.pk, actor=reviewer)
    services.review_decide(task_pk=task.pk, actor=reviewer, decision=services.Decision.APPROVE)
    with pytest.raises(services.ReviewError, match="ya fue decidida"):
        services.review_decide(task_pk=task.pk, actor=reviewer, decision=services.Decision.APPROVE)
    client = client_for(reviewer)
    response = client.post(
        f"/revision/tarea/{task.pk}/decidir/",
        {
            "decision": "reject",
            "reason": RejectionReason.objects.first().pk,  # type: ignore[union-attr]
            "comment": "x",
            "confirm": "True",
        },
        follow=True,
    )
    assert "ya fue decidida" in response.content.decode()
    verified_request.refresh_from_db()
    assert verified_request.status == RequestStatus.COMPANY_APPROVED
    assert verified_request.events.filter(to_status=RequestStatus.COMPANY_APPROVED).count() == 1


def test_a_taken_request_belongs_to_its_reviewer(
    verified_request: RegistrationRequest, reviewer: User, second_reviewer: User
) -> None:
    task = review_task(verified_request)
    services.review_take(task_pk=task.pk, actor=reviewer)
    with pytest.raises(services.ReviewError, match="Otro revisor ya tomó"):
        services.review_take(task_pk=task.pk, actor=second_reviewer)
    with pytest.raises(services.ReviewError, match="Tome la solicitud"):
        services.review_decide(
            task_pk=task.pk, actor=second_reviewer, decision=services.Decision.APPROVE
        )
    with pytest.raises(services.ReviewError, match="Solo quien tomó"):
        services.review_release(task_pk=task.pk, actor=second_reviewer)
    services.review_release(task_pk=task.pk, actor=reviewer)
    services.review_take(task_pk=task.pk, actor=second_reviewer)
    assert review_task(verified_request).owner == second_reviewer


def test_observe_and_reject_need_a_text(
    verified_request: RegistrationRequest, reviewer: User
) -> None:
    task = review_task(verified_request)
    services.review_take(task_pk=task.pk, actor=reviewer)
    with pytest.raises(services.ReviewError, match="observaciones"):
        services.review_decide(
            task_pk=task.pk, actor=reviewer, decision=services.Decision.OBSERVE, comment=" "
        )
    with pytest.raises(services.ReviewError, match="motivo"):
        services.review_decide(task_pk=task.pk, actor=reviewer, decision=services.Decision.REJECT)
    page = client_for(reviewer).post(
        f"/revision/tarea/{task.pk}/decidir/", {"decision": "observe", "comment": ""}
    )
    assert page.status_code == 400
    assert "Escriba las observaciones" in page.content.decode()


def test_unverified_request_is_not_in_the_queue(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, reviewer: User
) -> None:
    request = submit(good_certificate)
    assert not Task.objects.filter(flow_task=RepresentanteFlow.review).exists()
    assert request.tracking_number not in client_for(reviewer).get("/revision/").content.decode()


def test_failed_job_is_visible_and_a_supervisor_retries_it(
    verified_request: RegistrationRequest, reviewer: User, supervisor: User
) -> None:
    # Someone else already holds the ID. usuario: activation can't proceed.
    squatter = User.objects.create_user(username="jperez01", password=PASSWORD, cedula="0926687856")
    task = review_task(verified_request)
    services.review_take(task_pk=task.pk, actor=reviewer)
    services.review_decide(task_pk=task.pk, actor=reviewer, decision=services.Decision.APPROVE)
    job = Task.objects.get(
        process__registrationprocess__request=verified_request,
        flow_task=RepresentanteFlow.activate_user,
    )
    from workflow.tasks import run_flow_job

    run_flow_job.run(job.pk)  # the task body, as the worker runs it
    job.refresh_from_db()
    assert job.status == STATUS.ERROR
    verified_request.refresh_from_db()
    assert verified_request.status == RequestStatus.COMPANY_APPROVED
    assert "Error técnico" in verified_request.events.last().comment  # type: ignore[union-attr]

    assert client_for(reviewer).get("/revision/trabajos-fallidos/").status_code == 403
    supervisor_client = client_for(supervisor)
    page = supervisor_client.get("/revision/trabajos-fallidos/")
    assert verified_request.tracking_number in page.content.decode()

    squatter.username = "otro-usuario"
    squatter.save()
    supervisor_client.post(f"/revision/trabajos-fallidos/{job.pk}/reintentar/")
    run_pending_jobs(verified_request)
    verified_request.refresh_from_db()
    assert verified_request.status == RequestStatus.ACTIVE
    assert verified_request.user is not None and verified_request.user.check_password(PASSWORD)
