"""The annual data update ("3.2.3 Modificar información del uso", Resolución
SENAE-DGN-2016-0364-RE): every January operators confirm or change their data, with a
code sent by email; who does not by the deadline is disabled until they do.

The dates come from settings (ECUAPASS_ANNUAL_UPDATE_*); every function that depends on
the day takes it as an argument, so the beat's sweep and the tests say which day it is.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from registration.kinds import declaration_for
from registration.models import (
    AnnualNoticeKind,
    AnnualUpdate,
    AnnualUpdateNotice,
    CodePurpose,
    Company,
    NotificationKind,
    RegistrationRequest,
    RequestStatus,
    TermsAcceptance,
    TermsVersion,
    User,
)
from registration.selectors import current_terms, user_accepted_terms
from registration.services.codes import CodeCheck, code_check, code_issue
from registration.services.common import (
    SYSTEM_ACTOR,
    SubmissionConflict,
    TransitionNotAllowed,
    locked_request,
    record_event,
)
from registration.services.disabling import UPDATE_CAUSE, user_disable, user_enable
from registration.services.notifications import notification_write
from registration.services.versions import request_version_record

RESOLUTION = "Resolución SENAE-DGN-2016-0364-RE"
# What a user changes themself: where they live and how to call them; and, for an
# organisation's representative, its phone. The cédula, the RUC and the organisation's
# identity take a new request.
PERSON_CONTACT_FIELDS = (
    "province",
    "canton",
    "direccion",
    "telefono1",
    "telefono2",
    "operadora",
    "celular",
    "fax",
)
ORGANISATION_CONTACT_FIELDS = ("telefono_empresa",)


@dataclass(frozen=True)
class UpdateWindow:
    """Year ``year``'s update: reminders from ``reminders_from`` (the year before), the
    window from ``opens``; from ``deadline`` on, who did not update is disabled."""

    year: int
    reminders_from: datetime.date
    opens: datetime.date
    deadline: datetime.date

    def phase(self, today: datetime.date) -> str:
        if today < self.reminders_from:
            return "antes"
        if today < self.opens:
            return "recordatorio"
        if today < self.deadline:
            return "abierta"
        return "vencida"


def _window(year: int) -> UpdateWindow:
    month, day = settings.ECUAPASS_ANNUAL_UPDATE_REMINDERS_FROM
    opens = datetime.date(year, *settings.ECUAPASS_ANNUAL_UPDATE_OPENS)
    return UpdateWindow(
        year=year,
        reminders_from=datetime.date(year - 1, month, day),
        opens=opens,
        deadline=datetime.date(year, *settings.ECUAPASS_ANNUAL_UPDATE_DEADLINE),
    )


def update_window(today: datetime.date) -> UpdateWindow:
    """The update under way on ``today``: the next year's once its reminders start."""
    upcoming = _window(today.year + 1)
    return upcoming if today >= upcoming.reminders_from else _window(today.year)


def update_request(*, user: User) -> RegistrationRequest | None:
    """The request whose data the user updates: the one that made them active (or that was
    disabled for a missed update)."""
    statuses = [RequestStatus.ACTIVE]
    if user.disabled_cause == UPDATE_CAUSE:
        statuses.append(RequestStatus.DISABLED)
    return (
        RegistrationRequest.objects.filter(user=user, status__in=statuses)
        .order_by("-status_changed_at", "-created")
        .first()
    )


def _due_users(window: UpdateWindow) -> QuerySet[User]:
    """Users who owe ``window``'s update: holding an active request (or one disabled for
    the update) since before its reminders started, and not yet updated that year."""
    return (
        User.objects.filter(
            is_staff=False,
            is_active=True,
            date_joined__date__lt=window.reminders_from,
            registration_requests__status__in=[RequestStatus.ACTIVE, RequestStatus.DISABLED],
        )
        .exclude(disabled_cause="certificado")
        .exclude(annual_updates__year=window.year)
        .distinct()
    )


