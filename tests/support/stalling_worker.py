"""A real Celery worker whose first certificate check stalls, so a test can SIGKILL it.

Fault injection only: the first call writes its process id to STALL_MARKER and
sleeps; every later call (the redelivery) runs the real verification.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow.settings")
django.setup()

from registration import certificates  # noqa: E402
from workflow.celery import app  # noqa: E402

MARKER = os.environ["STALL_MARKER"]
_real_verify = certificates.verify_certificate


def _stalling_verify(*args: Any, **kwargs: Any) -> Any:
    if not os.path.exists(MARKER):
        with open(MARKER, "w") as handle:
            handle.write(str(os.getpid()))
        time.sleep(600)
    return _real_verify(*args, **kwargs)


certificates.verify_certificate = _stalling_verify

if __name__ == "__main__":
    app.worker_main(["worker", *sys.argv[1:]])
