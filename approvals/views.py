"""Reviewer pages: queues, the review page and its decision, the dashboard, audit, failed jobs."""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.defaults import page_not_found

from approvals import charts, selectors, services, staff_access, two_factor
from approvals.forms import (
    AuditRangeForm,
    DecisionForm,
    QueueFilterForm,
    ReassignForm,
    SecondFactorResetForm,
)
from approvals.two_factor import staff_verified_required
from registration import selectors as registration_selectors
from registration.company_registry import company_registry
from registration.kinds import declaration_for, field_value
from registration.models import User
from registration.ratelimit import client_address
from workflow import services as process_services
from workflow.selectors import MANAGE_PERMISSION, REVIEW_PERMISSION


def _requires(
    permission: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Anonymous users go to the login page; staff without a verified second factor to the
    2FA pages; logged-in users without `permission` get 403. Nothing is cached
    (Cache-Control: no-store): every reviewer page shows personal data."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def not_found_uncached(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            # A 404 raised inside the view would otherwise be rendered outside never_cache.
            try:
                return view(request, *args, **kwargs)
            except Http404 as exc:
                return page_not_found(request, exc)

        return never_cache(
            staff_verified_required(
                permission_required(permission, raise_exception=True)(not_found_uncached)
            )
        )

    return decorator


reviewer_required = _requires(REVIEW_PERMISSION)
supervisor_required = _requires(MANAGE_PERMISSION)


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@reviewer_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET)
    filters = form.filters()
    page = selectors.review_queue(user=_actor(request), filters=filters)
    return render(
        request,
        "approvals/queue.html",
        {
            "page": page,
            "filters": filters,
            "queues": selectors.QUEUES,
            "kinds": form.fields["tipo"].choices,  # type: ignore[attr-defined]
            "query": form.pager_query(),
            "ignored": form.ignored(),
            "can_manage": request.user.has_perm(MANAGE_PERMISSION),
            "provinces": registration_selectors.provinces_with_cantones(),
            "oce_types": registration_selectors.oce_types(),
        },
        status=400 if form.errors else 200,
    )


def _task_or_404(task_pk: int) -> Any:
    task = selectors.review_task(task_pk=task_pk)
    if task is None:
        raise Http404("Tarea no encontrada")
    return task


@reviewer_required
@require_GET
def review_detail(request: HttpRequest, task_pk: int) -> HttpResponse:
    # A supervisor may open an employee's request too, read-only: its company decides it.
    task = selectors.review_task(task_pk=task_pk, user=_actor(request))
    if task is None:
        raise Http404("Tarea no encontrada")
    req = selectors.process_of_task(task).request
    form = DecisionForm(request_obj=req, reasons=selectors.rejection_reasons())
    return _render_review(request, task, form)


ORGANISATION_FIELDS = ("ruc", "razon_social", "direccion_empresa", "telefono_empresa", "procedures")


def _organisation_block(req: Any) -> tuple[str, list[tuple[str, Any]]]:
    """The kind's company or entity block (its legend and each field with its label)."""
    declaration = declaration_for(req.kind)
    fields = [
        (label, field_value(req, name))
        for name, label in declaration.snapshot_fields
        if name in ORGANISATION_FIELDS
    ]
    fields = [(label, ", ".join(v) if isinstance(v, list) else v) for label, v in fields]
    legend = (
        "Información de la entidad"
        if declaration.organisation == "entidad"
        else ("Información de empresa")
    )
    return legend, fields


