"""Shared fixtures: personas, reference data, certificates, and a real Celery worker."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from approvals import services as approval_services
from registration import services as registration_services
from registration.models import OceType, RegistrationRequest, SecurityQuestion, User
from tests import environment
from tests.support import pki
from workflow import services as process_services

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Clave-Segura-2026"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if environment.SERVICES_UP:
        return
    skip = pytest.mark.skip(
        reason=f"needs PostgreSQL and Redis: {environment.SERVICES_DOWN_REASON}"
    )
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def jobs_off_the_broker(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Celery messages kept instead of sent, for a test that doesn't run them.

    A session's worker (started by an earlier test) would otherwise take them and
    write to the database while this test's teardown empties it.
    """
    from celery.app.task import Task as CeleryTask

    kept: list[tuple[str, Any]] = []

    def keep(self: CeleryTask, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        kept.append((self.name, args))

    monkeypatch.setattr(CeleryTask, "apply_async", keep)
    return kept


# --- Data -------------------------------------------------------------------------


@pytest.fixture
def reference_data(db: None, test_ca: pki.CertificateAndKey) -> None:
    # The cache table is not flushed after a transactional test: rate-limit windows an
    # earlier test counted (same client address, same minute) must not refuse this one.
    cache.clear()
    registration_services.reference_data_load()
    approval_services.roles_setup()
    registration_services.trust_anchors_import(
        data=pki.to_pem(test_ca[0]), name="CA de pruebas ECUAPASS"
    )


@pytest.fixture
def reviewer(reference_data: None) -> User:
    return approval_services.staff_user_create(
        username="revisor1",
        password=PASSWORD,
        group=approval_services.REVIEWER_GROUP,
        cedula="1101000022",  # staff have a cédula: the own-request rule compares it
        email="revisor1@aduana.gob.ec",
    )


@pytest.fixture
def second_reviewer(reference_data: None) -> User:
    return approval_services.staff_user_create(
        username="revisor2",
        password=PASSWORD,
        group=approval_services.REVIEWER_GROUP,
        cedula="1101000030",  # staff have a cédula: the own-request rule compares it
        email="revisor2@aduana.gob.ec",
    )


@pytest.fixture
def supervisor(reference_data: None) -> User:
    return approval_services.staff_user_create(
        username="supervisor1",
        password=PASSWORD,
        group=approval_services.SUPERVISOR_GROUP,
        cedula="1101000048",  # staff have a cédula: the own-request rule compares it
        email="supervisor1@aduana.gob.ec",
    )


@pytest.fixture
def outsider(reference_data: None) -> User:
    user = User(username="curioso1")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture(scope="session")
def test_ca() -> pki.CertificateAndKey:
    return pki.make_ca("CA de pruebas ECUAPASS")


@pytest.fixture(scope="session")
def applicant_certificate(test_ca: pki.CertificateAndKey) -> pki.CertificateAndKey:
    return pki.make_leaf(test_ca, cedula=pki.DEFAULT_CEDULA, ruc=pki.COMPANY_RUC)


@pytest.fixture
def good_certificate(applicant_certificate: pki.CertificateAndKey) -> bytes:
    return pki.to_der(applicant_certificate[0])


def sign_challenge(text: str, signer: pki.CertificateAndKey) -> bytes:
    """What `openssl cms -sign` (detached, DER) makes of the challenge."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(text.encode())
        .add_signer(signer[0], signer[1], hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature])
    )


def challenge_of(page_html: str) -> tuple[str, str]:
    """The submission token and the challenge text a rendered form shows."""
    from registration.models import PossessionChallenge

    token = re.search(r'name="submission_token" value="([^"]+)"', page_html)
    assert token is not None
    return token.group(1), PossessionChallenge.objects.get(form_token=token.group(1)).text


def person_fields() -> dict[str, Any]:
    """The person's block of Pasos 3–5, filled in as a browser posts it (every kind's form)."""
    questions = {q.slot: q.pk for q in SecurityQuestion.objects.all()}
    return {
        "id_usuario": "jperez01",
        "doc_type": "CEDULA DE IDENTIDAD",
        "cedula": pki.DEFAULT_CEDULA,
        "nombre_usuario": "JUAN CARLOS PEREZ GOMEZ",
        "password": PASSWORD,
        "password2": PASSWORD,
        "question1": questions[1],
        "answer1": "Mayo",
        "question2": questions[2],
        "answer2": "San Francisco",
        "question3": questions[3],
        "answer3": "Cuenca",
        "province": "17",
        "canton": "1701",
        "direccion": "Calle Los Pinos 45",
        "telefono1": "022345679",
        "telefono2": "",
        "operadora": "CLARO",
        "celular": "0991234567",
        "fax": "",
        "email": "jperez@example.com",
        "email2": "jperez@example.com",
        "acepta_convenio": "on",
    }


def form_data(
    client: Client,
    *,
    certificate: bytes | None,
    signer: pki.CertificateAndKey | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A complete, valid Representante form as a browser would post it.

    With `signer`, the form's challenge is signed with that certificate's key.
    """
    page = client.get("/solicitud-del-uso/representante/")
    token_value, challenge = challenge_of(page.content.decode())
    nonce = re.search(r'name="reto_nonce" value="([^"]+)"', page.content.decode())
    assert nonce is not None
    data: dict[str, Any] = {
        "submission_token": token_value,
        "reto_nonce": nonce.group(1),
        "ruc": pki.COMPANY_RUC,
        "razon_social": "IMPORTADORA ANDINA S.A.",
        "direccion_empresa": "Av. Amazonas N24-03 y Colón, Quito",
        "telefono_empresa": "022345678",
        **person_fields(),
        "posicion": "REPRESENTANTES",
        "senae_email": "",
        "recibir_sms": "1",
        "oce-TOTAL_FORMS": "3",
        "oce-INITIAL_FORMS": "0",
        "oce-MIN_NUM_FORMS": "0",
        "oce-MAX_NUM_FORMS": "50",
        "oce-0-oce_type": OceType.objects.get(name="AGENTE DE ADUANA").pk,
        "oce-0-code": "03907058",
        "oce-0-start_month": "9",
        "oce-0-start_year": "2002",
        "oce-0-end_date": "31/12/9999",
    }
    for i in (1, 2):
        data.update(
            {
                f"oce-{i}-oce_type": "",
                f"oce-{i}-code": "",
                f"oce-{i}-start_month": "",
                f"oce-{i}-start_year": "",
                f"oce-{i}-end_date": "31/12/9999",
            }
        )
    if certificate is not None:
        data["certificados"] = SimpleUploadedFile("representante.cer", certificate)
    if signer is not None:
        data["firma_reto"] = SimpleUploadedFile("reto.p7s", sign_challenge(challenge, signer))
    data.update(overrides)
    return data


