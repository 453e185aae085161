"""Sessions: an anonymous look at the form writes none; expired ones are cleared by beat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from workflow.celery import app

pytestmark = pytest.mark.django_db

FORM = "/solicitud-del-uso/representante/"


def test_anonymous_gets_of_the_form_write_no_session(reference_data: None) -> None:
    for _ in range(3):
        response = Client().get(FORM)
        assert response.status_code == 200
        assert "Firma del reto" in response.content.decode()  # the challenge is still shown
        assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert Session.objects.count() == 0


def test_the_first_upload_makes_the_session_and_the_form_then_lists_its_files(
    reference_data: None, good_certificate: bytes
) -> None:
    client = Client()
    client.get(FORM)
    assert Session.objects.count() == 0
    uploaded = client.post(
        "/solicitud-del-uso/archivos/",
        {"certificados": SimpleUploadedFile("mio.cer", good_certificate)},
    )
    assert uploaded.status_code == 200
    assert Session.objects.count() == 1
    assert "mio.cer" in client.get(FORM).content.decode()
    assert Session.objects.count() == 1


def test_expired_sessions_are_cleared_by_a_beat_job() -> None:
    from registration.tasks import clear_expired_sessions

    expired, live = SessionStore(), SessionStore()
    for store in (expired, live):
        store["x"] = 1
        store.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    clear_expired_sessions.run()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert "registration.tasks.clear_expired_sessions" in {
        entry["task"] for entry in app.conf.beat_schedule.values()
    }
