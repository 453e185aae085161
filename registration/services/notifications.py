"""Messages to the applicant about their request: email, SMS if chosen, and the Buzón Electrónico."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from registration.models import (
    Notification,
    NotificationKind,
    RegistrationRequest,
    RequestEvent,
    RequestStatus,
    User,
)
from registration.selectors import request_verification_reasons
from registration.services.delivery import deliver_once, undelivered
from registration.services.secrets import request_status_link
from registration.sms import sms_backend

logger = logging.getLogger(__name__)

NOTIFY_ON = {
    RequestStatus.SUBMITTED: NotificationKind.SUBMITTED,
    RequestStatus.VERIFICATION_FAILED: NotificationKind.CERT_FAILED,
    RequestStatus.OBSERVED: NotificationKind.OBSERVED,
    RequestStatus.REJECTED: NotificationKind.REJECTED,
    RequestStatus.ACTIVE: NotificationKind.ACTIVE,
    RequestStatus.EXPIRED: NotificationKind.EXPIRED,
    RequestStatus.DISABLED: NotificationKind.DISABLED,
}
TEXTS = {
    NotificationKind.SUBMITTED: "Registramos su solicitud {n}. {detail}",
    NotificationKind.CERT_FAILED: "No pudimos verificar el certificado digital de su solicitud {n}: {detail} Corríjala desde su enlace de seguimiento.",
    NotificationKind.OBSERVED: "El SENAE observó su solicitud {n}: {detail} Corríjala desde su enlace de seguimiento.",
    NotificationKind.REJECTED: "El SENAE rechazó su solicitud {n}. Motivo: {detail}",
    NotificationKind.ACTIVE: "Su usuario {user} está activo. Ya puede iniciar sesión en ECUAPASS.",
    NotificationKind.EXPIRED: "Su solicitud {n} caducó. {detail} Puede registrar una solicitud nueva.",
    NotificationKind.DISABLED: "Su usuario {user} fue deshabilitado. {detail}",
}


def _detail(kind: NotificationKind, request: RegistrationRequest, event: RequestEvent) -> str:
    if kind == NotificationKind.SUBMITTED:
        if request.email_confirmed_at is None:
            return (
                "Confirme su correo electrónico con el código que le enviamos; "
                "después verificaremos su certificado digital."
            )
        return "Estamos verificando su certificado digital."
    if kind == NotificationKind.OBSERVED:
        return request.observation or event.comment
    if kind == NotificationKind.CERT_FAILED:
        reasons = request_verification_reasons(request=request)
        return "; ".join(reasons[:3]) + "." if reasons else event.comment
    if kind == NotificationKind.REJECTED:
        return request.rejection_reason or event.comment
    return event.comment


def notification_for_event(*, request: RegistrationRequest, event: RequestEvent) -> None:
    """If the event is one the applicant hears about, write its message and send it after commit."""
    kind = (
        NOTIFY_ON.get(RequestStatus(event.to_status))
        if event.to_status in RequestStatus.values
        else None
    )
    if kind is None or event.from_status == event.to_status:
        return
    # Back to "submitted" from an observed or failed request: a correction, not a new request.
    corrected = kind == NotificationKind.SUBMITTED and bool(event.from_status)
    text = (CORRECTED_TEXT if corrected else TEXTS[kind]).format(
        n=request.tracking_number,
        detail=_detail(kind, request, event),
        user=request.id_usuario,
    )
    notification_write(
        request=request,
        event=event,
        kind=kind,
        text=text,
        title=CORRECTED_TITLE if corrected else "",
    )


CORRECTED_TITLE = "Corrección recibida"
CORRECTED_TEXT = "Recibimos la corrección de su solicitud {n}. {detail}"


def notification_write(
    *,
    request: RegistrationRequest,
    event: RequestEvent,
    kind: NotificationKind,
    text: str,
    title: str = "",
    recipient: User | None = None,
    link: str = "",
) -> None:
    """Store the message once per event and person; deliver it after commit.

    To the applicant (no ``recipient``) with the status link, or to someone else (a
    representative) with ``link``: in their Buzón, by email and by SMS if they chose it.
    The subject says ``title``, or else the kind's label.
    """
    notification, created = Notification.objects.get_or_create(
        request=request,
        kind=kind,
        event=event,
        recipient=recipient,
        defaults={
            "subject": f"ECUAPASS: {title or kind.label} ({request.tracking_number})",
            "body": f"{text}\n\n{link or request_status_link(request)}",
        },
    )
    if created:
        transaction.on_commit(lambda: notification_enqueue(notification_id=notification.pk))


def notification_enqueue(*, notification_id: int) -> None:
    from registration.tasks import deliver_notification

    try:
        deliver_notification.apply_async(args=(notification_id,))
    except Exception:  # broker down: notifications_resend_pending picks it up
        logger.warning("Could not enqueue notification %s", notification_id, exc_info=True)


def notification_deliver(*, notification_id: int) -> None:
    """Send the email, and the SMS if the applicant chose it; each at most once."""
    notification = (
        Notification.objects.select_related("request", "request__user", "recipient")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        return
    request = notification.request
    user = notification.recipient or request.user
    # An active user's own preferences (Mi página) win over what the request said.
    email = user.email if user is not None and user.email else request.email
    wants_sms, mobile = (
        (user.recibir_sms, user.celular)
        if user is not None
        else (request.recibir_sms, request.celular)
    )
    row = Notification.objects.filter(pk=notification.pk)
    deliver_once(
        row,
        claimed="email_claimed",
        done="email_sent",
        send=lambda: send_mail(notification.subject, notification.body, None, [email]),
    )
    if wants_sms and mobile:
        deliver_once(
            row,
            claimed="sms_claimed",
            done="sms_sent",
            send=lambda: sms_backend().send(to=mobile, text=notification.body.split("\n", 1)[0]),
        )


# Older messages are news nobody needs any more; they stay in the Buzón.
RESEND_WITHIN = timedelta(days=2)
# The same choice notification_deliver makes: the active user's, else the request's.
_WANTS_SMS = (
    Q(request__user__isnull=False, request__user__recibir_sms=True) & ~Q(request__user__celular="")
) | (Q(request__user__isnull=True, request__recibir_sms=True) & ~Q(request__celular=""))


def notifications_resend_pending(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Send what never left (broker down at the time, or a worker died mid-send).

    The job skips a channel already sent, so re-sending for one channel is harmless.
    """
    recent = Notification.objects.filter(created__gt=timezone.now() - RESEND_WITHIN)
    email = undelivered(recent, claimed="email_claimed", done="email_sent", older_than=older_than)
    sms = undelivered(recent, claimed="sms_claimed", done="sms_sent", older_than=older_than)
    pending = (email | sms.filter(_WANTS_SMS)).values_list("pk", flat=True).distinct()
    count = 0
    for pk in pending:
        notification_enqueue(notification_id=pk)
        count += 1
    return count


def mailbox_mark_read(*, user: User) -> None:
    Notification.objects.filter(
        Q(recipient__isnull=True, request__user=user) | Q(recipient=user), read__isnull=True
    ).update(read=timezone.now())