def update_due(*, user: User, today: datetime.date) -> UpdateWindow | None:
    """The window whose update ``user`` still owes on ``today`` (None if nothing is owed
    yet: before the reminders, or already updated)."""
    window = update_window(today)
    if window.phase(today) == "antes":
        return None
    return window if _due_users(window).filter(pk=user.pk).exists() else None


def local_today() -> datetime.date:
    return timezone.localdate()


# --- The sweep (beat, daily) -------------------------------------------------------------


def sweep_actions(*, today: datetime.date) -> tuple[int, str, list[int]]:
    """What the day's sweep does: (year, notice kind, users) — a reminder in December and
    in January, a disabling from the deadline on; nothing before the reminders start."""
    window = update_window(today)
    kind = {
        "recordatorio": AnnualNoticeKind.REMINDER_DECEMBER,
        "abierta": AnnualNoticeKind.REMINDER_JANUARY,
        "vencida": AnnualNoticeKind.DISABLED,
    }.get(window.phase(today))
    if kind is None:
        return window.year, "", []
    done = AnnualUpdateNotice.objects.filter(year=window.year, kind=kind).values("user_id")
    users = _due_users(window).exclude(pk__in=done).values_list("pk", flat=True)
    return window.year, kind, list(users)


REMINDER_TEXT = (
    "Actualice sus datos de ECUAPASS ({resolution}): ingrese a Mi página → «Modificar "
    "información del uso» entre el {opens} y el {last}. Si no los actualiza, su usuario se "
    "deshabilita el {deadline} hasta que lo haga."
)
DISABLED_REASON = (
    "No actualizó sus datos hasta el {last} ({resolution}). Inicie sesión y actualícelos en "
    "«Modificar información del uso» para habilitarlo de nuevo."
)


def _day(d: datetime.date) -> str:
    return d.strftime("%d/%m/%Y")


@transaction.atomic
def annual_notice_send(*, user_id: int, year: int, kind: str, today: datetime.date) -> bool:
    """Remind or disable one user for ``year``'s update, once (False if already done, or
    no longer owed: the user updated meanwhile)."""
    user = User.objects.select_for_update().get(pk=user_id)
    window = _window(year)
    if not _due_users(window).filter(pk=user.pk).exists():
        return False
    request = update_request(user=user)
    if request is None:
        return False
    try:
        with transaction.atomic():
            AnnualUpdateNotice.objects.create(user=user, year=year, kind=kind)
    except IntegrityError:
        return False  # another worker did it
    last = _day(window.deadline - datetime.timedelta(days=1))
    if kind == AnnualNoticeKind.DISABLED:
        user_disable(
            user=user,
            request=request,
            cause=UPDATE_CAUSE,
            reason=DISABLED_REASON.format(last=last, resolution=RESOLUTION),
        )
        return True
    text = REMINDER_TEXT.format(
        resolution=RESOLUTION,
        opens=_day(window.opens),
        last=last,
        deadline=_day(window.deadline),
    )
    event = record_event(
        request,
        from_status=request.status,
        to_status=request.status,
        actor=None,
        actor_label=SYSTEM_ACTOR,
        comment=f"Recordatorio de la actualización anual de datos {year}.",
    )
    notification_write(
        request=request,
        event=event,
        kind=NotificationKind.UPDATE_DUE,
        text=text,
        title=f"Actualice sus datos de ECUAPASS ({year})",
        link=settings.ECUAPASS_PUBLIC_URL.rstrip("/") + "/mi-pagina/modificar-informacion/",
    )
    return True


# --- The update itself -----------------------------------------------------------------


def updatable_fields(request: RegistrationRequest) -> tuple[str, ...]:
    """The fields the user of ``request`` may change themself."""
    declaration = declaration_for(request.kind)
    organisation = ORGANISATION_CONTACT_FIELDS if declaration.represents_company else ()
    return (*PERSON_CONTACT_FIELDS, *organisation)


