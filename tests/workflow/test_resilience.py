"""No request is lost or stuck: a killed worker, a broker that is down at Registrar."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.test import Client
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from registration.models import RegistrationRequest, RequestStatus
from tests.conftest import (
    WorkerProcess,
    confirm_email,
    form_data,
    state_changes,
    wait_for,
    wait_for_status,
)
from tests.environment import CI, TEST_REDIS_URL
from tests.support import pki
from workflow.celery import app as celery_app
from workflow.flows.representante import RepresentanteFlow
from workflow.tasks import sweep_stalled_jobs

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_worker_killed_mid_job_request_still_verified(
    reference_data: None,
    submit: Callable[..., RegistrationRequest],
    good_certificate: bytes,
    artifacts_dir: Path,
    settings: object,
    tmp_path: Path,
) -> None:
    queue = f"kill-{uuid.uuid4().hex[:8]}"
    settings.ECUAPASS_JOB_QUEUE = queue  # type: ignore[attr-defined]
    marker = tmp_path / "stalled.pid"
    worker = WorkerProcess(
        broker_url=TEST_REDIS_URL,
        queue=queue,
        log=artifacts_dir / "celery-worker-killed.log",
        argv=[sys.executable, "-m", "tests.support.stalling_worker"],
        extra_env={"STALL_MARKER": str(marker)},
    )
    try:
        request = submit(good_certificate)
        wait_for(marker.exists, timeout=60, what="the certificate job to start and stall")
        wait_for(lambda: marker.read_text().strip() != "", what="the stalled child's pid")
        child_pid = int(marker.read_text())
        assert child_pid != worker.process.pid  # the pool child, not the main worker process
        os.kill(child_pid, signal.SIGKILL)

        wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED, timeout=90)
        assert "WorkerLostError" in worker.log.read_text() or "signal 9" in worker.log.read_text()
        job = Task.objects.get(
            process__registrationprocess__request=request,
            flow_task=RepresentanteFlow.verify_certificate,
        )
        assert job.status == STATUS.DONE
        assert state_changes(request) == ["submitted", "certificate_verified"]
    finally:
        worker.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def producer_broker(url: str) -> Iterator[None]:
    """Point this process's Celery producer at `url` (the web server's side of the broker)."""
    previous = (celery_app.conf.broker_url, celery_app.conf.broker_write_url)

    def reset_pools() -> None:
        # Drop this app's references; kombu keeps one pool per broker URL.
        celery_app._pool = None  # type: ignore[attr-defined]
        celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]

    celery_app.conf.update(broker_url=url, broker_write_url=url)
    reset_pools()
    try:
        yield
    finally:
        celery_app.conf.update(broker_url=previous[0], broker_write_url=previous[1])
        reset_pools()


@contextmanager
def redis_server(port: int, log: Path) -> Iterator[None]:
    binary = shutil.which("redis-server")
    if binary is None:
        if CI:
            pytest.fail("redis-server is needed for the broker-down test")
        pytest.skip("redis-server not installed")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: _accepts(port), timeout=20, what=f"redis-server on port {port}")
        yield
    finally:
        process.terminate()
        process.wait(timeout=20)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.5):
            return True
    except OSError:
        return False


def test_broker_down_at_registrar_saves_request_and_sweep_sends_it_later(
    reference_data: None,
    good_certificate: bytes,
    artifacts_dir: Path,
    settings: object,
    applicant_certificate: pki.CertificateAndKey,
) -> None:
    port = _free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    queue = f"down-{uuid.uuid4().hex[:8]}"
    settings.ECUAPASS_JOB_QUEUE = queue  # type: ignore[attr-defined]
    settings.ECUAPASS_JOB_UNSENT_AFTER = 0  # type: ignore[attr-defined]
    with producer_broker(broker):
        assert not _accepts(port)  # nothing listens: Redis is down
        client = Client()
        response = client.post(
            "/solicitud-del-uso/representante/",
            form_data(client, certificate=good_certificate, signer=applicant_certificate),
        )
        assert response.status_code == 302
        page = client.get(response["Location"])
        assert "Solicitud registrada" in page.content.decode()
        request = RegistrationRequest.objects.get(id_usuario="jperez01")
        assert request.tracking_number in page.content.decode()
        confirm_email(request)
        job = Task.objects.get(
            process__registrationprocess__request=request,
            flow_task=RepresentanteFlow.verify_certificate,
        )
        assert job.status == STATUS.SCHEDULED
        assert job.scheduled is None  # never reached the broker

        with redis_server(port, artifacts_dir / "redis-down-test.log"):
            worker = WorkerProcess(
                broker_url=broker,
                queue=queue,
                log=artifacts_dir / "celery-worker-broker-down.log",
                extra_env={"ECUAPASS_JOB_UNSENT_AFTER": "0"},
            )
            try:
                # Beat's periodic sweep, run by the worker as beat would send it.
                sweep_stalled_jobs.apply_async(queue=queue)
                wait_for_status(request, RequestStatus.CERTIFICATE_VERIFIED, timeout=60)
            finally:
                worker.stop()
    assert "workflow.tasks.sweep_stalled_jobs" in {
        e["task"] for e in celery_app.conf.beat_schedule.values()
    }
