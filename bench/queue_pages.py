"""Benchmark of the reviewer queue pages at two data sizes (a script, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecuapass_bench \\
        .venv/bin/python bench/queue_pages.py [--small 1000] [--large 100000] [--repeat 30] [--drop]

Creates the database if missing, migrates, loads reference data, seeds
`--small` pending reviews with bulk inserts, measures every page in `URLS`,
seeds on up to `--large` in the same run and measures again. Prints p50/p95
and queries per page, and the p95 ratio large/small against TARGET_P95_RATIO;
exits 1 when a page misses the target. See bench/README.md.

Only for a throwaway database: the name must contain "bench".
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Pages measured, in order; "{year}" is the seeded requests' year. URLs with
# "q=" are measured only when the queue view honours the search (FILTER_PROBE).
URLS = (
    "/revision/",  # default queue: unassigned, oldest first
    "/revision/?cola=todas",  # the supervisor's queue of every open review
    "/revision/?orden=empresa",  # sorted across the join to the request
    "/revision/?sla=vencida",  # overdue only
    "/revision/?q=SOL-",  # a search that matches nothing: every text column is scanned
    "/revision/?q=SOL-{year}-000500",  # one tracking number
    "/revision/?q=IMPORTADORA",  # matches every request (razón social)
    "/revision/panel/",  # the supervisor's dashboard: SLA ageing of every open review
)
# Measured and reported, but not held to the queue target: the dashboard counts
# requests by state over the whole table, which is what a dashboard is for.
NOT_QUEUE_PAGES = frozenset({"/revision/panel/"})
FILTER_PROBE = "/revision/?q=ZZZ-NO-EXISTE"
TARGET_P95_RATIO = 1.5
BATCH_SIZE = 5000
WARMUP = 2
# A page stops repeating after this many seconds (with at least MIN_SAMPLES), so a
# slow page can't stretch the run: the bench stays within a few minutes.
PAGE_BUDGET_SECONDS = 20.0
MIN_SAMPLES = 5
# A real Argon2id hash (of a throwaway password): seeding never runs the hasher.
PRECOMPUTED_HASH = (
    "argon2$argon2id$v=19$m=47104,t=2,p=1$YmVuY2hzYWx0YmVuY2hzYWx0$"
    "LlEMI+8taTXCyI+PmFh+3EciGbjM5UIAI41Ta3p6Th4"
)
STAFF_PASSWORD = "Bench-solo-local-2026"  # noqa: S105 - throwaway accounts in a bench database
ID_PREFIX = "bench"
# Pending requests are spread over this many days before the run.
SPREAD_DAYS = 90


def login_for_bench(client: Any, user: Any) -> None:
    """HOOK: log `client` in as `user` for the measured pages. Adjust when login changes.

    Reviewer pages need an OTP-verified session (approvals/two_factor.py): the
    user gets a confirmed TOTP device and the session is marked verified the
    way `django_otp.login()` does, so each measured request pays what a real
    reviewer's does (session, user, device).
    """
    from django.apps import apps

    client.force_login(user)
    if not apps.is_installed("django_otp"):
        return
    from django_otp import DEVICE_ID_SESSION_KEY

    from approvals.models import StaffTOTPDevice

    device, _ = StaffTOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


# --- Setup ------------------------------------------------------------------------------


def configure_environment() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow.settings")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production")
    # A fixed Fernet key (base64 of 32 bytes) for the bench's TOTP secrets.
    os.environ.setdefault("ECUAPASS_OTP_KEYS", "YmVuY2gtb3RwLWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DJANGO_SECURE_COOKIES", "false")
    # In-process requests over plain HTTP (the test client), as in the test suite.
    os.environ.setdefault("DJANGO_SSL_REDIRECT", "false")
    os.environ.setdefault("DJANGO_HSTS_SECONDS", "0")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")


def database_settings() -> dict[str, Any]:
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (postgres://...).")
    config: dict[str, Any] = dict(dj_database_url.parse(url))
    if "bench" not in str(config["NAME"]):
        raise SystemExit(f"Refusing to seed {config['NAME']!r}: use a database named *bench*.")
    return config


def _admin_connection(config: dict[str, Any]) -> Any:
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        autocommit=True,
    )


def database_create(config: dict[str, Any]) -> bool:
    """CREATE DATABASE unless it exists; True when created."""
    from psycopg import sql

    with _admin_connection(config) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if exists:
            return False
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
        return True


def database_drop(config: dict[str, Any]) -> None:
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    with _admin_connection(config) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(config["NAME"])
            )
        )


def schema_and_reference_data() -> tuple[Any, Any]:
    """Migrate, load catalogues and roles; the bench reviewer and supervisor."""
    from django.core.management import call_command

    from approvals import services as approval_services
    from registration import services as registration_services

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    registration_services.reference_data_load()
    approval_services.roles_setup()
    reviewer = approval_services.staff_user_create(
        username="bench_revisor",
        password=STAFF_PASSWORD,
        group=approval_services.REVIEWER_GROUP,
        cedula="3050000003",  # province 30: none of the seeded applicants
        email="bench_revisor@aduana.gob.ec",
    )
    supervisor = approval_services.staff_user_create(
        username="bench_supervisor",
        password=STAFF_PASSWORD,
        group=approval_services.SUPERVISOR_GROUP,
        cedula="3050000011",
        email="bench_supervisor@aduana.gob.ec",
    )
    return reviewer, supervisor


# --- Seeding --------------------------------------------------------------------------------


def cedula_for(number: int, province: str) -> str:
    """A cédula that passes the check digit: province, third digit 0-5, sequence."""
    if number >= 6_000_000:
        raise ValueError("At most 6 000 000 synthetic cédulas per province.")
    body = f"{province}{number:07d}"
    total = 0
    for position, digit in enumerate(body):
        product = int(digit) * (2 if position % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return body + str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Reference:
    cantons: list[tuple[str, str]]  # (province, canton)
    questions: list[int]  # slots 1, 2, 3
    oce_types: list[int]
    operators: list[str]


def reference() -> Reference:
    from registration.models import Canton, MobileOperator, OceType, SecurityQuestion

    cantons = list(
        Canton.objects.filter(province_id__lte="24")
        .order_by("province_id", "code")
        .values_list("province_id", "code")
    )
    questions = [
        SecurityQuestion.objects.filter(slot=slot).values_list("pk", flat=True).first()
        for slot in (1, 2, 3)
    ]
    if not cantons or None in questions:
        raise SystemExit("Reference data is missing (reference_data_load).")
    return Reference(
        cantons=[(str(p), str(c)) for p, c in cantons],
        questions=[int(q) for q in questions if q is not None],
        oce_types=list(OceType.objects.order_by("pk").values_list("pk", flat=True)),
        operators=list(MobileOperator.objects.order_by("pk").values_list("pk", flat=True)),
    )


def seeded_count() -> int:
    from registration.models import RegistrationRequest

    return RegistrationRequest.objects.filter(id_usuario__startswith=ID_PREFIX).count()


def seed_batch(
    first: int, last: int, *, ref: Reference, year: int, start: datetime, step: timedelta
) -> None:
    """Requests first..last-1, each pending review exactly as the flow leaves it."""
    from django.db import transaction
    from viewflow.workflow.models import Process, Task
    from viewflow.workflow.status import PROCESS, STATUS

    from registration.models import (
        CompanyDetails,
        OceRow,
        RegistrationRequest,
        RequestKind,
        RequestStatus,
    )
    from workflow.flows.representante import RepresentanteFlow
    from workflow.models import RegistrationProcess

    requests = []
    for n in range(first, last):
        province, canton = ref.cantons[n % len(ref.cantons)]
        cedula = cedula_for(n, province)
        received = start + step * n
        requests.append(
            RegistrationRequest(
                tracking_number=f"SOL-{year}-{n + 1:06d}",
                kind=RequestKind.REPRESENTANTE,
                status=RequestStatus.CERTIFICATE_VERIFIED,
                ruc=f"{cedula}001",
                razon_social=f"IMPORTADORA DE PRUEBA {n + 1} S.A.",
                id_usuario=f"{ID_PREFIX}{n:07d}",
                cedula=cedula,
                nombre_usuario=f"SOLICITANTE DE PRUEBA {n + 1}",
                password_hash=PRECOMPUTED_HASH,
                question1_id=ref.questions[0],
                answer1_hash=PRECOMPUTED_HASH,
                question2_id=ref.questions[1],
                answer2_hash=PRECOMPUTED_HASH,
                question3_id=ref.questions[2],
                answer3_hash=PRECOMPUTED_HASH,
                province_id=province,
                canton_id=canton,
                direccion="Calle Los Pinos 45",
                telefono1="+59322345679",
                celular="+593991234567",
                operadora_id=ref.operators[n % len(ref.operators)] if ref.operators else None,
                email=f"{ID_PREFIX}{n:07d}@example.com",
                verification={"ok": True, "bench": True},
                verified_at=received,
            )
        )
    oces = [
        OceRow(
            oce_type_id=ref.oce_types[n % len(ref.oce_types)],
            code=f"{n:08d}",
            start_month=n % 12 + 1,
            start_year=2000 + n % 25,
        )
        for n in range(first, last)
    ]
    # Multi-table child of viewflow's Process: a parent row and a child row each.
    parents = [
        Process(flow_class=RepresentanteFlow, status=PROCESS.NEW, created=start + step * n)
        for n in range(first, last)
    ]
    # The review task as viewflow creates it; flow_task is stored as
    # get_task_ref(RepresentanteFlow.review) == "workflow/flows.representante.RepresentanteFlow.review".
    tasks = [
        Task(
            flow_task=RepresentanteFlow.review,
            flow_task_type="HUMAN",
            status=STATUS.NEW,
            owner_permission="workflow.review_registration",
            created=start + step * n + timedelta(seconds=5),
        )
        for n in range(first, last)
    ]
    with transaction.atomic():
        request_ids = allocate_ids(RegistrationRequest, len(requests))
        process_ids = allocate_ids(Process, len(parents))
        for request_id, process_id, req, oce, parent, task in zip(
            request_ids, process_ids, requests, oces, parents, tasks, strict=True
        ):
            req.pk = request_id
            oce.request_id = request_id
            parent.pk = process_id
            task.process_id = process_id
        children = [
            RegistrationProcess(process_ptr_id=process_id, request_id=request_id)
            for process_id, request_id in zip(process_ids, request_ids, strict=True)
        ]
        copy_rows(RegistrationRequest, requests)
        copy_rows(
            CompanyDetails,
            [
                CompanyDetails(
                    request_id=request_id,
                    direccion_empresa="Av. Amazonas N24-03 y Colón",
                    telefono_empresa="+59322345678",
                )
                for request_id in request_ids
            ],
        )
        copy_rows(OceRow, oces, with_pk=False)
        copy_rows(Process, parents)
        copy_rows(RegistrationProcess, children)
        copy_rows(Task, tasks, with_pk=False)


def allocate_ids(model: Any, count: int) -> list[int]:
    """`count` ids from the table's identity sequence, for rows written with COPY."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def copy_rows(model: Any, objects: list[Any], *, with_pk: bool = True) -> None:
    """COPY the model's own columns, each value prepared by its field as Django would."""
    from django.db import DEFAULT_DB_ALIAS, connections

    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the proxy: faster

    fields = [f for f in model._meta.local_concrete_fields if with_pk or not f.primary_key]
    quote = connection.ops.quote_name
    statement = (
        f"COPY {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for obj in objects:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])


def seed_up_to(total: int, *, ref: Reference, year: int, start: datetime, step: timedelta) -> None:
    from django.db import connection, reset_queries
    from viewflow.workflow.models import Process, Task

    from registration.models import OceRow, RegistrationRequest, TrackingCounter
    from workflow.models import RegistrationProcess

    done = seeded_count()
    began = time.perf_counter()
    for first in range(done, total, BATCH_SIZE):
        seed_batch(
            first, min(first + BATCH_SIZE, total), ref=ref, year=year, start=start, step=step
        )
        reset_queries()  # with DJANGO_DEBUG=true, keep the query log from growing
        if sys.stdout.isatty():
            print(f"  sembradas {min(first + BATCH_SIZE, total):>7}", end="\r", flush=True)
    # Real submissions after the bench continue the sequence instead of colliding.
    TrackingCounter.objects.update_or_create(year=year, defaults={"last": max(total, done)})
    models = (RegistrationRequest, OceRow, Process, RegistrationProcess, Task)
    tables = [connection.ops.quote_name(model._meta.db_table) for model in models]
    with connection.cursor() as cursor:
        # What autovacuum would have done on a live database: fresh statistics.
        cursor.execute("VACUUM (ANALYZE) " + ", ".join(tables))
    print(f"  sembradas {total:>7} solicitudes en {time.perf_counter() - began:.1f} s")


# --- Measuring ----------------------------------------------------------------------------------

_TBODY = re.compile(r"<tbody>(.*?)</tbody>", re.DOTALL)


def rows_on_page(html: str) -> int:
    return sum(block.count("<tr") for block in _TBODY.findall(html))


@dataclass(frozen=True)
class Measure:
    url: str
    size: int
    rows: int
    p50_ms: float
    p95_ms: float
    queries: int
    samples: int


def measure(client: Any, url: str, *, size: int, repeat: int) -> Measure:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} → {response.status_code}; check login_for_bench().")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    # Now: the next request's reset_queries() empties the log captured_queries reads.
    queries = len(captured.captured_queries)
    rows = rows_on_page(response.content.decode())
    timings: list[float] = []
    deadline = time.perf_counter() + PAGE_BUDGET_SECONDS
    for _ in range(repeat):
        began = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
        if len(timings) >= MIN_SAMPLES and time.perf_counter() > deadline:
            break
    cuts = statistics.quantiles(timings, n=20, method="inclusive")
    return Measure(
        url=url,
        size=size,
        rows=rows,
        p50_ms=statistics.median(timings),
        p95_ms=cuts[18],
        queries=queries,
        samples=len(timings),
    )


