"""Login: a slow per-ID throttle across every client, and a notice to an attacked owner.

django-axes locks an ID. usuario only for the client that failed
(AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]), so knowing someone's
ID is not enough to lock them out. Across every client, an ID that fails more
than ECUAPASS_LOGIN_ID_FAILURES_PER_MINUTE times in a minute is answered
"espere un minuto" for the rest of that minute without the password being
checked: a guesser from many addresses gets a handful of tries a minute, and
the owner gets in after a short wait, at once from a browser where they logged
in before or finished Reinicio de clave (the known-device cookie), and
Reinicio de clave still lifts the per-client locks. Counters are in the
shared cache (every process counts), keyed by the ID as typed, lower-cased,
whether or not it exists, so the answers say nothing about who is registered.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from registration.models import User
from registration.ratelimit import window_count, window_total
from registration.services.account import SUPPORT_PHONE
from registration.services.common import local_time_text
from registration.services.notices import account_notice_queue

_MINUTE_SCOPE = "login-id"
_HOUR_SCOPE = "login-id-hour"

ATTACK_NOTICE_SUBJECT = "ECUAPASS: intentos fallidos de inicio de sesión con su ID. usuario"
ATTACK_NOTICE_BODY = (
    "Hubo al menos {count} intentos fallidos de inicio de sesión con su ID. usuario "
    "{username} en la última hora (hasta el {when}).\n\n"
    "Si fue usted, no necesita hacer nada. Si no, alguien está probando claves: su cuenta "
    "no queda bloqueada y usted puede seguir entrando desde el navegador que usa "
    "habitualmente. Si no recuerda su clave, o cree que alguien la conoce, cámbiela con "
    "«Reinicio de clave» en «Buscar ID/Reinicio de clave». "
    "Soporte al Cliente: {phone}."
)


def _subject(username: str) -> str:
    return username.strip().lower()


def login_throttled(*, username: str) -> bool:
    """True while this ID. usuario has failed too often this minute, from all clients."""
    failures = window_total(scope=_MINUTE_SCOPE, key=_subject(username), seconds=60)
    return failures >= settings.ECUAPASS_LOGIN_ID_FAILURES_PER_MINUTE


@transaction.atomic
def login_failure_record(*, username: str) -> None:
    """Count a failed login for this ID; its owner is emailed once an hour when it adds up."""
    subject = _subject(username)
    window_count(scope=_MINUTE_SCOPE, key=subject, seconds=60)
    in_hour = window_count(scope=_HOUR_SCOPE, key=subject, seconds=3600)
    # Exactly one failure reaches the threshold in a window (incr is atomic): one notice.
    if in_hour != settings.ECUAPASS_LOGIN_ATTACK_NOTICE_FAILURES:
        return
    owner = User.objects.filter(username__iexact=subject, is_active=True).exclude(email="").first()
    if owner is None:
        return
    account_notice_queue(
        user=owner,
        to=owner.email,
        subject=ATTACK_NOTICE_SUBJECT,
        body=ATTACK_NOTICE_BODY.format(
            count=in_hour, username=owner.username, when=local_time_text(), phone=SUPPORT_PHONE
        ),
    )
