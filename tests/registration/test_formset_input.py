"""A POST without (or with a garbled) OCE management form: a Spanish message, no row lost."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from registration.forms.solicitud import OCE_TABLE_INCOMPLETE
from tests.conftest import form_data

pytestmark = pytest.mark.django_db

MANAGEMENT = ("oce-TOTAL_FORMS", "oce-INITIAL_FORMS", "oce-MIN_NUM_FORMS", "oce-MAX_NUM_FORMS")


def _without_management(data: dict[str, Any], **garbled: str) -> dict[str, Any]:
    cleaned = {k: v for k, v in data.items() if k not in MANAGEMENT}
    cleaned.update({f"oce-{k}": v for k, v in garbled.items()})
    return cleaned


@pytest.mark.parametrize(
    "garbled", [{}, {"TOTAL_FORMS": "²", "INITIAL_FORMS": "0"}, {"TOTAL_FORMS": "\x00"}]
)
def test_a_missing_management_form_is_explained_in_spanish_and_the_rows_are_kept(
    reference_data: None, good_certificate: bytes, garbled: dict[str, str]
) -> None:
    client = Client()
    data = form_data(client, certificate=good_certificate)
    response = client.post(
        "/solicitud-del-uso/representante/", _without_management(data, **garbled)
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert OCE_TABLE_INCOMPLETE in body
    assert "ManagementForm" not in body
    assert "Campo oculto" not in body
    assert 'value="03907058"' in body  # the typed OCE row is shown again
    total = re.search(r'name="oce-TOTAL_FORMS" value="(\d+)"', body)
    assert total is not None and total.group(1) == "3"  # the next submit carries a good count