TERMS_CHANGED = "El Convenio de uso de ECUAPASS cambió: léalo y acéptelo para guardar sus datos."


def terms_to_accept(*, user: User) -> TermsVersion | None:
    """The convenio in force, if the user has not accepted it (it changed since)."""
    terms = current_terms()
    if terms is None or user_accepted_terms(user=user, version=terms):
        return None
    return terms


def annual_update_code_send(*, user: User) -> None:
    """Email the user a code; saving the update needs it."""
    if update_request(user=user) is None:
        raise TransitionNotAllowed("No tiene un usuario activo cuyos datos actualizar.")
    code_issue(purpose=CodePurpose.DATA_UPDATE, email=user.email, user=user)


@transaction.atomic
def annual_update_save(
    *,
    user: User,
    values: dict[str, Any],
    code: str,
    today: datetime.date,
    terms_accepted: bool = False,
    source_ip: str | None = None,
) -> AnnualUpdate | None:
    """Save the user's data (every changed field a new version of the request, with its
    history row), count it as ``today``'s year's update, and re-enable a user disabled
    for missing it. Needs the code emailed by annual_update_code_send.

    Returns the year's AnnualUpdate (None when the data was saved but no update is owed,
    e.g. a second update in the same year).
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    request = update_request(user=user)
    if request is None:
        raise TransitionNotAllowed("No tiene un usuario activo cuyos datos actualizar.")
    outcome, _live = code_check(purpose=CodePurpose.DATA_UPDATE, code=code, user=user)
    if outcome is not CodeCheck.OK:
        raise SubmissionConflict(
            {"codigo": "El código no es válido o ya venció. Pida uno nuevo con «Enviar código»."}
        )
    terms = terms_to_accept(user=user)
    if terms is not None and not terms_accepted:
        raise SubmissionConflict({"acepta_convenio": TERMS_CHANGED})
    request = locked_request(request.pk)
    declaration = declaration_for(request.kind)
    allowed = updatable_fields(request)
    outside = sorted(set(values) - set(allowed))
    if outside:
        raise SubmissionConflict(
            {name: "Este dato no se cambia aquí: requiere una solicitud nueva." for name in outside}
        )
    changed: list[str] = []
    for name in allowed:
        if name not in values:
            continue
        holder = declaration.holder(request, name)
        if getattr(holder, name) != values[name]:
            setattr(holder, name, values[name])
            holder.save(update_fields=[name])
            changed.append(declaration.label(name))
    if "celular" in values and user.celular != values["celular"]:
        user.celular = values["celular"]
        user.save(update_fields=["celular"])
    if "telefono_empresa" in values and request.company_id is not None:
        Company.objects.filter(pk=request.company_id).update(telefono=values["telefono_empresa"])
    if terms is not None:
        TermsAcceptance.objects.create(
            version=terms, user=user, context="actualizacion", source_ip=source_ip
        )
        changed.append(f"aceptó el {terms.title} (versión {terms.number})")
    request_version_record(request=request)
    window = update_window(today)
    record_event(
        request,
        from_status=request.status,
        to_status=request.status,
        actor=user,
        actor_label="",
        comment=f"Actualización anual de datos {window.year}: "
        + (", ".join(changed) if changed else "datos confirmados sin cambios")
        + ".",
        source_ip=source_ip,
    )
    update = None
    if (
        window.phase(today) != "antes"
        and not AnnualUpdate.objects.filter(user=user, year=window.year).exists()
    ):
        update = AnnualUpdate.objects.create(
            user=user, year=window.year, request=request, changed=changed, source_ip=source_ip
        )
    if user.disabled_cause == UPDATE_CAUSE:
        user_enable(
            user=user,
            request=request,
            comment=f"Usuario habilitado: actualizó sus datos ({RESOLUTION}).",
        )
    return update
