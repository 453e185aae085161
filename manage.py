#!/usr/bin/env python
"""Django's command-line utility."""

import os
import sys
from pathlib import Path


def development_checkout() -> bool:
    """Run from a git work tree with neither DJANGO_SECRET_KEY nor DJANGO_DEBUG set."""
    unset = not os.environ.get("DJANGO_SECRET_KEY") and not os.environ.get("DJANGO_DEBUG")
    return unset and (Path(__file__).resolve().parent / ".git").exists()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow.settings")
    # A checkout's commands work as the README shows them, in the development mode
    # `make run` uses (same development key, same var/ data). A deployment sets
    # DJANGO_SECRET_KEY (or DJANGO_DEBUG), so the settings still fail fast without
    # a key; gunicorn and Celery never come through here.
    if development_checkout():
        os.environ["DJANGO_DEBUG"] = "true"
        print(
            "manage.py: copia de desarrollo sin DJANGO_SECRET_KEY: DJANGO_DEBUG=true.",
            file=sys.stderr,
        )
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