@pytest.fixture
def submit(
    reference_data: None, applicant_certificate: pki.CertificateAndKey
) -> Callable[..., RegistrationRequest]:
    """Submit the form through the real view and return the saved request.

    The challenge is signed with `signer` (by default the applicant's key).
    """

    def _submit(
        certificate: bytes,
        signer: pki.CertificateAndKey | None = None,
        confirm: bool = True,
        **overrides: Any,
    ) -> RegistrationRequest:
        client = Client()
        response = client.post(
            "/solicitud-del-uso/representante/",
            form_data(
                client, certificate=certificate, signer=signer or applicant_certificate, **overrides
            ),
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        request = RegistrationRequest.objects.get(
            id_usuario=overrides.get("id_usuario", "jperez01")
        )
        if confirm:
            confirm_email(request)
        return request

    return _submit


def confirm_email(request: RegistrationRequest) -> None:
    """Enter the code the applicant was emailed, so the process goes on to verification."""
    from registration.models import CodePurpose

    code = request.codes.filter(purpose=CodePurpose.EMAIL_CONFIRM).first()
    assert code is not None, "no confirmation code was issued"
    outcome = process_services.email_confirm_submit(
        request=request, code=registration_services.code_value(code)
    )
    assert outcome == "ok", outcome
    request.refresh_from_db()


def verified_login(client: Client, user: User) -> Client:
    """Log in with the password and an OTP-verified session, as the reviewer pages require."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from approvals.models import StaffTOTPDevice

    client.force_login(user)
    device = StaffTOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = StaffTOTPDevice.objects.create(user=user, name="Pruebas", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def run_pending_jobs(request: RegistrationRequest) -> None:
    """Run the request's waiting job nodes through the job service, as a worker would."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    for task in Task.objects.filter(
        process__registrationprocess__request=request, flow_task_type="JOB", status=STATUS.SCHEDULED
    ):
        process_services.flow_job_run(task_pk=task.pk)
    request.refresh_from_db()


def state_changes(request: RegistrationRequest) -> list[str]:
    """The states a request went through (audit notes such as "taken" left out)."""
    return [e.to_status for e in request.events.all() if e.from_status != e.to_status]


def wait_for(
    predicate: Callable[[], bool], *, timeout: float = 60, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_for_status(request: RegistrationRequest, status: str, timeout: float = 60) -> None:
    def reached() -> bool:
        request.refresh_from_db()
        return request.status == status

    wait_for(reached, timeout=timeout, what=f"{request.tracking_number} to reach {status}")


# --- A real Celery worker ---------------------------------------------------------


class WorkerProcess:
    """A `celery worker` subprocess on the test database and a broker of our choosing."""

    def __init__(
        self,
        *,
        broker_url: str,
        queue: str,
        log: Path,
        argv: list[str] | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        db = connection.settings_dict
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
                "CELERY_BROKER_URL": broker_url,
                "ECUAPASS_JOB_QUEUE": queue,
                "PYTHONPATH": str(ROOT),
                **(extra_env or {}),
            }
        )
        self.log = log
        command = argv or [sys.executable, "-m", "celery", "-A", "workflow", "worker"]
        command += [
            "--queues",
            queue,
            "--concurrency",
            "1",
            "--pool",
            "prefork",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
        self._log_handle = log.open("w")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log_handle, stderr=subprocess.STDOUT
        )
        wait_for(self._ready, timeout=60, what=f"celery worker to start (log: {log})")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited early:\n{self.log.read_text()}")
        return "ready." in self.log.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_handle.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(environment.ARTIFACTS)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: None, django_db_blocker: Any, artifacts_dir: Path
) -> Iterator[WorkerProcess]:
    """One worker for the session, on the session's own queue."""
    if not environment.SERVICES_UP:
        pytest.skip("needs PostgreSQL and Redis")
    with django_db_blocker.unblock():
        worker = WorkerProcess(
            broker_url=environment.TEST_REDIS_URL,
            queue=environment.JOB_QUEUE,
            log=artifacts_dir / "celery-worker.log",
        )
    yield worker
    worker.stop()
