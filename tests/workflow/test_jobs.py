"""The job node's bookkeeping: the sweep, and activation re-enabling a user."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import services
from registration.models import RegistrationRequest, RequestStatus, User
from tests.conftest import PASSWORD, state_changes
from workflow import services as process_services
from workflow.flows.representante import RepresentanteFlow

pytestmark = pytest.mark.django_db


def job_of(request: RegistrationRequest) -> Task:
    return Task.objects.get(
        process__registrationprocess__request=request,
        flow_task=RepresentanteFlow.verify_certificate,
    )


def test_sweep_resends_jobs_never_sent_or_long_stalled_and_leaves_the_rest(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, settings: object
) -> None:
    settings.ECUAPASS_JOB_UNSENT_AFTER = 30  # type: ignore[attr-defined]
    settings.ECUAPASS_JOB_STALE_AFTER = 1200  # type: ignore[attr-defined]
    job = job_of(submit(good_certificate))
    # In this test's transaction nothing was sent (on_commit never ran).
    assert job.scheduled is None
    assert process_services.flow_jobs_resend_stalled() == 0  # too recent to call it unsent

    Task.objects.filter(pk=job.pk).update(created=timezone.now() - timedelta(minutes=5))
    assert process_services.flow_jobs_resend_stalled() == 1
    job.refresh_from_db()
    assert job.scheduled is not None
    assert process_services.flow_jobs_resend_stalled() == 0  # just sent

    Task.objects.filter(pk=job.pk).update(scheduled=timezone.now() - timedelta(hours=1))
    assert process_services.flow_jobs_resend_stalled() == 1

    process_services.flow_job_run(task_pk=job.pk)
    Task.objects.filter(pk=job.pk).update(scheduled=timezone.now() - timedelta(hours=1))
    assert process_services.flow_jobs_resend_stalled() == 0  # done jobs are never resent


def test_job_run_is_a_no_op_once_done(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    request = submit(good_certificate)
    job = job_of(request)
    assert process_services.flow_job_run(task_pk=job.pk) is True
    assert process_services.flow_job_run(task_pk=job.pk) is False
    assert process_services.flow_job_run(task_pk=999_999) is False
    assert state_changes(request) == ["submitted", "certificate_verified"]  # one verification


def test_activation_re_enables_the_same_persons_disabled_user(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, reviewer: User
) -> None:
    old = User.objects.create_user(
        username="jperez01", password="Vieja-Clave-2020", cedula="1714307103", is_active=False
    )
    # The same person's disabled account doesn't block their new request.
    request = submit(good_certificate)
    process_services.flow_job_run(task_pk=job_of(request).pk)
    task = Task.objects.get(
        process__registrationprocess__request=request, flow_task=RepresentanteFlow.review
    )
    services.review_take(task_pk=task.pk, actor=reviewer)
    services.review_decide(task_pk=task.pk, actor=reviewer, decision=services.Decision.APPROVE)
    activation = Task.objects.get(
        process__registrationprocess__request=request, flow_task=RepresentanteFlow.activate_user
    )
    process_services.flow_job_run(task_pk=activation.pk)
    request.refresh_from_db()
    old.refresh_from_db()
    assert request.status == RequestStatus.ACTIVE
    assert request.user == old
    assert old.is_active
    assert old.check_password(PASSWORD)
    assert activation.__class__.objects.get(pk=activation.pk).status == STATUS.DONE


def _approve_and_activate(request: RegistrationRequest, reviewer: User) -> None:
    process_services.flow_job_run(task_pk=job_of(request).pk)
    task = Task.objects.get(
        process__registrationprocess__request=request, flow_task=RepresentanteFlow.review
    )
    services.review_take(task_pk=task.pk, actor=reviewer)
    services.review_decide(task_pk=task.pk, actor=reviewer, decision=services.Decision.APPROVE)
    activation = Task.objects.get(
        process__registrationprocess__request=request, flow_task=RepresentanteFlow.activate_user
    )
    process_services.flow_job_run(task_pk=activation.pk)
    request.refresh_from_db()


def test_activation_clears_the_password_hash_from_the_request(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, reviewer: User
) -> None:
    request = submit(good_certificate)
    assert request.password_hash  # kept until the user exists
    _approve_and_activate(request, reviewer)
    assert request.status == RequestStatus.ACTIVE
    assert request.password_hash == ""
    assert request.user is not None and request.user.check_password(PASSWORD)


def test_the_migration_clears_the_hash_of_requests_activated_before_it(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("registration.migrations.0013_headers_clear_password_hash")
    request = submit(good_certificate)
    migration.clear_activated_password_hashes(apps, None)
    request.refresh_from_db()
    assert request.password_hash != ""  # not activated yet: still needed
    user = User.objects.create_user(username="jperez01", password=PASSWORD, cedula="1714307103")
    RegistrationRequest.objects.filter(pk=request.pk).update(user=user)  # as before the fix
    migration.clear_activated_password_hashes(apps, None)
    request.refresh_from_db()
    assert request.password_hash == ""
