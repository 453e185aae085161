"""Django project package: settings, URLs, the Celery app and WSGI. No domain code."""

from workflow.celery import app as celery_app

__all__ = ["celery_app"]
