"""Registrar's throughput at 1, 2 and 4 concurrent clients (issue 12; a script, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecuapass_bench_submit \\
        .venv/bin/python bench/submission_throughput.py [--per-client 12] [--clients 1,2,4] [--drop]

Each client is a thread with its own database connection calling
``workflow.services.request_submit`` (the whole Registrar: Argon2 hashing, then one
transaction with the request, its OCE row, certificate file, version, history,
email code, process start and tracking number) for distinct applicants. Prints
submissions/s per client count and the speed-up over one client. Before the
change the year's tracking counter was locked at the start of the transaction,
so clients queued on it (printed beside, as "counter first"); the counter is now
taken near the end. Argon2 hashing is CPU
work (argon2-cffi releases the GIL), so the speed-up is bounded by the CPUs the
machine has (printed). Only for a throwaway database: the name must contain "bench".
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Speed-up wanted from 2 clients over 1 when the machine has at least 2 CPUs.
TARGET_TWO_CLIENT_SPEEDUP = 1.5


def configure() -> None:
    from bench.queue_pages import configure_environment, database_create, database_settings

    configure_environment()
    os.environ.setdefault("ECUAPASS_MEDIA_ROOT", tempfile.mkdtemp(prefix="ecuapass-bench-submit-"))
    database_create(database_settings())
    import django

    django.setup()


def applicants(count: int, *, start: int) -> list[Any]:
    """Distinct Representante applicants (ID. usuario, cédula, email), as tests build them."""
    from bench.queue_pages import cedula_for
    from tests.support.applicants import applicant

    run = uuid.uuid4().hex[:6]
    return [
        applicant(
            cedula=cedula_for(n, "19"),
            email=f"b{run}{n:06d}@example.com",
            id_usuario=f"b{run}{n:06d}",
        )
        for n in range(start, start + count)
    ]


def _counter_first(submit: Any) -> Any:
    """The order before issue 12, for comparison: the year's counter row locked first,
    then the hashing and every write, until commit."""
    from django.db import transaction
    from django.utils import timezone

    from registration.models import TrackingCounter

    def locked(**kwargs: Any) -> Any:
        year = timezone.now().year
        TrackingCounter.objects.get_or_create(year=year)
        with transaction.atomic():
            TrackingCounter.objects.select_for_update().get(year=year)
            return submit(**kwargs)

    return locked


def run(
    clients: int, per_client: int, *, start: int, certificate: bytes, counter_first: bool = False
) -> float:
    """Submissions per second with ``clients`` threads, ``per_client`` each."""
    from django.db import connection

    from registration import services
    from workflow import services as process_services

    batches = [applicants(per_client, start=start + i * per_client) for i in range(clients)]
    barrier = threading.Barrier(clients + 1)
    errors: list[BaseException] = []
    submit = process_services.request_submit
    if counter_first:
        submit = _counter_first(submit)

    def client(batch: list[Any]) -> None:
        try:
            barrier.wait()
            for data in batch:
                submit(
                    data=data,
                    files=[services.UploadedCertificate("firma.cer", certificate)],
                    submission_token=uuid.uuid4(),
                )
        except BaseException as exc:  # reported after the run
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"a submission failed: {errors[0]!r}")
    return clients * per_client / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--per-client", type=int, default=12)
    parser.add_argument("--clients", default="1,2,4")
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    args = parser.parse_args(argv)
    counts = [int(part) for part in args.clients.split(",")]
    sys.path.insert(0, str(ROOT))
    configure()
    from django.core.management import call_command

    from bench.queue_pages import database_drop, database_settings
    from registration import services
    from registration.demo_pki import make_ca, make_leaf, to_der

    call_command("migrate", interactive=False, verbosity=0)
    services.reference_data_load()
    certificate = to_der(make_leaf(make_ca())[0])
    run(1, 2, start=0, certificate=certificate)  # warm-up: imports, first connections
    rates: dict[int, float] = {}
    before: dict[int, float] = {}
    start = 1000
    for clients in counts:  # interleaved, so machine noise hits both alike
        rates[clients] = run(clients, args.per_client, start=start, certificate=certificate)
        start += clients * args.per_client
        before[clients] = run(
            clients, args.per_client, start=start, certificate=certificate, counter_first=True
        )
        start += clients * args.per_client
    cpus = os.cpu_count() or 1
    print(
        f"Registrar (workflow.services.request_submit), {args.per_client} per client, {cpus} CPUs:"
    )
    print(
        f"{'clients':>8}  {'submissions/s':>14}  {'× 1 client':>10}  {'counter first (before)':>24}"
    )
    for clients, rate in rates.items():
        print(
            f"{clients:>8}  {rate:>14.1f}  {rate / rates[counts[0]]:>10.2f}  "
            f"{before[clients]:>16.1f} ({before[clients] / before[counts[0]]:.2f}×)"
        )
    met = True
    if 1 in rates and 2 in rates and cpus >= 2:
        speedup = rates[2] / rates[1]
        met = speedup >= TARGET_TWO_CLIENT_SPEEDUP
        verdict = "met" if met else "NOT met"
        print(
            f"2 clients / 1 client = {speedup:.2f} (target ≥ {TARGET_TWO_CLIENT_SPEEDUP}): {verdict}"
        )
    if args.drop:
        database_drop(database_settings())
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
