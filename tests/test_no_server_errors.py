"""No input produces an HTTP 500: random text, unicode digits, NUL, huge numbers and long
strings thrown at every public form, every JSON endpoint and every reviewer filter.

Property-based (hypothesis). On PostgreSQL, since a NUL byte only breaks a query there. Every
answer is below 500; an error answer (4xx) carries a Spanish message.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from approvals.selectors import QUEUES
from registration import services
from registration.models import RegistrationRequest, User
from tests.conftest import PASSWORD, confirm_email, form_data, run_pending_jobs, verified_login
from tests.support.entities import (
    appointment_pdf,
    entity_certificate,
    entity_form,
    observe_entity,
    submit_entity,
)
from tests.support.status_access import correct_path, correction_client, status_client

pytestmark = [pytest.mark.django_db, pytest.mark.services]

__all__ = ["entity_certificate", "submit_entity"]  # fixtures

FUZZ = settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# --- What is thrown ---------------------------------------------------------------------

UNICODE_DIGITS = ["²", "٣", "١٢٣", "߃", "१२", "𝟙", "Ⅻ", "½", "1²", "٣" * 13]
SPECIAL = ["\x00", "a\x00b", "1\x00", "\x00" * 5, "-1", "0", "+1", " ", "1e9", "0x1F", "NaN"]

nasty = st.one_of(
    st.text(max_size=40),
    st.sampled_from(UNICODE_DIGITS + SPECIAL),
    st.integers(min_value=2**63 - 2, max_value=2**200).map(str),
    st.integers(max_value=-1).map(str),
    st.text(min_size=300, max_size=600),
    st.text(alphabet="0123456789²٣\x00-", min_size=1, max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20).map(
        lambda s: s + "\x00"
    ),
)

# --- What a Spanish answer looks like ------------------------------------------------------

SPANISH = re.compile(
    r"\b(el|la|los|las|de|del|que|no|un|una|por|para|con|es|su|sus|se|ya|en|este|esta)\b",
    re.IGNORECASE,
)
ENGLISH = re.compile(
    r"\b(the|is|are|this|that|please|invalid|missing|required|field|not found|bad)\b",
    re.IGNORECASE,
)
MESSAGE_TAGS = re.compile(
    r'<(p|li|div|ul)\b[^>]*(?:class="[^"]*(?:error|messages)[^"]*"|role="alert")[^>]*>(.*?)</\1>',
    re.DOTALL,
)
HEADING = re.compile(r"<(h1)\b[^>]*>(.*?)</\1>", re.DOTALL)


def _messages(response: Any) -> list[str]:
    if response.get("Content-Type", "").startswith("application/json"):
        data = json.loads(response.content)
        found = [data.get("message", ""), *(data.get("errors") or [])]
        return [str(m) for m in found if m]
    body = response.content.decode()
    if response.get("Content-Type", "").startswith("text/plain"):
        return [body]
    found = MESSAGE_TAGS.findall(body) or HEADING.findall(body)
    texts = (html.unescape(re.sub(r"<[^>]+>", " ", inner)).strip() for _, inner in found)
    return [t for t in texts if t]


def assert_answered(response: Any, *, sent: Any = ()) -> None:
    """Below 500; an error answer says something in Spanish (what we sent left out)."""
    assert response.status_code < 500, response.content[:2000]
    if response.status_code < 400 or response.status_code in (301, 302, 303):
        return
    texts = _messages(response)
    values = sent.values() if isinstance(sent, dict) else sent
    echoes = [str(v) for v in values if len(str(v).strip()) >= 3]  # short ones are too common
    for echo in sorted(echoes, key=len, reverse=True):
        texts = [t.replace(echo, "") for t in texts]
    assert texts, f"{response.status_code} without a message: {response.content[:2000]!r}"
    joined = " ".join(texts)
    assert SPANISH.search(joined), texts
    assert not ENGLISH.search(joined), texts


_addresses = (f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}" for n in itertools.count(1))


def next_address() -> str:
    """A new client address per request: the per-client rate limits don't hide the input."""
    return next(_addresses)


# --- Public pages and JSON -------------------------------------------------------------------


