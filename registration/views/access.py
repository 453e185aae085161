"""Who may see or change a request without logging in: grants kept in the browser's session.

The emailed link (`/solicitud-del-uso/estado/?t=<token>`) and Consulta de estado give the
browser a grant for one request, then every page of that request has a clean URL
(`/solicitud-del-uso/estado/SOL-2026-000001/`): the tracking number is not a secret, the
session grant is. Changing the request (the correction page) needs more: a code sent to the
request's current email, or the applicant's login once a user exists. The session lives in the
database or the cache, so every worker sees the same grants.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.crypto import constant_time_compare, salted_hmac

from registration import selectors
from registration.forms import StatusLookupForm
from registration.models import RegistrationRequest
from registration.views.lookups import session_key

P = ParamSpec("P")

_GRANTS = "ecuapass_status_grants"
_CORRECTION = "ecuapass_correction_access"

NO_ACCESS = (
    "Para ver esta solicitud, ábrala con el enlace de su último correo o con la "
    "Consulta de estado (número de solicitud y Doc. Identificación)."
)
LINK_EXPIRED = (
    "El enlace de seguimiento venció. Consulte el estado con su número de solicitud "
    "y su Doc. Identificación: así obtiene acceso de nuevo."
)
LINK_INVALID = (
    "El enlace de seguimiento no es válido. Consulte el estado con su número de solicitud "
    "y su Doc. Identificación."
)
ALREADY_REGISTERED = (
    "Este formulario ya se registró. Consulte el estado de la solicitud con su número "
    "de solicitud y su Doc. Identificación."
)


def _fresh(entries: dict[str, float], *, seconds: int) -> dict[str, float]:
    now = time.time()
    return {k: v for k, v in entries.items() if isinstance(v, int | float) and now - v < seconds}


def _link_seconds() -> int:
    return settings.ECUAPASS_STATUS_LINK_TTL_HOURS * 3600


def status_access_grant(request: HttpRequest, request_obj: RegistrationRequest) -> None:
    """This browser may follow this request (until the link's lifetime passes)."""
    grants = _fresh(request.session.get(_GRANTS, {}), seconds=_link_seconds())
    grants[request_obj.tracking_number] = time.time()
    request.session[_GRANTS] = grants


def _owner_logged_in(request: HttpRequest, request_obj: RegistrationRequest) -> bool:
    return (
        request_obj.user_id is not None
        and request.user.is_authenticated
        and request.user.pk == request_obj.user_id
    )


def has_status_access(request: HttpRequest, request_obj: RegistrationRequest) -> bool:
    if _owner_logged_in(request, request_obj):
        return True
    grants = _fresh(request.session.get(_GRANTS, {}), seconds=_link_seconds())
    return request_obj.tracking_number in grants


def lookup_page(
    request: HttpRequest, *, message: str, tracking_number: str = "", status: int = 403
) -> HttpResponse:
    """Consulta de estado with a message: where a browser without access is sent."""
    form = StatusLookupForm(initial={"tracking_number": tracking_number})
    return render(
        request, "registration/lookup.html", {"form": form, "message": message}, status=status
    )


def with_status_access(
    *, json: bool = False
) -> Callable[
    [Callable[Concatenate[HttpRequest, RegistrationRequest, P], HttpResponse]],
    Callable[Concatenate[HttpRequest, str, P], HttpResponse],
]:
    """The one access check of a request's pages: the view gets the request, or the browser
    gets Consulta de estado (the same answer whether or not the number exists)."""

    def decorate(
        view: Callable[Concatenate[HttpRequest, RegistrationRequest, P], HttpResponse],
    ) -> Callable[Concatenate[HttpRequest, str, P], HttpResponse]:
        @wraps(view)
        def wrapped(
            request: HttpRequest, tracking_number: str, *args: P.args, **kwargs: P.kwargs
        ) -> HttpResponse:
            request_obj = selectors.request_for_status_page(tracking_number=tracking_number)
            if request_obj is None or not has_status_access(request, request_obj):
                if json:
                    return JsonResponse({"message": NO_ACCESS}, status=403)
                return lookup_page(request, message=NO_ACCESS, tracking_number=tracking_number)
            return view(request, request_obj, *args, **kwargs)

        return wrapped

    return decorate


def correction_access_grant(request: HttpRequest, request_obj: RegistrationRequest) -> None:
    """This browser proved it reads the request's current email: it may correct for a while."""
    proofs = _fresh(
        request.session.get(_CORRECTION, {}),
        seconds=settings.ECUAPASS_CORRECTION_ACCESS_MINUTES * 60,
    )
    proofs[_correction_key(request_obj)] = time.time()
    request.session[_CORRECTION] = proofs


def correction_access_end(request: HttpRequest, request_obj: RegistrationRequest) -> None:
    """The correction went through: the next one needs a new code."""
    proofs = dict(request.session.get(_CORRECTION, {}))
    if proofs.pop(_correction_key(request_obj), None) is not None:
        request.session[_CORRECTION] = proofs


def has_correction_access(request: HttpRequest, request_obj: RegistrationRequest) -> bool:
    if _owner_logged_in(request, request_obj):
        return True
    proofs = _fresh(
        request.session.get(_CORRECTION, {}),
        seconds=settings.ECUAPASS_CORRECTION_ACCESS_MINUTES * 60,
    )
    return _correction_key(request_obj) in proofs


def _correction_key(request_obj: RegistrationRequest) -> str:
    # Bound to the address the code went to (a changed email needs a new proof), without
    # keeping the address itself in the session.
    email = salted_hmac("registration.correction-access", request_obj.email.casefold())
    return f"{request_obj.tracking_number}:{email.hexdigest()[:16]}"


def submission_session(request: HttpRequest) -> str:
    """This browser, as the request row remembers who sent it (never the session key itself)."""
    return salted_hmac(
        "registration.submission-session", session_key(request), algorithm="sha256"
    ).hexdigest()


def submitted_here(request: HttpRequest, request_obj: RegistrationRequest) -> bool:
    """Whether this browser sent the request (a second click on Registrar, a retry)."""
    return bool(request_obj.submission_session) and constant_time_compare(
        request_obj.submission_session, submission_session(request)
    )
