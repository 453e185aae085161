"""Posted ids (Eliminar archivo, Quitar in the form and the correction) go through one bounded
field: ASCII digits only, 1 to bigint's maximum; anything else is a Spanish message, not a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from registration.forms import MAX_ID, IdField, IdListField
from registration.models import RegistrationRequest, RequestStatus, StagedCertificate, User
from tests.conftest import form_data, run_pending_jobs
from tests.registration.test_correction import correction_url, current_values, observe
from tests.support.status_access import correction_client

BAD_IDS = [
    "²",
    "٣",
    "1²",
    "-1",
    "0",
    "+5",
    " 1 2",
    "1.0",
    "0x10",
    str(MAX_ID + 1),
    "9" * 400,
    "\x00",
]


@pytest.mark.parametrize("value", BAD_IDS)
def test_the_id_field_refuses_anything_but_ascii_digits_within_bigint(value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        IdField().clean(value)
    assert refused.value.messages == [
        "La selección no es válida. Vuelva a cargar la página e inténtelo de nuevo."
    ]


def test_the_id_field_takes_ascii_digits_up_to_its_bound() -> None:
    assert IdField().clean(" 42 ") == 42
    assert IdField().clean(str(MAX_ID)) == MAX_ID
    assert IdField(required=False).clean("") is None
    with pytest.raises(ValidationError):
        IdField(max_value=10).clean("11")


def test_the_id_list_field_refuses_one_bad_id_and_too_many() -> None:
    assert IdListField().clean(["3", "1", "3"]) == [3, 1]
    assert IdListField().clean([]) == []
    with pytest.raises(ValidationError):
        IdListField().clean(["1", "²"])
    with pytest.raises(ValidationError):
        IdListField(max_items=2).clean(["1", "2", "3"])


def _staged_one(client: Client, certificate: bytes) -> int:
    client.get("/solicitud-del-uso/representante/")
    response = client.post(
        "/solicitud-del-uso/archivos/",
        {"certificados": SimpleUploadedFile("a.cer", certificate)},
    )
    assert response.status_code == 200, response.content
    return int(response.json()["files"][0]["id"])


@pytest.mark.django_db
@pytest.mark.parametrize("value", BAD_IDS)
def test_eliminar_with_a_bad_id_says_so_and_keeps_the_files(
    reference_data: None, good_certificate: bytes, value: str
) -> None:
    client = Client()
    kept = _staged_one(client, good_certificate)
    response = client.post("/solicitud-del-uso/archivos/eliminar/", {"ids": [str(kept), value]})
    assert response.status_code == 400
    data = response.json()
    assert data["errors"] == [
        "No se pudo eliminar: la selección de archivos no es válida. "
        "Vuelva a cargar la página y marque de nuevo los archivos."
    ]
    assert [f["id"] for f in data["files"]] == [kept]


@pytest.mark.django_db
def test_eliminar_with_good_ids_still_removes(
    reference_data: None, good_certificate: bytes
) -> None:
    client = Client()
    kept = _staged_one(client, good_certificate)
    response = client.post("/solicitud-del-uso/archivos/eliminar/", {"ids": [str(kept)]})
    assert (response.status_code, response.json()["files"]) == (200, [])


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", str(MAX_ID + 1)])
def test_quitar_in_the_form_with_a_bad_id_says_so_and_keeps_everything(
    reference_data: None, good_certificate: bytes, value: str
) -> None:
    client = Client()
    data = form_data(client, certificate=good_certificate, email2="otro@example.com")
    first = client.post("/solicitud-del-uso/representante/", data)
    assert first.status_code == 400
    del data["certificados"]
    data.update(remove_staged=value)
    response = client.post("/solicitud-del-uso/representante/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "No se quitó ningún archivo: la selección no es válida." in body
    assert 'value="JUAN CARLOS PEREZ GOMEZ"' in body
    assert StagedCertificate.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.services
def test_quitar_in_the_correction_with_a_bad_id_says_so_and_keeps_everything(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, reviewer: User
) -> None:
    request = submit(good_certificate)
    run_pending_jobs(request)
    assert request.status == RequestStatus.CERTIFICATE_VERIFIED
    observe(request, reviewer, ["archivo:representante.cer"])
    client = correction_client(request)
    assert client.get(correction_url(request)).status_code == 200
    response = client.post(
        correction_url(request), {**current_values(request), "remove_staged": "²"}
    )
    assert response.status_code == 400
    assert "No se quitó ningún archivo: la selección no es válida." in response.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.OBSERVED
