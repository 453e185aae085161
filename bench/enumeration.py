"""Can a stranger tell a registered subject from an unknown one by the answer time? (a script)

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecuapass_enum_bench \\
        .venv/bin/python bench/enumeration.py [--samples 60] [--redis redis://127.0.0.1:6379/0] [--drop]

For each public page that takes a subject (login, Consulta de estado, Buscar ID,
Reinicio de clave step 1 and step 2) it times the same wrong request for a
registered subject and for an unknown one, interleaved, and prints both medians
and the ratio registered ÷ unknown against TARGET (0.95–1.05); exits 1 when a
ratio falls outside. "Comprobar disponibilidad" is left out: it says in words
whether a value is registered (the one deliberate exception, see the README).
See bench/README.md.

Only for a throwaway database: the name must contain "bench".
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from queue_pages import (
    cedula_for,
    configure_environment,
    database_create,
    database_drop,
    database_settings,
)

TARGET = (0.95, 1.05)
WARMUP = 5
# Each sample is the fastest of this many identical requests (each its own client): on a
# shared machine a request descheduled by another process says nothing about the page.
BEST_OF = 3
# The limits are what the other tests check; here they would only stop the sampling.
# Everything else (Argon2, Redis cache and broker, PostgreSQL) is as in production.
UNLIMITED = {
    "ECUAPASS_RECOVERY_RATE_PER_MINUTE": "1000000",
    "ECUAPASS_STATUS_LOOKUP_PER_MINUTE": "1000000",
    "ECUAPASS_LOGIN_FAILURE_LIMIT": "1000000",
    "ECUAPASS_LOGIN_ID_FAILURES_PER_MINUTE": "1000000",
    "ECUAPASS_LOGIN_ATTACK_NOTICE_FAILURES": "1000000",
    "ECUAPASS_CODES_PER_HOUR": "1000000",
    "ECUAPASS_CODE_MAX_ATTEMPTS": "1000000",
}
JOB_QUEUE = "ecuapass-bench-enumeration"
USERNAME = "benchenum01"
UNKNOWN_USERNAME = "benchnadie1"
EMAIL = "benchenum01@example.com"
UNKNOWN_EMAIL = "benchnadie1@example.com"
PASSWORD = "Bench-solo-local-2026"  # noqa: S105 - a throwaway account in a bench database
ANSWERS = ("Mayo", "San Francisco", "Cuenca")
WRONG_CODE = "000000"


@dataclass(frozen=True)
class Subject:
    username: str
    cedula: str
    email: str
    tracking_number: str


@dataclass(frozen=True)
class Result:
    name: str
    registered_ms: float
    unknown_ms: float
    samples: int

    @property
    def ratio(self) -> float:
        return self.registered_ms / self.unknown_ms


def registered_subject() -> Subject:
    """An active user as activation leaves it: password, active request with the answers."""
    from registration import services
    from registration.models import (
        RegistrationRequest,
        RequestKind,
        RequestStatus,
        SecurityQuestion,
        User,
    )

    cedula = cedula_for(1, "17")
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = User.objects.create_user(
            username=USERNAME, password=PASSWORD, email=EMAIL, cedula=cedula
        )
    tracking = f"SOL-2026-{900000 + user.pk:06d}"
    if not RegistrationRequest.objects.filter(user=user).exists():
        questions = {q.slot: q for q in SecurityQuestion.objects.all()}
        RegistrationRequest.objects.create(
            tracking_number=tracking,
            kind=RequestKind.REPRESENTANTE,
            status=RequestStatus.ACTIVE,
            ruc=f"{cedula}001",
            razon_social="IMPORTADORA DE PRUEBA S.A.",
            id_usuario=USERNAME,
            cedula=cedula,
            nombre_usuario="SOLICITANTE DE PRUEBA",
            password_hash=user.password,
            question1=questions[1],
            answer1_hash=services.hash_security_answer(ANSWERS[0]),
            question2=questions[2],
            answer2_hash=services.hash_security_answer(ANSWERS[1]),
            question3=questions[3],
            answer3_hash=services.hash_security_answer(ANSWERS[2]),
            province_id="17",
            canton_id="1701",
            direccion="Calle Los Pinos 45",
            telefono1="+59322345679",
            email=EMAIL,
            user=user,
        )
    request = RegistrationRequest.objects.get(user=user)
    return Subject(USERNAME, cedula, EMAIL, request.tracking_number)


def unknown_subject() -> Subject:
    return Subject(UNKNOWN_USERNAME, cedula_for(2, "17"), UNKNOWN_EMAIL, "SOL-2026-999999")


# --- The requests timed: (untimed preparation, timed request) per subject ------------------

Prepared = Callable[[], Any]  # the timed call, with its client ready


def _client(n: int) -> Any:
    from django.test import Client

    # A new client (cookies, address) for every sample, as a stranger's would be.
    return Client(REMOTE_ADDR=f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}")


def login(subject: Subject, n: int) -> Prepared:
    client = _client(n)
    data = {"username": subject.username, "password": "equivocada"}
    return lambda: client.post("/iniciar-sesion/", data)


def consulta(subject: Subject, n: int) -> Prepared:
    client = _client(n)
    # The tracking number of a real request (or none) with a cédula that doesn't match it.
    data = {"tracking_number": subject.tracking_number, "cedula": cedula_for(3, "09")}
    return lambda: client.post("/solicitud-del-uso/consulta/", data)


def buscar_id(subject: Subject, n: int) -> Prepared:
    client = _client(n)
    data = {"cedula": subject.cedula, "email": subject.email}
    return lambda: client.post("/buscar-id/", data)


def reset_step_1(subject: Subject, n: int) -> Prepared:
    client = _client(n)
    return lambda: client.post("/buscar-id/reinicio/", {"id_usuario": subject.username})


def reset_step_2(subject: Subject, n: int) -> Prepared:
    """Step 1 first (untimed), and its job run as a worker would: a registered ID has a live code."""
    from registration import services

    client = _client(n)
    client.post("/buscar-id/reinicio/", {"id_usuario": subject.username})
    services.password_reset_request(username=subject.username, source_ip=None)
    return lambda: client.post("/buscar-id/reinicio/codigo/", {"codigo": WRONG_CODE})


PAGES: tuple[tuple[str, Callable[[Subject, int], Prepared], int], ...] = (
    ("Iniciar sesión (clave equivocada)", login, 200),
    ("Consulta de estado", consulta, 404),
    ("Buscar ID", buscar_id, 302),
    ("Reinicio de clave, paso 1", reset_step_1, 302),
    ("Reinicio de clave, paso 2 (código)", reset_step_2, 200),
)


def measure(
    name: str,
    prepare: Callable[[Subject, int], Prepared],
    expected: int,
    *,
    registered: Subject,
    unknown: Subject,
    samples: int,
    counter: list[int],
) -> Result:
    """Interleaved samples (registered, unknown, then unknown, registered: drift cancels)."""
    times: dict[str, list[float]] = {"registered": [], "unknown": []}
    for i in range(WARMUP + samples):
        order = ("registered", "unknown") if i % 2 == 0 else ("unknown", "registered")
        for which in order:
            best = float("inf")
            for _ in range(BEST_OF):
                counter[0] += 1
                call = prepare(registered if which == "registered" else unknown, counter[0])
                gc.collect()  # a collection now, not inside one side's timing
                gc.disable()
                began = time.perf_counter()
                response = call()
                best = min(best, time.perf_counter() - began)
                gc.enable()
                if response.status_code != expected:
                    raise SystemExit(
                        f"{name}: {which} answered {response.status_code}, expected {expected}"
                    )
            if i >= WARMUP:
                times[which].append(best * 1000)
    return Result(
        name,
        statistics.median(times["registered"]),
        statistics.median(times["unknown"]),
        samples,
    )


def queue_purge() -> int:
    """Drop the jobs the pages left (no worker runs in the bench)."""
    from workflow.celery import app

    with app.connection_for_write() as connection:
        channel: Any = connection.default_channel
        return int(channel.queue_purge(JOB_QUEUE) or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis for the cache (rate limits) and the Celery broker, as in production",
    )
    parser.add_argument(
        "--only", default="", help="measure only the pages whose name contains this text"
    )
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    args = parser.parse_args(argv)
    if not 10 <= args.samples <= 1000:
        parser.error("need 10 ≤ --samples ≤ 1000")

    configure_environment()
    for name, value in UNLIMITED.items():
        os.environ[name] = value
    os.environ["ECUAPASS_CACHE_URL"] = args.redis
    os.environ["CELERY_BROKER_URL"] = args.redis
    os.environ["ECUAPASS_JOB_QUEUE"] = JOB_QUEUE
    os.environ["DJANGO_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    config = database_settings()
    created = database_create(config)
    print(f"Base de datos {config['NAME']}: {'creada' if created else 'existente'}")

    import django

    django.setup()
    from django.core.management import call_command

    for noisy in ("django.request", "axes"):  # not a line per 404 or per failed login
        logging.getLogger(noisy).setLevel(logging.ERROR)

    from registration import services

    began = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    services.reference_data_load()
    registered, unknown = registered_subject(), unknown_subject()
    counter = [int(time.time()) % 2**22]  # client addresses unused by earlier runs
    results = [
        measure(
            name,
            prepare,
            expected,
            registered=registered,
            unknown=unknown,
            samples=args.samples,
            counter=counter,
        )
        for name, prepare, expected in PAGES
        if args.only.lower() in name.lower()
    ]
    purged = queue_purge()

    low, high = TARGET
    print(
        f"\nMediana de {args.samples} muestras intercaladas por sujeto (cada una la más "
        f"rápida de {BEST_OF}; {WARMUP} de calentamiento), ms; razón registrado ÷ desconocido "
        f"(objetivo {low}–{high}):\n"
    )
    print(f"{'página':<36} {'registrado':>11} {'desconocido':>12} {'razón':>7}")
    ok = True
    for r in results:
        inside = low <= r.ratio <= high
        ok = ok and inside
        print(
            f"{r.name:<36} {r.registered_ms:>11.2f} {r.unknown_ms:>12.2f} {r.ratio:>7.3f}  "
            f"{'OK' if inside else 'FUERA'}"
        )
    print(
        "\nComprobar disponibilidad: no se mide (dice si el valor está registrado: "
        "la excepción deliberada, limitada por IP y por valor)."
    )
    print(f"Trabajos descartados de la cola {JOB_QUEUE}: {purged}")
    print(f"Tiempo total: {time.perf_counter() - began:.0f} s")
    if args.drop:
        database_drop(config)
        print(f"Base de datos {config['NAME']} eliminada.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