@reviewer_required
@require_GET
def review_appointment(request: HttpRequest, task_pk: int) -> HttpResponseBase:
    """The appointment PDF of the task's request, for the reviewer only (as an attachment)."""
    task = selectors.review_task(task_pk=task_pk, user=_actor(request))
    if task is None:
        raise Http404("Tarea no encontrada")
    appointment = registration_selectors.request_appointment(
        request=selectors.process_of_task(task).request
    )
    if appointment is None:
        raise Http404("La solicitud no tiene nombramiento")
    response = FileResponse(
        appointment.file.open("rb"),
        as_attachment=True,
        filename=appointment.original_name,
        content_type="application/pdf",
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _render_review(
    request: HttpRequest, task: Any, form: DecisionForm, status: int = 200
) -> HttpResponse:
    req = selectors.process_of_task(task).request
    can_manage = request.user.has_perm(MANAGE_PERMISSION)
    return render(
        request,
        "approvals/review.html",
        {
            "task": task,
            "req": req,
            "events": registration_selectors.request_events(request=req),
            "reasons": registration_selectors.request_verification_reasons(request=req),
            "certificate_panels": selectors.certificate_panels(request=req),
            "registry": company_registry().lookup(req.ruc) if req.ruc else None,
            "organisation": _organisation_block(req),
            "appointment": registration_selectors.request_appointment(request=req),
            "related": selectors.related_to_request(request=req),
            "changes": selectors.request_changes(request=req),
            "form": form,
            "is_mine": task.owner_id == request.user.pk,
            "company_decides": selectors.is_company_decided(task),
            "confirming": form.is_bound
            and not form.errors
            and not form.cleaned_data.get("confirm"),
            "can_manage": can_manage,
            "reassign_form": ReassignForm(reviewers=selectors.reviewers()) if can_manage else None,
        },
        status=status,
    )


@reviewer_required
@require_POST
def review_take(request: HttpRequest, task_pk: int) -> HttpResponse:
    try:
        services.review_take(
            task_pk=task_pk, actor=_actor(request), source_ip=client_address(request)
        )
    except services.ReviewError as exc:
        messages.error(request, str(exc))
        return redirect("approvals:queue")
    return redirect("approvals:review", task_pk=task_pk)


@reviewer_required
@require_POST
def review_release(request: HttpRequest, task_pk: int) -> HttpResponse:
    try:
        services.review_release(
            task_pk=task_pk, actor=_actor(request), source_ip=client_address(request)
        )
    except services.ReviewError as exc:
        messages.error(request, str(exc))
    return redirect("approvals:queue")


@supervisor_required
@require_POST
def review_reassign(request: HttpRequest, task_pk: int) -> HttpResponse:
    form = ReassignForm(request.POST, reviewers=selectors.reviewers())
    if not form.is_valid():
        messages.error(request, "Elija el revisor al que reasigna la solicitud.")
        return redirect("approvals:review", task_pk=task_pk)
    try:
        services.review_reassign(
            task_pk=task_pk,
            actor=_actor(request),
            to=form.cleaned_data["reviewer"],
            source_ip=client_address(request),
        )
    except services.ReviewError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Reasignada a {form.cleaned_data['reviewer'].username}.")
    return redirect("approvals:review", task_pk=task_pk)


@reviewer_required
@require_POST
def review_decide(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = _task_or_404(task_pk)
    req = selectors.process_of_task(task).request
    form = DecisionForm(request.POST, request_obj=req, reasons=selectors.rejection_reasons())
    if not form.is_valid() or not form.cleaned_data.get("confirm"):
        # First step renders the confirmation; errors re-render the form.
        return _render_review(request, task, form, status=200 if form.is_valid() else 400)
    try:
        services.review_decide(
            task_pk=task_pk,
            actor=_actor(request),
            decision=services.Decision(form.cleaned_data["decision"]),
            comment=form.decision_text(),
            observed_items=form.cleaned_data["observed_items"],
            source_ip=client_address(request),
        )
    except services.ReviewError as exc:
        messages.error(request, str(exc))
        return redirect("approvals:queue")
    messages.success(request, f"Decisión registrada para {req.tracking_number}.")
    return redirect("approvals:queue")


@supervisor_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    data = selectors.dashboard()
    return render(
        request,
        "approvals/dashboard.html",
        {
            "data": data,
            "state_chart": charts.bar_chart_svg(data.by_state, title="Solicitudes por estado"),
            "ageing_chart": charts.bar_chart_svg(
                data.ageing, title="Antigüedad de las solicitudes en revisión"
            ),
            "decisions_chart": charts.grouped_bar_chart_svg(
                data.days, data.decisions, title="Decisiones por revisor y día"
            ),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@supervisor_required
@require_GET
def audit_csv(request: HttpRequest) -> HttpResponseBase:
    """The audit trail as CSV (desde/hasta: YYYY-MM-DD), streamed."""
    dates = AuditRangeForm(request.GET)
    if not dates.is_valid():
        return HttpResponse(dates.error, status=400, content_type="text/plain; charset=utf-8")
    events = selectors.audit_events(
        since=dates.cleaned_data["desde"], until=dates.cleaned_data["hasta"]
    )
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(
            ["fecha", "solicitud", "actor", "ip", "estado_anterior", "estado_nuevo", "comentario"]
        )
        for event in events:
            yield writer.writerow(
                [
                    timezone.localtime(event.created).isoformat(timespec="seconds"),
                    event.request.tracking_number,
                    event.actor_label,
                    event.source_ip or "",
                    event.from_status,
                    event.to_status,
                    event.comment,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="auditoria-solicitudes.csv"'
    return response


@supervisor_required
@require_GET
def failed_jobs(request: HttpRequest) -> HttpResponse:
    return render(request, "approvals/failed_jobs.html", {"jobs": selectors.failed_jobs()})


@supervisor_required
@require_POST
def job_retry(request: HttpRequest, task_pk: int) -> HttpResponse:
    try:
        process_services.flow_job_retry(task_pk=task_pk, actor=_actor(request))
    except process_services.ProcessError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "El trabajo se reintentará.")
    return redirect("approvals:failed_jobs")


@supervisor_required
@require_GET
def staff(request: HttpRequest) -> HttpResponse:
    return render(request, "approvals/staff.html", {"members": selectors.staff_members()})


@supervisor_required
@require_POST
def staff_second_factor_reset(request: HttpRequest, user_pk: int) -> HttpResponse:
    user = User.objects.filter(pk=user_pk, is_active=True).first()
    if user is None:
        raise Http404("Usuario no encontrado")
    form = SecondFactorResetForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors["motivo"]))
        return redirect("approvals:staff")
    try:
        deleted = staff_access.totp_devices_reset_by(
            actor=_actor(request),
            user=user,
            reason=form.cleaned_data["motivo"],
            source_ip=client_address(request),
        )
    except two_factor.TwoFactorError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Segundo factor de {user.username} restablecido ({deleted} dispositivo(s)). "
            "Registrará uno nuevo en su próximo inicio de sesión.",
        )
    return redirect("approvals:staff")
