"""Notifications: email, SMS when chosen, and the Buzón Electrónico; each sent once."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from viewflow.workflow.models import Task

from approvals import services as approval_services
from registration import services
from registration.models import Notification, RegistrationRequest, User
from registration.sms import HttpSmsBackend
from registration.tasks import deliver_notification
from tests.conftest import run_pending_jobs
from workflow.flows.representante import RepresentanteFlow

pytestmark = pytest.mark.django_db


def test_submitting_writes_one_message_sent_by_email_and_sms_once(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    request = submit(good_certificate)
    notification = Notification.objects.get(request=request)
    assert notification.kind == "submitted" and request.tracking_number in notification.subject
    assert "/solicitud-del-uso/estado/" in notification.body
    caplog.set_level("INFO", logger="registration.sms")
    deliver_notification.run(notification.pk)
    deliver_notification.run(notification.pk)  # a redelivered or retried job
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [request.email]
    sms = [r for r in caplog.records if r.name == "registration.sms"]
    assert len(sms) == 1 and request.celular in sms[0].getMessage()


def test_no_sms_when_the_applicant_chose_not_to_receive_them(
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    request = submit(good_certificate, recibir_sms="0")
    caplog.set_level("INFO", logger="registration.sms")
    deliver_notification.run(Notification.objects.get(request=request).pk)
    assert len(mail.outbox) == 1
    assert not [r for r in caplog.records if r.name == "registration.sms"]
    # An SMS nobody wants is not "undelivered": the sweep leaves it alone.
    from datetime import timedelta

    assert services.notifications_resend_pending(older_than=timedelta(0)) == 0


def test_observed_rejected_and_active_are_notified_and_reach_the_mailbox(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, reviewer: User
) -> None:
    request = submit(good_certificate)
    run_pending_jobs(request)
    task = Task.objects.get(
        process__registrationprocess__request=request, flow_task=RepresentanteFlow.review
    )
    approval_services.review_take(task_pk=task.pk, actor=reviewer)
    approval_services.review_decide(
        task_pk=task.pk, actor=reviewer, decision=approval_services.Decision.APPROVE
    )
    run_pending_jobs(request)
    kinds = list(
        Notification.objects.filter(request=request)
        .order_by("created", "id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["submitted", "active"]  # verification and approval are not applicant messages

    client = Client()
    assert request.user is not None
    client.force_login(request.user)
    assert "Buzón Electrónico (2 sin leer)" in client.get("/mi-pagina/").content.decode()
    page = client.get("/mi-pagina/buzon/").content.decode()
    assert "Usuario activo" in page and "Solicitud registrada" in page
    assert "sin leer" not in client.get("/mi-pagina/").content.decode()


def test_a_rejection_names_the_reason(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, reviewer: User
) -> None:
    request = submit(good_certificate)
    run_pending_jobs(request)
    task = Task.objects.get(
        process__registrationprocess__request=request, flow_task=RepresentanteFlow.review
    )
    approval_services.review_take(task_pk=task.pk, actor=reviewer)
    approval_services.review_decide(
        task_pk=task.pk,
        actor=reviewer,
        decision=approval_services.Decision.REJECT,
        comment="RUC inactivo",
    )
    rejected = Notification.objects.get(request=request, kind="rejected")
    assert "RUC inactivo" in rejected.body


@pytest.fixture
def gateway() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(
                {"auth": self.headers.get("Authorization"), **json.loads(self.rfile.read(length))}
            )
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms", received
    server.shutdown()


def test_the_http_sms_backend_posts_to_the_gateway(
    gateway: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = gateway
    HttpSmsBackend(url=url, token="secreto").send(to="+593991234567", text="Hola")
    assert received == [{"auth": "Bearer secreto", "to": "+593991234567", "text": "Hola"}]
    with pytest.raises(ValueError, match="http"):
        HttpSmsBackend(url="file:///etc/passwd")


def test_undelivered_notifications_are_resent_by_the_sweep(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    submit(good_certificate)
    assert services.notifications_resend_pending(older_than=timedelta(0)) == 1  # never sent
    notification = Notification.objects.get()
    deliver_notification.run(notification.pk)
    assert len(mail.outbox) == 1
    assert services.notifications_resend_pending(older_than=timedelta(0)) == 0  # email and SMS sent

    # A worker that claimed the email and died before sending: a live one may still be
    # at it for a while (nothing to do), after the lease the email is sent again.
    now = timezone.now()
    Notification.objects.update(email_sent=None, email_claimed=now - timedelta(minutes=1))
    assert services.notifications_resend_pending(older_than=timedelta(0)) == 0
    deliver_notification.run(notification.pk)  # a duplicate message meanwhile sends nothing
    assert len(mail.outbox) == 1
    Notification.objects.update(email_claimed=now - timedelta(minutes=11))
    assert services.notifications_resend_pending(older_than=timedelta(0)) == 1
    deliver_notification.run(notification.pk)
    assert len(mail.outbox) == 2
    assert services.notifications_resend_pending(older_than=timedelta(0)) == 0


def test_a_failed_certificate_check_tells_the_applicant_why_and_what_to_do(
    submit: Callable[..., RegistrationRequest],
) -> None:
    from registration.models import RequestStatus
    from tests.support import pki

    stranger = pki.make_leaf(
        pki.make_ca("CA Desconocida"), cedula=pki.DEFAULT_CEDULA, ruc=pki.COMPANY_RUC
    )
    request = submit(pki.to_der(stranger[0]), signer=stranger)
    run_pending_jobs(request)
    assert request.status == RequestStatus.VERIFICATION_FAILED
    message = Notification.objects.get(request=request, kind="cert_failed")
    assert "No pudimos verificar el certificado digital" in message.body
    assert "Corríjala desde su enlace de seguimiento" in message.body
    assert "/solicitud-del-uso/estado/" in message.body
    from registration.selectors import request_verification_reasons

    first_reason = request_verification_reasons(request=request)[0]
    assert first_reason in message.body