def urls_to_measure(client: Any) -> list[str]:
    """URLS, without the filtered ones while the view ignores `q`."""
    default = rows_on_page(client.get("/revision/").content.decode())
    probe = rows_on_page(client.get(FILTER_PROBE).content.decode())
    if default > 0 and probe == default:
        skipped = [url for url in URLS if "q=" in url]
        print(f"  (la vista ignora ?q=: se omiten {', '.join(skipped)})")
        return [url for url in URLS if "q=" not in url]
    return list(URLS)


def print_table(results: list[Measure]) -> None:
    width = max(len(r.url) for r in results)
    print(
        f"{'solicitudes':>11}  {'URL':<{width}}  {'filas':>5}  {'p50 ms':>7}  "
        f"{'p95 ms':>7}  {'consultas':>9}  {'n':>3}"
    )
    for r in results:
        print(
            f"{r.size:>11}  {r.url:<{width}}  {r.rows:>5}  {r.p50_ms:>7.1f}  "
            f"{r.p95_ms:>7.1f}  {r.queries:>9}  {r.samples:>3}"
        )


def print_ratios(small: list[Measure], large: list[Measure]) -> bool:
    """p95 large/small per URL; True when every page meets the target."""
    print(f"\nRazón p95 grande/pequeño (objetivo ≤ {TARGET_P95_RATIO}):")
    ok = True
    width = max(len(m.url) for m in large)
    by_url = {m.url: m for m in small}
    for m in large:
        ratio = m.p95_ms / by_url[m.url].p95_ms
        queries = f"consultas {by_url[m.url].queries} → {m.queries}"
        if m.url in NOT_QUEUE_PAGES:
            print(f"  {m.url:<{width}}  {ratio:5.2f}  (informativo: no es una cola)  ({queries})")
            continue
        passed = ratio <= TARGET_P95_RATIO
        ok = ok and passed
        print(f"  {m.url:<{width}}  {ratio:5.2f}  {'OK' if passed else 'NO CUMPLE'}  ({queries})")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    args = parser.parse_args(argv)
    if not 0 < args.small < args.large <= 1_000_000 or not 5 <= args.repeat <= 1000:
        parser.error("need 0 < --small < --large ≤ 1000000 and 5 ≤ --repeat ≤ 1000")

    configure_environment()
    config = database_settings()
    created = database_create(config)
    print(f"Base de datos {config['NAME']}: {'creada' if created else 'existente'}")

    import django

    django.setup()
    from django.test import Client
    from django.utils import timezone

    began = time.perf_counter()
    _, supervisor = schema_and_reference_data()
    done = seeded_count()
    if done > args.small:
        raise SystemExit(
            f"{config['NAME']} already holds {done} bench requests (> --small): "
            "drop it or use another name."
        )
    ref = reference()
    now = timezone.now()
    start = now - timedelta(days=SPREAD_DAYS)
    step = timedelta(days=SPREAD_DAYS) / args.large
    client = Client()
    login_for_bench(client, supervisor)

    results: dict[int, list[Measure]] = {}
    for size in (args.small, args.large):
        print(f"\nSembrando hasta {size} solicitudes pendientes de revisión…")
        seed_up_to(size, ref=ref, year=now.year, start=start, step=step)
        urls = urls_to_measure(client)
        results[size] = [
            measure(client, url.format(year=now.year), size=size, repeat=args.repeat)
            for url in urls
        ]

    print(
        f"\nPáginas de la cola: hasta {args.repeat} repeticiones por página (n), "
        f"{WARMUP} de calentamiento, {PAGE_BUDGET_SECONDS:.0f} s como máximo por página:"
    )
    print_table(results[args.small] + results[args.large])
    ok = print_ratios(results[args.small], results[args.large])
    print(f"\nTiempo total: {time.perf_counter() - began:.0f} s")
    if args.drop:
        database_drop(config)
        print(f"Base de datos {config['NAME']} eliminada.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