PUBLIC_POSTS: dict[str, list[str]] = {
    "/iniciar-sesion/": ["username", "password", "next"],
    "/solicitud-del-uso/consulta/": ["tracking_number", "cedula"],
    "/buscar-id/": ["cedula", "email"],
    "/buscar-id/reinicio/": ["id_usuario"],
    "/solicitud-del-uso/archivos/eliminar/": ["ids"],
}
PUBLIC_GETS: dict[str, list[str]] = {
    "/": ["next"],
    "/iniciar-sesion/": ["next"],
    "/servicios/ruc/": ["ruc"],
    "/servicios/ruc/consultar/": ["ruc"],
    "/solicitud-del-uso/representante-entidad/consultar/": ["ruc"],
    "/solicitud-del-uso/disponibilidad/": ["campo", "valor"],
    "/buscar-id/reinicio/codigo/": ["codigo"],
}


def _values(names: list[str]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({}, optional={name: nasty for name in names})


@st.composite
def public_post(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    url = draw(st.sampled_from(sorted(PUBLIC_POSTS)))
    return url, draw(_values(PUBLIC_POSTS[url]))


@st.composite
def public_get(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    url = draw(st.sampled_from(sorted(PUBLIC_GETS)))
    values = draw(_values(PUBLIC_GETS[url]))
    if url.endswith("disponibilidad/") and draw(st.booleans()):
        values["campo"] = draw(st.sampled_from(["id_usuario", "cedula", "email"]))
    return url, values


def test_public_forms_never_answer_500(reference_data: None) -> None:
    client = Client()

    @FUZZ
    @given(public_post())
    @example(("/iniciar-sesion/", {"username": "a" * 300, "password": "x"}))
    @example(("/solicitud-del-uso/archivos/eliminar/", {"ids": "²"}))
    @example(("/solicitud-del-uso/archivos/eliminar/", {"ids": str(2**63)}))
    def post(case: tuple[str, dict[str, str]]) -> None:
        url, data = case
        assert_answered(client.post(url, data, REMOTE_ADDR=next_address()), sent=data)

    @FUZZ
    @given(public_get())
    def get(case: tuple[str, dict[str, str]]) -> None:
        url, data = case
        assert_answered(client.get(url, data, REMOTE_ADDR=next_address()), sent=data)

    post()
    get()


def test_reinicio_code_and_path_ids_never_answer_500(reference_data: None) -> None:
    User.objects.create_user(username="jperez01", password=PASSWORD, email="j@example.com")
    client = Client()
    client.post("/buscar-id/reinicio/", {"id_usuario": "jperez01"}, REMOTE_ADDR=next_address())

    @FUZZ
    @given(nasty, st.integers(min_value=0, max_value=2**80))
    def run(code: str, number: int) -> None:
        data = {"codigo": code}
        response = client.post(
            "/buscar-id/reinicio/codigo/", data, REMOTE_ADDR=next_address(), follow=True
        )
        assert_answered(response, sent=data)
        for url in (f"/solicitud-del-uso/archivos/{number}/", f"/revision/tarea/{number}/"):
            assert_answered(client.get(url, REMOTE_ADDR=next_address()))
        path = quote(code, safe="")
        if path and "/" not in code:
            for url in (
                f"/solicitud-del-uso/estado/{path}/",
                f"/solicitud-del-uso/estado/{path}/json/",
                f"/solicitud-del-uso/estado/?t={path}",
                f"/solicitud-del-uso/corregir/{path}/acceso/",
            ):
                assert_answered(client.get(url, REMOTE_ADDR=next_address()), sent=[code])

    run()


def test_staged_uploads_never_answer_500(reference_data: None, good_certificate: bytes) -> None:
    client = Client()
    client.get("/solicitud-del-uso/representante/")

    @FUZZ
    @given(
        nasty.filter(lambda s: s.strip("\x00").strip() != ""),
        st.one_of(st.binary(max_size=200), st.just(good_certificate)),
    )
    def run(name: str, content: bytes) -> None:
        upload = SimpleUploadedFile(name[:200], content)
        response = client.post(
            "/solicitud-del-uso/archivos/",
            {"certificados": upload},
            REMOTE_ADDR=next_address(),
        )
        assert_answered(response, sent=[name, name[:200]])

    run()


# --- The Representante form, field by field --------------------------------------------------


def test_the_representante_form_never_answers_500(
    reference_data: None, good_certificate: bytes
) -> None:
    client = Client()
    base = form_data(client, certificate=None)
    client.post(
        reverse("registration:staged_upload"),
        {"certificados": SimpleUploadedFile("a.cer", good_certificate)},
    )
    names = sorted({*base, "remove_staged", "accion", "staged_count"})

    @FUZZ
    @given(st.dictionaries(st.sampled_from(names), nasty, min_size=1, max_size=4))
    @example({"remove_staged": "²"})
    @example({"remove_staged": str(2**64)})
    @example({"oce-TOTAL_FORMS": "²"})
    def run(changes: dict[str, str]) -> None:
        data = {**base, **changes}
        response = client.post(
            "/solicitud-del-uso/representante/",
            data,
            REMOTE_ADDR=next_address(),
        )
        assert_answered(response, sent=changes)

    run()


def test_the_entity_forms_never_answer_500(reference_data: None) -> None:
    """The Representante de la entidad's form (its block, procedures and any appointment
    file) and the official's form with its Consultar."""
    client = Client()
    base = entity_form(client, certificate=None, signer=None)
    names = sorted({*base, "accion", "staged_count"})

    @FUZZ
    @given(
        st.dictionaries(st.sampled_from(names), nasty, min_size=1, max_size=4),
        st.one_of(st.none(), st.binary(max_size=300), st.just(appointment_pdf())),
    )
    @example({"procedures": "²"}, b"%PDF-")
    def run(changes: dict[str, str], appointment: bytes | None) -> None:
        data: dict[str, Any] = {**base, **changes}
        if appointment is not None:
            data["nombramiento"] = SimpleUploadedFile("n.pdf", appointment)
        response = client.post(
            "/solicitud-del-uso/representante-entidad/", data, REMOTE_ADDR=next_address()
        )
        assert_answered(response, sent=changes)
        official = client.post(
            "/solicitud-del-uso/entidad/",
            {**changes, "submission_token": base["submission_token"]},
            REMOTE_ADDR=next_address(),
        )
        assert_answered(official, sent=changes)
        lookup = client.get(
            "/solicitud-del-uso/entidad/consultar/",
            {"ruc": changes.get("ruc", "")},
            REMOTE_ADDR=next_address(),
        )
        assert_answered(lookup, sent=changes)

    run()


# --- Reviewer queues and pages, Mi página, the correction ------------------------------------

QUEUE_FILTERS = ["q", "tipo", "ruc", "provincia", "oce", "verificacion", "sla", "orden", "pagina"]


@pytest.fixture
def observed_request(
    submit: Callable[..., RegistrationRequest], good_certificate: bytes, reviewer: User
) -> Iterator[RegistrationRequest]:
    from tests.registration.test_correction import observe

    request = submit(good_certificate)
    run_pending_jobs(request)
    observe(
        request,
        reviewer,
        ["email", services.OCES_ITEM, f"{services.FILE_ITEM_PREFIX}representante.cer"],
    )
    yield request


def test_reviewer_queues_and_pages_never_answer_500(
    reviewer: User, supervisor: User, observed_request: RegistrationRequest
) -> None:
    clients = [verified_login(Client(), reviewer), verified_login(Client(), supervisor)]

    @FUZZ
    @given(
        st.sampled_from([0, 1]),
        st.sampled_from([*QUEUES, "", "\x00", "²"]),
        st.dictionaries(st.sampled_from(QUEUE_FILTERS), nasty, min_size=1, max_size=4),
    )
    @example(1, "decididas", {"verificacion": "\x00"})
    @example(0, "sin-asignar", {"pagina": "²", "oce": "²"})
    @example(0, "mias", {"pagina": str(2**63)})
    def queues(who: int, queue: str, filters: dict[str, str]) -> None:
        data = {"cola": queue, **filters}
        assert_answered(clients[who].get("/revision/", data), sent=data)

    @FUZZ
    @given(
        st.dictionaries(
            st.sampled_from(["desde", "hasta", "motivo", "reviewer", "comment", "decision"]),
            nasty,
            min_size=1,
            max_size=3,
        )
    )
    @example({"motivo": "\x00"})
    def pages(data: dict[str, str]) -> None:
        supervisor_client = clients[1]
        assert_answered(supervisor_client.get("/revision/auditoria.csv", data), sent=data)
        reset = reverse("approvals:staff_second_factor_reset", args=[reviewer.pk])
        assert_answered(supervisor_client.post(reset, data, follow=True), sent=data)

    queues()
    pages()


def test_the_correction_and_the_status_page_never_answer_500(
    observed_request: RegistrationRequest,
) -> None:
    correct = correct_path(observed_request)
    # A browser that opened the emailed link and typed the code sent to the current email.
    client = correction_client(observed_request)
    client.get(correct)
    base = {
        "email": observed_request.email,
        "email2": observed_request.email,
        "oce-TOTAL_FORMS": "1",
        "oce-INITIAL_FORMS": "0",
        "oce-0-oce_type": str(observed_request.oces.get().oce_type_id),
        "oce-0-code": "03907058",
        "oce-0-start_month": "9",
        "oce-0-start_year": "2002",
        "oce-0-end_date": "31/12/9999",
    }
    names = [*base, "remove_staged", "remove_files", "oce-1-code", "oce-0-DELETE"]

    @FUZZ
    @given(st.dictionaries(st.sampled_from(names), nasty, min_size=1, max_size=3))
    @example({"remove_staged": "²"})
    def run(changes: dict[str, str]) -> None:
        data = {**base, **changes}
        response = client.post(correct, data, REMOTE_ADDR=next_address())
        assert_answered(response, sent=changes)

    @FUZZ
    @given(nasty)
    def confirm(code: str) -> None:
        url = reverse(
            "registration:email_confirm",
            kwargs={"tracking_number": observed_request.tracking_number},
        )
        response = client.post(url, {"codigo": code}, REMOTE_ADDR=next_address(), follow=True)
        assert_answered(response, sent=[code])

    @FUZZ
    @given(nasty, st.sampled_from(["enviar", "verificar", ""]))
    def access(code: str, action: str) -> None:
        data = {"accion": action, "codigo": code}
        response = Client().post(correct + "acceso/", data, REMOTE_ADDR=next_address())
        assert_answered(response, sent=[code])
        granted = status_client(observed_request)
        response = granted.post(correct + "acceso/", data, REMOTE_ADDR=next_address())
        assert_answered(response, sent=[code])

    run()
    confirm()
    access()


def test_an_entity_correction_never_answers_500(
    submit_entity: Callable[..., RegistrationRequest], reviewer: User
) -> None:
    request = submit_entity()
    run_pending_jobs(request)
    observe_entity(request, reviewer, ["ruc", "procedures", services.APPOINTMENT_ITEM])
    correct = correct_path(request)
    client = correction_client(request)
    base = {"ruc": request.ruc, "procedures": ["CO"]}

    @FUZZ
    @given(
        st.dictionaries(st.sampled_from(["ruc", "procedures"]), nasty, max_size=2),
        st.one_of(st.none(), st.binary(max_size=300), st.sampled_from([appointment_pdf()])),
    )
    @example({"procedures": "\x00"}, b"%PDF-1.4")
    def run(changes: dict[str, str], appointment: bytes | None) -> None:
        data: dict[str, Any] = {**base, **changes}
        if appointment is not None:
            data["nombramiento"] = SimpleUploadedFile("n.pdf", appointment)
        response = client.post(correct, data, REMOTE_ADDR=next_address())
        assert_answered(response, sent=changes)

    run()


def test_the_annual_update_page_never_answers_500(reference_data: None) -> None:
    """ "Modificar información del uso" of an active user, with anything posted."""
    from tests.registration.test_general import URL, general_form

    client = Client()
    assert client.post(URL, general_form(client)).status_code == 302
    request = RegistrationRequest.objects.get(id_usuario="mlopez01")
    confirm_email(request)
    run_pending_jobs(request)
    assert request.status == "active" and request.user is not None
    browser = Client()
    browser.force_login(request.user)
    names = [
        "province",
        "canton",
        "direccion",
        "telefono1",
        "telefono2",
        "operadora",
        "celular",
        "fax",
        "codigo",
        "accion",
        "acepta_convenio",
        "telefono_empresa",
    ]

    @FUZZ
    @given(st.dictionaries(st.sampled_from(names), nasty, min_size=1, max_size=4))
    @example({"accion": "guardar", "codigo": "²²²²²²"})
    @example({"accion": "enviar", "province": "\x00"})
    def run(changes: dict[str, str]) -> None:
        response = browser.post(
            "/mi-pagina/modificar-informacion/", changes, REMOTE_ADDR=next_address()
        )
        assert_answered(response, sent=changes)

    run()


def test_mi_pagina_forms_never_answer_500(reference_data: None) -> None:
    user = User.objects.create_user(username="jperez01", password=PASSWORD, email="j@example.com")
    client = Client()
    client.force_login(user)
    forms = {
        "/mi-pagina/contrasena/": ["current_password", "new_password", "new_password2"],
        "/mi-pagina/correo/": ["new_email", "current_password"],
        "/mi-pagina/correo/confirmar/": ["codigo"],
        "/mi-pagina/sms/": ["celular", "recibir_sms"],
    }

    @FUZZ
    @given(st.sampled_from(sorted(forms)), st.data())
    def run(url: str, data: st.DataObject) -> None:
        values = data.draw(_values(forms[url]))
        response = client.post(url, values, REMOTE_ADDR=next_address(), follow=True)
        assert_answered(response, sent=values)

    run()
